package classify

import (
	"context"
	"errors"
	"fenlei/llm"
	"reflect"
	"strings"
	"testing"
	"time"

	"fenlei/corpus"
	"fenlei/decision"
	"fenlei/llm/llmtest"
	"fenlei/prompts"
)

// suggestInput is what the engine would pass for a software-testing description: candidates
// I13 and I11 with their passages from the real guidance, and the section 三 rules.
func suggestInput(t *testing.T) SuggestInput {
	t.Helper()
	g, err := corpus.Load()
	if err != nil {
		t.Fatal(err)
	}
	in := SuggestInput{Text: "我们给客户的软件产品做测试", Lang: "zh"}
	for _, code := range []string{"I13", "I11"} {
		c, ok := g.Class(code)
		if !ok {
			t.Fatalf("no class %s", code)
		}
		in.Candidates = append(in.Candidates, CandidateInfo{Class: c, Score: 0.5, Passages: g.PassagesOf(code)})
	}
	for _, p := range g.Passages {
		if p.Kind == corpus.KindRule {
			in.Rules = append(in.Rules, p)
		}
	}
	return in
}

func TestPromptData(t *testing.T) {
	in := suggestInput(t)
	d := promptData(in)
	if d.Lang != "zh" || d.Text != in.Text {
		t.Errorf("Lang, Text = %q, %q", d.Lang, d.Text)
	}
	if len(d.Candidates) != 2 {
		t.Fatalf("%d candidates, want 2", len(d.Candidates))
	}
	i13 := d.Candidates[0]
	if i13.Code != "I13" || i13.Name != "测试服务" || i13.DefinitionRef != "I13.def" ||
		!strings.HasPrefix(i13.Definition, "指服务提供商根据客户需求提供信息技术产品的测试服务") {
		t.Errorf("I13 = %+v", i13)
	}
	refs := func(cs []prompts.Clause) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Ref)
		}
		return out
	}
	if got, want := refs(i13.Typical), []string{"I13.typical.1", "I13.typical.2", "I13.typical.3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("I13 typical = %v, want %v", got, want)
	}
	if got, want := refs(i13.Exclusions), []string{"I13.exclude.1", "I13.exclude.2", "I13.exclude.3", "I13.exclude.4"}; !reflect.DeepEqual(got, want) {
		t.Errorf("I13 exclusions = %v, want %v", got, want)
	}
	if got := i13.Exclusions[1]; got.Text != "软件产品测试服务，应纳入 I11 软件研发服务。" {
		t.Errorf("I13.exclude.2 text = %q", got.Text)
	}
	if got := i13.Typical[0].Title; got != "典型业务 1：测试平台开发" {
		t.Errorf("I13.typical.1 title = %q", got)
	}
	if len(d.Rules) != len(in.Rules) || d.Rules[0].Ref != in.Rules[0].Ref || d.Rules[0].Text != in.Rules[0].Text {
		t.Errorf("rules = %v", d.Rules)
	}
}

func TestSuggest(t *testing.T) {
	const prose = "我认为这是软件研发服务，代码是 I11。"
	for _, tc := range []struct {
		name    string
		rs      []llmtest.Response
		stream  bool
		want    Suggestion
		wantErr error // errors.Is target; nil: success
		reqs    int
	}{
		{
			name: "json",
			rs:   []llmtest.Response{{Content: goodJSON, PromptTokens: 900, CompletionTokens: 40}},
			want: Suggestion{Code: "I11", Reason: "定制开发软件属于软件研发服务", Confidence: 0.82, HasConf: true,
				Citations: []string{"I11.def"}, Usage: decision.Usage{PromptTokens: 900, CompletionTokens: 40}},
			reqs: 1,
		},
		{
			name:   "stream",
			rs:     []llmtest.Response{{Content: goodJSON, PromptTokens: 900, CompletionTokens: 40}},
			stream: true,
			want: Suggestion{Code: "I11", Reason: "定制开发软件属于软件研发服务", Confidence: 0.82, HasConf: true,
				Citations: []string{"I11.def"}, Usage: decision.Usage{PromptTokens: 900, CompletionTokens: 40}},
			reqs: 1,
		},
		{
			name: "fenced json is read without a repair call",
			rs:   []llmtest.Response{llmtest.Reply("```json\n{\"code\": \"i 13\", \"reason\": \"测试\"}\n```")},
			want: Suggestion{Code: "I13", Reason: "测试"},
			reqs: 1,
		},
		{
			name: "prose, then repaired",
			rs: []llmtest.Response{
				{Content: prose, PromptTokens: 900, CompletionTokens: 30},
				{Content: `{"code": "I11", "reason": "软件研发服务"}`, PromptTokens: 100, CompletionTokens: 20},
			},
			want: Suggestion{Code: "I11", Reason: "软件研发服务", Usage: decision.Usage{PromptTokens: 1000, CompletionTokens: 50}},
			reqs: 2,
		},
		{
			name: "stream of prose, then repaired",
			rs: []llmtest.Response{
				{Content: prose, PromptTokens: 900, CompletionTokens: 30},
				{Content: `{"code": "I11", "reason": "软件研发服务"}`, PromptTokens: 100, CompletionTokens: 20},
			},
			stream: true,
			want:   Suggestion{Code: "I11", Reason: "软件研发服务", Usage: decision.Usage{PromptTokens: 1000, CompletionTokens: 50}},
			reqs:   2,
		},
		{
			name:    "missing reason, repair still lacks it",
			rs:      []llmtest.Response{llmtest.Reply(`{"code": "I11"}`), llmtest.Reply(`{"code": "I11"}`)},
			wantErr: ErrMissingField,
			reqs:    2,
		},
		{
			name:    "prose twice",
			rs:      []llmtest.Response{llmtest.Reply(prose), llmtest.Reply("还是 I11。")},
			wantErr: ErrNoJSON,
			reqs:    2,
		},
		{
			name:    "prose, then the repair call fails",
			rs:      []llmtest.Response{llmtest.Reply(prose), llmtest.Fail(500, "server_error")},
			wantErr: ErrNoJSON,
			reqs:    2,
		},
		{
			name:    "the call fails: no repair",
			rs:      []llmtest.Response{llmtest.Fail(401, "invalid_api_key")},
			wantErr: &llm.Error{},
			reqs:    1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := llmSetup(t, llmtest.Sequence(tc.rs...), func(c *llm.Config) { c.MaxRetries = -1 })
			s := NewLLM(f.c, f.c.Model(), nil)
			var deltas []string
			var onDelta func(string)
			if tc.stream {
				onDelta = func(d string) { deltas = append(deltas, d) }
			}
			got, err := s.Suggest(t.Context(), suggestInput(t), onDelta)
			reqs := f.srv.Requests()
			if len(reqs) != tc.reqs {
				t.Errorf("%d requests, want %d", len(reqs), tc.reqs)
			}
			if tc.wantErr != nil {
				var e *llm.Error
				switch target := tc.wantErr.(type) {
				case *llm.Error:
					if !errors.As(err, &e) {
						t.Fatalf("err = %v, want an *llm.Error", err)
					}
				default:
					if !errors.Is(err, target) {
						t.Fatalf("err = %v, want %v", err, target)
					}
				}
				if !strings.HasPrefix(err.Error(), "classify.LLM.Suggest: ") {
					t.Errorf("err = %q, want the classify.LLM.Suggest prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Suggest = %+v\nwant       %+v", got, tc.want)
			}
			if tc.stream {
				// Only the first reply's reason is streamed, in pieces; prose streams nothing.
				want := ""
				if first, err := parseReply(tc.rs[0].Content); err == nil {
					want = first.Reason
				}
				if got := strings.Join(deltas, ""); got != want || (want != "" && len(deltas) < 2) {
					t.Errorf("deltas %q join to %q, want the first reply's reason %q in pieces", deltas, got, want)
				}
			}
			// The first request carries the rendered prompts; the stream flag follows onDelta.
			system, user, err := prompts.Classify(promptData(suggestInput(t)))
			if err != nil {
				t.Fatal(err)
			}
			if reqs[0].System() != system || reqs[0].User() != user {
				t.Errorf("first request is not the rendered prompt:\nsystem %q\nuser %q", reqs[0].System(), reqs[0].User())
			}
			if reqs[0].Stream != tc.stream {
				t.Errorf("first request stream = %v, want %v", reqs[0].Stream, tc.stream)
			}
			if rf := reqs[0].ResponseFormat; rf == nil || rf.Type != "json_object" {
				t.Errorf("response_format = %+v, want json_object", rf)
			}
			if len(reqs) == 2 {
				// The repair call is short, not streamed, and carries the bad reply as data.
				r := reqs[1]
				if r.Stream {
					t.Error("the repair call was streamed")
				}
				if !strings.Contains(r.User(), prompts.ReplyOpen+"\n"+prose+"\n"+prompts.ReplyClose) {
					t.Errorf("repair prompt lacks the bad reply:\n%s", r.User())
				}
				if !strings.Contains(r.System(), "JSON") || len(r.System())+len(r.User()) > len(system+user)/4 {
					t.Errorf("repair prompt is %d bytes (classification prompt %d)", len(r.System())+len(r.User()), len(system+user))
				}
			}
		})
	}
}

func TestSuggesterModel(t *testing.T) {
	f := llmSetup(t, nil, nil)
	if got := NewLLM(f.c, f.c.Model(), nil).Model(); got != "deepseek-chat" {
		t.Errorf("Model = %q", got)
	}
}

type llmFixture struct {
	srv *llmtest.Server
	c   *llm.Client
}

// llmSetup starts a fake server with h and a client for it; mod adjusts the Config.
func llmSetup(t *testing.T, h llmtest.Handler, mod func(*llm.Config)) llmFixture {
	t.Helper()
	srv := llmtest.NewServer(t, h)
	cfg := llm.Config{URL: srv.URL, Model: "deepseek-chat", Key: "sk-test",
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}
	if mod != nil {
		mod(&cfg)
	}
	c, err := llm.New(cfg)
	if err != nil {
		t.Fatalf("llm.New: %v", err)
	}
	return llmFixture{srv: srv, c: c}
}

const goodJSON = `{"code": "I11", "reason": "定制开发软件属于软件研发服务", "confidence": 0.82, "citations": ["I11.def"]}`
