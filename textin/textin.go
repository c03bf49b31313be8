// Package textin is the one boundary for text that people send fenlei, on every channel (the web
// page, the JSON API, the websocket, Discord, the command line and classify --jsonl).
//
// It promises:
//   - Parse normalises a text once: invalid UTF-8 is refused; Unicode NFKC folds full-width letters,
//     digits and spaces to their ordinary forms; zero-width, bidirectional, variation-selector and
//     other format characters and control characters (tab and newline excepted) are removed; the
//     result is trimmed. The user's text is kept as typed in Text.Raw.
//   - Text.Match is the normalised text with traditional Chinese converted to simplified: the engine
//     matches on it, and it is never shown to the user as their own words. Only a text that has
//     traditional characters is converted (OpenCC, with the Taiwan wordings, so 軟體 reads as 软件);
//     simplified text is left as it is (小程序 stays 小程序).
//   - One validator: a text with a NUL, mostly control characters or invalid UTF-8 is ErrNotText; one
//     with no letter or digit once normalised (empty, spaces, emoji, symbols, zero-width characters
//     only) is ErrEmpty; one longer than the limit (in characters, after normalisation) is ErrTooLong.
//   - One language detector, Detect: Chinese ("zh") or English ("en").
//   - One error type, *Error, whose Message is safe to show users, in Chinese or English, with no
//     internals. Message turns any error into such a sentence (a generic apology for internal errors).
package textin

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
	"golang.org/x/text/unicode/norm"
)

// DefaultMaxRunes is the longest text accepted when a caller gives no limit.
const DefaultMaxRunes = 4000

// Text is a normalised message.
type Text struct {
	Raw   string // as received
	Clean string // NFKC, without zero-width and control characters, trimmed: what the user wrote, tidied
	Match string // Clean with traditional Chinese converted to simplified: what the engine reads
	Lang  string // "zh" or "en" (Detect on Clean, or the fallback given to ParseLang)
}

// Parse normalises raw and validates it against max characters (max <= 0: DefaultMaxRunes).
// On error the returned Text is still filled as far as it could be (Raw always; Clean and Lang unless
// the text is not valid text), so a channel can answer in the right language.
func Parse(raw string, max int) (Text, error) { return ParseLang(raw, max, "") }

// ParseLang is Parse with the language to use when the text itself does not say (see Lang).
func ParseLang(raw string, max int, fallback string) (Text, error) {
	t, err := parse(raw, max, fallback)
	if err == nil {
		t.Match = Simplify(t.Clean)
	}
	return t, err
}

// MatchForm is how the engine reads any text it matches against, such as a coding-index entry: Clean,
// then Simplify. A user's message gets the same form in Text.Match.
func MatchForm(s string) string { return Simplify(Clean(s)) }

// Check validates raw as Parse does, without converting it for matching.
func Check(raw string, max int) error {
	_, err := parse(raw, max, "")
	return err
}

// parse is ParseLang without Match.
func parse(raw string, max int, fallback string) (Text, error) {
	t := Text{Raw: raw, Lang: orDefault(fallback)}
	if err := checkBinary(raw); err != nil {
		return t, err
	}
	t.Clean = Clean(raw)
	t.Lang = Lang(t.Clean, fallback)
	if !hasLetterOrDigit(t.Clean) {
		return t, ErrEmpty
	}
	return t, t.Within(max)
}

// Within checks a parsed Text against a limit of max characters of Clean (max <= 0: DefaultMaxRunes):
// an *Error with CodeTooLong when it is longer, as Parse would return with that max.
func (t Text) Within(max int) error {
	if max <= 0 {
		max = DefaultMaxRunes
	}
	if n := utf8.RuneCountInString(t.Clean); n > max {
		return &Error{Code: CodeTooLong, Limit: max}
	}
	return nil
}

// checkBinary refuses text that a person did not type: invalid UTF-8, a NUL, or a tenth or more
// control characters (tab, newline and carriage return do not count).
func checkBinary(s string) error {
	if !utf8.ValidString(s) {
		return ErrNotText
	}
	n, ctl := 0, 0
	for _, r := range s {
		n++
		switch {
		case r == 0:
			return ErrNotText
		case r == '\n' || r == '\r' || r == '\t':
		case unicode.IsControl(r):
			ctl++
		}
	}
	if ctl > 0 && ctl*10 >= n {
		return ErrNotText
	}
	return nil
}

// Clean is the normalisation of Parse without validation: NFKC, invisible characters out, CR LF and
// CR as LF, trimmed. It is idempotent.
func Clean(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(dropInvisible, s)
	s = nfkc(s)
	s = strings.Map(dropInvisible, s) // NFKC can expose nothing new, but a second pass keeps Clean idempotent
	return strings.TrimSpace(s)
}

// nfkc is Unicode NFKC except for the full-width punctuation of Chinese writing (，：；？！（）…),
// which is Chinese's ordinary punctuation rather than a compatibility form: it stays as typed, so
// "什么是服务外包？" keeps its question mark. Full-width letters, digits and the ideographic space fold.
func nfkc(s string) string {
	if !strings.ContainsFunc(s, isCJKPunct) {
		return norm.NFKC.String(s)
	}
	var b strings.Builder
	for len(s) > 0 {
		i := strings.IndexFunc(s, isCJKPunct)
		if i < 0 {
			b.WriteString(norm.NFKC.String(s))
			break
		}
		b.WriteString(norm.NFKC.String(s[:i]))
		_, n := utf8.DecodeRuneInString(s[i:])
		b.WriteString(s[i : i+n])
		s = s[i+n:]
	}
	return b.String()
}

// isCJKPunct reports the full-width forms (U+FF01–U+FF65) that are not letters or digits.
func isCJKPunct(r rune) bool {
	return r >= 0xFF01 && r <= 0xFF65 && !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

// dropInvisible maps the characters Clean removes to -1 and CR to LF.
func dropInvisible(r rune) rune {
	switch {
	case r == '\r':
		return '\n'
	case r == '\n' || r == '\t':
		return r
	case unicode.IsControl(r), unicode.Is(unicode.Cf, r): // controls; zero-width, bidi, BOM, soft hyphen, tags
		return -1
	case unicode.Is(unicode.Variation_Selector, r): // emoji and CJK presentation selectors
		return -1
	case r == '\u3164' || r == '\uFFA0' || r == '\u115F' || r == '\u1160': // Hangul fillers render blank
		return -1
	}
	return r
}

func hasLetterOrDigit(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// OpenCC converters, built on first use: t2s (characters and phrases) tells whether a text has
// traditional characters at all; tw2sp (Taiwan wordings too) converts it.
var (
	t2s   = sync.OnceValues(func() (*opencc.OpenCC, error) { return opencc.New("t2s") })
	tw2sp = sync.OnceValues(func() (*opencc.OpenCC, error) { return opencc.New("tw2sp") })
)

// Simplify converts traditional Chinese in s to simplified, wordings included (軟體 → 软件,
// 資訊 → 信息). Text without traditional characters is returned as it is: Taiwan's wordings are
// not applied to simplified text (小程序 stays 小程序).
func Simplify(s string) string {
	if !strings.ContainsFunc(s, isTraditional) {
		return s // nothing t2s could change: most texts, without running the converter
	}
	probe, err := convert(t2s, s)
	if err != nil || probe == s {
		return s
	}
	out, err := convert(tw2sp, s)
	if err != nil {
		return probe
	}
	return out
}

func convert(cc func() (*opencc.OpenCC, error), s string) (string, error) {
	c, err := cc()
	if err != nil { // the tables are embedded in the library: this does not happen
		return s, err
	}
	return c.Convert(s)
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

//go:generate go run gen_traditional.go

// traditionalText is every character OpenCC's t2s conversion can change (traditional.txt, written by
// `go generate ./textin` from the opencc module's dictionaries; TestTraditionalSet checks it against
// the converter).
//
//go:embed traditional.txt
var traditionalText string

// traditional is the set of traditionalText's characters.
var traditional = func() map[rune]struct{} {
	m := make(map[rune]struct{}, len(traditionalText)/3)
	for _, r := range strings.TrimSpace(traditionalText) {
		m[r] = struct{}{}
	}
	return m
}()

func isTraditional(r rune) bool {
	if r < 0x3400 {
		return false
	}
	_, ok := traditional[r]
	return ok
}
