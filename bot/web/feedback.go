package web

import (
	"errors"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"fenlei/corpus"
	"fenlei/store"
)

// feedbackRequest is the body of POST /api/feedback: a judgement of one recorded answer.
// The description and the Decision judged are the record's, not the client's.
type feedbackRequest struct {
	RecordID string `json:"record_id"`
	Vote     string `json:"vote"`              // "up" or "down"
	Correct  string `json:"correct,omitempty"` // the code the user says is right
	Comment  string `json:"comment,omitempty"`
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
		s.admin(s.listFeedback)(w, r)
	case http.MethodPost:
		s.limited(s.sameOrigin(s.postFeedback))(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed; use GET or POST")
	}
}

func (s *Server) postFeedback(w http.ResponseWriter, r *http.Request) {
	var fb feedbackRequest
	if !s.decodeJSON(w, r, &fb) {
		return
	}
	fb.Correct = corpus.NormCode(fb.Correct)
	fb.RecordID = strings.TrimSpace(fb.RecordID)
	switch {
	case fb.RecordID == "" || len(fb.RecordID) > 100:
		writeError(w, http.StatusBadRequest, "record_id is required: the record_id of the answer judged")
		return
	case fb.Vote != "up" && fb.Vote != "down":
		writeError(w, http.StatusBadRequest, `vote must be "up" or "down"`)
		return
	case fb.Correct != "" && !s.validCode(fb.Correct):
		writeError(w, http.StatusBadRequest, "correct is not a category code (like I11, B21 or OUT)")
		return
	case !utf8.ValidString(fb.Comment) || utf8.RuneCountInString(fb.Comment) > 1000:
		writeError(w, http.StatusUnprocessableEntity, "comment is too long or not text")
		return
	}
	got, err := s.cfg.Recorder.AddFeedback(r.Context(), store.Feedback{RecordID: fb.RecordID, Vote: fb.Vote,
		Correct: fb.Correct, Comment: fb.Comment}, "ip:"+clientIP(r))
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "no recorded answer has this record_id")
	case errors.Is(err, store.ErrLimit):
		w.Header().Set("Retry-After", "86400")
		writeError(w, http.StatusTooManyRequests, "反馈次数已达今日上限 / feedback limit reached for today")
	case err != nil:
		s.lg.Error("feedback", "err", err)
		writeError(w, http.StatusInternalServerError, "feedback could not be saved")
	default:
		s.lg.Info("feedback", "record", got.RecordID, "vote", got.Vote, "code", got.Code, "correct", got.Correct)
		writeJSON(w, http.StatusCreated, map[string]string{"id": got.ID, "record_id": got.RecordID, "vote": got.Vote,
			"code": got.Code, "correct": got.Correct})
	}
}
