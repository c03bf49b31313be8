package discord

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeDiscord is a local Discord: the REST API under /api/v10/ (the calls the bot makes) and a
// gateway on /gateway-ws/ speaking the real protocol (HELLO, IDENTIFY, READY, heartbeats and
// ACKs, dispatches). It records every REST call for assertions.
type fakeDiscord struct {
	t      *testing.T
	srv    *httptest.Server
	token  string // expected Authorization header, and IDENTIFY token
	userID string // the bot's user id in READY
	appID  string // the application id in READY

	mu         sync.Mutex
	calls      []restCall
	changed    chan struct{} // closed and replaced on every new call or gateway event
	conn       *websocket.Conn
	wmu        sync.Mutex // serializes gateway writes
	seq        int
	identified *identifyPayload
	identifies []int // the intents of every IDENTIFY
	// noContentIntent makes the gateway refuse an IDENTIFY with the Message Content intent (close
	// 4014), as Discord does when the intent is not enabled in the Developer Portal.
	noContentIntent bool
	// holdCommands, when set, keeps the command registration (PUT …/commands) unanswered until
	// the client gives up on it, as a slow Discord would.
	holdCommands bool
	heartbeats   int
	threads      int
	messages     int
}

// threadChannel is a channel that is itself a (user's) thread: Discord refuses to open a
// thread from its messages.
const threadChannel = "450"

type restCall struct {
	Method, Path, Auth string
	Body               []byte
}

// json decodes the call's body into v.
func (c restCall) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(c.Body, v); err != nil {
		t.Fatalf("%s %s: body %q: %v", c.Method, c.Path, c.Body, err)
	}
}

type identifyPayload struct {
	Token   string `json:"token"`
	Intents int    `json:"intents"`
}

type gatewayFrame struct {
	Op int             `json:"op"`
	S  *int            `json:"s,omitempty"`
	T  string          `json:"t,omitempty"`
	D  json.RawMessage `json:"d"`
}

func newFakeDiscord(t *testing.T) *fakeDiscord {
	f := &fakeDiscord{t: t, token: "Bot test-token", userID: "100", appID: "200", changed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v10/", f.rest)
	mux.HandleFunc("/gateway-ws/", f.gateway)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeDiscord) apiBase() string { return f.srv.URL + "/api/v10/" }

func (f *fakeDiscord) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeDiscord) rest(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/api/v10/")
	f.mu.Lock()
	f.calls = append(f.calls, restCall{Method: r.Method, Path: path, Auth: r.Header.Get("Authorization"), Body: body})
	f.notifyLocked()
	f.mu.Unlock()

	if r.Header.Get("Authorization") != f.token {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "401: Unauthorized", "code": 0})
		return
	}
	parts := strings.Split(path, "/")
	switch {
	case r.Method == "GET" && (path == "gateway" || path == "gateway/bot"):
		writeJSON(w, 200, map[string]any{
			"url":    "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/gateway-ws",
			"shards": 1,
			"session_start_limit": map[string]int{
				"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1,
			},
		})
	case r.Method == "PUT" && len(parts) >= 3 && parts[0] == "applications" && parts[len(parts)-1] == "commands":
		f.mu.Lock()
		hold := f.holdCommands
		f.mu.Unlock()
		if hold {
			<-r.Context().Done()
			return
		}
		var cmds []map[string]any
		if err := json.Unmarshal(body, &cmds); err != nil {
			writeJSON(w, 400, map[string]any{"message": "bad commands", "code": 50035})
			return
		}
		for i, c := range cmds {
			c["id"] = fmt.Sprint(900 + i)
			c["application_id"] = parts[1]
		}
		writeJSON(w, 200, cmds)
	case r.Method == "POST" && len(parts) == 4 && parts[0] == "interactions" && parts[3] == "callback":
		w.WriteHeader(http.StatusNoContent)
	case r.Method == "PATCH" && len(parts) == 5 && parts[0] == "webhooks" && parts[4] == "@original":
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			writeJSON(w, 400, map[string]any{"message": "bad edit", "code": 50035})
			return
		}
		m["id"] = "orig-" + parts[2]
		writeJSON(w, 200, m)
	case r.Method == "POST" && len(parts) == 5 && parts[0] == "channels" && parts[2] == "messages" && parts[4] == "threads" && parts[1] == threadChannel:
		writeJSON(w, 400, map[string]any{"message": "Cannot execute action on this channel type", "code": 50024})
	case r.Method == "POST" && len(parts) == 5 && parts[0] == "channels" && parts[2] == "messages" && parts[4] == "threads":
		var ts struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(body, &ts); err != nil || ts.Name == "" || len([]rune(ts.Name)) > 100 {
			writeJSON(w, 400, map[string]any{"message": "bad thread name", "code": 50035})
			return
		}
		f.mu.Lock()
		f.threads++
		id := fmt.Sprintf("%d", 500+f.threads)
		f.mu.Unlock()
		writeJSON(w, 201, map[string]any{
			"id": id, "type": 11, "parent_id": parts[1], "guild_id": "300", "name": ts.Name, "owner_id": f.userID,
		})
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "channels" && parts[2] == "messages":
		f.mu.Lock()
		f.messages++
		id := fmt.Sprintf("%d", 700+f.messages)
		f.mu.Unlock()
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			writeJSON(w, 400, map[string]any{"message": "bad message", "code": 50035})
			return
		}
		m["id"], m["channel_id"] = id, parts[1]
		m["author"] = map[string]any{"id": f.userID, "username": "fenlei", "bot": true}
		writeJSON(w, 200, m)
	default:
		writeJSON(w, 404, map[string]any{"message": "404: Not Found", "code": 0})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// gateway speaks the gateway protocol to one client: HELLO, then IDENTIFY must carry the
// token, then READY; heartbeats are ACKed until the client closes.
func (f *fakeDiscord) gateway(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("encoding") != "json" {
		http.Error(w, "encoding=json expected", http.StatusBadRequest)
		return
	}
	up := websocket.Upgrader{}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		f.t.Errorf("gateway upgrade: %v", err)
		return
	}
	defer conn.Close()
	f.mu.Lock()
	f.conn = conn
	f.mu.Unlock()

	if err := f.write(10, "", map[string]any{"heartbeat_interval": 45000}); err != nil {
		f.t.Errorf("gateway hello: %v", err)
		return
	}
	var id struct {
		Op int             `json:"op"`
		D  identifyPayload `json:"d"`
	}
	if err := conn.ReadJSON(&id); err != nil {
		f.t.Errorf("gateway identify: %v", err)
		return
	}
	if id.Op != 2 || id.D.Token != f.token {
		f.t.Errorf("gateway: got op %d token %q, want IDENTIFY with %q", id.Op, id.D.Token, f.token)
		_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4004, "Authentication failed."))
		return
	}
	f.mu.Lock()
	f.identifies = append(f.identifies, id.D.Intents)
	refuse := f.noContentIntent && id.D.Intents&(1<<15) != 0
	if !refuse {
		f.identified = &id.D
	}
	f.notifyLocked()
	f.mu.Unlock()
	if refuse {
		_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4014, "Disallowed intent(s)."))
		return
	}
	if err := f.write(0, "READY", map[string]any{
		"v":                  10,
		"session_id":         "sess-1",
		"resume_gateway_url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/gateway-ws",
		"user":               map[string]any{"id": f.userID, "username": "fenlei", "bot": true},
		"application":        map[string]any{"id": f.appID, "flags": 0},
		"guilds":             []any{},
	}); err != nil {
		f.t.Errorf("gateway ready: %v", err)
		return
	}
	for {
		var fr gatewayFrame
		if err := conn.ReadJSON(&fr); err != nil {
			return // the client closed
		}
		if fr.Op == 1 {
			f.mu.Lock()
			f.heartbeats++
			f.notifyLocked()
			f.mu.Unlock()
			if err := f.write(11, "", nil); err != nil {
				return
			}
		}
	}
}

// write sends one gateway frame; op 0 dispatches get the next sequence number.
func (f *fakeDiscord) write(op int, typ string, d any) error {
	f.mu.Lock()
	conn := f.conn
	fr := map[string]any{"op": op, "d": d}
	if op == 0 {
		f.seq++
		fr["s"], fr["t"] = f.seq, typ
	}
	f.mu.Unlock()
	if conn == nil {
		return fmt.Errorf("no gateway connection")
	}
	f.wmu.Lock()
	defer f.wmu.Unlock()
	return conn.WriteJSON(fr)
}

// dispatch sends an event (op 0) to the bot.
func (f *fakeDiscord) dispatch(typ string, d any) {
	f.t.Helper()
	if err := f.write(0, typ, d); err != nil {
		f.t.Fatalf("dispatch %s: %v", typ, err)
	}
}

// waitFor blocks until cond holds on the recorded state; the deadline only guards against a
// hung test, it is not part of any assertion.
func (f *fakeDiscord) waitFor(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		f.mu.Lock()
		ok := cond()
		ch := f.changed
		f.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			f.t.Fatalf("timed out waiting for %s; calls:\n%s", what, f.dump())
		}
	}
}

// waitCalls waits until n calls match and returns them.
func (f *fakeDiscord) waitCalls(what string, n int, match func(restCall) bool) []restCall {
	f.t.Helper()
	var got []restCall
	f.waitFor(what, func() bool {
		got = got[:0]
		for _, c := range f.calls {
			if match(c) {
				got = append(got, c)
			}
		}
		return len(got) >= n
	})
	return got
}

func (f *fakeDiscord) snapshot() []restCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]restCall(nil), f.calls...)
}

func (f *fakeDiscord) dump() string {
	var b strings.Builder
	for _, c := range f.snapshot() {
		fmt.Fprintf(&b, "  %s %s %.200s\n", c.Method, c.Path, c.Body)
	}
	return b.String()
}
