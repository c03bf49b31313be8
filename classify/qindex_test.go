package classify

import (
	"slices"
	"strings"
	"testing"

	"fenlei/corpus"
	"fenlei/retrieval"
)

// A small question index of our own: the answers follow its questions' needs, the votes of an author
// left out count no more, and outside questions make the answer say the guidance does not cover it.
func TestQuestionIndexAnswers(t *testing.T) {
	g, err := corpus.Load()
	if err != nil {
		t.Fatal(err)
	}
	materials := []string{"platform.material.1", "platform.material.2", "platform.material.3", "platform.material.4", "platform.material.5"}
	qs := []corpus.Question{
		{Text: "这份文件到底是谁出的呀", Needs: []string{"title.5"}, Lang: "zh", Kind: corpus.QMeta, Author: "a"},
		{Text: "去登记平台得带齐哪几样东西", Needs: materials, Lang: "zh", Kind: corpus.QPlatform, Author: "a"},
		{Text: "平台登记审核要几个工作日", Needs: []string{}, Lang: "zh", Kind: corpus.QOutside, Author: "a"},
		{Text: "平台登记收不收费，收多少", Needs: []string{}, Lang: "zh", Kind: corpus.QOutside, Author: "b"},
		{Text: "平台登记审核多久出结果", Needs: []string{}, Lang: "zh", Kind: corpus.QOutside, Author: "b"},
		{Text: "交易平台要满足哪些注册条件", Needs: []string{"platform.condition.1", "platform.condition.2", "platform.condition.3"}, Lang: "zh", Kind: corpus.QPlatform, Author: "b"},
	}
	idx, err := retrieval.New(g, nil, retrieval.Options{Questions: func() ([]corpus.Question, error) { return qs, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	with, err := New(Config{Guidance: g, Searcher: idx, QuestionIndex: idx})
	if err != nil {
		t.Fatal(err)
	}
	without, err := New(Config{Guidance: g, Searcher: idx})
	if err != nil {
		t.Fatal(err)
	}
	foldA, err := with.FoldQuestions("a", with.rt)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		e         *Engine
		text      string
		cites     []string
		uncovered bool
	}{
		{"a neighbour's passage", with, "这个文件到底是谁出的？", []string{"title.5"}, false},
		{"a list comes back whole", with, "登记平台要带齐哪几样东西？", materials, false},
		{"not covered, by the votes", with, "平台登记的审核要几个工作日？", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.e.Guidance(t.Context(), tc.text)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range tc.cites {
				if !slices.Contains(citedRefs(d), r) {
					t.Errorf("citations %v, want %s", citedRefs(d), r)
				}
			}
			if d.Uncovered != tc.uncovered {
				t.Errorf("uncovered = %v, want %v\n%s", d.Uncovered, tc.uncovered, d.Answer)
			}
			if tc.uncovered && !strings.Contains(firstLine(d), "没有涉及") {
				t.Errorf("plain answer %q does not say the guidance does not cover it", firstLine(d))
			}
		})
	}
	// The same question without the question index, or with its only neighbour's author left out, gets
	// no vote for title.5: what brought it was the association, not the words.
	for name, e := range map[string]*Engine{"without the index": without, "author a left out": foldA} {
		v, err := e.votes(t.Context(), "这个文件到底是谁出的？")
		if err != nil {
			t.Fatal(err)
		}
		if v.refs["title.5"] > 0 {
			t.Errorf("%s: title.5 has %.2f of the votes", name, v.refs["title.5"])
		}
	}
}

// The kinds model learns the words of a kind, whatever the topic, and leaves the author out.
func TestKindModel(t *testing.T) {
	qs := []corpus.Question{
		{Text: "审核要几个工作日", Kind: corpus.QOutside, Author: "a"},
		{Text: "要交多少费用", Kind: corpus.QOutside, Author: "a"},
		{Text: "注册要交哪些材料", Kind: corpus.QPlatform, Author: "b"},
		{Text: "平台要满足哪些条件", Kind: corpus.QPlatform, Author: "b"},
	}
	m, err := newKindModel(qs, "")
	if err != nil {
		t.Fatal(err)
	}
	p := m.Probs(routeFeatures("备案要几个工作日"))
	if i := slices.Index(m.Labels, corpus.QOutside); p[i] < 0.5 {
		t.Errorf("P(outside | 备案要几个工作日) = %.2f, want ≥ 0.5", p[i])
	}
	m, err = newKindModel(qs, "a")
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(m.Labels, corpus.QOutside) {
		t.Errorf("labels %v: author a's kind was learned", m.Labels)
	}
}
