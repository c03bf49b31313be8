package discord

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"fenlei/bot"
	"fenlei/corpus"
	"fenlei/decision"
	"fenlei/store"
	"fenlei/store/storetest"
	"fenlei/textin"
)

const quoteI11 = "软件研发服务是指为用户提供的软件开发、软件设计、软件测试及相关的技术服务。"

// fakeEngine answers every text with I11 and a verbatim citation, echoing the text in the answer;
// a text containing "boom" fails with an internal error that must never reach the user.
// A text containing "slow" blocks until ctx ends, after closing entered.
type fakeEngine struct {
	mu      sync.Mutex
	texts   []string
	whyNot  []string
	entered chan struct{}
}

func (e *fakeEngine) Answer(ctx context.Context, text string, onDelta func(string)) (decision.Decision, error) {
	e.mu.Lock()
	e.texts = append(e.texts, text)
	e.mu.Unlock()
	if strings.Contains(text, "slow") {
		close(e.entered)
		<-ctx.Done()
		return decision.Decision{}, fmt.Errorf("llm: %w", ctx.Err())
	}
	if strings.Contains(text, "boom") {
		return decision.Decision{}, errors.New("llm: secret internal failure at 10.0.0.7")
	}
	if onDelta != nil {
		onDelta("I11")
	}
	return decision.Decision{
		Code: "I11", Name: "软件研发服务", Path: []string{"ITO", "I1", "I11"}, Confidence: 0.82,
		Candidates: []decision.Candidate{{Code: "I11", Score: 0.82}, {Code: "I13", Score: 0.3}},
		Citations:  []decision.Citation{{Ref: "I11.def", Section: "二、业务分类 › I11 软件研发服务", Quote: quoteI11}},
		Answer:     "归入 I11。您的描述：" + text,
		Engine:     "offline", Kind: decision.KindClassification,
	}, nil
}

func (e *fakeEngine) WhyNot(ctx context.Context, last decision.Decision, other string) (decision.Decision, error) {
	e.mu.Lock()
	e.whyNot = append(e.whyNot, last.Code+"≠"+other)
	e.mu.Unlock()
	return decision.Decision{
		Code: last.Code, Name: last.Name, Kind: decision.KindExplain,
		Answer:    "不是 " + other + "：软件产品测试服务应纳入 I11。",
		Citations: []decision.Citation{{Ref: "I13.exclude.2", Section: "二、业务分类 › I13 测试服务 › 不包括", Quote: "软件产品测试服务，应纳入 I11 软件研发服务。"}},
		Engine:    "offline",
	}, nil
}

func (e *fakeEngine) seen() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.texts...)
}

// fakeGuide is a two-class guide.
type fakeGuide map[string]corpus.Class

func (g fakeGuide) Class(code string) (corpus.Class, bool) {
	c, ok := g[corpus.NormCode(code)]
	return c, ok
}

func (g fakeGuide) PassagesOf(code string) []corpus.Passage {
	if corpus.NormCode(code) != "I11" {
		return nil
	}
	return []corpus.Passage{
		{Ref: "I11.def", Kind: corpus.KindDefinition, Code: "I11", Text: quoteI11},
		{Ref: "I11.typical.1", Kind: corpus.KindTypical, Code: "I11", Title: "典型业务 1：定制软件研发", Text: "根据用户需求定制开发软件。"},
		{Ref: "I11.exclude.1", Kind: corpus.KindExclude, Code: "I11", Text: "软件产品销售，不属于服务外包。"},
	}
}

var testClasses = []corpus.Class{
	{Code: "ITO", Name: "信息技术外包", Level: corpus.Major},
	{Code: "I1", Name: "软件研发服务", Level: corpus.Middle, Parent: "ITO"},
	{Code: "I11", Name: "软件研发服务", NameEN: "Software R&D", Level: corpus.Sub, Parent: "I1"},
	{Code: "I13", Name: "测试服务", Level: corpus.Sub, Parent: "I1"},
}

func testGuide() fakeGuide {
	g := fakeGuide{}
	for _, c := range testClasses {
		g[c.Code] = c
	}
	return g
}

// testLogger sends logs to t.Log until the test ends (discordgo goroutines may outlive it).
func testLogger(t *testing.T) *slog.Logger {
	var done atomic.Bool
	t.Cleanup(func() { done.Store(true) })
	return slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		if !done.Load() {
			t.Log(strings.TrimRight(string(p), "\n"))
		}
		return len(p), nil
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// outgoing is the part of a sent message the tests look at.
type outgoing struct {
	Content         string                     `json:"content"`
	Embeds          []*discordgo.MessageEmbed  `json:"embeds"`
	Flags           int                        `json:"flags"`
	AllowedMentions *struct{ Parse *[]string } `json:"allowed_mentions"`
}

func (o outgoing) embedText() string {
	var b strings.Builder
	for _, e := range o.Embeds {
		b.WriteString(e.Title + "\n" + e.Description + "\n")
		for _, f := range e.Fields {
			b.WriteString(f.Name + "\n" + f.Value + "\n")
		}
	}
	return b.String()
}

// checkNoMentions fails unless allowed_mentions is present with an empty parse list.
func checkNoMentions(t *testing.T, where string, o outgoing) {
	t.Helper()
	if o.AllowedMentions == nil || o.AllowedMentions.Parse == nil || len(*o.AllowedMentions.Parse) != 0 {
		t.Errorf("%s: allowed_mentions = %+v, want {\"parse\": []}", where, o.AllowedMentions)
	}
}

type callback struct {
	Type int      `json:"type"`
	Data outgoing `json:"data"`
}

func interaction(id, user, command string, options ...map[string]any) map[string]any {
	return map[string]any{
		"id": id, "application_id": "200", "type": 2, "token": "tok-" + id, "version": 1,
		"guild_id": "300", "channel_id": "400", "locale": "zh-CN",
		"member": map[string]any{"user": map[string]any{"id": user, "username": "u" + user}},
		"data":   map[string]any{"id": "cmd-" + command, "name": command, "type": 1, "options": options},
	}
}

func opt(name, value string) map[string]any {
	return map[string]any{"name": name, "type": 3, "value": value}
}

func message(id, channel, author, content string, authorBot bool, mentions ...string) map[string]any {
	ms := []any{}
	for _, m := range mentions {
		ms = append(ms, map[string]any{"id": m, "username": "x"})
	}
	return map[string]any{
		"id": id, "channel_id": channel, "guild_id": "300", "type": 0, "content": content,
		"author":   map[string]any{"id": author, "username": "a" + author, "bot": authorBot},
		"mentions": ms, "timestamp": "2026-01-01T00:00:00Z",
	}
}

func isCall(method, path string) func(restCall) bool {
	return func(c restCall) bool { return c.Method == method && c.Path == path }
}

// TestBot runs the bot through discordgo against the fake Discord: gateway handshake, command
// registration, slash commands, mentions, threads, ignored messages, the rate limit and mentions
// in user text.
func TestBot(t *testing.T) {
	fake := newFakeDiscord(t)
	eng := &fakeEngine{}
	lg := testLogger(t)
	prevLogger := discordgo.Logger
	t.Cleanup(func() { discordgo.Logger = prevLogger })
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // never advances: the 3rd request of a user in this test is limited
	db := storetest.Open(t, ":memory:", store.Options{})

	b, err := New(Config{
		Token:         "test-token",
		GuildID:       "300",
		APIBase:       fake.apiBase(),
		Engine:        eng,
		Conversations: bot.New(eng, bot.Options{Logger: lg}),
		Classes:       testClasses,
		Guide:         testGuide(),
		Logger:        lg,
		LibraryLog:    true,
		UserRate:      Rate{Requests: 2, Per: time.Hour},
		Now:           func() time.Time { return clock },
		HTTPClient:    &http.Client{Timeout: 10 * time.Second},
		Recorder:      db,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- b.Run(ctx) }()

	// Handshake: IDENTIFY with the token, a heartbeat ACKed, commands registered in the guild.
	fake.waitFor("IDENTIFY", func() bool { return fake.identified != nil })
	fake.waitFor("a heartbeat", func() bool { return fake.heartbeats > 0 })
	if want := int(discordgo.IntentMessageContent | discordgo.IntentsGuildMessages); fake.identified.Intents&want != want {
		t.Errorf("intents = %b, want message content and guild messages", fake.identified.Intents)
	}
	reg := fake.waitCalls("command registration", 1, isCall("PUT", "applications/200/guilds/300/commands"))[0]
	var cmds []discordgo.ApplicationCommand
	reg.json(t, &cmds)
	var names []string
	for _, c := range cmds {
		names = append(names, c.Name)
	}
	if got, want := strings.Join(names, ","), "classify,ask,category"; got != want {
		t.Errorf("registered commands = %s, want %s", got, want)
	}

	t.Run("classify", func(t *testing.T) {
		fake.dispatch("INTERACTION_CREATE", interaction("1001", "1", "classify", opt("text", "@everyone 为银行定制开发核心业务系统")))
		cb := fake.waitCalls("deferral", 1, isCall("POST", "interactions/1001/tok-1001/callback"))[0]
		var c callback
		cb.json(t, &c)
		if c.Type != int(discordgo.InteractionResponseDeferredChannelMessageWithSource) {
			t.Errorf("callback type = %d, want 5 (deferred)", c.Type)
		}
		edit := fake.waitCalls("edit", 1, isCall("PATCH", "webhooks/200/tok-1001/messages/@original"))[0]
		var o outgoing
		edit.json(t, &o)
		if !strings.Contains(o.Content, "I11") || !strings.Contains(o.Content, "软件研发服务") {
			t.Errorf("content = %q, want code and name", o.Content)
		}
		if !strings.Contains(o.Content, "@everyone") {
			t.Errorf("content = %q, want the user's text echoed (with @everyone, which must not ping)", o.Content)
		}
		if !strings.Contains(o.embedText(), quoteI11) || !strings.Contains(o.embedText(), "I11.def") {
			t.Errorf("embeds = %q, want the citation quote and ref", o.embedText())
		}
		checkNoMentions(t, "edit", o)
		// The answer was recorded before the edit was sent, under a hash of the Discord user.
		var recs []store.Record
		db.Records(t.Context(), store.Query{}, func(r store.Record) error { recs = append(recs, r); return nil })
		if len(recs) != 1 || recs[0].Channel != "discord" || recs[0].Text != "@everyone 为银行定制开发核心业务系统" ||
			recs[0].Decision.Code != "I11" || recs[0].User != db.HashUser("discord:1") {
			t.Errorf("records = %+v", recs)
		}
	})

	t.Run("engine error", func(t *testing.T) {
		fake.dispatch("INTERACTION_CREATE", interaction("1002", "2", "ask", opt("question", "boom?")))
		edit := fake.waitCalls("edit", 1, isCall("PATCH", "webhooks/200/tok-1002/messages/@original"))[0]
		var o outgoing
		edit.json(t, &o)
		if strings.Contains(o.Content, "secret") || strings.Contains(o.Content, "10.0.0.7") {
			t.Errorf("content %q leaks the internal error", o.Content)
		}
		if !strings.Contains(o.Content, "抱歉") { // "boom?" shows no language: the zh-CN client's
			t.Errorf("content = %q, want a clear apology in Chinese", o.Content)
		}
		checkNoMentions(t, "error edit", o)
	})

	t.Run("empty text is refused ephemerally", func(t *testing.T) {
		fake.dispatch("INTERACTION_CREATE", interaction("1003", "3", "classify", opt("text", "   ")))
		cb := fake.waitCalls("callback", 1, isCall("POST", "interactions/1003/tok-1003/callback"))[0]
		var c callback
		cb.json(t, &c)
		if c.Type != int(discordgo.InteractionResponseChannelMessageWithSource) || c.Data.Flags&int(discordgo.MessageFlagsEphemeral) == 0 {
			t.Errorf("callback = type %d flags %d, want an ephemeral message (4, 64)", c.Type, c.Data.Flags)
		}
		if c.Data.Content == "" {
			t.Error("empty refusal message")
		}
		checkNoMentions(t, "refusal", c.Data)
	})

	t.Run("category", func(t *testing.T) {
		fake.dispatch("INTERACTION_CREATE", interaction("1004", "4", "category", opt("code", "i11")))
		cb := fake.waitCalls("callback", 1, isCall("POST", "interactions/1004/tok-1004/callback"))[0]
		var c callback
		cb.json(t, &c)
		if c.Type != int(discordgo.InteractionResponseChannelMessageWithSource) || c.Data.Flags != 0 {
			t.Errorf("callback = type %d flags %d, want a public message", c.Type, c.Data.Flags)
		}
		if !strings.Contains(c.Data.Content, "ITO › I1 › I11") {
			t.Errorf("content = %q, want the path", c.Data.Content)
		}
		for _, want := range []string{quoteI11, "定制软件研发", "软件产品销售，不属于服务外包。"} {
			if !strings.Contains(c.Data.embedText(), want) {
				t.Errorf("embeds = %q, want %q", c.Data.embedText(), want)
			}
		}
		checkNoMentions(t, "category", c.Data)

		autocomplete := interaction("1005", "4", "category", map[string]any{"name": "code", "type": 3, "value": "i1", "focused": true})
		autocomplete["type"] = 4
		fake.dispatch("INTERACTION_CREATE", autocomplete)
		cb = fake.waitCalls("autocomplete", 1, isCall("POST", "interactions/1005/tok-1005/callback"))[0]
		var ac struct {
			Type int `json:"type"`
			Data struct {
				Choices []struct{ Name, Value string }
			} `json:"data"`
		}
		cb.json(t, &ac)
		if ac.Type != 8 || len(ac.Data.Choices) != 3 || ac.Data.Choices[0].Value != "I1" {
			t.Errorf("autocomplete = %+v, want type 8 with I1, I11, I13", ac)
		}
	})

	t.Run("rate limit", func(t *testing.T) {
		for _, id := range []string{"1011", "1012", "1013"} {
			fake.dispatch("INTERACTION_CREATE", interaction(id, "9", "classify", opt("text", "数据中心运维")))
		}
		cbs := fake.waitCalls("3 callbacks", 3, func(c restCall) bool {
			return c.Method == "POST" && strings.HasPrefix(c.Path, "interactions/101") && strings.HasSuffix(c.Path, "/callback")
		})
		deferred, limited := 0, 0
		for _, cb := range cbs {
			var c callback
			cb.json(t, &c)
			switch {
			case c.Type == 5:
				deferred++
			case c.Type == 4 && c.Data.Flags&64 != 0 && strings.Contains(c.Data.Content, "请求太频繁"):
				limited++
			default:
				t.Errorf("unexpected callback %s", cb.Body)
			}
		}
		if deferred != 2 || limited != 1 {
			t.Errorf("deferred %d, limited %d; want 2 and 1 (2 requests per hour)", deferred, limited)
		}
	})

	t.Run("mention opens a thread", func(t *testing.T) {
		// Ignored: a bot mentioning fenlei, and fenlei's own message.
		fake.dispatch("MESSAGE_CREATE", message("2000", "400", "77", "<@100> 来自另一个机器人 bot-text", true, "100"))
		fake.dispatch("MESSAGE_CREATE", message("2001", "400", "100", "<@100> self-text", false, "100"))
		fake.dispatch("MESSAGE_CREATE", message("2002", "400", "5", "<@100> 为银行定制开发核心业务系统 @everyone", false, "100"))

		th := fake.waitCalls("thread", 1, isCall("POST", "channels/400/messages/2002/threads"))[0]
		var ts struct{ Name string }
		th.json(t, &ts)
		if ts.Name != "为银行定制开发核心业务系统 @everyone" {
			t.Errorf("thread name = %q", ts.Name)
		}
		msg := fake.waitCalls("answer in thread", 1, isCall("POST", "channels/501/messages"))[0]
		var o outgoing
		msg.json(t, &o)
		if !strings.Contains(o.Content, "I11") || !strings.Contains(o.embedText(), quoteI11) {
			t.Errorf("thread answer = %q / %q, want I11 and the quote", o.Content, o.embedText())
		}
		if strings.Contains(o.Content, "<@100>") {
			t.Errorf("thread answer %q still has the mention", o.Content)
		}
		checkNoMentions(t, "thread answer", o)

		// A follow-up without a mention continues the conversation (why-not needs the last answer).
		fake.dispatch("MESSAGE_CREATE", message("2003", "501", "5", "为什么不是I13", false))
		fu := fake.waitCalls("follow-up", 2, isCall("POST", "channels/501/messages"))[1]
		fu.json(t, &o)
		if !strings.Contains(o.Content, "不是 I13") || !strings.Contains(o.embedText(), "I13.exclude.2") {
			t.Errorf("follow-up = %q / %q, want the why-not answer", o.Content, o.embedText())
		}
		checkNoMentions(t, "follow-up", o)
		eng.mu.Lock()
		whyNot := strings.Join(eng.whyNot, ",")
		eng.mu.Unlock()
		if whyNot != "I11≠I13" {
			t.Errorf("WhyNot calls = %q, want I11≠I13 (same conversation)", whyNot)
		}

		// A message in a channel that is not the bot's thread, without a mention: ignored.
		fake.dispatch("MESSAGE_CREATE", message("2004", "400", "5", "闲聊 chatter-text", false))
		// A user over the limit in the thread is told once.
		fake.dispatch("MESSAGE_CREATE", message("2005", "501", "5", "再问一个 over-limit", false))
		warn := fake.waitCalls("rate-limit notice", 3, isCall("POST", "channels/501/messages"))[2]
		warn.json(t, &o)
		if !strings.Contains(o.Content, "请求太频繁") {
			t.Errorf("notice = %q, want the rate-limit message", o.Content)
		}
		checkNoMentions(t, "notice", o)
	})

	t.Run("mention where no thread can be opened", func(t *testing.T) {
		fake.dispatch("MESSAGE_CREATE", message("2010", threadChannel, "6", "<@100> 呼叫中心服务", false, "100"))
		msg := fake.waitCalls("reply in place", 1, isCall("POST", "channels/"+threadChannel+"/messages"))[0]
		var o struct {
			outgoing
			Reference struct {
				MessageID string `json:"message_id"`
			} `json:"message_reference"`
		}
		msg.json(t, &o)
		if o.Reference.MessageID != "2010" || !strings.Contains(o.Content, "I11") {
			t.Errorf("reply = %s, want an answer replying to 2010", msg.Body)
		}
		checkNoMentions(t, "reply", o.outgoing)
	})

	t.Run("bare mention", func(t *testing.T) {
		fake.dispatch("MESSAGE_CREATE", message("2020", "410", "7", "<@!100>", false, "100"))
		msg := fake.waitCalls("reply", 1, isCall("POST", "channels/410/messages"))[0]
		var o outgoing
		msg.json(t, &o)
		if !strings.Contains(o.Content, textin.Message(textin.ErrEmpty, "zh")) {
			t.Errorf("reply = %q, want the empty-message text", o.Content)
		}
		for _, c := range fake.snapshot() {
			if strings.HasPrefix(c.Path, "channels/410/messages/2020/threads") {
				t.Error("opened a thread for an empty mention")
			}
		}
	})

	cancel()
	if err := <-runErr; err != nil {
		t.Fatalf("Run: %v", err)
	}

	for _, c := range fake.snapshot() {
		if c.Auth != "Bot test-token" {
			t.Errorf("%s %s: Authorization %q", c.Method, c.Path, c.Auth)
		}
		for _, bad := range []string{"bot-text", "self-text", "chatter-text", "over-limit"} {
			if strings.Contains(string(c.Body), bad) {
				t.Errorf("%s %s answered an ignored message (%s): %s", c.Method, c.Path, bad, c.Body)
			}
		}
		if strings.HasPrefix(c.Path, "channels/400/messages/2000") || strings.HasPrefix(c.Path, "channels/400/messages/2001") {
			t.Errorf("opened a thread for an ignored message: %s", c.Path)
		}
	}
	for _, text := range eng.seen() {
		if strings.Contains(text, "<@") {
			t.Errorf("engine saw the mention: %q", text)
		}
		for _, bad := range []string{"bot-text", "self-text", "chatter-text", "over-limit"} {
			if strings.Contains(text, bad) {
				t.Errorf("engine saw an ignored message: %q", text)
			}
		}
	}
}

// TestShutdown: an answer in flight when Run's context ends is cut short, the user is told the
// bot is restarting (REST still works after the gateway closed), and Run waits for it.
func TestShutdown(t *testing.T) {
	fake := newFakeDiscord(t)
	eng := &fakeEngine{entered: make(chan struct{})}
	cancel, runErr := runBot(t, fake, eng, testLogger(t))
	fake.waitCalls("global command registration", 1, isCall("PUT", "applications/200/commands"))

	fake.dispatch("INTERACTION_CREATE", interaction("3001", "1", "ask", opt("question", "a slow question")))
	<-eng.entered
	cancel()
	if err := <-runErr; err != nil {
		t.Fatalf("Run: %v", err)
	}
	var edit []restCall
	for _, c := range fake.snapshot() {
		if isCall("PATCH", "webhooks/200/tok-3001/messages/@original")(c) {
			edit = append(edit, c)
		}
	}
	if len(edit) != 1 {
		t.Fatalf("%d edits after Run returned, want 1; calls:\n%s", len(edit), fake.dump())
	}
	var o outgoing
	edit[0].json(t, &o)
	if !strings.Contains(o.Content, "restarting") {
		t.Errorf("edit = %q, want the restart notice", o.Content)
	}
}

// TestShutdownWhileRegistering: a stop that comes while the commands are being registered is a
// clean shutdown, not a start-up failure.
func TestShutdownWhileRegistering(t *testing.T) {
	fake := newFakeDiscord(t)
	fake.mu.Lock()
	fake.holdCommands = true
	fake.mu.Unlock()
	cancel, runErr := runBot(t, fake, &fakeEngine{}, testLogger(t))
	fake.waitCalls("global command registration", 1, isCall("PUT", "applications/200/commands"))
	cancel()
	if err := <-runErr; err != nil {
		t.Fatalf("Run: %v, want nil after a stop during registration", err)
	}
}

// TestRunErrors: Run reports a gateway it cannot reach and a token Discord refuses.
// runBot runs a bot with the defaults against fake until the test ends or cancel is called; Run's
// error arrives on runErr.
func runBot(t *testing.T, fake *fakeDiscord, eng *fakeEngine, lg *slog.Logger) (cancel context.CancelFunc, runErr <-chan error) {
	t.Helper()
	b, err := New(Config{Token: "test-token", APIBase: fake.apiBase(), Engine: eng,
		Conversations: bot.New(eng, bot.Options{}), Logger: lg, HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	errc := make(chan error, 1)
	go func() { errc <- b.Run(ctx) }()
	return cancel, errc
}

// syncBuffer is a log sink safe for the bot's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWithoutMessageContentIntent: when the gateway closes with 4014 the bot says what to enable,
// runs without the intent, still answers mentions, and tells a thread once that it cannot read
// messages that do not mention it.
func TestWithoutMessageContentIntent(t *testing.T) {
	fake := newFakeDiscord(t)
	fake.noContentIntent = true
	eng := &fakeEngine{}
	logs := &syncBuffer{}
	cancel, runErr := runBot(t, fake, eng, slog.New(slog.NewTextHandler(logs, nil)))

	fake.waitCalls("command registration", 1, isCall("PUT", "applications/200/commands"))
	fake.mu.Lock()
	idents := append([]int(nil), fake.identifies...)
	fake.mu.Unlock()
	content := int(discordgo.IntentMessageContent)
	if len(idents) != 2 || idents[0]&content == 0 || idents[1]&content != 0 {
		t.Errorf("IDENTIFY intents = %b, want one with Message Content, then one without", idents)
	}
	if l := logs.String(); !strings.Contains(l, "Message Content Intent") || !strings.Contains(l, "Developer Portal") {
		t.Errorf("log does not say what to enable:\n%s", l)
	}

	// A mention still opens a thread and is answered.
	fake.dispatch("MESSAGE_CREATE", message("3001", "410", "7", "<@100> 为银行定制开发核心业务系统", false, "100"))
	fake.waitCalls("answer in the thread", 1, isCall("POST", "channels/501/messages"))
	// A follow-up without a mention arrives without its text: the thread is told once to mention the bot.
	fake.dispatch("MESSAGE_CREATE", message("3002", "501", "7", "", false))
	hint := fake.waitCalls("hint", 2, isCall("POST", "channels/501/messages"))[1]
	var o outgoing
	hint.json(t, &o)
	if !strings.Contains(o.Content, "@") || !strings.Contains(o.Content, "Message Content") {
		t.Errorf("hint = %q, want it to ask for a mention", o.Content)
	}
	cancel()
	if err := <-runErr; err != nil {
		t.Errorf("Run: %v", err)
	}
	eng.mu.Lock()
	n := len(eng.texts)
	eng.mu.Unlock()
	if n != 1 {
		t.Errorf("engine asked %d times, want once (the unreadable message is not a turn)", n)
	}
}

func TestRunErrors(t *testing.T) {
	fake := newFakeDiscord(t)
	for _, tc := range []struct{ name, token, base string }{
		{"bad token", "wrong", fake.apiBase()},
		{"no gateway", "test-token", fake.srv.URL + "/nothing/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng := &fakeEngine{}
			b, err := New(Config{Token: tc.token, APIBase: tc.base, Engine: eng, Conversations: bot.New(eng, bot.Options{}), Logger: testLogger(t)})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Run(t.Context()); err == nil {
				t.Fatal("Run succeeded")
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	eng := &fakeEngine{}
	conv := bot.New(eng, bot.Options{})
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no token", Config{Engine: eng, Conversations: conv}, "Token"},
		{"no engine", Config{Token: "t", Conversations: conv}, "Engine"},
		{"no conversations", Config{Token: "t", Engine: eng}, "Conversations"},
		{"relative base", Config{Token: "t", Engine: eng, Conversations: conv, APIBase: "/api/"}, "APIBase"},
		{"ftp base", Config{Token: "t", Engine: eng, Conversations: conv, APIBase: "ftp://x/"}, "APIBase"},
		{"ok", Config{Token: "t", Engine: eng, Conversations: conv}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("New: %v, want an error about %s", err, tc.want)
			}
		})
	}
}

func TestSlogBridge(t *testing.T) {
	var got []string
	lg := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		got = append(got, string(p))
		return len(p), nil
	}), &slog.HandlerOptions{Level: slog.LevelInfo}))
	f := slogBridge(lg)
	f(discordgo.LogError, 1, "gateway %s failed", "x")
	f(discordgo.LogDebug, 1, "noise")
	if len(got) != 1 || !strings.Contains(got[0], "level=ERROR") || !strings.Contains(got[0], `detail="gateway x failed"`) {
		t.Errorf("logged %q", got)
	}
}

func TestHelpers(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"<@100> 软件测试", "软件测试"},
		{"请问 <@!100>  数据标注 <@100>", "请问 数据标注"},
		{"<@200> 软件测试", "<@200> 软件测试"},
	} {
		if got := stripMention(tc.in, "100"); got != tc.want {
			t.Errorf("stripMention(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"", "fenlei"},
		{"第一行\n第二行", "第一行"},
		{strings.Repeat("长", 300), strings.Repeat("长", 79) + "…"},
	} {
		if got := threadName(tc.in); got != tc.want {
			t.Errorf("threadName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	var codes []string
	for _, c := range suggest(testClasses, "测试") {
		codes = append(codes, fmt.Sprint(c.Value))
	}
	if got := strings.Join(codes, ","); got != "I13" {
		t.Errorf("suggest(测试) = %s", got)
	}
	if got := len(suggest(make([]corpus.Class, 60), "")); got != 25 {
		t.Errorf("suggest returned %d choices, want at most 25", got)
	}
}

var _ io.Writer = writerFunc(nil)
