package textin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		raw       string
		max       int
		fallback  string
		wantErr   error
		wantClean string
		wantMatch string
		wantLang  string
	}{
		{name: "plain Chinese", raw: "  为银行定制开发信贷管理软件\n", wantClean: "为银行定制开发信贷管理软件", wantMatch: "为银行定制开发信贷管理软件", wantLang: "zh"},
		{name: "zero-width inside words", raw: "手\u200b机A\u200dPP", wantClean: "手机APP", wantMatch: "手机APP", wantLang: "zh"},
		{name: "BOM, bidi marks, soft hyphen, word joiner", raw: "\ufeff软\u00ad件\u2060开\u200e发\u202e", wantClean: "软件开发", wantMatch: "软件开发", wantLang: "zh"},
		{name: "full-width letters, digits and space", raw: "ｗｅ　ｔｅｓｔ ｉＯＳ　ａｐｐｓ for ２ banks", wantClean: "we test iOS apps for 2 banks", wantMatch: "we test iOS apps for 2 banks", wantLang: "en"},
		{name: "traditional kept as typed, simplified for matching", raw: "軟體測試服務，為客戶產品上線前做測試",
			wantClean: "軟體測試服務，為客戶產品上線前做測試", wantMatch: "软件测试服务，为客户产品上线前做测试", wantLang: "zh"},
		{name: "Taiwan wordings are not applied to simplified text", raw: "为展览公司开发展位预订小程序", wantClean: "为展览公司开发展位预订小程序", wantMatch: "为展览公司开发展位预订小程序", wantLang: "zh"},
		{name: "Chinese punctuation stays", raw: "什么是服务外包？（ｓａａｓ）", wantClean: "什么是服务外包？（saas）", wantMatch: "什么是服务外包？（saas）", wantLang: "zh"},
		{name: "Taiwan wording", raw: "資訊系統整合", wantClean: "資訊系統整合", wantMatch: "信息系统集成", wantLang: "zh"},
		{name: "mixed, mostly English", raw: "We provide 软件测试 services for banks", wantClean: "We provide 软件测试 services for banks",
			wantMatch: "We provide 软件测试 services for banks", wantLang: "en"},
		{name: "mixed, mostly Chinese", raw: "软件测试 for iOS apps", wantClean: "软件测试 for iOS apps", wantMatch: "软件测试 for iOS apps", wantLang: "zh"},
		{name: "CRLF kept as lines", raw: "第一行\r\n第二行", wantClean: "第一行\n第二行", wantMatch: "第一行\n第二行", wantLang: "zh"},
		{name: "one English word follows the conversation", raw: "help", fallback: "zh", wantClean: "help", wantMatch: "help", wantLang: "zh"},
		{name: "one English word alone", raw: "help", wantClean: "help", wantMatch: "help", wantLang: "en"},
		{name: "a code", raw: "I13", fallback: "zh", wantClean: "I13", wantMatch: "I13", wantLang: "zh"},
		{name: "digits only are text", raw: "１２３", wantClean: "123", wantMatch: "123", wantLang: "zh"},

		{name: "empty", raw: "", wantErr: ErrEmpty, wantLang: "zh"},
		{name: "spaces", raw: " \t\n　", wantErr: ErrEmpty, wantLang: "zh"},
		{name: "emoji only", raw: "😀🎉👍🏽", wantErr: ErrEmpty, wantLang: "zh"},
		{name: "emoji with ZWJ and selector", raw: "👩\u200d💻\ufe0f", wantErr: ErrEmpty, wantLang: "en", fallback: "en"},
		{name: "symbols only", raw: "？！…※★→", wantErr: ErrEmpty, wantLang: "zh"},
		{name: "zero-width only", raw: "\u200b\u200c\u200d\ufeff\u2060", wantErr: ErrEmpty, wantLang: "zh"},
		{name: "too long after normalisation", raw: strings.Repeat("软", 11), max: 10, wantErr: ErrTooLong, wantClean: strings.Repeat("软", 11), wantLang: "zh"},
		{name: "zero-width does not count towards the limit", raw: strings.Repeat("软\u200b", 10), max: 10, wantClean: strings.Repeat("软", 10), wantMatch: strings.Repeat("软", 10), wantLang: "zh"},
		{name: "NUL", raw: "软件\x00开发", wantErr: ErrNotText, wantLang: "zh"},
		{name: "invalid UTF-8", raw: "软件\xff\xfe", wantErr: ErrNotText, wantLang: "zh"},
		{name: "mostly control characters", raw: "\x01\x02\x03ab", wantErr: ErrNotText, wantLang: "zh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLang(tt.raw, tt.max, tt.fallback)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("ParseLang(%q) error = %v, want %v", tt.raw, err, tt.wantErr)
			}
			if got.Raw != tt.raw {
				t.Errorf("Raw = %q, want the text as typed %q", got.Raw, tt.raw)
			}
			if err == nil || errors.Is(err, ErrTooLong) {
				if got.Clean != tt.wantClean {
					t.Errorf("Clean = %q, want %q", got.Clean, tt.wantClean)
				}
			}
			if got.Match != tt.wantMatch {
				t.Errorf("Match = %q, want %q", got.Match, tt.wantMatch)
			}
			if got.Lang != tt.wantLang {
				t.Errorf("Lang = %q, want %q", got.Lang, tt.wantLang)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		text     string
		wantLang string
		wantSure bool
	}{
		{"我们给银行做手机APP", "zh", true},
		{"we build mobile apps for banks", "en", true},
		{"We provide 软件测试 services for banks", "en", true},
		{"software testing 服务", "en", true},
		{"软件测试 for iOS apps", "zh", true},
		{"为 client 开发 mobile app", "zh", true},
		{"ＳＡＰ实施", "zh", true},
		{"We build an ERP system for a factory in 苏州 and maintain it", "en", true},
		{"help", "en", false},
		{"I13", "en", false},
		{"e-commerce", "en", false},
		{"?", "", false},
		{"", "", false},
		{"123 456", "", false},
	}
	for _, tt := range tests {
		lang, sure := Detect(tt.text)
		if lang != tt.wantLang || sure != tt.wantSure {
			t.Errorf("Detect(%q) = %q, %v; want %q, %v", tt.text, lang, sure, tt.wantLang, tt.wantSure)
		}
	}
}

func TestAcceptLanguage(t *testing.T) {
	tests := map[string]string{
		"":                            "",
		"zh-CN,zh;q=0.9,en;q=0.8":     "zh",
		"en-US,en;q=0.9":              "en",
		"en-GB,zh-CN;q=0.5":           "en",
		"zh-TW":                       "zh",
		"fr-FR":                       "",
		"de,en;q=0.5":                 "en",
		"zh":                          "zh",
		"garbage;;;q=":                "",
		"zh-Hant-HK,zh;q=0.8,en;q=.5": "zh",
	}
	for in, want := range tests {
		if got := AcceptLanguage(in); got != want {
			t.Errorf("AcceptLanguage(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMessage(t *testing.T) {
	tests := []struct {
		err    error
		lang   string
		want   string
		wantEN string
	}{
		{ErrEmpty, "zh", "消息是空的", "The message is empty"},
		{&Error{Code: CodeTooLong, Limit: 10}, "zh", "10 字以内", "under 10 characters"},
		{fmt.Errorf("bot.Turn: %w", ErrNotText), "zh", "无法读取", "could not be read"},
		{&Error{Code: CodeBadRequest, Problem: ProblemType, Field: "text"}, "zh", `"text" 应为字符串`, `"text" must be a string`},
		{&Error{Code: CodeBadRequest, Problem: ProblemSyntax, Offset: 7}, "zh", "第 7 字节", "at byte 7"},
		{&Error{Code: CodeBadRequest, Problem: ProblemNotObject}, "zh", "不是 JSON 对象", "not a JSON object"},
		{context.DeadlineExceeded, "zh", "超时", "timed out"},
		{&Error{Code: CodeMediaType}, "zh", "application/json", "Send JSON"},
		{&Error{Code: CodeUnauthorized}, "zh", "管理员令牌", "Authorization: Bearer"},
		{fmt.Errorf("discord.record: %w", &Error{Code: CodeNotRecorded}), "zh", "未能保存", "could not be recorded"},
		{errors.New("web.textRequest: secret internals"), "zh", "抱歉", "Sorry"},
	}
	for _, tt := range tests {
		zh, en := Message(tt.err, "zh"), Message(tt.err, "en")
		if !strings.Contains(zh, tt.want) || !strings.Contains(en, tt.wantEN) {
			t.Errorf("Message(%v) = %q / %q, want %q / %q", tt.err, zh, en, tt.want, tt.wantEN)
		}
		if strings.Contains(zh+en, "internals") || strings.Contains(zh+en, "web.") {
			t.Errorf("Message(%v) shows internals: %q / %q", tt.err, zh, en)
		}
	}
	if UserError(errors.New("x")) || !UserError(fmt.Errorf("w: %w", ErrEmpty)) {
		t.Error("UserError: want true only for input errors")
	}
	if c := ErrorCode(fmt.Errorf("w: %w", &Error{Code: CodeTooLong, Limit: 3})); c != CodeTooLong {
		t.Errorf("ErrorCode = %q, want too_long", c)
	}
}

// FuzzParse checks Parse's promises on any input: it never panics; a text it accepts is valid UTF-8,
// has a letter or digit, no invisible or control character but tab and newline, fits the limit, and
// parses again to itself (normalisation is idempotent); a refused text gets a user-facing *Error.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"为银行定制开发信贷管理软件", "手\u200b机A\u200dPP", "軟體測試服務", "ｗｅ　ｔｅｓｔ", "😀", "\u200b",
		"", "\x00", "\xff", "We provide 软件测试 services", "a\r\nb", "👩\u200d💻\ufe0f", "ﾃｽﾄ", "㍿", "ǅ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := Parse(raw, 50)
		if got.Raw != raw {
			t.Fatalf("Raw changed")
		}
		if got.Lang != "zh" && got.Lang != "en" {
			t.Fatalf("Lang = %q", got.Lang)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Message("zh") == "" || e.Message("en") == "" {
				t.Fatalf("error %v is not a user-facing *Error", err)
			}
			return
		}
		if !utf8.ValidString(got.Clean) || !utf8.ValidString(got.Match) {
			t.Fatalf("invalid UTF-8 out")
		}
		if !hasLetterOrDigit(got.Clean) {
			t.Fatalf("accepted %q without a letter or digit", got.Clean)
		}
		if n := utf8.RuneCountInString(got.Clean); n > 50 {
			t.Fatalf("accepted %d characters over the limit", n)
		}
		for _, r := range got.Clean {
			if dropInvisible(r) != r {
				t.Fatalf("Clean %q keeps %U", got.Clean, r)
			}
			if r != '\n' && r != '\t' && unicode.IsControl(r) {
				t.Fatalf("Clean %q keeps control %U", got.Clean, r)
			}
		}
		again, err := Parse(got.Clean, 50)
		if err != nil || again.Clean != got.Clean {
			t.Fatalf("not idempotent: %q → %q (%v)", got.Clean, again.Clean, err)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	for _, tc := range []struct{ name, text string }{
		{"simplified", "我们给银行做手机APP，包括需求分析、界面设计、开发和上线后的维护"},
		{"traditional", "軟體測試服務，為客戶產品上線前做測試，我們提供網站開發與雲端運算服務"},
		{"english", "We build and maintain mobile banking apps for regional banks"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(tc.text, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// traditional.txt holds every character that t2s changes on its own, and Simplify skips the converter
// only for texts without one.
func TestTraditionalSet(t *testing.T) {
	for _, span := range [][2]rune{{0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xF900, 0xFAFF}, {0x20000, 0x2A6DF}} {
		for r := span[0]; r <= span[1]; r++ {
			s := string(r)
			out, err := convert(t2s, s)
			if err != nil {
				t.Fatal(err)
			}
			if out != s && !isTraditional(r) {
				t.Fatalf("t2s changes %q (U+%04X) to %q, but traditional.txt lacks it: run `go generate ./textin`", s, r, out)
			}
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"軟體開發", "软件开发"}, {"一目瞭然", "一目了然"}, {"我们给银行做手机APP", "我们给银行做手机APP"}, {"小程序", "小程序"},
	} {
		if got := Simplify(tc.in); got != tc.want {
			t.Errorf("Simplify(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The fast path is exact: over every text of the coding index (simplified, traditional and mixed, 13,000
// real wordings), Simplify equals running the converter on every text.
func TestSimplifyFastPathExact(t *testing.T) {
	files, err := filepath.Glob("../corpus/codingindex/*.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatalf("coding index: %v %v", files, err)
	}
	n, skipped := 0, 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var e struct{ Text string }
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			n++
			slow, err := convert(t2s, e.Text)
			if err != nil {
				t.Fatal(err)
			}
			if slow != e.Text {
				if out, err := convert(tw2sp, e.Text); err == nil {
					slow = out
				}
			} else if !strings.ContainsFunc(e.Text, isTraditional) {
				skipped++
			}
			if got := Simplify(e.Text); got != slow {
				t.Errorf("Simplify(%q) = %q, the converter %q", e.Text, got, slow)
			}
		}
	}
	t.Logf("%d texts, %d skipped the converter", n, skipped)
}
