package classify

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"fenlei/corpus"
)

func routeDocs(t testing.TB) []RouteDoc { return routingData(t).Docs }

// routingData is the embedded data the router and the question kinds are fitted on.
func routingData(t testing.TB) RoutingData {
	t.Helper()
	g, err := corpus.Load()
	if err != nil {
		t.Fatal(err)
	}
	d, err := LoadRoutingData(g)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Leave-one-author-out: the router must tell descriptions from the rest for ≥ 98.5 % of texts of an
// author it never saw. It fits one router per author (about 15 s; the race build skips it).
func TestRouterCrossValidation(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("fits one router per author")
	}
	docs := routeDocs(t)
	folds, err := RouterFolds(docs)
	if err != nil {
		t.Fatal(err)
	}
	cv := ScoreRouting(docs, folds)
	for _, r := range append(corpus.Routes, "binary") {
		t.Logf("%-12s %d of %d (%.3f)", r, cv.Right[r], cv.Total[r], float64(cv.Right[r])/float64(cv.Total[r]))
	}
	for _, d := range cv.Wrong {
		t.Logf("wrong %s/%s: %s", d.Author, d.Route, d.Text)
	}
	// 0.985, not 0.99, since the question index and r3 joined: their authors disagree about general
	// questions of the form "does X count as Y?" (the question index asks them about the guidance, r3 as
	// descriptions), and no router can agree with both. (The review of corpus/rerouted.tsv has since put
	// such texts under one rule.)
	//
	// The floor holds for the texts it was set on. r7, r8, r9, r10 and qh wrote the hardest boundary on
	// purpose, in near-identical pairs (a platform or an enterprise telling its situation, then asking to
	// register or something the guidance does not cover, against asking for a class; how a contract is
	// filed against which class it is): their texts have a floor of their own.
	boundary := map[string]bool{"r7": true, "r8": true, "r9": true, "r10": true, "qh": true}
	var earlier, hard [2]int // right, total
	for i, d := range docs {
		right := cv.Binary[i]
		p := &earlier
		if boundary[d.Author] {
			p = &hard
		}
		p[1]++
		if right {
			p[0]++
		}
	}
	t.Logf("binary: earlier authors %d of %d (%.4f), r7 r8 r9 r10 qh %d of %d (%.4f)", earlier[0], earlier[1],
		float64(earlier[0])/float64(earlier[1]), hard[0], hard[1], float64(hard[0])/float64(hard[1]))
	if got := float64(earlier[0]) / float64(earlier[1]); got < 0.985 {
		t.Errorf("description vs the rest, leave-one-author-out, authors before r7–r10 and qh: %.4f, want ≥ 0.985", got)
	}
	if got := float64(hard[0]) / float64(hard[1]); got < hardFloor {
		t.Errorf("description vs the rest, leave-one-author-out, r7–r10 and qh: %.4f, want ≥ %.2f", got, hardFloor)
	}
}

// hardFloor is the floor of the texts of r7, r8, r9, r10 and qh (TestRouterCrossValidation).
const hardFloor = 0.93 // measured 0.9330 (1,909 of 2,046) when they joined

func TestRouterRoutes(t *testing.T) {
	r, err := DefaultRouter()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ text, want string }{
		// sentences of our own, none in the routing data
		{"我们公司替一家日本车企做车载导航软件的测试", corpus.RouteDescription},
		{"我们替物业公司做保洁，要不要报？", corpus.RouteDescription},
		{"We run the payroll for a Singapore retailer. Which class?", corpus.RouteDescription},
		{"平台上一年的交易数据截止到几号报？", corpus.RouteQuestion},
		{"哪个部门发布的这份指引？", corpus.RouteQuestion},
		{"Who issued this guidance?", corpus.RouteQuestion},
		{"指引里说的新型商业模式有哪几种？", corpus.RouteQuestion},
		{"为什么不是I13？", corpus.RouteFollowup},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := r.Route(tt.text); got != tt.want {
				t.Errorf("Route = %s (%v), want %s", got, r.Probs(tt.text), tt.want)
			}
		})
	}
}

// Fitting is deterministic: two routers from the same data agree to the last bit.
func TestRouterDeterministic(t *testing.T) {
	docs := routeDocs(t)[:600]
	a, err := NewRouter(docs, "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewRouter(docs, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs[:50] {
		pa, pb := a.Probs(d.Text), b.Probs(d.Text)
		for k := range pa {
			if pa[k] != pb[k] {
				t.Fatalf("%q: %v vs %v", d.Text, pa, pb)
			}
		}
	}
}

// The class-name replacer gives what one alternation of every name (longest first, English names as
// whole words) gives, on every training text and on texts that put names next to each other.
func TestClassNamesAgree(t *testing.T) {
	g, err := corpus.Load()
	if err != nil {
		t.Fatal(err)
	}
	var alts []string
	for _, c := range g.Classes {
		alts = append(alts, regexp.QuoteMeta(c.Name))
		if c.NameEN != "" {
			alts = append(alts, `\b`+regexp.QuoteMeta(strings.ToLower(c.NameEN))+`\b`)
		}
	}
	sort.Slice(alts, func(i, j int) bool { return len(alts[i]) > len(alts[j]) })
	one := regexp.MustCompile(strings.Join(alts, "|"))
	texts := []string{"软件研发服务和软件技术服务有什么区别", "software r&d servicessoftware testing services", ""}
	for _, c := range g.Classes {
		texts = append(texts, c.Name+c.Name, strings.ToLower(c.NameEN)+"s "+c.Name+"x"+strings.ToLower(c.NameEN))
	}
	for _, d := range routeDocs(t) {
		texts = append(texts, strings.ToLower(d.Text))
	}
	replaced := 0
	for _, s := range texts {
		want := one.ReplaceAllString(s, " ⓒ ")
		if got := classNames().replace(s); got != want {
			t.Fatalf("%q: replaced %q, the alternation gives %q", s, got, want)
		}
		if want != s {
			replaced++
		}
	}
	if replaced < 100 {
		t.Errorf("only %d of %d texts name a class: the comparison proves little", replaced, len(texts))
	}
}
