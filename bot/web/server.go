// Package web is `fenlei serve`: the web chat page, the JSON API and the websocket, on one port.
//
// It promises (see docs/contract.md):
//   - GET / serves an embedded chat page (no CDN, no build step) that renders every piece of data
//     as text, never as HTML, under a Content-Security-Policy that allows only its own script.
//   - POST /api/classify and POST /api/ask take {"id": "...", "text": "..."} and return a Decision;
//     the body must be JSON (Content-Type application/json or +json; 415 otherwise), up to
//     Config.MaxBody. The text goes through textin (normalised, validated) like every channel's.
//     GET /api/categories returns the taxonomy (with ?detail=1, each class's definition, typical
//     businesses and exclusions too); GET /api/categories/{code} returns one class with them;
//     GET /healthz returns {"status":"ok"};
//     POST /api/feedback {"record_id","vote","correct","comment"} judges a recorded answer.
//   - Every answer, from the API and the websocket, is recorded through Config.Recorder before it is
//     sent, and carries its record_id; an answer that could not be recorded is not sent (500
//     "not_recorded", or an "error" message on the websocket).
//   - Admin routes GET /api/records and GET /api/feedback need "Authorization: Bearer
//     Config.AdminToken" (401 without it) and are off (404) when no token is set.
//   - POST /api/audit takes a filings file (CSV or XLSX, multipart "file" or the raw body, at most
//     Config.MaxUpload bytes and Config.MaxAuditRows rows) and returns the reviewed XLSX (see package audit).
//   - POSTs must come from the page's own origin: a cross-site Sec-Fetch-Site or Origin is refused
//     with 403 (Config.AllowedOrigins are trusted).
//   - Every error of the API is JSON {"error": "...", "code": "..."}: error is a sentence in the user's
//     language (that of the text, else the Accept-Language header, else Chinese) with no internals,
//     code is textin's Code for programs. 400 bad JSON or empty text (emoji, symbols and
//     invisible characters only count as empty), 401 an admin route without its token, 403 a Host
//     or an origin that is not allowed, 404 unknown path or class, 405 wrong method, 413 body over
//     Config.MaxBody, 415 a POST body that is not JSON, 422 text too long or not text,
//     429 rate limited, 500 engine failure or an answer not recorded (details only in the log).
//   - The Host header must name this server: an IP address, "localhost", or one of Config.Hosts.
//     A page on another name that resolves to this server (DNS rebinding) gets 403 everywhere.
//   - GET /ws is a websocket conversation (one connection, one bot conversation): the client sends
//     {"type":"user","text":...}; the server answers with "delta" pieces and then one "answer"
//     message per turn, or an "error" message. Bad input gets an error message and the connection
//     stays open; only a frame over Config.MaxFrame closes it. Cross-origin upgrades are refused
//     unless the origin is in Config.AllowedOrigins.
//   - Rate limits are per client IP (RemoteAddr; proxy headers are not trusted) and per websocket
//     connection; open websockets are limited per IP.
//   - Run listens on Config.Addr and shuts down gracefully when its context ends, closing websockets.
package web

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"fenlei/audit"
	"fenlei/bot"
	"fenlei/corpus"
	"fenlei/decision"
	"fenlei/textin"
)

// Guide gives a class's passages; *corpus.Guidance satisfies it.
type Guide interface {
	Class(code string) (corpus.Class, bool)
	PassagesOf(code string) []corpus.Passage
}

var _ Guide = (*corpus.Guidance)(nil)

//go:embed static
var staticFS embed.FS

// Config configures a Server. Zero values take the defaults noted.
type Config struct {
	Addr       string     // listen address for Run, e.g. ":8080" (default "127.0.0.1:8080")
	Engine     bot.Engine // required
	Recorder   Recorder   // required: every answer is recorded before it is sent
	Lister     Lister     // lists records and feedback on the admin routes (nil: admin routes off)
	AdminToken string     // bearer token of the admin routes ("": admin routes off)

	Auditor      audit.Classifier // reviews uploads on POST /api/audit (nil: off)
	AuditClasses []corpus.Class   // the taxonomy the audit checks declared codes against
	MaxUpload    int64            // largest audit upload in bytes (default 10 MiB)
	MaxAuditRows int              // most rows of an audit upload (default 20000)
	Categories   []corpus.Class   // served by /api/categories
	Logger       *slog.Logger     // default: discard

	MaxBody    int64 // largest JSON request body in bytes (default 64 KiB)
	MaxMessage int   // longest message in runes (default bot.DefaultMaxMessage)
	MaxFrame   int64 // largest websocket frame in bytes (default 16 KiB); a larger one closes the connection

	RateLimit     float64 // requests (API calls, websocket upgrades and messages) per second per client IP (default 10; <0 disables)
	Burst         int     // bucket size per IP (default 40)
	ConnRateLimit float64 // websocket messages per second per connection (default 1; <0 disables)
	ConnBurst     int     // bucket size per connection (default 5)
	MaxConnsPerIP int     // open websockets per client IP (default 50; <0 unlimited)

	AllowedOrigins []string // extra origins ("https://example.org") allowed to open /ws and POST; same-origin is always allowed
	Hosts          []string // host names (no port) the server answers to besides IP addresses and localhost
	Guide          Guide    // the classes' passages for /api/categories/{code} and ?detail=1; nil: names only

	Conversations bot.Options   // options of the websocket conversations (MaxMessage, Now and Logger are filled in)
	TurnTimeout   time.Duration // longest engine call (default 2m)
	// MaxInFlight bounds the engine calls running at once (websocket turns and API answers); the
	// others wait their turn in arrival order. The offline engine is CPU-bound: a few calls per core
	// finish sooner, one after another, than a thousand sharing the cores, and hold less memory.
	// Default 2×GOMAXPROCS; raise it for an LLM engine, whose calls mostly wait.
	MaxInFlight  int
	PingPeriod   time.Duration // websocket ping interval (default 30s); the peer must answer within 2×PingPeriod
	WriteWait    time.Duration // websocket write deadline (default 10s)
	ShutdownWait time.Duration // graceful shutdown limit (default 10s)
	Now          func() time.Time
}

// Server is the web front end. Create it with New.
type Server struct {
	cfg   Config
	lg    *slog.Logger
	convs *bot.Conversations
	mux   *http.ServeMux

	ipLimit  *limiter
	wsConns  *connCounter
	upgrader websocket.Upgrader
	origins  map[string]bool
	hosts    map[string]bool
	slots    chan struct{} // one per engine call in flight
	idle     chan func()   // hands a call to an engine goroutine waiting for one (see engine)
	csrf     *http.CrossOriginProtection
	instance string     // distinguishes this process's websocket ids in the records
	auditMu  sync.Mutex // held while an audit runs: one at a time

	mu      sync.Mutex
	clients map[*client]struct{}
	closed  bool
	nextID  uint64
}

// New validates cfg, fills in defaults and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil {
		return nil, errors.New("web.New: Config.Engine is nil")
	}
	if cfg.Recorder == nil {
		return nil, errors.New("web.New: Config.Recorder is nil: every answer must be recorded")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 64 << 10
	}
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = bot.DefaultMaxMessage
	}
	if cfg.MaxFrame <= 0 {
		cfg.MaxFrame = 16 << 10
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = 10
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 40
	}
	if cfg.ConnRateLimit == 0 {
		cfg.ConnRateLimit = 1
	}
	if cfg.ConnBurst <= 0 {
		cfg.ConnBurst = 5
	}
	if cfg.MaxConnsPerIP == 0 {
		cfg.MaxConnsPerIP = 50
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 2 * runtime.GOMAXPROCS(0)
	}
	if cfg.TurnTimeout <= 0 {
		cfg.TurnTimeout = 2 * time.Minute
	}
	if cfg.PingPeriod <= 0 {
		cfg.PingPeriod = 30 * time.Second
	}
	if cfg.WriteWait <= 0 {
		cfg.WriteWait = 10 * time.Second
	}
	if cfg.ShutdownWait <= 0 {
		cfg.ShutdownWait = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	origins := map[string]bool{}
	csrf := http.NewCrossOriginProtection()
	for _, o := range cfg.AllowedOrigins {
		o = strings.TrimRight(strings.ToLower(strings.TrimSpace(o)), "/")
		if o == "" || o == "*" {
			return nil, fmt.Errorf("web.New: AllowedOrigins: %q is not an origin", o)
		}
		if err := csrf.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("web.New: AllowedOrigins: %w", err)
		}
		origins[o] = true
	}
	hosts := map[string]bool{"localhost": true}
	for _, h := range cfg.Hosts {
		h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
		if h == "" || strings.ContainsAny(h, ":/* ") {
			return nil, fmt.Errorf("web.New: Hosts: %q is not a host name", h)
		}
		hosts[h] = true
	}
	co := cfg.Conversations
	co.MaxMessage = cfg.MaxMessage
	co.Now = cfg.Now
	co.Logger = cfg.Logger

	s := &Server{
		cfg:      cfg,
		lg:       cfg.Logger,
		convs:    bot.New(cfg.Engine, co),
		ipLimit:  newLimiter(cfg.RateLimit, cfg.Burst, cfg.Now),
		wsConns:  &connCounter{max: cfg.MaxConnsPerIP, n: map[string]int{}},
		origins:  origins,
		hosts:    hosts,
		slots:    make(chan struct{}, cfg.MaxInFlight),
		idle:     make(chan func()),
		csrf:     csrf,
		instance: strings.ToLower(rand.Text()[:8]),
		clients:  map[*client]struct{}{},
	}
	s.upgrader = websocket.Upgrader{
		// Reads reuse the HTTP server's buffer; a write buffer is taken from the pool only while a
		// message is written, so an idle connection holds neither (~8 KB each).
		ReadBufferSize:  0,
		WriteBufferSize: 4096,
		WriteBufferPool: &sync.Pool{},
		CheckOrigin:     s.checkOrigin,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			s.lg.Debug("ws upgrade refused", "status", status, "err", reason)
			code := textin.CodeBadRequest
			if status == http.StatusForbidden {
				code = textin.CodeForbidden
			}
			writeFail(w, status, requestLang(r), &textin.Error{Code: code})
		},
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/", s.handleStatic)
	s.mux.HandleFunc("/healthz", method(http.MethodGet, s.handleHealth))
	s.mux.HandleFunc("/api/categories", method(http.MethodGet, s.handleCategories))
	s.mux.HandleFunc("/api/categories/{code}", method(http.MethodGet, s.handleCategory))
	s.mux.HandleFunc("/api/classify", method(http.MethodPost, s.limited(s.sameOrigin(s.handleClassify))))
	s.mux.HandleFunc("/api/ask", method(http.MethodPost, s.limited(s.sameOrigin(s.handleAsk))))
	s.mux.HandleFunc("/api/feedback", s.handleFeedback)
	s.mux.HandleFunc("/api/records", method(http.MethodGet, s.admin(s.handleRecords)))
	s.mux.HandleFunc("/api/audit", method(http.MethodPost, s.limited(s.sameOrigin(s.handleAudit))))
	s.mux.HandleFunc("/ws", method(http.MethodGet, s.handleWS))
	return s, nil
}

// Handler returns the server's routes behind the Host check, for httptest or another http.Server.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// serveHTTP refuses requests whose Host names another server (DNS rebinding), then routes.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.allowedHost(r.Host) {
		s.lg.Warn("host refused", "host", r.Host, "ip", clientIP(r), "path", r.URL.Path)
		writeFail(w, http.StatusForbidden, requestLang(r), &textin.Error{Code: textin.CodeForbidden})
		return
	}
	s.mux.ServeHTTP(w, r)
}

// allowedHost reports whether a Host header names this server: an IP address (which no DNS
// answer can rebind), localhost, or one of Config.Hosts; any port.
func (s *Server) allowedHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "" {
		return false
	}
	if net.ParseIP(host) != nil {
		return true
	}
	return s.hosts[host] || strings.HasSuffix(host, ".localhost")
}

// Conversations returns the bot conversations of the websocket connections (for inspection).
func (s *Server) Conversations() *bot.Conversations { return s.convs }

// Run listens on Config.Addr and serves until ctx ends, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("web.Run: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends, then stops accepting, closes every websocket with a
// "going away" close frame, waits up to Config.ShutdownWait for requests in flight, and returns nil.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(s.lg.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	srv.RegisterOnShutdown(s.closeClients)
	sweep := time.NewTicker(time.Minute)
	defer sweep.Stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.lg.Info("serving", "addr", ln.Addr().String())
	for {
		select {
		case err := <-errc:
			return fmt.Errorf("web.Serve: %w", err)
		case <-sweep.C:
			if n := s.convs.Sweep(s.cfg.Now()); n > 0 {
				s.lg.Debug("swept conversations", "n", n)
			}
		case <-ctx.Done():
			s.lg.Info("shutting down")
			sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownWait)
			defer cancel()
			err := srv.Shutdown(sctx)
			s.waitClients(sctx)
			if err != nil {
				return fmt.Errorf("web.Serve: shutdown: %w", err)
			}
			return nil
		}
	}
}

// engine runs call once a slot is free (see Config.MaxInFlight), on an engine goroutine rather than the
// connection's own: the engine's deep stack then stays grown on the few engine goroutines instead of
// growing on every connection's goroutine (a thousand idle websockets would otherwise hold ~100 KB each).
// An engine goroutine that finds no call for engineIdle ends; a call that finds none waiting starts one,
// so there are about as many as slots. Reusing them, rather than starting one per call, saves the stack's
// growth on every call (copying a stack was 4 % of the server's CPU under the load test).
func (s *Server) engine(ctx context.Context, call func() (decision.Decision, error)) (decision.Decision, error) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return decision.Decision{}, ctx.Err()
	}
	type result struct {
		d   decision.Decision
		err error
	}
	done := make(chan result, 1)
	f := func() {
		defer func() { <-s.slots }()
		d, err := call()
		done <- result{d, err}
	}
	select {
	case s.idle <- f:
	default:
		go s.engineLoop(f)
	}
	r := <-done
	return r.d, r.err
}

// engineIdle is how long an engine goroutine waits for the next call before it ends.
const engineIdle = 2 * time.Second

// engineLoop runs f, then every call handed to it on s.idle, until none comes for engineIdle.
func (s *Server) engineLoop(f func()) {
	t := time.NewTimer(engineIdle)
	defer t.Stop()
	for {
		f()
		t.Reset(engineIdle)
		select {
		case f = <-s.idle:
		case <-t.C:
			return
		}
	}
}

// method allows only one HTTP method (and HEAD for GET) on h; others get 405.
func method(m string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != m && !(m == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", m)
			writeFail(w, http.StatusMethodNotAllowed, requestLang(r), &textin.Error{Code: textin.CodeMethod})
			return
		}
		h(w, r)
	}
}

// limited applies the per-IP rate limit.
func (s *Server) limited(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.ipLimit.allow(clientIP(r)) {
			w.Header().Set("Retry-After", "1")
			writeFail(w, http.StatusTooManyRequests, requestLang(r), &textin.Error{Code: textin.CodeRateLimited})
			return
		}
		h(w, r)
	}
}

// requestLang is the language of a request's reader when no text says otherwise: the
// Accept-Language header's preference between Chinese and English, else Chinese.
func requestLang(r *http.Request) string {
	if l := textin.AcceptLanguage(r.Header.Get("Accept-Language")); l != "" {
		return l
	}
	return "zh"
}

// statusOf is the HTTP status of an error's textin Code.
func statusOf(code textin.Code) int {
	switch code {
	case textin.CodeEmpty, textin.CodeBadRequest:
		return http.StatusBadRequest
	case textin.CodeTooLong, textin.CodeNotText:
		return http.StatusUnprocessableEntity
	case textin.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case textin.CodeRateLimited, textin.CodeBusy:
		return http.StatusTooManyRequests
	case textin.CodeNotFound:
		return http.StatusNotFound
	case textin.CodeMethod:
		return http.StatusMethodNotAllowed
	case textin.CodeForbidden:
		return http.StatusForbidden
	case textin.CodeMediaType:
		return http.StatusUnsupportedMediaType
	case textin.CodeUnauthorized:
		return http.StatusUnauthorized
	case textin.CodeCanceled:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorBody is every API error: a sentence for people and a code for programs.
type errorBody struct {
	Error string      `json:"error"`
	Code  textin.Code `json:"code"`
}

// writeFail writes err as the error JSON in lang: textin's message, never internals.
func writeFail(w http.ResponseWriter, status int, lang string, err error) {
	writeJSON(w, status, errorBody{Error: textin.Message(err, lang), Code: textin.ErrorCode(err)})
}

// clientIP is the host part of RemoteAddr. Proxy headers are not trusted.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.Encode(v) // errors here mean the client went away
}

// writeSaid writes an error JSON whose sentence the caller words itself, in Chinese or English
// as lang says, with textin's code for programs.
func writeSaid(w http.ResponseWriter, status int, code textin.Code, lang, zh, en string) {
	msg := zh
	if lang == "en" {
		msg = en
	}
	writeJSON(w, status, errorBody{Error: msg, Code: code})
}

const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", http.MethodGet)
		writeFail(w, http.StatusMethodNotAllowed, requestLang(r), &textin.Error{Code: textin.CodeMethod})
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	if name == "" {
		name = "index.html"
	}
	types := map[string]string{
		"index.html": "text/html; charset=utf-8",
		"app.js":     "text/javascript; charset=utf-8",
		"app.css":    "text/css; charset=utf-8",
	}
	ct, ok := types[name]
	if !ok {
		writeFail(w, http.StatusNotFound, requestLang(r), &textin.Error{Code: textin.CodeNotFound})
		return
	}
	b, err := fs.ReadFile(staticFS, "static/"+name)
	if err != nil {
		writeFail(w, http.StatusNotFound, requestLang(r), &textin.Error{Code: textin.CodeNotFound})
		return
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-cache")
	w.Write(b)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// category is one class as `fenlei categories --json` prints it: parent is always present.
// With details (GET /api/categories?detail=1 and /api/categories/{code}) it also carries the
// class's path with names and its passages of the guidance, quoted verbatim with their refs.
type category struct {
	Code     string     `json:"code"`
	Name     string     `json:"name"`
	NameEN   string     `json:"name_en"`
	Level    string     `json:"level"`
	Parent   string     `json:"parent"`
	Path     []pathStep `json:"path,omitempty"`
	Children []string   `json:"children,omitempty"`
	// Definition, typical businesses and exclusions, when a Guide is configured.
	Definition *passage  `json:"definition,omitempty"`
	Typical    []passage `json:"typical,omitempty"`
	Excludes   []passage `json:"excludes,omitempty"`
}

// pathStep is one class of a path with its names.
type pathStep struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEN string `json:"name_en"`
}

// passage is a quote of the guidance about a class.
type passage struct {
	Ref     string   `json:"ref"`
	Title   string   `json:"title,omitempty"`
	Text    string   `json:"text"`
	Targets []string `json:"targets,omitempty"`
}

func (s *Server) handleCategories(w http.ResponseWriter, r *http.Request) {
	detail := r.URL.Query().Get("detail") == "1"
	out := make([]category, 0, len(s.cfg.Categories))
	for _, c := range s.cfg.Categories {
		if detail {
			out = append(out, s.details(c))
			continue
		}
		out = append(out, category{Code: c.Code, Name: c.Name, NameEN: c.NameEN, Level: string(c.Level), Parent: c.Parent})
	}
	writeJSON(w, http.StatusOK, out)
}

// handleCategory is GET /api/categories/{code}: one class with its path, children and passages.
func (s *Server) handleCategory(w http.ResponseWriter, r *http.Request) {
	code := corpus.NormCode(r.PathValue("code"))
	for _, c := range s.cfg.Categories {
		if c.Code == code {
			writeJSON(w, http.StatusOK, s.details(c))
			return
		}
	}
	writeFail(w, http.StatusNotFound, requestLang(r), &textin.Error{Code: textin.CodeNotFound})
}

// details is a class with its path, children and, with a Guide, its definition, typical
// businesses and exclusions.
func (s *Server) details(c corpus.Class) category {
	out := category{Code: c.Code, Name: c.Name, NameEN: c.NameEN, Level: string(c.Level), Parent: c.Parent}
	byCode := map[string]corpus.Class{}
	for _, k := range s.cfg.Categories {
		byCode[k.Code] = k
		if k.Parent == c.Code {
			out.Children = append(out.Children, k.Code)
		}
	}
	for k, ok := c, true; ok; k, ok = byCode[k.Parent] {
		out.Path = append([]pathStep{{Code: k.Code, Name: k.Name, NameEN: k.NameEN}}, out.Path...)
	}
	if s.cfg.Guide == nil {
		return out
	}
	for _, p := range s.cfg.Guide.PassagesOf(c.Code) {
		q := passage{Ref: p.Ref, Title: p.Title, Text: p.Text, Targets: p.Targets}
		switch p.Kind {
		case corpus.KindDefinition:
			if out.Definition == nil {
				out.Definition = &q
			}
		case corpus.KindTypical:
			out.Typical = append(out.Typical, q)
		case corpus.KindExclude:
			out.Excludes = append(out.Excludes, q)
		}
	}
	return out
}

// textRequest is the body of /api/classify and /api/ask; other fields are ignored.
type textRequest struct {
	ID   json.RawMessage `json:"id"`
	Text *string         `json:"text"`
}

// decodeJSON reads one JSON value from a body of at most MaxBody bytes into v. On failure it has written the error response (in the reader's language) and
// returns false.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := s.decode(w, r, v); err != nil {
		var e *textin.Error
		errors.As(err, &e)
		writeFail(w, statusOf(e.Code), requestLang(r), e)
		return false
	}
	return true
}

// decode reads one JSON value from the body into v; its errors are *textin.Error.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	// A JSON Content-Type is required: a browser cannot send one cross-site without a CORS preflight.
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return &textin.Error{Code: textin.CodeMediaType}
	}
	tooLarge := &textin.Error{Code: textin.CodeTooLarge, Limit: int(s.cfg.MaxBody)}
	if r.ContentLength > s.cfg.MaxBody {
		return tooLarge
	}
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
	dec := json.NewDecoder(body)
	err = dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = &textin.Error{Code: textin.CodeBadRequest, Problem: textin.ProblemTrailing}
			var mbe *http.MaxBytesError
			if errors.As(terr, &mbe) {
				err = terr
			}
		}
	}
	var mbe *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &mbe):
		return tooLarge
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &textin.Error{Code: textin.CodeBadRequest, Problem: textin.ProblemSyntax, Offset: dec.InputOffset()}
	}
	return textin.JSONError(err)
}

// request is a decoded and validated textRequest.
type request struct {
	id string
	in textin.Text
}

// readText decodes a textRequest and validates its text. On failure it has written the response.
func (s *Server) readText(w http.ResponseWriter, r *http.Request) (request, bool) {
	var req textRequest
	lang := requestLang(r)
	if err := s.decode(w, r, &req); err != nil {
		var e *textin.Error
		errors.As(err, &e)
		writeFail(w, statusOf(e.Code), lang, e)
		return request{}, false
	}
	id, ok := decision.RequestID(req.ID)
	if !ok {
		writeFail(w, http.StatusBadRequest, lang, &textin.Error{Code: textin.CodeBadRequest, Problem: textin.ProblemType, Field: "id"})
		return request{}, false
	}
	if req.Text == nil {
		writeFail(w, http.StatusBadRequest, lang, &textin.Error{Code: textin.CodeBadRequest, Problem: textin.ProblemMissing, Field: "text"})
		return request{}, false
	}
	in, err := textin.ParseLang(*req.Text, s.cfg.MaxMessage, textin.AcceptLanguage(r.Header.Get("Accept-Language")))
	out := request{id: id, in: in}
	if err != nil && !(errors.Is(err, textin.ErrEmpty) && bot.IsHelp(in.Clean)) {
		writeFail(w, statusOf(textin.ErrorCode(err)), in.Lang, err)
		return out, false
	}
	return out, true
}

func (s *Server) handleClassify(w http.ResponseWriter, r *http.Request) {
	req, ok := s.readText(w, r)
	if !ok {
		return
	}
	s.answer(w, r, req, false)
}

func (s *Server) handleAsk(w http.ResponseWriter, r *http.Request) {
	req, ok := s.readText(w, r)
	if !ok {
		return
	}
	s.answer(w, r, req, true)
}

// answer calls the engine once (no conversation) and records the Decision before sending it.
// With help, usage questions get the help Decision.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, req request, help bool) {
	lang := req.in.Lang
	start := time.Now()
	var d decision.Decision
	switch {
	case bot.IsHelp(req.in.Clean) && help:
		d = bot.Help(lang)
	case req.in.Match == "": // help words are not a description
		writeFail(w, http.StatusBadRequest, lang, textin.ErrEmpty)
		return
	default:
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.TurnTimeout)
		defer cancel()
		var err error
		d, err = s.engine(ctx, func() (decision.Decision, error) { return s.cfg.Engine.Answer(ctx, req.in.Match, nil) })
		if err != nil {
			if !textin.UserError(err) {
				s.lg.Error("answer", "path", r.URL.Path, "err", err)
			}
			writeFail(w, statusOf(textin.ErrorCode(err)), lang, err)
			return
		}
	}
	if d.Lang == "" {
		d.Lang = lang
	}
	if req.id != "" {
		d.ID = req.id
	}
	d, err := s.record(r.Context(), "api", "", clientIP(r), req.in.Raw, normalize(d), time.Since(start))
	if err != nil {
		s.lg.Error("record", "path", r.URL.Path, "err", err)
		writeFail(w, http.StatusInternalServerError, lang, &textin.Error{Code: textin.CodeNotRecorded})
		return
	}
	writeJSON(w, http.StatusOK, d)
}

// normalize gives nil lists of a Decision as empty JSON arrays, as the contract shows them.
func normalize(d decision.Decision) decision.Decision {
	if d.Path == nil {
		d.Path = []string{}
	}
	if d.Candidates == nil {
		d.Candidates = []decision.Candidate{}
	}
	if d.Citations == nil {
		d.Citations = []decision.Citation{}
	}
	if d.Checks == nil {
		d.Checks = []decision.Check{}
	}
	return d
}
