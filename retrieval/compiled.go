package retrieval

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"

	"fenlei/corpus"
)

// The index is compiled at training time (`fenlei train` writes retrieval/index.gob) and decoded at
// start-up: building it took most of a cold start (the coding index's 225,000 postings, the passages'
// three fields), decoding it takes a few milliseconds (BenchmarkStartup in ./classify). A compiled
// index holds the passages' fields and, when built with entries, the coding index; TestCompiledIndex
// checks that the embedded one is what Compile makes of the embedded data, byte for byte.

//go:embed index.gob
var compiledIndex []byte

// compiled is the stored form of an Index.
type compiled struct {
	Guidance        string // guidanceKey of the passages it was built from
	Text, Title, EN wire   // the passages' fields (passageIndex)
	Entries         *entryWire
}

// guidanceKey identifies the passages of g as the passage index reads them.
func guidanceKey(docs []doc) string {
	h := sha256.New()
	for _, d := range docs {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00", d.Text, d.Title, d.EN)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Compile returns the compiled form of the index over g's passages and the coding index entries (nil:
// none): what retrieval/index.gob holds. The same data gives the same bytes.
func Compile(g *corpus.Guidance, lexicon []corpus.Synonym, entries []corpus.Entry) ([]byte, error) {
	x, err := New(g, lexicon, Options{Entries: entries, NoCodingIndex: len(entries) == 0, fresh: true})
	if err != nil {
		return nil, fmt.Errorf("retrieval.Compile: %w", err)
	}
	c := compiled{Guidance: guidanceKey(x.docs()), Text: x.pass.text.wire(), Title: x.pass.title.wire(), EN: x.pass.en.wire()}
	if x.ent != nil {
		w := x.ent.toWire()
		c.Entries = &w
	}
	return encodeGob(c)
}

// load sets x's passage index, and its coding index unless it has one or opts leave it out, from the
// embedded compiled index; it reports false when that index was built from other passages.
func (x *Index) load(docs []doc) (bool, error) {
	var c compiled
	if err := decodeWire(compiledIndex, &c); err != nil {
		return false, err
	}
	if c.Guidance != guidanceKey(docs) {
		return false, nil
	}
	var fields [3]*bm25
	for i, w := range []wire{c.Text, c.Title, c.EN} {
		b, err := w.index()
		if err != nil {
			return false, err
		}
		fields[i] = b
	}
	x.pass = &passageIndex{text: fields[0], title: fields[1], en: fields[2], n: len(docs)}
	x.pass.initArrays()
	if x.ent == nil && !x.opts.NoCodingIndex && c.Entries != nil {
		ent, err := c.Entries.index()
		if err != nil {
			return false, err
		}
		x.ent = ent
	}
	return true, nil
}
