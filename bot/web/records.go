package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"fenlei/decision"
	"fenlei/store"
	"fenlei/textin"
)

// Recorder keeps every answer before it is sent, and the feedback on answers; *store.DB satisfies it.
type Recorder interface {
	AddRecord(ctx context.Context, r store.Record, user string) (store.Record, error)
	AddFeedback(ctx context.Context, f store.Feedback, user string) (store.Feedback, error)
}

// Lister lists records and feedback for the admin routes; *store.DB satisfies it.
type Lister interface {
	Records(ctx context.Context, q store.Query, fn func(store.Record) error) error
	Feedbacks(ctx context.Context, q store.Query, fn func(store.Feedback) error) error
}

var (
	_ Recorder = (*store.DB)(nil)
	_ Lister   = (*store.DB)(nil)
)

// recordWait bounds the write of one record; it goes on when the client has gone.
const recordWait = 15 * time.Second

// record stores an answer of channel before it is sent and returns it with its RecordID set.
// The user is the client's address ("ip:…"), which the store only keeps as a salted hash.
func (s *Server) record(ctx context.Context, channel, conv, ip, text string, d decision.Decision, took time.Duration) (decision.Decision, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordWait)
	defer cancel()
	r, err := s.cfg.Recorder.AddRecord(ctx, store.Record{Channel: channel, Conversation: conv, Text: text, Decision: d,
		LatencyMS: float64(took.Microseconds()) / 1000}, "ip:"+ip)
	if err != nil {
		return d, err
	}
	d.RecordID = r.ID
	return d, nil
}

// sameOrigin refuses state-changing requests from other sites (Sec-Fetch-Site, or Origin against
// Host; requests from non-browsers carry neither and pass). Config.AllowedOrigins are trusted.
func (s *Server) sameOrigin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.csrf.Check(r); err != nil {
			s.lg.Warn("cross-origin request refused", "path", r.URL.Path, "origin", r.Header.Get("Origin"),
				"sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
			writeFail(w, http.StatusForbidden, requestLang(r), &textin.Error{Code: textin.CodeForbidden})
			return
		}
		h(w, r)
	}
}

// admin guards a route with the bearer token: 404 when no token is configured, 401 without the right one.
func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.AdminToken == "" || s.cfg.Lister == nil {
			writeSaid(w, http.StatusNotFound, textin.CodeNotFound, requestLang(r),
				"管理接口未开启：请设置 FENLEI_ADMIN_TOKEN。", "The admin routes are off: set FENLEI_ADMIN_TOKEN.")
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.cfg.AdminToken)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fenlei admin"`)
			writeFail(w, http.StatusUnauthorized, requestLang(r), &textin.Error{Code: textin.CodeUnauthorized})
			return
		}
		h(w, r)
	}
}

// queryError is a bad admin query, worded in both languages.
type queryError struct{ zh, en string }

func (e *queryError) Error() string { return e.en }

// adminQuery reads ?since=RFC3339&limit=N (default 100, at most 1000); newest first.
func adminQuery(r *http.Request) (store.Query, error) {
	q := store.Query{Limit: 100, Newest: true}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return q, &queryError{"limit 应为 1 到 1000 的数字。", "limit must be a number from 1 to 1000"}
		}
		q.Limit = n
	}
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return q, &queryError{"since 应为时间，如 2026-03-01T00:00:00Z。", "since must be a time like 2026-03-01T00:00:00Z"}
		}
		q.Since = t
	}
	return q, nil
}

func (s *Server) handleRecords(w http.ResponseWriter, r *http.Request) {
	adminList(s, w, r, "records", s.cfg.Lister.Records)
}

func (s *Server) listFeedback(w http.ResponseWriter, r *http.Request) {
	adminList(s, w, r, "feedback", s.cfg.Lister.Feedbacks)
}

// adminList answers an admin listing: the query from the URL, then every item list gives, as a JSON array.
func adminList[T any](s *Server, w http.ResponseWriter, r *http.Request, what string,
	list func(context.Context, store.Query, func(T) error) error) {
	q, err := adminQuery(r)
	var qe *queryError
	if errors.As(err, &qe) {
		writeSaid(w, http.StatusBadRequest, textin.CodeBadRequest, requestLang(r), qe.zh, qe.en)
		return
	}
	out := []T{}
	if err := list(r.Context(), q, func(v T) error { out = append(out, v); return nil }); err != nil {
		s.lg.Error("admin list", "what", what, "err", err)
		writeFail(w, http.StatusInternalServerError, requestLang(r), err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
