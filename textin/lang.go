package textin

import (
	"strings"
	"unicode"

	"golang.org/x/text/language"
)

// Detect says whether a text is Chinese ("zh") or English ("en"), and whether the text itself is
// enough to tell. A text is Chinese when it has more Han characters than words in other letters, or
// as many and starts in Han: "为 client 开发 mobile app" and "软件测试 for iOS apps" are Chinese; "We
// provide 软件测试 services for banks" and "software testing 服务" are English. Text with Han characters, or with two or more
// words, is sure; a single word ("help", "ok", "I13") says "en" but is not sure; text without
// letters says "". Full-width letters are letters: call it on Clean text.
func Detect(text string) (lang string, sure bool) {
	han, words := 0, 0
	inWord, hanFirst := false, false
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Han, r):
			if han == 0 && words == 0 {
				hanFirst = true
			}
			han++
			inWord = false
		case unicode.IsLetter(r):
			if !inWord {
				words++
			}
			inWord = true
		case unicode.IsDigit(r) || r == '\'' || r == '-':
			// part of a word ("I13", "isn't", "e-commerce"), not a word of its own
		default:
			inWord = false
		}
	}
	switch {
	case han > words, han > 0 && han == words && hanFirst:
		return "zh", true
	case han > 0 || words >= 2:
		return "en", true
	case words == 1:
		return "en", false
	}
	return "", false
}

// Lang is the language to answer text in: Detect's answer when it is sure, else fallback (the
// conversation's language so far, or the reader's browser or client), else Detect's guess, else
// Chinese, the language of the guidance.
func Lang(text, fallback string) string {
	lang, sure := Detect(text)
	switch {
	case sure:
		return lang
	case fallback == "zh" || fallback == "en":
		return fallback
	case lang != "":
		return lang
	}
	return "zh"
}

func orDefault(lang string) string {
	if lang == "en" {
		return "en"
	}
	return "zh"
}

var langMatcher = language.NewMatcher([]language.Tag{language.Chinese, language.English})

// AcceptLanguage reads an HTTP Accept-Language header (or a Discord locale, or a browser's
// navigator.language): "zh" or "en" for the preferred of the two, "" when the header names neither.
func AcceptLanguage(header string) string {
	if strings.TrimSpace(header) == "" {
		return ""
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return ""
	}
	tag, _, conf := langMatcher.Match(tags...)
	if conf == language.No {
		return ""
	}
	if base, _ := tag.Base(); base.String() == "en" {
		return "en"
	}
	return "zh"
}
