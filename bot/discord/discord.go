// Package discord is fenlei's Discord bot (`fenlei discord`). It is the only package that
// imports discordgo.
//
// It promises:
//   - three slash commands, registered when Run starts (per guild when Config.GuildID is set, so
//     they appear at once; globally otherwise): /classify text:, /ask question: (both answered by
//     Config.Engine) and /category code: (a class's name, path, definition, typical businesses and
//     exclusions, quoted from Config.Guide; code autocompletes from Config.Classes);
//   - /classify and /ask are acknowledged at once with a deferred response (type 5, well within
//     Discord's 3 s), and the original response is then edited to carry the Decision: code, name
//     and answer in the content, citations as embeds (see RenderDecision);
//   - a message that mentions the bot opens a thread from that message and is answered there;
//     later messages in that thread, mention or not, continue the conversation through
//     Config.Conversations with id "discord:"+threadID. Messages from bots (the bot itself
//     included) and webhooks are ignored. The mention is stripped before the text is classified;
//   - every message sent carries allowed_mentions {"parse": []}: "@everyone" or a role in user
//     text pings nobody; every message is within Discord's size limits (see Clamp);
//   - a per-user token bucket (Config.UserRate, default 5 per minute, on an injectable clock)
//     guards every command and message (autocomplete excepted); a user over the limit in a thread
//     is told once, not once per message;
//   - errors become a short message in the user's language (textin.Message's sentences for empty,
//     too long and unreadable text, engine failures and answers not recorded; the rate limit; a
//     restart), never a crash (a panic
//     in a handler is recovered and logged) and never internals, which are only logged. Errors
//     found before an answer starts (rate limit, invalid text, unknown /category code) are
//     ephemeral replies; an engine failure replaces the deferred response, which Discord does not
//     let turn ephemeral. /category needs no engine, so it is answered at once (type 4), not deferred.
//
// The REST base is configurable (Config.APIBase, e.g. a Discord API proxy or a test fake) without
// touching discordgo's package-level Endpoint* variables: discordgo still builds
// https://discord.com/api/v9/… URLs, and the *http.Client given to the session has a RoundTripper
// that rebases every https://discord.com/api/v<N>/… request onto APIBase (default
// https://discord.com/api/v10/, so REST speaks v10 while the gateway is opened with discordgo's
// ?v=9). The gateway URL is whatever GET {APIBase}gateway answers, so a proxy or fake controls it too.
// Several Bots with different bases can share a process.
//
// discordgo's logger is a process-wide variable (discordgo.Logger). New leaves it alone unless
// Config.LibraryLog is set; then it points it at Config.Logger (the last such Bot wins).
//
// The bot asks for the privileged Message Content intent, which lets it read follow-up messages in
// its threads that do not mention it. When the gateway refuses it (close code 4014, "Disallowed
// intent(s)": the intent is not enabled under Bot › Privileged Gateway Intents in the Developer
// Portal), Run logs what to enable and connects again without it: slash commands, mentions and
// replies that mention the bot still work; a thread message it cannot read gets a one-time hint to
// mention the bot.
//
// Text from Discord goes through textin like every channel's: normalised, validated, and answered in
// the language of the text (or of the user's Discord client when the text shows none).
package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"fenlei/bot"
	"fenlei/corpus"
	"fenlei/decision"
	"fenlei/textin"
)

// Guide shows a class's definition; *corpus.Guidance satisfies it.
type Guide interface {
	Class(code string) (corpus.Class, bool)
	PassagesOf(code string) []corpus.Passage
}

// Conversations keeps multi-turn conversations; *bot.Conversations satisfies it.
type Conversations interface {
	Turn(ctx context.Context, id, text string, onDelta func(string)) (decision.Decision, error)
	End(id string)
}

var (
	_ Guide         = (*corpus.Guidance)(nil)
	_ Conversations = (*bot.Conversations)(nil)
)

// Config configures a Bot. Token, Engine and Conversations are required.
type Config struct {
	Token   string // bot token, with or without the "Bot " prefix
	GuildID string // optional: register the commands in this guild only (available at once)
	APIBase string // REST base; default DefaultAPIBase. Discord API proxies and tests set it.

	Engine        bot.Engine     // answers /classify and /ask
	Conversations Conversations  // answers mentions and thread messages
	Classes       []corpus.Class // /category: autocompletion of code, and a class's sub-classes
	Guide         Guide          // /category: classes and passages; nil leaves /category out
	Recorder      Recorder       // records every answer before it is sent (nil: none recorded)

	Logger     *slog.Logger     // default: discards
	LibraryLog bool             // point discordgo's process-wide Logger at Logger
	UserRate   Rate             // per-user limit; zero value: 5 per minute
	Now        func() time.Time // clock of the rate limiter and thread bookkeeping; default time.Now
	HTTPClient *http.Client     // REST client; its Transport is wrapped to rebase URLs. Default: 20 s timeout.
	Timeout    time.Duration    // limit on one answer; default 2 minutes
}

// Bot is a Discord bot serving fenlei. Create it with New and start it with Run.
type Bot struct {
	cfg     Config
	lg      *slog.Logger
	s       *discordgo.Session
	limit   *limiter
	now     func() time.Time
	timeout time.Duration

	mu      sync.Mutex
	runCtx  context.Context
	started bool
	closing bool
	userID  string
	appID   string
	threads map[string]time.Time // threads the bot opened → last activity
	hinted  map[string]bool      // threads told that unmentioned messages cannot be read
	noRead  bool                 // running without the Message Content intent
	wg      sync.WaitGroup       // handlers in flight
}

// maxThreads bounds the set of threads the bot remembers; the least recently active are forgotten.
const maxThreads = 10000

// Command names and limits.
const (
	cmdClassify = "classify"
	cmdAsk      = "ask"
	cmdCategory = "category"
	maxInput    = 2000 // max_length of the text options
	restTimeout = 15 * time.Second
)

// New checks cfg and prepares the session; it does not connect (Run does).
func New(cfg Config) (*Bot, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("discord.New: Token is required")
	}
	if cfg.Engine == nil {
		return nil, errors.New("discord.New: Engine is required")
	}
	if cfg.Conversations == nil {
		return nil, errors.New("discord.New: Conversations is required")
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	rt, err := newRebase(cfg.APIBase, hc.Transport)
	if err != nil {
		return nil, fmt.Errorf("discord.New: %w", err)
	}
	client := *hc
	client.Transport = rt

	token := strings.TrimSpace(cfg.Token)
	if !strings.HasPrefix(token, "Bot ") && !strings.HasPrefix(token, "Bearer ") {
		token = "Bot " + token
	}
	s, err := discordgo.New(token)
	if err != nil {
		return nil, fmt.Errorf("discord.New: %w", err)
	}
	s.Client = &client
	s.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentMessageContent
	if cfg.LibraryLog {
		discordgo.Logger = slogBridge(lg)
		s.LogLevel = discordgo.LogWarning
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	return &Bot{
		cfg:     cfg,
		lg:      lg,
		s:       s,
		limit:   newLimiter(cfg.UserRate, now),
		now:     now,
		timeout: timeout,
		threads: map[string]time.Time{},
		hinted:  map[string]bool{},
	}, nil
}

// Run connects to the gateway, registers the slash commands and serves events until ctx ends;
// then it closes the session and waits for the answers in flight (their engine calls see ctx
// cancelled). It returns nil after a clean shutdown, or the error that kept it from starting.
// Run may be called once.
func (b *Bot) Run(ctx context.Context) error {
	b.mu.Lock()
	if b.started {
		b.mu.Unlock()
		return errors.New("discord.Run: already started")
	}
	b.started = true
	b.runCtx = ctx
	b.mu.Unlock()

	removers := []func(){
		b.s.AddHandler(b.onReady),
		b.s.AddHandler(b.onInteraction),
		b.s.AddHandler(b.onMessage),
		b.s.AddHandler(b.onThreadDelete),
	}
	defer func() {
		for _, rm := range removers {
			rm()
		}
	}()

	if err := b.s.Open(); err != nil {
		if !disallowedIntent(err) {
			return fmt.Errorf("discord.Run: open gateway: %w", err)
		}
		b.lg.Warn("discord: the Message Content intent is not enabled for this bot; running without it. " +
			"Slash commands and messages that mention the bot work; to let it read follow-ups in its threads without a mention, " +
			"enable Bot › Privileged Gateway Intents › Message Content Intent in the Discord Developer Portal and restart")
		b.s.Identify.Intents &^= discordgo.IntentMessageContent
		b.mu.Lock()
		b.noRead = true
		b.mu.Unlock()
		if err := b.s.Open(); err != nil {
			if disallowedIntent(err) {
				return fmt.Errorf("discord.Run: open gateway: the gateway refused the intents %d too (close 4014): %w", b.s.Identify.Intents, err)
			}
			return fmt.Errorf("discord.Run: open gateway: %w", err)
		}
	}
	b.s.State.RLock()
	ready := b.s.State.Ready
	b.s.State.RUnlock()
	b.setIDs(&ready)
	userID, appID := b.ids()
	if appID == "" {
		b.shutdown()
		return errors.New("discord.Run: READY carried no application or user id")
	}

	cmds := b.commands()
	if _, err := b.s.ApplicationCommandBulkOverwrite(appID, b.cfg.GuildID, cmds, discordgo.WithContext(ctx)); err != nil {
		b.shutdown()
		if ctx.Err() != nil {
			// Stopped while registering: a shutdown, not a failure.
			b.lg.Info("discord stopped before its commands were registered")
			return nil
		}
		return fmt.Errorf("discord.Run: register commands: %w", err)
	}
	b.lg.Info("discord ready", "user", userID, "application", appID, "guild", b.cfg.GuildID, "commands", len(cmds))

	<-ctx.Done()
	b.shutdown()
	b.lg.Info("discord stopped")
	return nil
}

// disallowedIntent reports whether the gateway closed with 4014: a privileged intent the bot asked
// for is not enabled in the Developer Portal.
func disallowedIntent(err error) bool {
	var ce *websocket.CloseError
	return errors.As(err, &ce) && ce.Code == 4014
}

// shutdown stops taking events, closes the gateway and waits for the handlers in flight.
func (b *Bot) shutdown() {
	b.mu.Lock()
	b.closing = true
	b.mu.Unlock()
	if err := b.s.Close(); err != nil {
		b.lg.Warn("discord close", "err", err)
	}
	b.wg.Wait()
}

// enter registers a handler in flight; it returns false once the bot is shutting down.
// The caller must call the returned func when done.
func (b *Bot) enter(event string) (done func(), ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing || b.runCtx == nil {
		return nil, false
	}
	b.wg.Add(1)
	return func() {
		if r := recover(); r != nil {
			b.lg.Error("discord handler panic", "event", event, "panic", r, "stack", string(debug.Stack()))
		}
		b.wg.Done()
	}, true
}

func (b *Bot) setIDs(r *discordgo.Ready) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r.User != nil && r.User.ID != "" {
		b.userID = r.User.ID
	}
	switch {
	case r.Application != nil && r.Application.ID != "":
		b.appID = r.Application.ID
	case b.appID == "":
		b.appID = b.userID // a bot's application id is its user id
	}
}

func (b *Bot) ids() (userID, appID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.userID, b.appID
}

// restCtx is the context of REST calls made while answering: it outlives a cancelled Run
// context, so that a user still gets a message while the bot shuts down.
func (b *Bot) restCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(b.runCtx), restTimeout)
}

func (b *Bot) commands() []*discordgo.ApplicationCommand {
	cmds := []*discordgo.ApplicationCommand{
		{
			Name:        cmdClassify,
			Description: "归入服务外包统计分类 / Classify a service",
			Options: []*discordgo.ApplicationCommandOption{{
				Type: discordgo.ApplicationCommandOptionString, Name: "text", Required: true, MaxLength: maxInput,
				Description: "服务描述 / Description of the service",
			}},
		},
		{
			Name:        cmdAsk,
			Description: "就《统计指导》提问 / Ask about the guidance",
			Options: []*discordgo.ApplicationCommandOption{{
				Type: discordgo.ApplicationCommandOptionString, Name: "question", Required: true, MaxLength: maxInput,
				Description: "问题 / Your question",
			}},
		},
	}
	if b.cfg.Guide != nil {
		cmds = append(cmds, &discordgo.ApplicationCommand{
			Name:        cmdCategory,
			Description: "查看类别定义 / Show a class's definition",
			Options: []*discordgo.ApplicationCommandOption{{
				Type: discordgo.ApplicationCommandOptionString, Name: "code", Required: true, MaxLength: 8,
				Autocomplete: len(b.cfg.Classes) > 0,
				Description:  "类别代码，如 I11 / Class code, e.g. I11",
			}},
		})
	}
	return cmds
}

func (b *Bot) onReady(_ *discordgo.Session, r *discordgo.Ready) { b.setIDs(r) }

func (b *Bot) onThreadDelete(_ *discordgo.Session, t *discordgo.ThreadDelete) {
	if t.Channel == nil {
		return
	}
	b.mu.Lock()
	_, ours := b.threads[t.ID]
	delete(b.threads, t.ID)
	delete(b.hinted, t.ID)
	b.mu.Unlock()
	if ours {
		b.cfg.Conversations.End(conversationID(t.ID))
	}
}

func conversationID(threadID string) string { return "discord:" + threadID }

// ---- interactions ----

func (b *Bot) onInteraction(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
	done, ok := b.enter("interaction")
	if !ok {
		return
	}
	defer done()
	i := ic.Interaction
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		b.command(i)
	case discordgo.InteractionApplicationCommandAutocomplete:
		b.autocomplete(i)
	}
}

// langOf is the language to answer in: that of the text, or of the user's Discord client
// when the text shows none.
func langOf(text string, locale discordgo.Locale) string {
	return textin.Lang(textin.Clean(text), textin.AcceptLanguage(string(locale)))
}

func interactionUser(i *discordgo.Interaction) string {
	switch {
	case i.Member != nil && i.Member.User != nil:
		return i.Member.User.ID
	case i.User != nil:
		return i.User.ID
	}
	return ""
}

func (b *Bot) command(i *discordgo.Interaction) {
	data := i.ApplicationCommandData()
	user := interactionUser(i)
	lg := b.lg.With("interaction", i.ID, "command", data.Name, "user", user)
	option := func(name string) string {
		if o := data.GetOption(name); o != nil && o.Type == discordgo.ApplicationCommandOptionString {
			return o.StringValue()
		}
		return ""
	}

	var text string
	switch data.Name {
	case cmdClassify:
		text = option("text")
	case cmdAsk:
		text = option("question")
	case cmdCategory:
		text = option("code")
	default:
		b.respondNow(i, RenderError("Unknown command / 未知命令"), true, lg)
		return
	}
	lang := langOf(text, i.Locale)
	if ok, wait, _ := b.limit.allow(user); !ok {
		lg.Info("discord rate limited", "wait", wait)
		b.respondNow(i, RenderError(rateText(wait, lang)), true, lg)
		return
	}
	if data.Name == cmdCategory {
		b.category(i, text, lang, lg)
		return
	}
	in, err := textin.ParseLang(text, 0, lang)
	if err != nil {
		lg.Info("discord refused", "err", err)
		b.respondNow(i, RenderError(textin.Message(err, lang)), true, lg)
		return
	}

	rctx, cancel := b.restCtx()
	err = b.s.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
	}, discordgo.WithContext(rctx))
	cancel()
	if err != nil {
		lg.Error("discord defer", "err", err)
		return
	}

	ctx, cancel := context.WithTimeout(b.runCtx, b.timeout)
	start := time.Now()
	d, err := b.cfg.Engine.Answer(ctx, in.Match, func(string) {})
	cancel()
	d, err = b.record("discord:"+i.ChannelID, user, text, d, err, time.Since(start))
	msg := b.render(d, err, lang, lg)
	rctx, cancel = b.restCtx()
	defer cancel()
	embeds := msg.Embeds
	if embeds == nil {
		embeds = []*discordgo.MessageEmbed{}
	}
	if _, err := b.s.InteractionResponseEdit(i, &discordgo.WebhookEdit{
		Content:         &msg.Content,
		Embeds:          &embeds,
		AllowedMentions: noMentions(),
	}, discordgo.WithContext(rctx)); err != nil {
		lg.Error("discord edit response", "err", err)
	}
}

// respondNow answers an interaction with a message at once (type 4), ephemeral if asked.
func (b *Bot) respondNow(i *discordgo.Interaction, msg Message, ephemeral bool, lg *slog.Logger) {
	data := &discordgo.InteractionResponseData{
		Content:         msg.Content,
		Embeds:          msg.Embeds,
		AllowedMentions: noMentions(),
	}
	if ephemeral {
		data.Flags = discordgo.MessageFlagsEphemeral
	}
	rctx, cancel := b.restCtx()
	defer cancel()
	if err := b.s.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: data,
	}, discordgo.WithContext(rctx)); err != nil {
		lg.Error("discord respond", "err", err)
	}
}

// category answers /category at once: a lookup in the guide needs no deferral.
func (b *Bot) category(i *discordgo.Interaction, code, lang string, lg *slog.Logger) {
	code = corpus.NormCode(code)
	c, ok := corpus.Class{}, false
	if b.cfg.Guide != nil {
		c, ok = b.cfg.Guide.Class(code)
	}
	if !ok {
		text := fmt.Sprintf("No class %q: pick one from the suggestions, e.g. I11.", code)
		if lang == "zh" {
			text = fmt.Sprintf("没有类别 %q：请从建议中选择，例如 I11。", code)
		}
		b.respondNow(i, RenderError(text), true, lg)
		return
	}
	var path []string
	for p, ok := c, true; ok && len(path) < 4; p, ok = b.cfg.Guide.Class(p.Parent) {
		path = append([]string{p.Code}, path...)
		if p.Parent == "" {
			break
		}
	}
	var children []corpus.Class
	for _, ch := range b.cfg.Classes {
		if ch.Parent == c.Code {
			children = append(children, ch)
		}
	}
	lg.Info("discord category", "code", c.Code)
	b.respondNow(i, RenderCategory(c, path, children, b.cfg.Guide.PassagesOf(c.Code)), false, lg)
}

// autocomplete suggests up to 25 classes whose code starts with, or whose name contains, the input.
func (b *Bot) autocomplete(i *discordgo.Interaction) {
	var typed string
	for _, o := range i.ApplicationCommandData().Options {
		if o.Focused {
			typed, _ = o.Value.(string)
		}
	}
	choices := suggest(b.cfg.Classes, typed)
	rctx, cancel := b.restCtx()
	defer cancel()
	if err := b.s.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices},
	}, discordgo.WithContext(rctx)); err != nil {
		b.lg.Error("discord autocomplete", "interaction", i.ID, "err", err)
	}
}

func suggest(classes []corpus.Class, typed string) []*discordgo.ApplicationCommandOptionChoice {
	q := strings.TrimSpace(typed)
	uq := strings.ToUpper(q)
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	for _, c := range classes {
		if len(choices) == 25 {
			break
		}
		if q == "" || strings.HasPrefix(c.Code, uq) || strings.Contains(c.Name, q) ||
			strings.Contains(strings.ToLower(c.NameEN), strings.ToLower(q)) {
			choices = append(choices, &discordgo.ApplicationCommandOptionChoice{
				Name: truncate(c.Code+" "+c.Name, 100), Value: c.Code,
			})
		}
	}
	return choices
}

// ---- messages and threads ----

func (b *Bot) onMessage(_ *discordgo.Session, mc *discordgo.MessageCreate) {
	m := mc.Message
	if m == nil || m.Author == nil || m.Author.Bot || m.WebhookID != "" {
		return
	}
	if m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply {
		return
	}
	userID, _ := b.ids()
	if userID == "" || m.Author.ID == userID {
		return
	}
	mentioned := false
	for _, u := range m.Mentions {
		if u != nil && u.ID == userID {
			mentioned = true
		}
	}
	inThread := b.ownThread(m.ChannelID, userID)
	if !mentioned && !inThread {
		return
	}
	done, ok := b.enter("message")
	if !ok {
		return
	}
	defer done()
	lg := b.lg.With("channel", m.ChannelID, "message", m.ID, "user", m.Author.ID)

	if ok, wait, warn := b.limit.allow(m.Author.ID); !ok {
		lg.Info("discord rate limited", "wait", wait, "told", warn)
		if warn {
			b.send(m.ChannelID, RenderError(rateText(wait, langOf(m.Content, ""))), reference(m), lg)
		}
		return
	}
	text := stripMention(m.Content, userID)
	lang := langOf(text, "")

	if inThread && !mentioned && strings.TrimSpace(m.Content) == "" && b.cannotRead() {
		// Without the Message Content intent Discord sends unmentioned messages without their text.
		if b.firstHint(m.ChannelID) {
			b.send(m.ChannelID, RenderError(unreadText()), reference(m), lg)
		}
		lg.Info("discord unreadable message", "thread", m.ChannelID)
		return
	}
	if inThread {
		b.turn(m.ChannelID, m.Author.ID, text, lang, lg)
		return
	}
	if err := textin.Check(text, 0); err != nil {
		// Nothing worth a thread ("@fenlei" alone, binary…): say so in place.
		lg.Info("discord refused", "err", err)
		b.send(m.ChannelID, RenderError(textin.Message(err, lang)), reference(m), lg)
		return
	}
	rctx, cancel := b.restCtx()
	th, err := b.s.MessageThreadStartComplex(m.ChannelID, m.ID, &discordgo.ThreadStart{
		Name:                threadName(text),
		AutoArchiveDuration: 1440,
	}, discordgo.WithContext(rctx))
	cancel()
	if err != nil || th == nil || th.ID == "" {
		// Not allowed here (a thread already, missing permission…): answer in place, one-shot.
		lg.Warn("discord start thread", "err", err)
		b.oneShot(m, text, lang, lg)
		return
	}
	b.markThread(th.ID)
	lg.Info("discord thread", "thread", th.ID)
	b.turn(th.ID, m.Author.ID, text, lang, lg.With("thread", th.ID))
}

// turn answers text as the next turn of the thread's conversation, in the thread. Errors are told
// in the conversation's language when the text shows none.
func (b *Bot) turn(threadID, user, text, lang string, lg *slog.Logger) {
	ctx, cancel := context.WithTimeout(b.runCtx, b.timeout)
	start := time.Now()
	d, err := b.cfg.Conversations.Turn(ctx, conversationID(threadID), text, func(string) {})
	cancel()
	d, err = b.record(conversationID(threadID), user, text, d, err, time.Since(start))
	if err != nil && d.Lang != "" {
		lang = d.Lang
	}
	b.send(threadID, b.render(d, err, lang, lg), nil, lg)
}

// oneShot answers a mention in place, replying to it, without a conversation.
func (b *Bot) oneShot(m *discordgo.Message, text, lang string, lg *slog.Logger) {
	ctx, cancel := context.WithTimeout(b.runCtx, b.timeout)
	start := time.Now()
	d, err := b.cfg.Engine.Answer(ctx, textin.Clean(text), func(string) {})
	cancel()
	d, err = b.record("discord:"+m.ChannelID, m.Author.ID, text, d, err, time.Since(start))
	b.send(m.ChannelID, b.render(d, err, lang, lg), reference(m), lg)
}

// render is the message for an answer or for the error that replaced it.
func (b *Bot) render(d decision.Decision, err error, lang string, lg *slog.Logger) Message {
	if err != nil {
		if textin.UserError(err) {
			lg.Info("discord refused", "err", err)
		} else {
			lg.Error("discord answer", "err", err)
		}
		return RenderError(b.errorText(err, lang))
	}
	lg.Info("discord answer", "code", d.Code, "engine", d.Engine)
	return RenderDecision(d)
}

func (b *Bot) send(channelID string, msg Message, ref *discordgo.MessageReference, lg *slog.Logger) {
	rctx, cancel := b.restCtx()
	defer cancel()
	if _, err := b.s.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{
		Content:         msg.Content,
		Embeds:          msg.Embeds,
		AllowedMentions: noMentions(),
		Reference:       ref,
	}, discordgo.WithContext(rctx)); err != nil {
		lg.Error("discord send", "to", channelID, "err", err)
	}
}

func reference(m *discordgo.Message) *discordgo.MessageReference {
	no := false
	return &discordgo.MessageReference{MessageID: m.ID, ChannelID: m.ChannelID, GuildID: m.GuildID, FailIfNotExists: &no}
}

// ownThread reports whether channelID is a thread the bot opened: remembered since it opened
// it, or known from the gateway state (a thread owned by the bot, e.g. after a restart).
func (b *Bot) ownThread(channelID, userID string) bool {
	b.mu.Lock()
	_, ok := b.threads[channelID]
	if ok {
		b.threads[channelID] = b.now()
	}
	b.mu.Unlock()
	if ok {
		return true
	}
	if ch, err := b.s.State.Channel(channelID); err == nil && ch.IsThread() && ch.OwnerID == userID {
		b.markThread(channelID)
		return true
	}
	return false
}

func (b *Bot) markThread(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.threads) >= maxThreads {
		var oldest string
		var at time.Time
		for k, t := range b.threads {
			if oldest == "" || t.Before(at) {
				oldest, at = k, t
			}
		}
		delete(b.threads, oldest)
	}
	b.threads[id] = b.now()
}

// stripMention removes the bot's mentions (<@id> and <@!id>) from content.
func stripMention(content, userID string) string {
	s := strings.ReplaceAll(content, "<@"+userID+">", " ")
	s = strings.ReplaceAll(s, "<@!"+userID+">", " ")
	return strings.TrimSpace(strings.Join(strings.Fields(s), " "))
}

// threadName is the first line of text, shortened to fit Discord's 100-character limit.
func threadName(text string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
	line = strings.TrimSpace(line)
	if line == "" {
		return "fenlei"
	}
	return truncate(line, 80)
}

// ---- errors users see ----

// rateText tells a user when to try again, in lang ("zh" or "en").
func rateText(wait time.Duration, lang string) string {
	sec := int((wait + time.Second - 1) / time.Second)
	if sec < 1 {
		sec = 1
	}
	if lang == "zh" {
		return fmt.Sprintf("请求太频繁，请 %d 秒后再试。", sec)
	}
	return fmt.Sprintf("Too many requests; please try again in %d s.", sec)
}

// errorText is what a user is told about err, in lang: bot.Message's sentence, or that the bot
// is restarting when Run's context has ended. Internals stay in the log.
func (b *Bot) errorText(err error, lang string) string {
	if b.runCtx.Err() != nil {
		if lang == "zh" {
			return "服务正在重启，请稍后再试。"
		}
		return "fenlei is restarting; please try again shortly."
	}
	return textin.Message(err, lang)
}

// unreadText tells a user in a thread that the bot cannot read messages that do not mention it.
func unreadText() string {
	return "我读不到没有 @ 我的消息（此机器人未开启 Message Content 权限）：请在消息里 @ 我。\n" +
		"I cannot read messages that do not mention me (the Message Content intent is off for this bot): please @mention me."
}

// cannotRead reports whether the bot runs without the Message Content intent.
func (b *Bot) cannotRead() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.noRead
}

// firstHint reports whether thread id has not been told yet that unmentioned messages are unreadable, and marks it told.
func (b *Bot) firstHint(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.hinted[id] || len(b.hinted) >= maxThreads {
		return false
	}
	b.hinted[id] = true
	return true
}
