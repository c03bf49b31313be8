package retrieval

import (
	"bytes"
	"reflect"
	"testing"

	"fenlei/corpus/corpustest"
)

// The embedded compiled index is what Compile makes of the embedded guidance and coding index, and an
// Index decoded from it answers as one built from the data.
func TestCompiledIndex(t *testing.T) {
	d := corpustest.Load(t)
	g, lex, entries := d.G, d.Lexicon, d.Entries
	b, err := Compile(g, lex, entries)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, compiledIndex) {
		t.Fatalf("retrieval/index.gob is stale against the guidance and corpus/codingindex: run `go run ./cmd/fenlei train`")
	}
	built, err := New(g, lex, Options{Entries: entries})
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := New(g, lex, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if loaded.EntryCount() != len(entries) {
		t.Fatalf("decoded coding index has %d entries, want %d", loaded.EntryCount(), len(entries))
	}
	for _, q := range []string{"我们给银行做手机APP", "payroll processing for a retailer", "为物业公司提供保洁", "合同第二条：乙方按甲方需求设计开发经销商管理平台"} {
		a, err := built.Search(t.Context(), q, 5)
		if err != nil {
			t.Fatal(err)
		}
		b, err := loaded.Search(t.Context(), q, 5)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("Search(%q): the compiled index ranks %v, the built one %v", q, b.Categories, a.Categories)
		}
		na, err := built.Neighbours(t.Context(), q, 10, "")
		if err != nil {
			t.Fatal(err)
		}
		nb, err := loaded.Neighbours(t.Context(), q, 10, "")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(na, nb) {
			t.Errorf("Neighbours(%q): compiled %v, built %v", q, nb, na)
		}
	}
	for i := range entries {
		if l := loaded.Entry(i); l.Code != entries[i].Code || l.Ref != entries[i].Ref || l.Author != entries[i].Author {
			t.Fatalf("entry %d decodes as %+v, want %s %s %s", i, l, entries[i].Code, entries[i].Ref, entries[i].Author)
		}
	}
}

// A compiled index that does not decode is an error, not a silent empty index.
func TestCompiledIndexCorrupt(t *testing.T) {
	var c compiled
	if err := decodeWire([]byte("not gob"), &c); err == nil {
		t.Fatal("decoding garbage succeeded")
	}
	good := newBM25(2, func(i int, add func(string)) { add("ab"); add([]string{"cd", "ef"}[i]) }).wire()
	if _, err := good.index(); err != nil {
		t.Fatalf("a well-formed index: %v", err)
	}
	w := good
	w.Off = deltas([]int32{0, 1, 5, 6, 7}, nil)
	if _, err := w.index(); err == nil {
		t.Fatal("an index with offsets past its postings decoded")
	}
	w = good
	w.Doc = deltas([]int32{0, 1, 0, 9}, nil)
	if _, err := w.index(); err == nil {
		t.Fatal("an index with a posting of a document it does not have decoded")
	}
	w = good
	w.Slots = []byte{255, 255, 255, 255, 7, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255}
	if _, err := w.index(); err == nil {
		t.Fatal("an index with a bad hash table decoded")
	}
}
