package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"fenlei/llm/llmtest"
)

func TestLLMConfigErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		errHas string
	}{
		{name: "url without model", args: []string{"ask", "x"},
			env: map[string]string{"FENLEI_LLM_URL": "http://127.0.0.1:1/v1"}, errHas: "FENLEI_LLM_MODEL"},
		{name: "url flag without model", args: []string{"ask", "--llm-url", "http://127.0.0.1:1/v1", "x"}, errHas: "FENLEI_LLM_MODEL"},
		{name: "not a URL", args: []string{"ask", "x"},
			env: map[string]string{"FENLEI_LLM_URL": "not a url", "FENLEI_LLM_MODEL": "m"}, errHas: "not an http(s) URL"},
		{name: "ftp scheme", args: []string{"ask", "x"},
			env: map[string]string{"FENLEI_LLM_URL": "ftp://example.com/v1", "FENLEI_LLM_MODEL": "m"}, errHas: "not an http(s) URL"},
		{name: "no host", args: []string{"ask", "x"},
			env: map[string]string{"FENLEI_LLM_URL": "http:///v1", "FENLEI_LLM_MODEL": "m"}, errHas: "not an http(s) URL"},
		{name: "bad escape", args: []string{"ask", "x"},
			env: map[string]string{"FENLEI_LLM_URL": "http://a b/%zz", "FENLEI_LLM_MODEL": "m"}, errHas: "not an http(s) URL"},
		{name: "flag overrides a good env URL", args: []string{"ask", "--llm-url", "nope", "x"},
			env: map[string]string{"FENLEI_LLM_URL": "http://127.0.0.1:1/v1", "FENLEI_LLM_MODEL": "m"}, errHas: "not an http(s) URL"},
		{name: "bogus format", args: []string{"ask", "--llm-format", "bogus", "x"}, errHas: "--llm-format"},
		{name: "bogus format on classify", args: []string{"classify", "--llm-format", "xml"}, errHas: "--llm-format"},
		{name: "bad url on serve", args: []string{"serve", "--addr", "127.0.0.1:0"},
			env: map[string]string{"FENLEI_LLM_URL": "localhost:11434", "FENLEI_LLM_MODEL": "m"}, errHas: "not an http(s) URL"},
		{name: "bad url on eval", args: []string{"eval", "--cases", casesFile},
			env: map[string]string{"FENLEI_LLM_URL": "https://"}, errHas: "not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runFenlei(t, invocation{args: tt.args, env: tt.env})
			if got.err == nil || errors.Is(got.err, errUsage) {
				t.Fatalf("err = %v, want a configuration error", got.err)
			}
			if !strings.Contains(got.err.Error(), tt.errHas) {
				t.Errorf("err = %q, want it to mention %q", got.err, tt.errHas)
			}
			if got.stdout != "" {
				t.Errorf("stdout = %q, want nothing", got.stdout)
			}
		})
	}
}

// llmEnv is the environment that points fenlei at a fake server.
func llmEnv(srv *llmtest.Server, extra ...string) map[string]string {
	env := map[string]string{"FENLEI_LLM_URL": srv.URL, "FENLEI_LLM_MODEL": "fake-model"}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	return env
}

func TestLLMAsk(t *testing.T) {
	tests := []struct {
		name       string
		reply      llmtest.Response
		args       []string // after "ask --json"
		wantEngine string   // exact, or a prefix when it ends with "…"
		wantCode   string
		wantFormat string // response_format.type the fake received ("" = none)
		wantCheck  string // "rule/status" of a check the rule layer must record
	}{
		{name: "llm answers", reply: llmtest.Reply(`{"code":"I11","reason":"移动应用软件开发"}`),
			wantEngine: "llm:fake-model", wantCode: "I11", wantFormat: "json_schema"},
		{name: "llm answers with confidence and citations",
			reply:      llmtest.Reply(`{"code":"I11","reason":"APP","confidence":0.9,"citations":["I11.typical.4","编造的引文，不在指引里"]}`),
			wantEngine: "llm:fake-model", wantCode: "I11", wantFormat: "json_schema", wantCheck: "citation/dropped"},
		{name: "json_object format", reply: llmtest.Reply(`{"code":"I11","reason":"APP"}`),
			args: []string{"--llm-format", "json_object"}, wantEngine: "llm:fake-model", wantCode: "I11", wantFormat: "json_object"},
		{name: "deepseek profile", reply: llmtest.Reply(`{"code":"I11","reason":"APP"}`),
			args: []string{"--llm-provider", "deepseek"}, wantEngine: "llm:fake-model", wantCode: "I11", wantFormat: "json_object"},
		{name: "no format", reply: llmtest.Reply(`{"code":"I11","reason":"APP"}`),
			args: []string{"--llm-format", "none"}, wantEngine: "llm:fake-model", wantCode: "I11"},
		{name: "model flag overrides env", reply: llmtest.Reply(`{"code":"I11","reason":"APP"}`),
			args: []string{"--llm-model", "other-model"}, wantEngine: "llm:other-model", wantCode: "I11", wantFormat: "json_schema"},
		{name: "server error falls back", reply: llmtest.Fail(500, "server_error"),
			args: []string{"--llm-timeout", "5s"}, wantEngine: "offline (llm failed…", wantCode: "I11", wantFormat: "json_schema"},
		{name: "bad request falls back", reply: llmtest.Fail(400, "invalid_request_error"),
			wantEngine: "offline (llm failed…", wantCode: "I11", wantFormat: "json_schema"},
		{name: "html error page falls back", reply: llmtest.Response{Status: 502, RawBody: "<html>bad gateway</html>"},
			args: []string{"--llm-timeout", "5s"}, wantEngine: "offline (llm failed…", wantCode: "I11", wantFormat: "json_schema"},
		{name: "code outside the set", reply: llmtest.Reply(`{"code":"Z99","reason":"made up"}`),
			wantEngine: "llm:fake-model", wantCode: "I11", wantFormat: "json_schema", wantCheck: "validity/rejected"},
		{name: "not JSON", reply: llmtest.Reply(`I think it is I11.`),
			wantEngine: "offline (llm failed…", wantCode: "I11", wantFormat: "json_schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, func(llmtest.Request, int) llmtest.Response { return tt.reply })
			args := append(append([]string{"ask", "--json"}, tt.args...), "我们给银行做手机APP")
			got := runFenlei(t, invocation{args: args, env: llmEnv(srv, "FENLEI_LLM_KEY", "sk-secret-test")})
			if got.err != nil {
				t.Fatalf("run: %v\nstderr: %s", got.err, got.stderr)
			}
			d := parseDecision(t, []byte(got.stdout))
			t.Logf("engine: %s; %d requests; checks: %+v", d.Engine, len(srv.Requests()), d.Checks)
			if prefix, ok := strings.CutSuffix(tt.wantEngine, "…"); ok {
				if !strings.HasPrefix(d.Engine, prefix) {
					t.Errorf("engine = %q, want prefix %q", d.Engine, prefix)
				}
			} else if d.Engine != tt.wantEngine {
				t.Errorf("engine = %q, want %q", d.Engine, tt.wantEngine)
			}
			if strings.Contains(d.Engine+got.stdout+got.stderr, "sk-secret-test") {
				t.Errorf("the API key appears in the output")
			}
			if d.Code != tt.wantCode {
				t.Errorf("code = %q, want %q", d.Code, tt.wantCode)
			}
			if tt.wantCheck != "" {
				found := false
				for _, c := range d.Checks {
					found = found || c.Rule+"/"+c.Status == tt.wantCheck
				}
				if !found {
					t.Errorf("checks = %+v, want one %s", d.Checks, tt.wantCheck)
				}
			}
			reqs := srv.Requests()
			if len(reqs) == 0 {
				t.Fatalf("the fake LLM received no request")
			}
			r := reqs[0]
			if want := strings.TrimPrefix(tt.wantEngine, "llm:"); strings.HasPrefix(tt.wantEngine, "llm:") && r.Model != want {
				t.Errorf("model = %q, want %q", r.Model, want)
			}
			gotFormat := ""
			if r.ResponseFormat != nil && r.ResponseFormat.Type != "text" {
				gotFormat = r.ResponseFormat.Type
			}
			if gotFormat != tt.wantFormat {
				t.Errorf("response_format = %q, want %q", gotFormat, tt.wantFormat)
			}
			if !strings.Contains(r.User(), "我们给银行做手机APP") {
				t.Errorf("the user message lacks the description: %.300q", r.User())
			}
		})
	}
}

func TestLLMKey(t *testing.T) {
	tests := []struct {
		name     string
		env      []string
		args     []string
		wantAuth string
	}{
		{name: "FENLEI_LLM_KEY", env: []string{"FENLEI_LLM_KEY", "k-fenlei"}, wantAuth: "Bearer k-fenlei"},
		{name: "falls back to OPENAI_API_KEY", env: []string{"OPENAI_API_KEY", "k-openai"}, wantAuth: "Bearer k-openai"},
		{name: "FENLEI_LLM_KEY wins", env: []string{"FENLEI_LLM_KEY", "k-fenlei", "OPENAI_API_KEY", "k-openai"}, wantAuth: "Bearer k-fenlei"},
		{name: "flag wins", env: []string{"FENLEI_LLM_KEY", "k-fenlei", "OPENAI_API_KEY", "k-openai"},
			args: []string{"--llm-key", "k-flag"}, wantAuth: "Bearer k-flag"},
		{name: "no key", wantAuth: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, func(llmtest.Request, int) llmtest.Response {
				return llmtest.Reply(`{"code":"I11","reason":"APP"}`)
			})
			args := append(append([]string{"ask", "--json"}, tt.args...), "我们给银行做手机APP")
			got := runFenlei(t, invocation{args: args, env: llmEnv(srv, tt.env...)})
			if got.err != nil {
				t.Fatal(got.err)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			if auth := reqs[0].Header.Get("Authorization"); auth != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q", auth, tt.wantAuth)
			}
		})
	}
}

func TestLLMClassifyJSONL(t *testing.T) {
	srv := llmtest.NewServer(t, func(req llmtest.Request, _ int) llmtest.Response {
		if strings.Contains(req.User(), "劳务派遣") {
			return llmtest.Reply(`{"code":"OUT","reason":"劳务派遣"}`)
		}
		return llmtest.Reply(`{"code":"I11","reason":"APP"}`)
	})
	in := `{"id":"a","text":"我们给银行做手机APP"}` + "\n" + `{"id":"b"}` + "\n" + `{"id":"c","text":"劳务派遣"}` + "\n"
	got := runFenlei(t, invocation{args: []string{"classify", "--jsonl"}, stdin: in, env: llmEnv(srv)})
	if got.err != nil {
		t.Fatal(got.err)
	}
	lines := outputLines(t, got.stdout)
	want := []struct{ id, code, engine, err string }{
		{"a", "I11", "llm:fake-model", ""},
		{"b", "", "", `"text" is missing`},
		{"c", "OUT", "llm:fake-model", ""},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for i, w := range want {
		d := parseDecision(t, []byte(lines[i]))
		if d.ID != w.id || d.Code != w.code || !strings.Contains(d.Error, w.err) {
			t.Errorf("line %d: id %q code %q error %q, want %q %q %q", i+1, d.ID, d.Code, d.Error, w.id, w.code, w.err)
		}
		if w.err == "" && d.Engine != w.engine {
			t.Errorf("line %d: engine = %q, want %q", i+1, d.Engine, w.engine)
		}
	}
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("%d LLM requests, want 2 (the bad line must not reach the LLM)", n)
	}
}

func TestLLMEval(t *testing.T) {
	srv := llmtest.NewServer(t, nil) // answers every request {"code": "OUT", "reason": "llmtest"}
	got := runFenlei(t, invocation{args: []string{"eval", "--cases", casesFile, "--json"}, env: llmEnv(srv)})
	if got.err != nil {
		t.Fatalf("eval with an LLM: %v", got.err)
	}
	var rep struct {
		Results []struct {
			Decision struct {
				Engine string `json:"engine"`
			} `json:"decision"`
		} `json:"results"`
		Out struct {
			Predicted int `json:"predicted"`
		} `json:"out"`
	}
	if err := json.Unmarshal([]byte(got.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	llmDecisions := 0
	for _, r := range rep.Results {
		if r.Decision.Engine == "llm:fake-model" {
			llmDecisions++
		}
	}
	if llmDecisions < 8 {
		t.Errorf("%d decisions by llm:fake-model, want the 8 classification cases", llmDecisions)
	}
	if n := len(srv.Requests()); n < 8 {
		t.Errorf("%d LLM requests, want at least 8", n)
	}
}

// TestLLMCheck: `fenlei llm check` tells in one command whether the endpoint, key, model and JSON mode
// work, with the provider's own error message when they do not.
func TestLLMCheck(t *testing.T) {
	for _, tt := range []struct {
		name     string
		h        llmtest.Handler
		args     []string
		wantErr  bool
		wantOut  []string
		provider string
	}{
		{name: "ok", h: llmtest.Sequence(llmtest.Reply(`{"code":"I11","reason":"定制软件"}`)),
			wantOut: []string{"provider  openai", "format    json_schema", "result    ok: code I11"}},
		{name: "deepseek steps down from json_schema", h: llmtest.DeepSeekFormat(llmtest.Reply(`{"code":"I11","reason":"ok"}`)),
			args: []string{"--llm-format", "json_schema", "--llm-provider", "deepseek"}, wantOut: []string{"provider  deepseek", "format    json_object", "result    ok"}},
		{name: "dashscope without the thinking switch", h: llmtest.DashScopeThinking(llmtest.Reply(`{"code":"I11","reason":"ok"}`)),
			args: []string{"--llm-provider", "openai"}, wantErr: true, wantOut: []string{"result    FAILED: status 400"}},
		{name: "dashscope with the qwen profile", h: llmtest.DashScopeThinking(llmtest.Reply(`{"code":"I11","reason":"ok"}`)),
			args: []string{"--llm-provider", "qwen"}, wantOut: []string{"provider  qwen", "result    ok"}},
		{name: "bad key", h: llmtest.Sequence(llmtest.Response{Status: 401, ErrorCode: "invalid_api_key", ErrorMessage: "Incorrect API key provided."}),
			wantErr: true, wantOut: []string{"result    FAILED: status 401"}},
		{name: "not JSON", h: llmtest.Sequence(llmtest.Reply("I think it is I11.")), wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.NewServer(t, tt.h)
			got := runFenlei(t, invocation{args: append(append([]string{"llm"}, tt.args...), "check"), env: llmEnv(srv, "FENLEI_LLM_KEY", "sk-secret-test")})
			if (got.err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v\nstdout: %s", got.err, tt.wantErr, got.stdout)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(got.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, got.stdout)
				}
			}
			if tt.name == "dashscope without the thinking switch" && !strings.Contains(got.err.Error(), "enable_thinking must be set to false") {
				t.Errorf("err = %v, want DashScope's own message", got.err)
			}
			if strings.Contains(got.stdout+got.stderr, "sk-secret-test") {
				t.Error("the API key appears in the output")
			}
		})
	}
	got := runFenlei(t, invocation{args: []string{"llm", "check"}, env: map[string]string{}})
	if got.err == nil || !strings.Contains(got.err.Error(), "FENLEI_LLM_URL") {
		t.Errorf("without a URL: err = %v, want one naming FENLEI_LLM_URL", got.err)
	}
}
