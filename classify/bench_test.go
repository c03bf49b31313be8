package classify

import (
	"testing"

	"fenlei/corpus"
	"fenlei/retrieval"
)

// BenchmarkStartup measures what a cold start of a server builds: the guidance, the index of passages,
// the compiled coding index and the scorer. `go test ./classify -run X -bench Startup`
func BenchmarkStartup(b *testing.B) {
	for b.Loop() {
		g, err := corpus.Load()
		if err != nil {
			b.Fatal(err)
		}
		lex, err := corpus.Lexicon()
		if err != nil {
			b.Fatal(err)
		}
		idx, err := retrieval.New(g, lex, retrieval.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := New(Config{Guidance: g, Searcher: idx, Neighbours: idx}); err != nil {
			b.Fatal(err)
		}
		idx.Close()
	}
}

// BenchmarkClassify measures one offline classification of a coding-index text, cycling through the
// index (short keywords to 600-character contract excerpts). Descriptions per second on n cores is about
// n / (ns/op). `go test ./classify -run X -bench Classify -benchtime 2000x`
func BenchmarkClassify(b *testing.B) {
	e, err := scoredFixture()
	if err != nil {
		b.Fatal(err)
	}
	es := e.sc.nbr.Entries()
	i := 0
	for b.Loop() {
		if _, err := e.Classify(b.Context(), es[(i*7)%len(es)].Text); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkRoute: the embedded router on the coding index's and the question index's texts in turn, one a
// call (features, suppose's reading and the weighted sum; the router's feature hash is built before).
func BenchmarkRoute(b *testing.B) {
	r, err := DefaultRouter()
	if err != nil {
		b.Fatal(err)
	}
	docs := routeDocs(b)
	for _, d := range docs[:100] { // past hashAfter: the feature hash is built
		r.Probs(d.Text)
	}
	i := 0
	for b.Loop() {
		r.Probs(docs[(i*7)%len(docs)].Text)
		i++
	}
}
