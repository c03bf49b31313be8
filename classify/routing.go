package classify

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"fenlei/corpus"
	"fenlei/score"
)

// The router and the question kinds are logistic regressions over some 200,000 features; fitting them
// takes seconds, so `fenlei train` fits them (TrainRouting) and the binary embeds the result
// (classify/routing.bin), decoded in milliseconds. TestRoutingNotStale fails when the embedded models
// were fitted on other data; TestTrainReproducesRouting when fitting the data gives other bytes.

//go:embed routing.bin
var routingBin []byte

// routingMagic starts classify/routing.bin.
const routingMagic = "fenlei routing 1\n"

// pruneBelow: features whose weights all stay below it are dropped from a fitted router or kind model
// (score.TextModel.Compact): nine in ten of them, with no change in leave-one-author-out routing.
const pruneBelow = 0.01

// RoutingData is what the router and the question kinds are fitted on.
type RoutingData struct {
	Docs      []RouteDoc        // RouteDocs: routing examples, coding-index and question-index wordings
	Questions []corpus.Question // the question index, for the kinds
}

// LoadRoutingData reads the routing examples and the coding index (from the source tree) and the question
// index; a text that corpus/rerouted.tsv lists takes the route its review gave (corpus.Reroutes).
func LoadRoutingData(g *corpus.Guidance) (RoutingData, error) {
	ex, err := corpus.RoutingExamples()
	if err != nil {
		return RoutingData{}, err
	}
	idx, err := g.CodingIndex()
	if err != nil {
		return RoutingData{}, err
	}
	qs, err := g.QuestionIndex()
	if err != nil {
		return RoutingData{}, err
	}
	rr, err := corpus.Reroutes()
	if err != nil {
		return RoutingData{}, err
	}
	docs := RouteDocs(ex, idx, qs)
	for i := range docs {
		if r, ok := rr[corpus.TextHash(docs[i].Text)]; ok {
			docs[i].Route = r
		}
	}
	return RoutingData{Docs: docs, Questions: qs}, nil
}

// Hash identifies the data: the models embedded are stale when it changes.
func (d RoutingData) Hash() string {
	h := sha256.New()
	for _, r := range d.Docs {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%g\n", r.Text, r.Route, r.Author, r.Weight)
	}
	for _, q := range d.Questions {
		fmt.Fprintf(h, "%s\x00%s\x00%s\n", q.Text, q.Kind, q.Author)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TrainRouting fits the router and the question kinds on d and returns them, and their stored form (what
// classify/routing.bin holds): the same data gives the same bytes.
func TrainRouting(d RoutingData) (*Router, *score.TextWire, []byte, error) {
	r, err := NewRouter(d.Docs, "")
	if err != nil {
		return nil, nil, nil, err
	}
	k, err := newKindModel(d.Questions, "")
	if err != nil {
		return nil, nil, nil, err
	}
	if k == nil {
		return nil, nil, nil, fmt.Errorf("classify.TrainRouting: no questions for the kinds")
	}
	b := []byte(routingMagic)
	b = binary.AppendUvarint(b, uint64(len(d.Hash())))
	b = append(b, d.Hash()...)
	b = r.m.AppendBinary(b)
	b = k.AppendBinary(b)
	return r, k, b, nil
}

// embedded is the decoded classify/routing.bin.
type embedded struct {
	router *Router
	kinds  *score.TextWire
	data   string // RoutingData.Hash of the data the models were fitted on
}

// decodeRouting reads what TrainRouting wrote.
func decodeRouting(b []byte) (embedded, error) {
	rest, ok := bytes.CutPrefix(b, []byte(routingMagic))
	n, k := binary.Uvarint(rest)
	if !ok || k <= 0 || n > uint64(len(rest)-k) {
		return embedded{}, errors.New("not a routing file")
	}
	data := string(rest[k : k+int(n)])
	rest = rest[k+int(n):]
	var models [2]score.TextWire
	for i := range models {
		var err error
		if models[i], rest, err = score.DecodeTextWire(rest); err != nil {
			return embedded{}, err
		}
		if err := models[i].Check(); err != nil {
			return embedded{}, err
		}
	}
	if len(rest) > 0 {
		return embedded{}, fmt.Errorf("%d bytes after the models", len(rest))
	}
	return embedded{router: &Router{m: &models[0]}, kinds: &models[1], data: data}, nil
}

// embeddedRouting decodes classify/routing.bin once.
var embeddedRouting = sync.OnceValues(func() (embedded, error) {
	e, err := decodeRouting(routingBin)
	if err != nil {
		return embedded{}, fmt.Errorf("classify: classify/routing.bin: %w (retrain with `fenlei train`)", err)
	}
	return e, nil
})

// DefaultRouter returns the embedded router, fitted by `fenlei train` on the routing examples,
// coding index and question index.
func DefaultRouter() (*Router, error) {
	e, err := embeddedRouting()
	return e.router, err
}

// defaultKinds returns the embedded question kinds, fitted on the embedded question index.
func defaultKinds() (*score.TextWire, error) {
	e, err := embeddedRouting()
	return e.kinds, err
}
