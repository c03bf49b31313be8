// Package bot is the conversation engine shared by every chat channel (web, websocket, Discord).
//
// It promises:
//   - Turn normalises and validates a message with textin before anything else happens
//     (textin.ErrEmpty for a message without a letter or digit, textin.ErrTooLong over
//     Options.MaxMessage characters, textin.ErrNotText for binary text). On any error, including one
//     from the Engine, the conversation is left exactly as it was, and the Decision returned with the
//     error carries only Lang: the language to tell the user in (see textin.Message).
//   - A conversation has a language: the one it was started in (Start), then that of the last
//     message that showed one. A message that does not show one ("help", "?", "I13", an empty
//     message) is answered in the conversation's language.
//   - "help", "/help", "帮助", "怎么用" and "?" get a KindHelp Decision with usage text in the
//     user's language, without calling the Engine.
//   - "why not X" / "why isn't it X" / "为什么不是X" / "为啥不是X" calls Engine.WhyNot with the last
//     classification of the conversation and X; the answer keeps the earlier confidence and names
//     the class compared with in Other.
//   - After a Decision that asked a clarifying question, the next message is taken as its answer:
//     the Engine sees the earlier description and the answer, joined by a newline.
//   - Anything else goes to Engine.Answer as textin's Match text (normalised; traditional Chinese read
//     as simplified); TurnRecord.Text keeps the message as the user typed it.
//   - A conversation keeps its last Options.MaxTurns turns, expires after Options.IdleTTL without a
//     turn (checked on access and by Sweep), and at most Options.MaxConversations are kept (the
//     least recently used is evicted). Turns of one conversation run one at a time; different
//     conversations run concurrently.
//
// Every Decision returned by Turn has Lang set ("zh" or "en", see textin.Lang) if the Engine left it empty.
package bot

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"fenlei/decision"
	"fenlei/textin"
)

// Engine classifies descriptions and answers questions about the guidance.
type Engine interface {
	// Answer classifies a description or answers a question about the guidance; onDelta (may be nil) receives streamed text.
	Answer(ctx context.Context, text string, onDelta func(string)) (decision.Decision, error)
	// WhyNot explains why last's code was chosen rather than other (a code like "I13" or words like "testing"/"测试服务").
	WhyNot(ctx context.Context, last decision.Decision, other string) (decision.Decision, error)
}

// Defaults for Options.
const (
	DefaultMaxTurns         = 20
	DefaultIdleTTL          = 30 * time.Minute
	DefaultMaxConversations = 10000
	DefaultMaxMessage       = textin.DefaultMaxRunes
)

// Options configure Conversations. Zero values take the defaults.
type Options struct {
	MaxTurns         int           // turns of history kept per conversation (default 20)
	IdleTTL          time.Duration // a conversation without a turn for this long is forgotten (default 30m)
	MaxConversations int           // conversations kept; the least recently used is evicted (default 10000)
	MaxMessage       int           // longest message in runes (default 4000)
	Now              func() time.Time
	Logger           *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.MaxTurns <= 0 {
		o.MaxTurns = DefaultMaxTurns
	}
	if o.IdleTTL <= 0 {
		o.IdleTTL = DefaultIdleTTL
	}
	if o.MaxConversations <= 0 {
		o.MaxConversations = DefaultMaxConversations
	}
	if o.MaxMessage <= 0 {
		o.MaxMessage = DefaultMaxMessage
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// TurnRecord is one exchange of a conversation.
type TurnRecord struct {
	At       time.Time
	Text     string            // the user's message as sent
	Asked    string            // what the Engine was asked ("" for help)
	Decision decision.Decision // the answer
}

// Conversations holds the state of many conversations, keyed by an id chosen by the channel
// (a websocket connection, a Discord channel+user). It is safe for concurrent use.
type Conversations struct {
	e    Engine
	opts Options
	lg   *slog.Logger

	mu    sync.Mutex
	byID  map[string]*list.Element // of *conversation
	lru   *list.List               // front = most recently used
	clock func() time.Time
}

type conversation struct {
	id   string
	sem  chan struct{} // held while a turn runs: turns of one conversation are serialized
	used time.Time     // guarded by Conversations.mu
	lang string        // the conversation's language, "zh", "en" or "" before any; guarded by Conversations.mu

	// guarded by sem
	turns []TurnRecord
}

// New returns an empty set of conversations answered by e.
func New(e Engine, opts Options) *Conversations {
	opts = opts.withDefaults()
	return &Conversations{
		e:     e,
		opts:  opts,
		lg:    opts.Logger,
		byID:  map[string]*list.Element{},
		lru:   list.New(),
		clock: opts.Now,
	}
}

// Len returns the number of conversations kept (expired ones not yet swept included).
func (c *Conversations) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// End forgets a conversation. A turn already running finishes, but its result is not kept.
func (c *Conversations) End(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		c.lru.Remove(el)
		delete(c.byID, id)
	}
}

// Sweep forgets every conversation idle for longer than IdleTTL at now and returns how many it forgot.
func (c *Conversations) Sweep(now time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for el := c.lru.Back(); el != nil; {
		prev := el.Prev()
		cv := el.Value.(*conversation)
		if now.Sub(cv.used) > c.opts.IdleTTL {
			c.lru.Remove(el)
			delete(c.byID, cv.id)
			n++
		}
		el = prev
	}
	return n
}

// History returns a copy of the turns kept for a conversation, oldest first.
// It waits for a running turn of that conversation to finish, or for ctx.
func (c *Conversations) History(ctx context.Context, id string) ([]TurnRecord, error) {
	c.mu.Lock()
	el, ok := c.byID[id]
	c.mu.Unlock()
	if !ok {
		return nil, nil
	}
	cv := el.Value.(*conversation)
	select {
	case cv.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("bot.History: %w", ctx.Err())
	}
	defer func() { <-cv.sem }()
	return append([]TurnRecord(nil), cv.turns...), nil
}

// get returns the conversation with id, creating it (or recreating an expired one) and marking it used.
func (c *Conversations) get(id string, now time.Time) *conversation {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		cv := el.Value.(*conversation)
		if now.Sub(cv.used) <= c.opts.IdleTTL {
			cv.used = now
			c.lru.MoveToFront(el)
			return cv
		}
		c.lg.Debug("conversation expired", "id", id, "idle", now.Sub(cv.used))
		c.lru.Remove(el)
		delete(c.byID, id)
	}
	cv := &conversation{id: id, sem: make(chan struct{}, 1), used: now}
	c.byID[id] = c.lru.PushFront(cv)
	for c.lru.Len() > c.opts.MaxConversations {
		old := c.lru.Back()
		ov := old.Value.(*conversation)
		c.lg.Debug("conversation evicted", "id", ov.id)
		c.lru.Remove(old)
		delete(c.byID, ov.id)
	}
	return cv
}

// Start opens conversation id (or keeps it open) in lang ("zh" or "en"; "" leaves it as it is):
// the language its messages without a language of their own are answered in, until one shows one.
// Channels call it with the reader's browser or client language.
func (c *Conversations) Start(id, lang string) {
	if lang != "zh" && lang != "en" {
		return
	}
	cv := c.get(id, c.clock())
	c.mu.Lock()
	defer c.mu.Unlock()
	if cv.lang == "" {
		cv.lang = lang
	}
}

// Turn answers one message of conversation id. onDelta (may be nil) receives streamed text.
// Errors: textin's ErrEmpty, ErrTooLong, ErrNotText for refused messages, ctx.Err() if ctx ends
// while waiting for an earlier turn of the same conversation, or the Engine's error wrapped; with
// an error, the Decision carries only Lang.
func (c *Conversations) Turn(ctx context.Context, id, text string, onDelta func(string)) (decision.Decision, error) {
	in, err := textin.ParseLang(text, c.opts.MaxMessage, c.langOf(id))
	if err != nil && !(errors.Is(err, textin.ErrEmpty) && IsHelp(in.Clean)) {
		return decision.Decision{Lang: in.Lang}, fmt.Errorf("bot.Turn: %w", err)
	}
	cv := c.get(id, c.clock())
	select {
	case cv.sem <- struct{}{}:
	case <-ctx.Done():
		return decision.Decision{Lang: in.Lang}, fmt.Errorf("bot.Turn: %w", ctx.Err())
	}
	defer func() { <-cv.sem }()

	// The language again, now that the conversation is ours: an earlier turn may have changed it.
	lang := textin.Lang(in.Clean, c.langOf(id))
	msg := in.Match
	var (
		d     decision.Decision
		asked string
	)
	switch other, isWhyNot := ParseWhyNot(msg); {
	case IsHelp(in.Clean):
		d = Help(lang)
	case isWhyNot:
		last, ok := lastClassification(cv.turns)
		if !ok {
			d = noEarlier(lang)
			break
		}
		asked = other
		d, err = c.e.WhyNot(ctx, last, other)
		if err != nil {
			return decision.Decision{Lang: lang}, fmt.Errorf("bot.Turn: why not %q: %w", other, err)
		}
		explained(&d, last)
	default:
		asked = msg
		if prev, ok := pendingQuestion(cv.turns); ok {
			asked = prev.Asked + "\n" + msg
		}
		d, err = c.e.Answer(ctx, asked, onDelta)
		if err != nil {
			return decision.Decision{Lang: lang}, fmt.Errorf("bot.Turn: answer: %w", err)
		}
	}
	if d.Lang == "" {
		d.Lang = lang
	}
	c.setLang(cv, lang)
	cv.turns = append(cv.turns, TurnRecord{At: c.clock(), Text: text, Asked: asked, Decision: d})
	if n := len(cv.turns) - c.opts.MaxTurns; n > 0 {
		cv.turns = append([]TurnRecord(nil), cv.turns[n:]...)
	}
	c.touch(cv)
	return d, nil
}

// langOf is the language of conversation id so far, "" for none.
func (c *Conversations) langOf(id string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[id]; ok {
		return el.Value.(*conversation).lang
	}
	return ""
}

func (c *Conversations) setLang(cv *conversation, lang string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cv.lang = lang
}

// touch marks cv used again after a turn, so a long turn does not count as idle time.
func (c *Conversations) touch(cv *conversation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byID[cv.id]; ok && el.Value == cv {
		cv.used = c.clock()
		c.lru.MoveToFront(el)
	}
}

// explained completes a "why not" answer so that a channel can show both classes side by side: the
// confidence of the earlier classification, and the class compared with (the first class other than
// the chosen one whose definition is cited, refs being "<code>.def").
func explained(d *decision.Decision, last decision.Decision) {
	if d.Confidence == 0 && d.Code == last.Code {
		d.Confidence = last.Confidence
	}
	if d.Other != "" {
		return
	}
	for _, c := range d.Citations {
		if code, ok := strings.CutSuffix(c.Ref, ".def"); ok && code != d.Code && !strings.Contains(code, ".") {
			d.Other = code
			return
		}
	}
}

// lastClassification returns the Decision of the most recent turn that chose a code.
func lastClassification(turns []TurnRecord) (decision.Decision, bool) {
	for i := len(turns) - 1; i >= 0; i-- {
		if d := turns[i].Decision; d.Code != "" && d.Kind != decision.KindHelp {
			return d, true
		}
	}
	return decision.Decision{}, false
}

// pendingQuestion returns the last non-help turn if its Decision asked a clarifying question.
func pendingQuestion(turns []TurnRecord) (TurnRecord, bool) {
	for i := len(turns) - 1; i >= 0; i-- {
		t := turns[i]
		if t.Decision.Kind == decision.KindHelp {
			continue
		}
		if t.Decision.Code == "" && t.Decision.Question != "" && t.Asked != "" {
			return t, true
		}
		return TurnRecord{}, false
	}
	return TurnRecord{}, false
}
