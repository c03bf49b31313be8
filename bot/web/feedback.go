package web

import (
	"net/http"
	"regexp"
	"sync"
	"time"
	"unicode/utf8"

	"fenlei/corpus"
)

// Feedback is one thumbs up/down on an answer, as POSTed to /api/feedback.
type Feedback struct {
	At         time.Time `json:"at"`
	Vote       string    `json:"vote"`              // "up" or "down"
	Code       string    `json:"code"`              // the code the answer gave ("" for a question or clarification)
	Correct    string    `json:"correct,omitempty"` // the code the user says is right
	Text       string    `json:"text,omitempty"`    // the user's message that was answered
	DecisionID string    `json:"decision_id,omitempty"`
	Comment    string    `json:"comment,omitempty"`
}

// feedbackStore keeps the last max entries in memory until an audit log exists.
type feedbackStore struct {
	max int

	mu      sync.Mutex
	entries []Feedback
}

func (f *feedbackStore) add(fb Feedback) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries = append(f.entries, fb)
	if n := len(f.entries) - f.max; n > 0 {
		f.entries = append([]Feedback(nil), f.entries[n:]...)
	}
}

func (f *feedbackStore) list() []Feedback {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Feedback{}, f.entries...)
}

var codeRE = regexp.MustCompile(`^(OUT|ITO|BPO|KPO|[IBK][1-9][0-9]?)$`)

// validCode reports whether code names a class: one of Categories when they are known, else by shape.
func (s *Server) validCode(code string) bool {
	if code == "OUT" {
		return true
	}
	if len(s.cfg.Categories) == 0 {
		return codeRE.MatchString(code)
	}
	for _, c := range s.cfg.Categories {
		if c.Code == code {
			return true
		}
	}
	return false
}

func (s *Server) handleFeedback(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		writeJSON(w, http.StatusOK, s.feedback.list())
	case http.MethodPost:
		s.limited(s.postFeedback)(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed; use GET or POST")
	}
}

func (s *Server) postFeedback(w http.ResponseWriter, r *http.Request) {
	var fb Feedback
	if !s.decodeJSON(w, r, &fb) {
		return
	}
	fb.At = s.cfg.Now().UTC()
	fb.Code = corpus.NormCode(fb.Code)
	fb.Correct = corpus.NormCode(fb.Correct)
	switch {
	case fb.Vote != "up" && fb.Vote != "down":
		writeError(w, http.StatusBadRequest, `vote must be "up" or "down"`)
	case fb.Code != "" && !s.validCode(fb.Code):
		writeError(w, http.StatusBadRequest, "code is not a category code")
	case fb.Correct != "" && !s.validCode(fb.Correct):
		writeError(w, http.StatusBadRequest, "correct is not a category code (like I11, B21 or OUT)")
	case !utf8.ValidString(fb.Text) || utf8.RuneCountInString(fb.Text) > s.cfg.MaxMessage:
		writeError(w, http.StatusUnprocessableEntity, "text is too long or not text")
	case !utf8.ValidString(fb.Comment) || utf8.RuneCountInString(fb.Comment) > 1000:
		writeError(w, http.StatusUnprocessableEntity, "comment is too long or not text")
	case len(fb.DecisionID) > 200:
		writeError(w, http.StatusUnprocessableEntity, "decision_id is too long")
	default:
		s.feedback.add(fb)
		s.lg.Info("feedback", "vote", fb.Vote, "code", fb.Code, "correct", fb.Correct)
		writeJSON(w, http.StatusCreated, fb)
	}
}
