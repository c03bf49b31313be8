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
	// The floor holds for the texts it was set on. Later authors wrote the hardest boundaries on purpose,
	// in near-identical pairs, and each round of them has a floor of its own, set when they joined:
	//   - r7, r8, r9, r10 and qh: a platform or an enterprise telling its situation, then asking to register
	//     or something the guidance does not cover, against asking for a class; how a contract is filed
	//     against which class it is;
	//   - r11, r12, r13 and qi: a class and one named service against a class's contents in general; whether a
	//     sum of money is counted against whether the service is; a difference asked with "which is ours?";
	//     a whole kind of party or site against one's own service.
	groups := []struct {
		name    string
		authors map[string]bool // nil: every author not in another group
		floor   float64
	}{
		{"r7–r10 and qh", map[string]bool{"r7": true, "r8": true, "r9": true, "r10": true, "qh": true}, hardFloor},
		{"r11, r12, r13 and qi", map[string]bool{"r11": true, "r12": true, "r13": true, "qi": true}, twinFloor},
		{"authors before r7", nil, 0.985},
	}
	score := make([][2]int, len(groups)) // right, total
	for i, d := range docs {
		g := len(groups) - 1
		for j, gr := range groups {
			if gr.authors[d.Author] {
				g = j
				break
			}
		}
		score[g][1]++
		if cv.Binary[i] {
			score[g][0]++
		}
	}
	for j, gr := range groups {
		got := float64(score[j][0]) / float64(score[j][1])
		t.Logf("binary: %s %d of %d (%.4f)", gr.name, score[j][0], score[j][1], got)
		if got < gr.floor {
			t.Errorf("description vs the rest, leave-one-author-out, %s: %.4f, want ≥ %.3f", gr.name, got, gr.floor)
		}
	}
}

// hardFloor is the floor of the texts of r7, r8, r9, r10 and qh (TestRouterCrossValidation).
const hardFloor = 0.93 // measured 0.9330 (1,909 of 2,046) when they joined

// twinFloor is the floor of the texts of r11, r12, r13 and qi (TestRouterCrossValidation). r13 alone wrote a
// class named before one service against before its contents in general ("K22包不包括施工？" against
// "K22包括哪些？"), so that with r13 left out the router has a dozen such texts to learn from: 74.3 % of
// r13's texts route right that way (297 of 400), against 90–96 % of the other three authors'.
const twinFloor = 0.88 // measured 0.8810 (1,155 of 1,311) when they joined

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
		// the boundaries of r11–r13 and qi, written before any was first routed: a class and one named
		// service against its contents in general; money against a service; a difference with "which is
		// ours?" against "A or B?"; a kind of party or site against one's own service
		{"工业设计服务包括包装设计吗？", corpus.RouteDescription},
		{"Does B12 cover expense-claim auditing?", corpus.RouteDescription},
		{"工业设计服务具体包括哪些业务？", corpus.RouteQuestion},
		{"What does B12 cover?", corpus.RouteQuestion},
		{"我们替进口客户先垫付了关税和港杂费，这部分钱能算进供应链管理服务吗？", corpus.RouteQuestion},
		{"We prepay the client's courier bills and bill them back at cost. Can that amount be reported under B25?", corpus.RouteQuestion},
		{"我们替进口客户办理报关和港口作业协调，算供应链管理服务吗？", corpus.RouteDescription},
		{"We handle customs clearance and port coordination for importers. Is that B25?", corpus.RouteDescription},
		{"I13和K13怎么区分？我们做的手机跌落测试属于哪个？", corpus.RouteQuestion},
		{"How do K21 and K22 differ? We design factory layouts, so which one applies to us?", corpus.RouteQuestion},
		{"我们做手机跌落测试，属于I13还是K13？", corpus.RouteDescription},
		{"We design factory layouts. K21 or K22?", corpus.RouteDescription},
		{"我们是县里的一家事业单位，按指引的定义，事业单位作为委托方也算服务外包吗？", corpus.RouteQuestion},
		{"Our marketplace mostly sells physical goods, with a few service listings. Can a site like ours count as a service outsourcing trading platform?", corpus.RouteQuestion},
		{"我们给县卫健委做12345热线外包，算哪一类？", corpus.RouteDescription},
		{"Our site charges suppliers a fee for verified listings. Which class is that fee income?", corpus.RouteDescription},
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

// The router's features of the text's shape: two questions asked, and a class supposed for a service
// described (corpus/clauses.yaml patterns.hypothesis, read by suppose).
func TestRouteShapeFeatures(t *testing.T) {
	tests := []struct {
		text     string
		asks2    bool
		supposes bool
	}{
		{"K22包不包括施工？", false, true},
		{"K22包括哪些？", false, false},
		{"Does I22 cover penetration testing?", false, true},
		{"What does I22 cover?", false, false},
		{"I13和K13怎么区分？我们做的跌落测试属于哪个？", true, false},
		{"我们做跌落测试，属于I13还是K13？", false, true},
		{"What separates B23 from I21?? Which is ours?", true, false},
		{"平台数据几号报？", false, false},
	}
	for _, tt := range tests {
		f := map[string]bool{}
		for _, x := range routeFeatures(tt.text) {
			f[x] = true
		}
		if f["asks:2"] != tt.asks2 || f["supposes"] != tt.supposes {
			t.Errorf("%q: asks:2 %v, supposes %v; want %v, %v", tt.text, f["asks:2"], f["supposes"], tt.asks2, tt.supposes)
		}
	}
}
