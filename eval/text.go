package eval

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// WriteText writes the report as plain-text tables for a terminal.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }

	p("fenlei eval: %d cases (%d classification, %d questions), errors: %d\n\n",
		r.Cases, r.ClassificationCases, r.QuestionCases, r.ErrorCount)

	p("level\ttop-1\ttop-3\n")
	p("sub-class\t%.3f\t%.3f\n", r.Accuracy.Sub.Top1, r.Accuracy.Sub.Top3)
	p("middle\t%.3f\t%.3f\n", r.Accuracy.Middle.Top1, r.Accuracy.Middle.Top3)
	p("major\t%.3f\t%.3f\n\n", r.Accuracy.Major.Top1, r.Accuracy.Major.Top3)

	p("OUT precision\t%.3f\t(%d of %d predicted OUT)\n", r.Out.Precision, r.Out.Hits, r.Out.Predicted)
	p("OUT recall\t%.3f\t(%d of %d gold OUT)\n", r.Out.Recall, r.Out.Hits, r.Out.Gold)
	p("abstention rate\t%.3f\t(%d of %d)\n", r.AbstentionRate, r.Abstained, r.ClassificationCases)
	p("answered accuracy\t%.3f\t(%d answered)\n", r.AnsweredAccuracy, r.Answered)
	p("macro-F1\t%.3f\t\n", r.MacroF1)
	p("ECE\t%.3f\t\n", r.ECE)
	if r.Citations.Checked {
		p("citations verbatim\t%.3f\t(%d of %d)\n", r.Citations.Rate, r.Citations.Verbatim, r.Citations.Total)
	} else {
		p("citations verbatim\t-\t(%d citations, not checked)\n", r.Citations.Total)
	}
	if r.Deciding.Cases > 0 {
		p("deciding passage cited first\t%.3f\t(%d of %d right answers; cited at all %d; OUT %d of %d)\n", r.Deciding.Rate,
			r.Deciding.First, r.Deciding.Cases, r.Deciding.Cited, r.Deciding.OutFirst, r.Deciding.OutCases)
	}
	p("question hit rate\t%.3f\t(%d of %d)\n", r.Questions.HitRate, r.Questions.Hits, r.Questions.Cases)
	if r.Questions.NeedCases > 0 {
		p("needed passage quoted first\t%.3f\t(%d of %d questions with needed passages)\n", r.Questions.LedRate, r.Questions.Led, r.Questions.NeedCases)
		p("quotes that are needed\t%.3f\t(%d of %d quotes, %.1f an answer)\n", r.Questions.Precision, r.Questions.QuotedNeeded,
			r.Questions.Quoted, float64(r.Questions.Quoted)/float64(r.Questions.NeedCases))
	}
	p("routed as question\t%.3f\t(%d of %d questions)\n", r.Routing.QuestionRate, r.Routing.QuestionsRight, r.Routing.Questions)
	p("routed as description\t%.3f\t(%d of %d descriptions)\n", r.Routing.DescriptionRate, r.Routing.DescriptionsRight, r.Routing.Descriptions)
	if r.Routing.Adjudicated > 0 {
		p("routes adjudicated\t%d\t(cases counted under the route adjudicated for them, not their type)\n", r.Routing.Adjudicated)
	}
	for _, rs := range r.RoutingCV {
		p("routing cv: %s\t%.3f\t(%d of %d texts, leave one author out)\n", rs.Route, rs.Rate, rs.Right, rs.Texts)
	}
	p("latency ms\tp50 %.1f\tp95 %.1f  mean %.1f  max %.1f\n", r.Latency.P50MS, r.Latency.P95MS, r.Latency.MeanMS, r.Latency.MaxMS)
	p("tokens per case\tprompt %.1f\tcompletion %.1f  (total %d + %d)\n\n",
		r.Tokens.PromptPerCase, r.Tokens.CompletionPerCase, r.Tokens.Prompt, r.Tokens.Completion)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("eval.Report.WriteText: %w", err)
	}

	p("threshold")
	for i, c := range r.Coverage {
		if i%2 == 0 {
			p("\t%.1f", c.Threshold)
		}
	}
	p("\ncoverage")
	for i, c := range r.Coverage {
		if i%2 == 0 {
			p("\t%.2f", c.Coverage)
		}
	}
	p("\naccuracy")
	for i, c := range r.Coverage {
		if i%2 == 0 {
			p("\t%.2f", c.Accuracy)
		}
	}
	p("\n\n")
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("eval.Report.WriteText: %w", err)
	}

	if len(r.PerClass) > 0 {
		p("class\tprecision\trecall\tF1\tsupport\tpredicted\n")
		for _, c := range r.PerClass {
			p("%s\t%.3f\t%.3f\t%.3f\t%d\t%d\n", c.Code, c.Precision, c.Recall, c.F1, c.Support, c.Predicted)
		}
		p("\n")
	}
	if pairs := r.Confusion.offDiagonal(); len(pairs) > 0 {
		p("confused (expected -> predicted)\tcases\n")
		for _, c := range pairs {
			p("%s -> %s\t%d\n", c.expected, orDash(c.predicted), c.n)
		}
		p("\n")
	}
	if len(r.PerTag) > 0 {
		p("tag\tcases\tright\taccuracy\n")
		for _, t := range r.PerTag {
			p("%s\t%d\t%d\t%.3f\n", t.Tag, t.Cases, t.Right, t.Accuracy)
		}
		p("\n")
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("eval.Report.WriteText: %w", err)
	}

	var b strings.Builder
	if len(r.Errors) > 0 {
		fmt.Fprintf(&b, "errors (%d):\n", len(r.Errors))
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "  %s: %s\n", e.ID, oneLine(e.Error, 100))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "failures (%d):\n", len(r.Failures))
	for _, f := range r.Failures {
		want := f.Expected
		if len(f.Accept) > 0 {
			want += "|" + strings.Join(f.Accept, "|")
		}
		if f.Question {
			want = "cite"
		}
		fmt.Fprintf(&b, "  %s  want %s  got %s  %s\n", f.ID, want, orDash(f.Code), oneLine(f.Text, 60))
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("eval.Report.WriteText: %w", err)
	}
	return nil
}

type confusedPair struct {
	expected, predicted string
	n                   int
}

// offDiagonal lists the cells with expected ≠ predicted, most frequent first.
func (m Confusion) offDiagonal() []confusedPair {
	var out []confusedPair
	for i, e := range m.Expected {
		for j, p := range m.Predicted {
			if e != p && i < len(m.Counts) && j < len(m.Counts[i]) && m.Counts[i][j] > 0 {
				out = append(out, confusedPair{e, p, m.Counts[i][j]})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].n > out[j].n })
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine collapses whitespace and cuts s to at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if rs := []rune(s); len(rs) > n {
		return string(rs[:n-1]) + "…"
	}
	return s
}
