package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"fenlei/decision"
	"fenlei/textin"
)

// Websocket messages. The client sends inMsg; the server sends outMsg.
type inMsg struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// OutMsg is a message the server sends on /ws: "delta" with Text, "answer" with Decision, or
// "error" with Message (for people, in their language) and Error (for programs: "invalid_json",
// "unknown_type", "binary" for a frame that is not JSON text, or a textin.Code such as "empty",
// "too_long", "not_text", "rate_limited", "busy", "internal").
type OutMsg struct {
	Type     string             `json:"type"`
	Text     string             `json:"text,omitempty"`
	Decision *decision.Decision `json:"decision,omitempty"`
	Message  string             `json:"message,omitempty"`
	Error    string             `json:"error,omitempty"`
}

const (
	sendBuffer  = 16 // outgoing messages buffered per connection
	inboxBuffer = 2  // user messages waiting for the turn in progress
)

// client is one websocket connection. The socket has exactly one reader (serve's goroutine) and
// one writer (writePump); turns run in a third goroutine (work) so that reading, and with it
// ping/pong and noticing a closed connection, goes on while the engine thinks.
type client struct {
	s      *Server
	conn   *websocket.Conn
	ip     string
	id     string
	lang   string // language for messages not tied to a text; guarded by langMu
	langMu sync.Mutex
	send   chan OutMsg
	inbox  chan string
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the writer has closed the socket and the worker has stopped

	closeCode int // set before cancel: 1001 on shutdown; guarded by Server.mu
	limit     bucket
}

func (s *Server) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true // not a browser: browsers always send Origin on websocket upgrades
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return s.origins[strings.ToLower(u.Scheme+"://"+u.Host)]
}

func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	ip := clientIP(r)
	if !s.checkOrigin(r) {
		s.lg.Warn("ws origin refused", "origin", r.Header.Get("Origin"), "host", r.Host, "ip", ip)
		writeFail(w, http.StatusForbidden, requestLang(r), &textin.Error{Code: textin.CodeForbidden})
		return
	}
	if !s.ipLimit.allow(ip) {
		w.Header().Set("Retry-After", "1")
		writeFail(w, http.StatusTooManyRequests, requestLang(r), &textin.Error{Code: textin.CodeRateLimited})
		return
	}
	if !s.wsConns.acquire(ip) {
		writeFail(w, http.StatusTooManyRequests, requestLang(r), &textin.Error{Code: textin.CodeRateLimited})
		return
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.wsConns.release(ip)
		s.lg.Debug("ws upgrade", "ip", ip, "err", err)
		return // the upgrader has answered
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	c := &client{
		s: s, conn: conn, ip: ip, lang: requestLang(r),
		send:  make(chan OutMsg, sendBuffer),
		inbox: make(chan string, inboxBuffer),
		ctx:   ctx, cancel: cancel,
		done:  make(chan struct{}),
		limit: bucket{tokens: float64(s.cfg.ConnBurst), last: s.cfg.Now()},
	}
	if !s.register(c) {
		conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
		conn.Close()
		cancel()
		s.wsConns.release(ip)
		return
	}
	s.lg.Info("ws open", "conn", c.id, "ip", ip)
	s.convs.Start(c.id, textin.AcceptLanguage(r.Header.Get("Accept-Language")))

	writerDone := make(chan struct{})
	workerDone := make(chan struct{})
	go func() { c.writePump(); close(writerDone) }()
	go func() { c.work(); close(workerDone) }()
	c.readPump() // returns when the connection fails or is closed
	c.cancel()
	<-writerDone
	<-workerDone
	s.convs.End(c.id)
	s.unregister(c)
	s.wsConns.release(ip)
	s.lg.Info("ws closed", "conn", c.id, "ip", ip)
	close(c.done)
}

// register adds c to the open clients unless the server is shutting down.
func (s *Server) register(c *client) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.nextID++
	c.id = fmt.Sprintf("ws-%d", s.nextID)
	s.clients[c] = struct{}{}
	return true
}

func (s *Server) unregister(c *client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.clients, c)
}

// closeClients tells every websocket that the server is going away. New ones are refused.
func (s *Server) closeClients() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for c := range s.clients {
		c.closeCode = websocket.CloseGoingAway
		c.cancel()
	}
}

// waitClients waits until every websocket has been closed, or ctx ends.
func (s *Server) waitClients(ctx context.Context) {
	s.mu.Lock()
	var dones []chan struct{}
	for c := range s.clients {
		dones = append(dones, c.done)
	}
	s.mu.Unlock()
	for _, d := range dones {
		select {
		case <-d:
		case <-ctx.Done():
			return
		}
	}
}

func (s *Server) pongWait() time.Duration { return 2 * s.cfg.PingPeriod }

// readPump reads frames until the connection fails, answering bad input with error messages.
func (c *client) readPump() {
	s := c.s
	c.conn.SetReadLimit(s.cfg.MaxFrame)
	c.conn.SetReadDeadline(time.Now().Add(s.pongWait()))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(s.pongWait()))
	})
	for {
		mt, data, err := c.conn.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				s.lg.Warn("ws frame over limit", "conn", c.id, "ip", c.ip, "limit", s.cfg.MaxFrame)
			} else if websocket.IsUnexpectedCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) &&
				c.ctx.Err() == nil {
				s.lg.Debug("ws read", "conn", c.id, "err", err)
			}
			return
		}
		c.conn.SetReadDeadline(time.Now().Add(s.pongWait()))
		c.handle(mt, data)
	}
}

// handle checks one frame and queues its text for the worker, or sends an error message. The
// text itself is validated by the conversation (bot.Conversations.Turn, with textin), so that help
// words and the conversation's language are handled in one place.
func (c *client) handle(mt int, data []byte) {
	s := c.s
	connOK := s.cfg.ConnRateLimit <= 0 || c.limit.take(s.cfg.Now(), s.cfg.ConnRateLimit, float64(s.cfg.ConnBurst))
	if !connOK || !s.ipLimit.allow(c.ip) {
		c.sendErr(&textin.Error{Code: textin.CodeRateLimited}, c.language())
		return
	}
	if mt != websocket.TextMessage || !utf8.Valid(data) {
		c.sendError("binary", c.language(), "")
		return
	}
	var m inMsg
	if err := json.Unmarshal(data, &m); err != nil {
		c.sendError("invalid_json", c.language(), "")
		return
	}
	if m.Type != "user" {
		c.sendError("unknown_type", c.language(), m.Type)
		return
	}
	select {
	case c.inbox <- m.Text:
	default:
		c.sendErr(&textin.Error{Code: textin.CodeBusy}, textin.Lang(textin.Clean(m.Text), c.language()))
	}
}

func (c *client) language() string {
	c.langMu.Lock()
	defer c.langMu.Unlock()
	return c.lang
}

func (c *client) setLanguage(lang string) {
	if lang != "zh" && lang != "en" {
		return
	}
	c.langMu.Lock()
	defer c.langMu.Unlock()
	c.lang = lang
}

// work runs the turns of the connection's conversation, one at a time.
func (c *client) work() {
	s := c.s
	for {
		var text string
		select {
		case <-c.ctx.Done():
			return
		case text = <-c.inbox:
		}
		ctx, cancel := context.WithTimeout(c.ctx, s.cfg.TurnTimeout)
		start := time.Now()
		d, err := s.engine(ctx, func() (decision.Decision, error) {
			return s.convs.Turn(ctx, c.id, text, func(piece string) {
				if piece != "" {
					c.out(OutMsg{Type: "delta", Text: piece})
				}
			})
		})
		cancel()
		c.setLanguage(d.Lang) // set with an error too: the language to tell the user in
		if err != nil {
			if c.ctx.Err() != nil {
				return // the connection is gone
			}
			if !textin.UserError(err) {
				s.lg.Error("ws turn", "conn", c.id, "err", err)
			}
			c.sendErr(err, c.language())
			continue
		}
		s.lg.Debug("ws turn", "conn", c.id, "code", d.Code, "kind", d.Kind, "took", time.Since(start))
		d, err = s.record(c.ctx, "ws", s.instance+"/"+c.id, c.ip, text, normalize(d), time.Since(start))
		if err != nil {
			s.lg.Error("record", "conn", c.id, "err", err)
			c.sendErr(&textin.Error{Code: textin.CodeNotRecorded}, c.language())
			continue
		}
		c.out(OutMsg{Type: "answer", Decision: &d})
	}
}

// out queues a message for the writer; it gives up when the connection ends.
func (c *client) out(m OutMsg) {
	select {
	case c.send <- m:
	case <-c.ctx.Done():
	}
}

// sendErr sends err as an error message: textin's code and sentence in lang.
func (c *client) sendErr(err error, lang string) {
	c.out(OutMsg{Type: "error", Error: string(textin.ErrorCode(err)), Message: textin.Message(err, lang)})
}

// sendError sends an error message about the websocket protocol itself (a frame that is not
// the JSON the server takes).
func (c *client) sendError(code, lang, detail string) {
	zh := lang != "en"
	var msg string
	switch code {
	case "binary":
		msg = "Binary frames are not accepted: send JSON text like {\"type\":\"user\",\"text\":\"...\"}."
		if zh {
			msg = "不接受二进制消息：请发送 JSON 文本，如 {\"type\":\"user\",\"text\":\"...\"}。"
		}
	case "invalid_json":
		msg = "Invalid JSON: send {\"type\":\"user\",\"text\":\"...\"}."
		if zh {
			msg = "JSON 格式无效：请发送 {\"type\":\"user\",\"text\":\"...\"}。"
		}
	case "unknown_type":
		if r := []rune(detail); len(r) > 40 {
			detail = string(r[:40])
		}
		msg = fmt.Sprintf("Unknown message type %q: use \"user\".", detail)
		if zh {
			msg = fmt.Sprintf("未知的消息类型 %q：请用 \"user\"。", detail)
		}
	}
	c.out(OutMsg{Type: "error", Error: code, Message: msg})
}

// writePump is the only writer of the socket: queued messages, pings, and the close frame.
func (c *client) writePump() {
	s := c.s
	ticker := time.NewTicker(s.cfg.PingPeriod)
	defer func() {
		ticker.Stop()
		c.conn.Close() // unblocks the reader
	}()
	for {
		select {
		case m := <-c.send:
			c.conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteWait))
			if err := c.conn.WriteJSON(m); err != nil {
				s.lg.Debug("ws write", "conn", c.id, "err", err)
				c.cancel()
				return
			}
		case <-ticker.C:
			c.conn.SetWriteDeadline(time.Now().Add(s.cfg.WriteWait))
			if err := c.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				c.cancel()
				return
			}
		case <-c.ctx.Done():
			s.mu.Lock()
			code := c.closeCode
			s.mu.Unlock()
			if code == 0 {
				code = websocket.CloseNormalClosure
			}
			c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""),
				time.Now().Add(s.cfg.WriteWait))
			return
		}
	}
}
