// Package corpustest loads fenlei's embedded data for tests and benchmarks, failing the test on an error,
// so that each test states what it builds rather than how the data is read.
package corpustest

import (
	"testing"

	"fenlei/corpus"
)

// Data is the embedded guidance, its lexicons and the coding index.
type Data struct {
	G         *corpus.Guidance
	Lexicon   []corpus.Synonym // corpus.Lexicon
	Questions []corpus.Synonym // corpus.QuestionLexicon
	Entries   []corpus.Entry   // the coding index
}

// Load reads all of it; an error fails tb.
func Load(tb testing.TB) Data {
	tb.Helper()
	var d Data
	var err error
	if d.G, err = corpus.Load(); err != nil {
		tb.Fatal(err)
	}
	if d.Lexicon, err = corpus.Lexicon(); err != nil {
		tb.Fatal(err)
	}
	if d.Questions, err = corpus.QuestionLexicon(); err != nil {
		tb.Fatal(err)
	}
	if d.Entries, err = d.G.CodingIndex(); err != nil {
		tb.Fatal(err)
	}
	return d
}
