// Package webload drives a fenlei websocket endpoint with many concurrent conversations and
// measures turn latency. It is shared by cmd/loadtest and the bot/web load test.
//
// It promises to send traffic only to loopback addresses (CheckLoopback refuses anything
// else), to stop by itself after Options.Timeout, and never to open more than Options.Conns
// connections or send more than Conns×Turns messages.
package webload

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Options of a run.
type Options struct {
	URL     string        // ws://127.0.0.1:8080/ws
	Conns   int           // concurrent conversations (default 10)
	Turns   int           // messages per conversation (default 5)
	Text    string        // the message sent each turn (default a Chinese description)
	Timeout time.Duration // whole run (default 60s)
	Origin  string        // Origin header to send; "" sends none
}

// Result of a run. Latency is from sending a message to receiving its answer.
type Result struct {
	Conns, Turns int
	Answers      int            // turns answered
	Deltas       int            // delta messages received
	Errors       int            // failed dials, error messages, broken connections, timeouts
	ByKind       map[string]int // errors by kind ("dial", "rate_limited", "read", "timeout", …)
	Samples      []string       // up to 10 error texts
	P50, P95     time.Duration
	Max          time.Duration
	Elapsed      time.Duration
}

func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "conns=%d turns=%d answers=%d/%d deltas=%d errors=%d elapsed=%s\n",
		r.Conns, r.Turns, r.Answers, r.Conns*r.Turns, r.Deltas, r.Errors, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "latency per turn: p50=%s p95=%s max=%s", r.P50.Round(time.Microsecond),
		r.P95.Round(time.Microsecond), r.Max.Round(time.Microsecond))
	if len(r.ByKind) > 0 {
		kinds := make([]string, 0, len(r.ByKind))
		for k, n := range r.ByKind {
			kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
		}
		slices.Sort(kinds)
		fmt.Fprintf(&b, "\nerrors by kind: %s", strings.Join(kinds, " "))
	}
	for _, s := range r.Samples {
		fmt.Fprintf(&b, "\n  %s", s)
	}
	return b.String()
}

// CheckLoopback returns an error unless rawURL is a ws:// or wss:// URL whose host is
// "localhost" or a loopback IP address.
func CheckLoopback(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("webload: bad URL: %w", err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return fmt.Errorf("webload: URL scheme must be ws or wss, not %q", u.Scheme)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("webload: refusing non-loopback target %q: only 127.0.0.0/8, ::1 and localhost", host)
	}
	return nil
}

type event struct {
	latency time.Duration
	err     string // kind
	detail  string
	deltas  int
}

// Run opens Conns websocket conversations at once, each sending Turns messages one after
// another (the next after the previous answer), and collects the results. It returns an
// error only for bad options; failures during the run are counted in Result.
func Run(ctx context.Context, o Options) (Result, error) {
	if err := CheckLoopback(o.URL); err != nil {
		return Result{}, err
	}
	if o.Conns <= 0 {
		o.Conns = 10
	}
	if o.Turns <= 0 {
		o.Turns = 5
	}
	if o.Text == "" {
		o.Text = "为银行定制开发信贷管理软件，并提供测试服务"
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()

	dialer := websocket.Dialer{
		HandshakeTimeout: 10 * time.Second,
		// Only direct loopback connections: never a proxy from the environment.
		Proxy: nil,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if ta, ok := c.RemoteAddr().(*net.TCPAddr); !ok || !ta.IP.IsLoopback() {
				c.Close()
				return nil, fmt.Errorf("webload: %s is not a loopback address", c.RemoteAddr())
			}
			return c, nil
		},
	}
	hdr := http.Header{}
	if o.Origin != "" {
		hdr.Set("Origin", o.Origin)
	}

	events := make(chan event, 64)
	var wg sync.WaitGroup
	start := time.Now()
	for range o.Conns {
		wg.Go(func() { conversation(ctx, &dialer, hdr, o, events) })
	}
	go func() { wg.Wait(); close(events) }()

	res := Result{Conns: o.Conns, Turns: o.Turns, ByKind: map[string]int{}}
	var lat []time.Duration
	for ev := range events {
		res.Deltas += ev.deltas
		if ev.err != "" {
			res.Errors++
			res.ByKind[ev.err]++
			if len(res.Samples) < 10 {
				res.Samples = append(res.Samples, ev.err+": "+ev.detail)
			}
			continue
		}
		res.Answers++
		lat = append(lat, ev.latency)
	}
	res.Elapsed = time.Since(start)
	if len(lat) > 0 {
		slices.Sort(lat)
		res.P50 = lat[(len(lat)-1)*50/100]
		res.P95 = lat[(len(lat)-1)*95/100]
		res.Max = lat[len(lat)-1]
	}
	return res, nil
}

type serverMsg struct {
	Type     string          `json:"type"`
	Text     string          `json:"text"`
	Decision json.RawMessage `json:"decision"`
	Message  string          `json:"message"`
	Error    string          `json:"error"`
}

// conversation runs one connection's turns and reports one event per turn (or per failure
// that ends the connection, counting the turns it could not send).
func conversation(ctx context.Context, d *websocket.Dialer, hdr http.Header, o Options, events chan<- event) {
	conn, resp, err := d.DialContext(ctx, o.URL, hdr)
	if err != nil {
		detail := err.Error()
		if resp != nil {
			detail = fmt.Sprintf("%s (HTTP %d)", detail, resp.StatusCode)
		}
		events <- event{err: "dial", detail: detail}
		return
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	payload, _ := json.Marshal(map[string]string{"type": "user", "text": o.Text})
	for turn := range o.Turns {
		conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		sent := time.Now()
		if err := conn.WriteMessage(websocket.TextMessage, payload); err != nil {
			events <- fail(ctx, "write", err, o.Turns-turn)
			return
		}
		deltas := 0
		for {
			var m serverMsg
			if err := conn.ReadJSON(&m); err != nil {
				events <- fail(ctx, "read", err, o.Turns-turn)
				return
			}
			if m.Type == "delta" {
				deltas++
				continue
			}
			if m.Type == "answer" {
				events <- event{latency: time.Since(sent), deltas: deltas}
				break
			}
			if m.Type == "error" {
				kind := m.Error
				if kind == "" {
					kind = "error"
				}
				events <- event{err: kind, detail: m.Message, deltas: deltas}
				break
			}
		}
	}
	conn.SetWriteDeadline(time.Now().Add(time.Second))
	conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
}

// fail is the event for a broken connection; missing turns are folded into the detail.
func fail(ctx context.Context, kind string, err error, left int) event {
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		kind = "timeout"
	}
	return event{err: kind, detail: fmt.Sprintf("%v (%d turns not done)", err, left)}
}
