// Package web is `fenlei serve`: the web chat page, the JSON API and the websocket, on one port.
//
// It promises (see CONTRACT.md):
//   - GET / serves an embedded chat page (no CDN, no build step) that renders every piece of data
//     as text, never as HTML, under a Content-Security-Policy that allows only its own script.
//   - POST /api/classify and POST /api/ask take {"id": "...", "text": "..."} and return a Decision;
//     GET /api/categories returns the taxonomy; GET /healthz returns {"status":"ok"};
//     POST /api/feedback {"record_id","vote","correct","comment"} judges a recorded answer.
//   - Every answer, from the API and the websocket, is recorded through Config.Recorder before it is
//     sent, and carries its record_id; an answer that could not be recorded is not sent (500, or an
//     "error" message on the websocket).
//   - Admin routes GET /api/records and GET /api/feedback need "Authorization: Bearer
//     Config.AdminToken" (401 without it) and are off (404) when no token is set.
//   - POST /api/audit takes a filings file (CSV or XLSX, multipart "file" or the raw body, at most
//     Config.MaxUpload bytes and Config.MaxAuditRows rows) and returns the reviewed XLSX (see package audit).
//   - POSTs other than /api/audit must have a JSON Content-Type (415 otherwise) and come from the page's own origin: a
//     cross-site Sec-Fetch-Site or Origin is refused with 403 (Config.AllowedOrigins are trusted).
//   - Every error is JSON {"error": "..."}: 400 invalid JSON or empty text, 404 unknown path,
//     405 wrong method, 413 body over Config.MaxBody, 415 a Content-Type that is not JSON,
//     422 text too long or not text, 429 rate limited, 500 engine failure (details only in the log).
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
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"fenlei/audit"
	"fenlei/bot"
	"fenlei/corpus"
	"fenlei/decision"
)

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

	Conversations bot.Options   // options of the websocket conversations (MaxMessage, Now and Logger are filled in)
	TurnTimeout   time.Duration // longest engine call (default 2m)
	PingPeriod    time.Duration // websocket ping interval (default 30s); the peer must answer within 2×PingPeriod
	WriteWait     time.Duration // websocket write deadline (default 10s)
	ShutdownWait  time.Duration // graceful shutdown limit (default 10s)
	Now           func() time.Time
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
		csrf:     csrf,
		instance: strings.ToLower(rand.Text()[:8]),
		clients:  map[*client]struct{}{},
	}
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
		CheckOrigin:     s.checkOrigin,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			writeError(w, status, reason.Error())
		},
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/", s.handleStatic)
	s.mux.HandleFunc("/healthz", method(http.MethodGet, s.handleHealth))
	s.mux.HandleFunc("/api/categories", method(http.MethodGet, s.handleCategories))
	s.mux.HandleFunc("/api/classify", method(http.MethodPost, s.limited(s.sameOrigin(s.handleClassify))))
	s.mux.HandleFunc("/api/ask", method(http.MethodPost, s.limited(s.sameOrigin(s.handleAsk))))
	s.mux.HandleFunc("/api/feedback", s.handleFeedback)
	s.mux.HandleFunc("/api/records", method(http.MethodGet, s.admin(s.handleRecords)))
	s.mux.HandleFunc("/api/audit", method(http.MethodPost, s.limited(s.sameOrigin(s.handleAudit))))
	s.mux.HandleFunc("/ws", method(http.MethodGet, s.handleWS))
	return s, nil
}

// Handler returns the server's routes, for httptest or another http.Server.
func (s *Server) Handler() http.Handler { return s.mux }

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
		Handler:           s.mux,
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

// method allows only one HTTP method (and HEAD for GET) on h; others get 405.
func method(m string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != m && !(m == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", m)
			writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed; use "+m)
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
			writeError(w, http.StatusTooManyRequests, "rate limited: slow down")
			return
		}
		h(w, r)
	}
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

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed; use GET")
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
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	b, err := fs.ReadFile(staticFS, "static/"+name)
	if err != nil {
		writeError(w, http.StatusNotFound, "not found")
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
type category struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEN string `json:"name_en"`
	Level  string `json:"level"`
	Parent string `json:"parent"`
}

func (s *Server) handleCategories(w http.ResponseWriter, r *http.Request) {
	out := make([]category, 0, len(s.cfg.Categories))
	for _, c := range s.cfg.Categories {
		out = append(out, category{Code: c.Code, Name: c.Name, NameEN: c.NameEN, Level: string(c.Level), Parent: c.Parent})
	}
	writeJSON(w, http.StatusOK, out)
}

// textRequest is the body of /api/classify and /api/ask; other fields are ignored.
type textRequest struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// decodeJSON reads one JSON value from a body of at most MaxBody bytes into v. On failure it
// has written the error response and returns false.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	// A JSON Content-Type is required: a browser cannot send one cross-site without a CORS preflight.
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return false
	}
	if r.ContentLength > s.cfg.MaxBody {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", s.cfg.MaxBody))
		return false
	}
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
	dec := json.NewDecoder(body)
	err = dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("trailing data after the JSON object")
			var mbe *http.MaxBytesError
			if errors.As(terr, &mbe) {
				err = terr
			}
		}
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", s.cfg.MaxBody))
			return false
		}
		writeError(w, http.StatusBadRequest, "invalid JSON: "+jsonErrText(err))
		return false
	}
	return true
}

// jsonErrText describes a decoding error without echoing the client's data back at length.
func jsonErrText(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be a %s", te.Field, te.Type)
	case errors.Is(err, io.EOF):
		return "empty body"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of JSON"
	}
	return err.Error()
}

// readText decodes a textRequest and validates its text. On failure it has written the response.
func (s *Server) readText(w http.ResponseWriter, r *http.Request) (textRequest, bool) {
	var req textRequest
	if !s.decodeJSON(w, r, &req) {
		return req, false
	}
	if err := bot.Validate(req.Text, s.cfg.MaxMessage); err != nil {
		lang := bot.DetectLang(req.Text)
		status := http.StatusUnprocessableEntity
		if errors.Is(err, bot.ErrEmpty) {
			status = http.StatusBadRequest
		}
		writeError(w, status, bot.Message(err, lang, s.cfg.MaxMessage))
		return req, false
	}
	return req, true
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
func (s *Server) answer(w http.ResponseWriter, r *http.Request, req textRequest, help bool) {
	text := strings.TrimSpace(req.Text)
	lang := bot.DetectLang(text)
	start := time.Now()
	var d decision.Decision
	if help && bot.IsHelp(text) {
		d = bot.Help(lang)
	} else {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.TurnTimeout)
		defer cancel()
		var err error
		d, err = s.cfg.Engine.Answer(ctx, text, nil)
		if err != nil {
			s.lg.Error("answer", "path", r.URL.Path, "err", err)
			writeError(w, http.StatusInternalServerError, bot.Message(err, lang, s.cfg.MaxMessage))
			return
		}
	}
	if d.Lang == "" {
		d.Lang = lang
	}
	if req.ID != "" {
		d.ID = req.ID
	}
	d, err := s.record(r.Context(), "api", "", clientIP(r), req.Text, normalize(d), time.Since(start))
	if err != nil {
		s.lg.Error("record", "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, recordFailed(lang))
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
