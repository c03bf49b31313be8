package corpus

import (
	"slices"
	"testing"
)

// The exclusions the guidance states twice are found both ways, and nothing else is.
func TestRestatements(t *testing.T) {
	g, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	pairs := 0
	for _, p := range g.Passages {
		for _, r := range g.Restatements(p.Ref) {
			pairs++
			q, _ := g.Passage(r)
			if p.Kind != KindExclude || q.Kind != KindExclude || p.Code != q.Code {
				t.Errorf("%s restated by %s: both must be exclusions of one class", p.Ref, r)
			}
			if !slices.Contains(g.Restatements(r), p.Ref) {
				t.Errorf("%s restates %s but not the other way", r, p.Ref)
			}
			t.Logf("%s 「%s」 = %s 「%s」", p.Ref, p.Text, r, q.Text)
		}
	}
	if !slices.Contains(g.Restatements("I23.def.exclude.1"), "I23.exclude.3") {
		t.Errorf("I23.def.exclude.1 (但不包括电子商务代运营服务) is not restated by I23.exclude.3: %v", g.Restatements("I23.def.exclude.1"))
	}
	if got := g.Restatements("I23.def"); got != nil {
		t.Errorf("a definition has restatements %v", got)
	}
	if pairs == 0 || pairs > 60 {
		t.Errorf("%d restated exclusions: want some, and far fewer than the exclusions", pairs)
	}
}
