package retrieval

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"fenlei/corpus"
)

func TestNeighbours(t *testing.T) {
	g, err := corpus.Load()
	if err != nil {
		t.Fatal(err)
	}
	entries := []corpus.Entry{
		{Text: "给银行开发手机银行APP", Code: "I11", Ref: "I11.typical.4", Author: "a"},
		{Text: "为连锁超市开发会员小程序", Code: "I11", Ref: "I11.typical.4", Author: "b"},
		{Text: "写字楼保洁和保安服务", Code: "OUT", Ref: "B19.exclude.1", Author: "a"},
		{Text: "payroll processing for a retailer", Code: "B11", Ref: "B11.def", Author: "b"},
	}
	x, err := New(g, nil, Options{Entries: entries})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	ctx := t.Context()
	tests := []struct {
		name, text, exclude string
		want                []int // entry indexes, best first
	}{
		{"nearest first", "我们给保险公司开发APP", "", []int{0}},
		{"author left out", "我们给保险公司开发APP", "a", []int{1}},
		{"english words", "payroll for a factory", "", []int{3}},
		{"cleaning", "商场保洁", "", []int{2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := x.Neighbours(ctx, tc.text, 2, tc.exclude)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || got[0].Entry != tc.want[0] {
				t.Fatalf("Neighbours(%q) = %+v, want entry %d first", tc.text, got, tc.want[0])
			}
			for _, n := range got {
				if tc.exclude != "" && entries[n.Entry].Author == tc.exclude {
					t.Errorf("entry %d by the excluded author returned", n.Entry)
				}
				if n.Code != entries[n.Entry].Code || n.Ref != entries[n.Entry].Ref {
					t.Errorf("neighbour %+v does not carry its entry's code and ref", n)
				}
			}
		})
	}
	if _, err := x.Neighbours(ctx, "！？。", 3, ""); !errors.Is(err, ErrEmptyQuery) {
		t.Errorf("empty query: err = %v, want ErrEmptyQuery", err)
	}
	// Passage search is the same with or without a coding index: entries never answer it.
	res, err := x.Search(context.Background(), "写字楼保洁", 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Passages {
		if _, ok := g.Passage(p.Ref); !ok {
			t.Errorf("passage search returned %q, not a passage", p.Ref)
		}
	}
}

func TestQuestionNeighbours(t *testing.T) {
	g, err := corpus.Load()
	if err != nil {
		t.Fatal(err)
	}
	qs := []corpus.Question{
		{Text: "交易平台注册要准备哪些材料？", Needs: []string{"platform.material.1"}, Lang: "zh", Kind: corpus.QPlatform, Author: "a"},
		{Text: "平台注册需要提交什么文件", Needs: []string{"platform.material.1"}, Lang: "zh", Kind: corpus.QPlatform, Author: "b"},
		{Text: "Who issued the guidance?", Needs: []string{"title.5"}, Lang: "en", Kind: corpus.QMeta, Author: "a"},
		{Text: "離岸外包的稅率是多少？", Needs: []string{}, Lang: "zh-Hant", Kind: corpus.QOutside, Author: "b"},
	}
	x, err := New(g, nil, Options{Questions: func() ([]corpus.Question, error) { return qs, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	ctx := t.Context()
	tests := []struct {
		name, text, exclude string
		want                int // the nearest question
	}{
		{"nearest first", "注册交易平台要交哪些材料", "", 0},
		{"author left out", "注册交易平台要交哪些材料", "a", 1},
		{"english", "who issued it", "", 2},
		{"traditional characters read as simplified", "离岸外包税率", "", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := x.QuestionNeighbours(ctx, tc.text, 3, tc.exclude)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || got[0].Entry != tc.want {
				t.Fatalf("QuestionNeighbours(%q) = %+v, want question %d first", tc.text, got, tc.want)
			}
			for _, n := range got {
				if tc.exclude != "" && qs[n.Entry].Author == tc.exclude {
					t.Errorf("question %d by the excluded author returned", n.Entry)
				}
			}
		})
	}
	if _, err := x.QuestionNeighbours(ctx, "！？。", 3, ""); !errors.Is(err, ErrEmptyQuery) {
		t.Errorf("empty query: err = %v, want ErrEmptyQuery", err)
	}
	if got := x.Questions(); len(got) != len(qs) {
		t.Errorf("Questions() = %d questions, want %d", len(got), len(qs))
	}
	// Without a question index there are no neighbours, and no error.
	y, err := New(g, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer y.Close()
	if got, err := y.QuestionNeighbours(ctx, "注册交易平台要交哪些材料", 3, ""); err != nil || len(got) != 0 {
		t.Errorf("without questions: %+v, %v", got, err)
	}
	// A question index that fails to load is an error of the search, not an empty answer.
	broken := errors.New("line 3: bad kind")
	z, err := New(g, nil, Options{Questions: func() ([]corpus.Question, error) { return nil, broken }})
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	if _, err := z.QuestionNeighbours(ctx, "注册交易平台要交哪些材料", 3, ""); !errors.Is(err, broken) {
		t.Errorf("a failed load: err = %v, want %v", err, broken)
	}
}

// NeighboursOfAndNear is NeighboursOf and Neighbours to the last bit, over the compiled coding index and
// texts of every register (new sentences, none from a test set), with and without an author left out.
func TestNeighboursOfAndNear(t *testing.T) {
	x := testIndex(t)
	if x.EntryCount() == 0 {
		t.Fatal("no coding index in the compiled index")
	}
	ctx := t.Context()
	texts := []string{
		"我们给物流公司开发车队调度系统，含司机端APP",
		"Monthly bookkeeping and VAT filing for twenty SMEs in Shenzhen",
		"甲方委托乙方对其三台核磁共振设备进行为期一年的维修保养，合同金额120万元，按季度付款，乙方须保密。",
		"食堂", "   ", "的的的",
		"Party B shall provide 24x7 monitoring of Party A's data-centre servers and network devices; fees payable quarterly.",
	}
	for _, text := range texts {
		for _, exclude := range []string{"", "ana"} {
			terms := Terms(text)
			if len(terms) > 3 {
				terms = terms[:len(terms)/2] // a subset, as the scorer's informing terms are
			}
			of, near, errOf, errNear := x.NeighboursOfAndNear(ctx, terms, text, 12, exclude)
			wantOf, wantErrOf := x.NeighboursOf(ctx, terms, 12, exclude)
			wantNear, wantErrNear := x.Neighbours(ctx, text, 12, exclude)
			if !errors.Is(errOf, wantErrOf) || !errors.Is(errNear, wantErrNear) {
				t.Errorf("%q: errors %v, %v; want %v, %v", text, errOf, errNear, wantErrOf, wantErrNear)
			}
			if !reflect.DeepEqual(of, wantOf) || !reflect.DeepEqual(near, wantNear) {
				t.Errorf("%q (exclude %q): one pass %v / %v, two passes %v / %v", text, exclude, of, near, wantOf, wantNear)
			}
		}
	}
}
