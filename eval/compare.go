package eval

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Diff is what changed between two reports, judged by per-case correctness (Result.Right).
type Diff struct {
	// Fixed lists ids wrong in prev and right in cur; Broke the reverse. Both in cur's case order.
	Fixed []string `json:"fixed"`
	Broke []string `json:"broke"`
	// Added lists ids only in cur, Removed ids only in prev.
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	// Figures compares the headline figures.
	Figures []FigureDelta `json:"figures"`
}

// FigureDelta is one headline figure in both reports.
type FigureDelta struct {
	Name string  `json:"name"`
	Prev float64 `json:"prev"`
	Cur  float64 `json:"cur"`
}

// headline lists the figures Compare reports, in order.
func headline(r *Report) []FigureDelta {
	return []FigureDelta{
		{Name: "top1", Cur: r.Accuracy.Sub.Top1},
		{Name: "top3", Cur: r.Accuracy.Sub.Top3},
		{Name: "middle_top1", Cur: r.Accuracy.Middle.Top1},
		{Name: "major_top1", Cur: r.Accuracy.Major.Top1},
		{Name: "out_precision", Cur: r.Out.Precision},
		{Name: "out_recall", Cur: r.Out.Recall},
		{Name: "macro_f1", Cur: r.MacroF1},
		{Name: "abstention_rate", Cur: r.AbstentionRate},
		{Name: "ece", Cur: r.ECE},
		{Name: "citation_verbatim_rate", Cur: r.Citations.Rate},
		{Name: "question_hit_rate", Cur: r.Questions.HitRate},
	}
}

// Compare lists the cases a change fixed or broke between prev and cur, matched by case id.
func Compare(prev, cur *Report) Diff {
	d := Diff{Fixed: []string{}, Broke: []string{}, Added: []string{}, Removed: []string{}}
	before := map[string]bool{}
	for _, r := range prev.Results {
		before[r.Case.ID] = r.Right
	}
	now := map[string]bool{}
	for _, r := range cur.Results {
		now[r.Case.ID] = true
		was, ok := before[r.Case.ID]
		switch {
		case !ok:
			d.Added = append(d.Added, r.Case.ID)
		case !was && r.Right:
			d.Fixed = append(d.Fixed, r.Case.ID)
		case was && !r.Right:
			d.Broke = append(d.Broke, r.Case.ID)
		}
	}
	for _, r := range prev.Results {
		if !now[r.Case.ID] {
			d.Removed = append(d.Removed, r.Case.ID)
		}
	}
	p, c := headline(prev), headline(cur)
	for i := range c {
		c[i].Prev = p[i].Cur
	}
	d.Figures = c
	return d
}

// WriteText writes the diff for a terminal.
func (d Diff) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, f := range d.Figures {
		fmt.Fprintf(&b, "%-24s %7.3f -> %7.3f  (%+.3f)\n", f.Name, f.Prev, f.Cur, f.Cur-f.Prev)
	}
	list := func(name string, ids []string) {
		fmt.Fprintf(&b, "%s (%d):", name, len(ids))
		if len(ids) == 0 {
			b.WriteString(" none")
		}
		for _, id := range ids {
			b.WriteString(" " + id)
		}
		b.WriteString("\n")
	}
	list("fixed", d.Fixed)
	list("broke", d.Broke)
	if len(d.Added) > 0 {
		list("added", d.Added)
	}
	if len(d.Removed) > 0 {
		list("removed", d.Removed)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("eval.Diff.WriteText: %w", err)
	}
	return nil
}

// Baseline is the floor a report must reach: sub-class top-1 and top-3 accuracy and OUT recall.
// A zero field is not checked.
type Baseline struct {
	Top1      float64 `json:"top1"`
	Top3      float64 `json:"top3"`
	OutRecall float64 `json:"out_recall"`
}

// LoadBaseline reads a Baseline from a JSON file such as {"top1": 0.8, "top3": 0.9, "out_recall": 0.7}.
// Unknown fields are an error, so a misspelt figure is not silently ignored.
func LoadBaseline(path string) (Baseline, error) {
	f, err := os.Open(path)
	if err != nil {
		return Baseline{}, fmt.Errorf("eval.LoadBaseline: %w", err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	var b Baseline
	if err := dec.Decode(&b); err != nil {
		return Baseline{}, fmt.Errorf("eval.LoadBaseline: %s: %w", path, err)
	}
	return b, nil
}

// ErrBelowBaseline is wrapped by the error Check returns.
var ErrBelowBaseline = errors.New("below baseline")

// Check returns nil when r reaches every figure of b, else an error wrapping ErrBelowBaseline that
// names every figure below its baseline with both values.
func (b Baseline) Check(r *Report) error {
	const eps = 1e-9
	var low []string
	for _, f := range []struct {
		name      string
		got, want float64
	}{
		{"top1", r.Accuracy.Sub.Top1, b.Top1},
		{"top3", r.Accuracy.Sub.Top3, b.Top3},
		{"out_recall", r.Out.Recall, b.OutRecall},
	} {
		if f.got < f.want-eps {
			low = append(low, fmt.Sprintf("%s %.3f < %.3f", f.name, f.got, f.want))
		}
	}
	if len(low) == 0 {
		return nil
	}
	return fmt.Errorf("eval.Baseline.Check: %w: %s", ErrBelowBaseline, strings.Join(low, ", "))
}
