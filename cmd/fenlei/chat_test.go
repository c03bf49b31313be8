package main

import (
	"strings"
	"testing"
)

func TestChat(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		env   map[string]string
		want  []string // substrings of stdout, in order
	}{
		{name: "end of input at once", stdin: "", want: []string{"fenlei chat", "> "}},
		{name: "describe then why not", stdin: "我们给银行做手机APP\n为什么不是 I13？\n",
			want: []string{"> ", "分类：I11 软件研发服务", "仅供参考", "> ", "I13", "I13.exclude.2", "仅供参考"}},
		{name: "help", stdin: "help\n", want: []string{"> ", "why not I13?"}},
		{name: "bad lines do not end the conversation", stdin: "\x00\x01\x02\n\n我们给银行做手机APP\n",
			want: []string{"could not be read", "empty", "分类：I11"}},
		{name: "CRLF input", stdin: "我们给银行做手机APP\r\n", want: []string{"分类：I11"}},
		{name: "empty input and help in a Chinese session are answered in Chinese", stdin: "我们给银行做手机APP\n\nhelp\n😀\n",
			want: []string{"分类：I11", "> ", "消息是空的", "> ", "用一两句话描述您提供的服务", "> ", "消息是空的"}},
		{name: "Chinese locale", stdin: "\n", env: map[string]string{"LANG": "zh_CN.UTF-8"}, want: []string{"输入“帮助”", "> ", "消息是空的"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runFenlei(t, invocation{args: []string{"chat"}, stdin: tt.stdin, env: tt.env})
			if got.err != nil {
				t.Fatalf("chat: %v", got.err)
			}
			rest := got.stdout
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("stdout lacks %q (in order):\n%s", w, got.stdout)
				}
				rest = rest[i+len(w):]
			}
		})
	}
	t.Run("a clarifying question is printed once", func(t *testing.T) {
		got := runFenlei(t, invocation{args: []string{"chat"}, stdin: "外包\n"}) // no service described
		if got.err != nil {
			t.Fatal(got.err)
		}
		const q = "能否再具体描述"
		if n := strings.Count(got.stdout, q); n != 1 {
			t.Errorf("the question is printed %d times, want once:\n%s", n, got.stdout)
		}
	})
	t.Run("line over 1 MiB does not end the conversation", func(t *testing.T) {
		// README: "nothing is lost from a conversation on an error"; a too-long paste should get an
		// error message, and the next line an answer.
		got := runFenlei(t, invocation{args: []string{"chat"}, stdin: strings.Repeat("软件", 1<<20) + "\n我们给银行做手机APP\n"})
		if got.err != nil || !strings.Contains(got.stdout, "分类：I11") {
			t.Errorf("a chat line over 1 MiB ends the session: err = %v, next line unanswered", got.err)
		}
	})
}
