package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"fenlei/decision"
	"fenlei/textin"
)

// call is what the fake engine was asked.
type call struct {
	Method string // "Answer" or "WhyNot"
	Text   string // Answer's text, or WhyNot's other
	Last   string // WhyNot's last.Code
}

// fakeEngine answers from a script keyed by the text it is asked, and records every call.
type fakeEngine struct {
	mu      sync.Mutex
	calls   []call
	answers map[string]decision.Decision // by text; default: classification "I11"
	fail    error
}

func (f *fakeEngine) Answer(ctx context.Context, text string, onDelta func(string)) (decision.Decision, error) {
	f.mu.Lock()
	f.calls = append(f.calls, call{Method: "Answer", Text: text})
	d, ok := f.answers[text]
	fail := f.fail
	f.mu.Unlock()
	if fail != nil {
		return decision.Decision{}, fail
	}
	if onDelta != nil {
		onDelta("thinking")
	}
	if !ok {
		d = decision.Decision{Code: "I11", Kind: decision.KindClassification, Answer: "software"}
	}
	return d, nil
}

func (f *fakeEngine) WhyNot(ctx context.Context, last decision.Decision, other string) (decision.Decision, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{Method: "WhyNot", Text: other, Last: last.Code})
	if f.fail != nil {
		return decision.Decision{}, f.fail
	}
	return decision.Decision{Code: last.Code, Kind: decision.KindExplain, Answer: "because",
		Citations: []decision.Citation{{Ref: last.Code + ".def"}, {Ref: "I13.exclude.2"}, {Ref: "I13.def"}}}, nil
}

func (f *fakeEngine) Calls() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tLogWriter struct{ t *testing.T }

func (w tLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

var _ Engine = (*fakeEngine)(nil)

func TestTurn(t *testing.T) {
	clarify := decision.Decision{Code: "", Kind: decision.KindClarify, Question: "Is the software yours?"}
	tests := []struct {
		name      string
		answers   map[string]decision.Decision
		msgs      []string
		wantCalls []call
		wantKinds []string // Kind of each turn's Decision
		wantLangs []string
	}{
		{
			name:      "plain description",
			msgs:      []string{"We build custom ERP software for banks"},
			wantCalls: []call{{"Answer", "We build custom ERP software for banks", ""}},
			wantKinds: []string{"classification"},
			wantLangs: []string{"en"},
		},
		{
			name:      "help words never reach the engine",
			msgs:      []string{"help", "/help", "帮助", "怎么用？", "?", "  HELP  "},
			wantKinds: []string{"help", "help", "help", "help", "help", "help"},
			// "?" and "HELP" show no language of their own: the conversation is Chinese by then.
			wantLangs: []string{"en", "en", "zh", "zh", "zh", "zh"},
		},
		{
			name:      "why not after a classification",
			msgs:      []string{"为客户定制开发软件", "为什么不是I13？"},
			wantCalls: []call{{"Answer", "为客户定制开发软件", ""}, {"WhyNot", "I13", "I11"}},
			wantKinds: []string{"classification", "explain"},
			wantLangs: []string{"zh", "zh"},
		},
		{
			name:      "why not in words, english",
			msgs:      []string{"custom software", "help", "why isn't it testing?"},
			wantCalls: []call{{"Answer", "custom software", ""}, {"WhyNot", "testing", "I11"}},
			wantKinds: []string{"classification", "help", "explain"},
			wantLangs: []string{"en", "en", "en"},
		},
		{
			name:      "why not before any classification",
			msgs:      []string{"为啥不是测试服务"},
			wantKinds: []string{"help"},
			wantLangs: []string{"zh"},
		},
		{
			name:    "answer to a clarifying question joins the description",
			answers: map[string]decision.Decision{"we test apps": clarify},
			msgs:    []string{"we test apps", "they are our clients' apps", "thanks, next: data entry"},
			wantCalls: []call{
				{"Answer", "we test apps", ""},
				{"Answer", "we test apps\nthey are our clients' apps", ""},
				{"Answer", "thanks, next: data entry", ""},
			},
			wantKinds: []string{"clarify", "classification", "classification"},
			wantLangs: []string{"en", "en", "en"},
		},
		{
			name:    "help between question and answer keeps the question pending",
			answers: map[string]decision.Decision{"we test apps": clarify},
			msgs:    []string{"we test apps", "帮助", "client apps"},
			wantCalls: []call{
				{"Answer", "we test apps", ""},
				{"Answer", "we test apps\nclient apps", ""},
			},
			wantKinds: []string{"clarify", "help", "classification"},
			wantLangs: []string{"en", "zh", "en"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe := &fakeEngine{answers: tt.answers}
			c := New(fe, Options{Logger: testLogger(t)})
			var kinds, langs []string
			for _, m := range tt.msgs {
				d, err := c.Turn(t.Context(), "conv", m, nil)
				if err != nil {
					t.Fatalf("Turn(%q): %v", m, err)
				}
				kinds = append(kinds, d.Kind)
				langs = append(langs, d.Lang)
			}
			if got := fe.Calls(); !reflect.DeepEqual(got, tt.wantCalls) {
				t.Errorf("engine calls:\n got %q\nwant %q", got, tt.wantCalls)
			}
			if !reflect.DeepEqual(kinds, tt.wantKinds) {
				t.Errorf("kinds: got %q, want %q", kinds, tt.wantKinds)
			}
			if !reflect.DeepEqual(langs, tt.wantLangs) {
				t.Errorf("langs: got %q, want %q", langs, tt.wantLangs)
			}
		})
	}
}

func TestTurnRefusesBadInputAndKeepsState(t *testing.T) {
	clarify := decision.Decision{Kind: decision.KindClarify, Question: "whose software?"}
	tests := []struct {
		name string
		text string
		want error
	}{
		{"empty", "", textin.ErrEmpty},
		{"whitespace", " \n\t　", textin.ErrEmpty},
		{"emoji only", "😀👍", textin.ErrEmpty},
		{"zero-width only", "\u200b\u200d", textin.ErrEmpty},
		{"too long", strings.Repeat("测", 11), textin.ErrTooLong},
		{"invalid utf8", "abc\xff\xfe", textin.ErrNotText},
		{"nul", "hello\x00world", textin.ErrNotText},
		{"control heavy", "\x01\x02\x03ab", textin.ErrNotText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fe := &fakeEngine{answers: map[string]decision.Decision{"apps": clarify}}
			c := New(fe, Options{MaxMessage: 10})
			if _, err := c.Turn(t.Context(), "x", "apps", nil); err != nil {
				t.Fatal(err)
			}
			_, err := c.Turn(t.Context(), "x", tt.text, nil)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Turn(%q) error = %v, want %v", tt.text, err, tt.want)
			}
			// The pending question survives the refused message.
			if _, err := c.Turn(t.Context(), "x", "client's", nil); err != nil {
				t.Fatal(err)
			}
			calls := fe.Calls()
			if got, want := calls[len(calls)-1].Text, "apps\nclient's"; got != want {
				t.Errorf("after refused message, engine asked %q, want %q", got, want)
			}
		})
	}
}

func TestTurnEngineErrorKeepsState(t *testing.T) {
	fe := &fakeEngine{answers: map[string]decision.Decision{"apps": {Kind: decision.KindClarify, Question: "q?"}}}
	c := New(fe, Options{})
	ctx := t.Context()
	if _, err := c.Turn(ctx, "x", "apps", nil); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	fe.fail = boom
	if _, err := c.Turn(ctx, "x", "answer", nil); !errors.Is(err, boom) {
		t.Fatalf("error = %v, want wrapping boom", err)
	}
	fe.fail = nil
	h, err := c.History(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 {
		t.Fatalf("history has %d turns after a failed turn, want 1", len(h))
	}
	if _, err := c.Turn(ctx, "x", "answer", nil); err != nil {
		t.Fatal(err)
	}
	calls := fe.Calls()
	if got := calls[len(calls)-1].Text; got != "apps\nanswer" {
		t.Errorf("retry asked %q, want %q", got, "apps\nanswer")
	}
}

func TestHistoryBounded(t *testing.T) {
	c := New(&fakeEngine{}, Options{MaxTurns: 3})
	for i := range 10 {
		if _, err := c.Turn(t.Context(), "x", fmt.Sprint("msg ", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	h, err := c.History(t.Context(), "x")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range h {
		got = append(got, tr.Text)
	}
	if want := []string{"msg 7", "msg 8", "msg 9"}; !reflect.DeepEqual(got, want) {
		t.Errorf("history = %q, want %q", got, want)
	}
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestExpiryAndEviction(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	fe := &fakeEngine{answers: map[string]decision.Decision{"apps": {Kind: decision.KindClarify, Question: "q?"}}}
	c := New(fe, Options{IdleTTL: time.Minute, MaxConversations: 2, Now: clk.Now})
	ctx := t.Context()
	turn := func(id, text string) {
		t.Helper()
		if _, err := c.Turn(ctx, id, text, nil); err != nil {
			t.Fatal(err)
		}
	}
	lastAsked := func() string { calls := fe.Calls(); return calls[len(calls)-1].Text }

	// Lazy expiry: after the TTL the pending question is forgotten.
	turn("a", "apps")
	clk.Add(2 * time.Minute)
	turn("a", "answer")
	if got := lastAsked(); got != "answer" {
		t.Errorf("after expiry engine asked %q, want a fresh %q", got, "answer")
	}
	// Within the TTL it is kept.
	turn("a", "apps")
	clk.Add(30 * time.Second)
	turn("a", "answer")
	if got := lastAsked(); got != "apps\nanswer" {
		t.Errorf("within TTL engine asked %q, want %q", got, "apps\nanswer")
	}

	// LRU eviction: a, b, then c evicts the least recently used.
	turn("b", "x")
	turn("a", "y") // a is now most recent; b least
	turn("c", "z")
	if got := c.Len(); got != 2 {
		t.Fatalf("Len = %d, want 2", got)
	}
	if h, _ := c.History(ctx, "b"); h != nil {
		t.Errorf("b should have been evicted, has %d turns", len(h))
	}
	if h, _ := c.History(ctx, "a"); h == nil {
		t.Errorf("a should have been kept")
	}

	// Sweep removes idle conversations only.
	clk.Add(45 * time.Second)
	turn("c", "again")
	if n := c.Sweep(clk.Now().Add(30 * time.Second)); n != 1 {
		t.Errorf("Sweep removed %d, want 1 (a)", n)
	}
	if got := c.Len(); got != 1 {
		t.Errorf("Len after sweep = %d, want 1", got)
	}
	c.End("c")
	if got := c.Len(); got != 0 {
		t.Errorf("Len after End = %d, want 0", got)
	}
}

// blockingEngine blocks Answer until released, to observe serialization.
type blockingEngine struct {
	fakeEngine
	started chan string
	release chan struct{}
}

func (b *blockingEngine) Answer(ctx context.Context, text string, onDelta func(string)) (decision.Decision, error) {
	b.started <- text
	<-b.release
	return b.fakeEngine.Answer(ctx, text, onDelta)
}

func TestTurnsOfOneConversationAreSerialized(t *testing.T) {
	be := &blockingEngine{started: make(chan string, 10), release: make(chan struct{})}
	c := New(be, Options{})
	ctx := t.Context()
	var wg sync.WaitGroup
	wg.Go(func() { c.Turn(ctx, "x", "first", nil) })
	<-be.started // first is inside the engine

	// A second turn of x waits; a turn of another conversation does not.
	wctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { _, err := c.Turn(wctx, "x", "second", nil); errc <- err }()
	wg.Go(func() { c.Turn(ctx, "y", "other", nil) })
	if got := <-be.started; got != "other" {
		t.Fatalf("engine started %q while x was busy, want %q", got, "other")
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("waiting turn error = %v, want context.Canceled", err)
	}
	close(be.release)
	wg.Wait()
}

func TestConcurrentTurnsRace(t *testing.T) {
	c := New(&fakeEngine{}, Options{MaxConversations: 5, MaxTurns: 2})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				id := fmt.Sprint(g%3, "-", i%7)
				c.Turn(t.Context(), id, "why not I13", nil)
				c.Turn(t.Context(), id, "software", nil)
				if i%10 == 0 {
					c.Sweep(time.Now())
					c.End(id)
				}
				c.Len()
			}
		})
	}
	wg.Wait()
	if c.Len() > 5 {
		t.Errorf("Len = %d, over MaxConversations", c.Len())
	}
}

func TestParseWhyNot(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"why not I13", "I13", true},
		{"Why not I13?", "I13", true},
		{"why isn't it testing?", "testing", true},
		{"why isn't it \"testing services\"", "testing services", true},
		{"为什么不是I13", "I13", true},
		{"为什么不是 测试服务？", "测试服务", true},
		{"为啥不是「测试服务」", "测试服务", true},
		{"/whynot K21", "K21", true},
		{"why not?", "", false},
		{"为什么不是？", "", false},
		{"we do testing, why not", "", false},
		{"software testing", "", false},
	}
	for _, tt := range tests {
		got, ok := ParseWhyNot(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseWhyNot(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestIsHelp(t *testing.T) {
	for in, want := range map[string]bool{
		"help": true, "/help": true, "帮助": true, "怎么用": true, "怎么用？": true, "?": true, "？": true,
		"Help!": true, "help me classify software": false, "": false, "I need help with testing": false,
	} {
		if got := IsHelp(in); got != want {
			t.Errorf("IsHelp(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestConversationLanguage: messages that show no language are answered in the conversation's.
func TestConversationLanguage(t *testing.T) {
	tests := []struct {
		name      string
		start     string // Start's language, "" for none
		msgs      []string
		wantLangs []string // the Decision's Lang, or the Lang returned with the error
		wantErrs  []error
	}{
		{name: "empty and help in a Chinese session", msgs: []string{"为客户定制开发软件", "", "help", "😀"},
			wantLangs: []string{"zh", "zh", "zh", "zh"}, wantErrs: []error{nil, textin.ErrEmpty, nil, textin.ErrEmpty}},
		{name: "empty and help in an English session", msgs: []string{"we build apps for banks", " ", "帮助", "?"},
			wantLangs: []string{"en", "en", "zh", "zh"}, wantErrs: []error{nil, textin.ErrEmpty, nil, nil}},
		{name: "started in English by the browser", start: "en", msgs: []string{"?", "", "I13"},
			wantLangs: []string{"en", "en", "en"}, wantErrs: []error{nil, textin.ErrEmpty, nil}},
		{name: "started in Chinese, the user writes English", start: "zh", msgs: []string{"help", "We provide 软件测试 services for banks", "help"},
			wantLangs: []string{"zh", "en", "en"}, wantErrs: []error{nil, nil, nil}},
		{name: "full-width English", msgs: []string{"ｗｅ　ｔｅｓｔ　ｓｏｆｔｗａｒｅ"}, wantLangs: []string{"en"}, wantErrs: []error{nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(&fakeEngine{}, Options{})
			c.Start("c", tt.start)
			for i, m := range tt.msgs {
				d, err := c.Turn(t.Context(), "c", m, nil)
				if !errors.Is(err, tt.wantErrs[i]) || (err == nil) != (tt.wantErrs[i] == nil) {
					t.Fatalf("Turn(%q) error = %v, want %v", m, err, tt.wantErrs[i])
				}
				if d.Lang != tt.wantLangs[i] {
					t.Errorf("Turn(%q) Lang = %q, want %q", m, d.Lang, tt.wantLangs[i])
				}
			}
		})
	}
}

// TestWhyNotKeepsConfidence: a "why not" answer carries the earlier confidence and the other class.
func TestWhyNotKeepsConfidence(t *testing.T) {
	fe := &fakeEngine{answers: map[string]decision.Decision{"软件开发": {Code: "I11", Kind: decision.KindClassification, Confidence: 0.82}}}
	c := New(fe, Options{})
	if _, err := c.Turn(t.Context(), "w", "软件开发", nil); err != nil {
		t.Fatal(err)
	}
	d, err := c.Turn(t.Context(), "w", "为什么不是测试服务？", nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != decision.KindExplain || d.Confidence != 0.82 || d.Other != "I13" {
		t.Errorf("why not: kind %q confidence %v other %q, want explain, 0.82, I13", d.Kind, d.Confidence, d.Other)
	}
}

// TestTurnNormalises: the engine reads the normalised text; the history keeps the text as typed.
func TestTurnNormalises(t *testing.T) {
	fe := &fakeEngine{}
	c := New(fe, Options{})
	typed := "軟體測試服務，手\u200b机ＡＰＰ"
	if _, err := c.Turn(t.Context(), "n", typed, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := fe.Calls()[0].Text, "软件测试服务，手机APP"; got != want {
		t.Errorf("engine asked %q, want %q", got, want)
	}
	h, err := c.History(t.Context(), "n")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 || h[0].Text != typed {
		t.Errorf("history = %+v, want the text as typed", h)
	}
}

func FuzzTurnCommands(f *testing.F) {
	for _, s := range []string{"why not I13", "为什么不是I13？", "help", "帮助", "?", "abc\x00", "为啥不是「」"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ParseWhyNot(s)
		IsHelp(s)
		c := New(&fakeEngine{}, Options{})
		d, err := c.Turn(t.Context(), "f", s, nil)
		if err == nil && d.Lang == "" {
			t.Errorf("Turn(%q) left Lang empty", s)
		}
	})
}
