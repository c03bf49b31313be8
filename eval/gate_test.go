package eval_test

import (
	"context"
	"flag"
	"os"
	"testing"

	"fenlei/classify"
	"fenlei/corpus/corpustest"
	"fenlei/eval"
	"fenlei/retrieval"
)

var showFailures = flag.Bool("gate.failures", false, "log every dev-set failure")

// TestDevSetGate runs the offline engine on the team's test sets and fails when top-1, top-3 or OUT recall
// drops below the baseline in testdata/baseline.json (the regression gate). The sets are never trained or
// tuned on: the gate only stops a change that makes the engine worse on them.
func TestDevSetGate(t *testing.T) {
	d := corpustest.Load(t)
	g := d.G
	idx, err := retrieval.New(g, d.Lexicon, retrieval.Options{Questions: g.QuestionIndex}) // the shipped compiled index
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	eng, err := classify.New(classify.Config{Guidance: g, Searcher: idx, Neighbours: idx, QuestionIndex: idx, Questions: d.Questions})
	if err != nil {
		t.Fatal(err)
	}
	var cases []eval.Case
	for _, f := range []string{"testdata/cases.jsonl", "testdata/shadow.jsonl", "testdata/questions.jsonl"} {
		cs, err := eval.LoadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, cs...)
	}
	rep, err := eval.Run(context.Background(), eng, cases, eval.Options{Verbatim: g.Verbatim})
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		rep.WriteText(os.Stderr)
	}
	if *showFailures {
		for _, f := range rep.Failures {
			t.Logf("%s want %s got %s | %s", f.ID, f.Expected, f.Code, f.Text)
		}
	}
	base, err := eval.LoadBaseline("testdata/baseline.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := base.Check(rep); err != nil {
		t.Error(err)
	}
	if rep.Citations.Total > 0 && rep.Citations.Verbatim != rep.Citations.Total {
		t.Errorf("citations verbatim %d of %d, want all", rep.Citations.Verbatim, rep.Citations.Total)
	}
}
