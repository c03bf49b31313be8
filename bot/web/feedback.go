package web

import (
	"errors"
	"net/http"
	"regexp"
	"strings"

	"fenlei/corpus"
	"fenlei/store"
	"fenlei/textin"
)

// maxComment is the longest feedback comment, in characters.
const maxComment = 1000

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
		writeFail(w, http.StatusMethodNotAllowed, requestLang(r), &textin.Error{Code: textin.CodeMethod})
	}
}

func (s *Server) postFeedback(w http.ResponseWriter, r *http.Request) {
	var fb feedbackRequest
	if !s.decodeJSON(w, r, &fb) {
		return
	}
	fb.Correct = corpus.NormCode(fb.Correct)
	fb.RecordID = strings.TrimSpace(fb.RecordID)
	// The comment is the user's text: textin normalises and validates it like a message; one
	// with no words (empty, emoji only) is no comment. It sets the language of the replies.
	comment, err := textin.ParseLang(fb.Comment, maxComment, requestLang(r))
	lang := comment.Lang
	switch {
	case errors.Is(err, textin.ErrEmpty):
		comment.Clean = ""
	case err != nil:
		writeFail(w, statusOf(textin.ErrorCode(err)), lang, err)
		return
	}
	switch {
	case fb.RecordID == "" || len(fb.RecordID) > 100:
		writeSaid(w, http.StatusBadRequest, textin.CodeBadRequest, lang, "缺少 record_id：请给出所评价答复的 record_id。",
			"record_id is required: the record_id of the answer judged.")
		return
	case fb.Vote != "up" && fb.Vote != "down":
		writeSaid(w, http.StatusBadRequest, textin.CodeBadRequest, lang, `vote 应为 "up" 或 "down"。`, `vote must be "up" or "down".`)
		return
	case fb.Correct != "" && !s.validCode(fb.Correct):
		writeSaid(w, http.StatusBadRequest, textin.CodeBadRequest, lang, "correct 不是分类代码（如 I11、B21 或 OUT）。",
			"correct is not a category code (like I11, B21 or OUT).")
		return
	}
	got, err := s.cfg.Recorder.AddFeedback(r.Context(), store.Feedback{RecordID: fb.RecordID, Vote: fb.Vote,
		Correct: fb.Correct, Comment: comment.Clean}, "ip:"+clientIP(r))
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeSaid(w, http.StatusNotFound, textin.CodeNotFound, lang, "没有 record_id 为此值的答复记录。", "No recorded answer has this record_id.")
	case errors.Is(err, store.ErrLimit):
		w.Header().Set("Retry-After", "86400")
		writeSaid(w, http.StatusTooManyRequests, textin.CodeRateLimited, lang, "反馈次数已达今日上限，请明天再试。",
			"The feedback limit for today is reached: please try again tomorrow.")
	case err != nil:
		s.lg.Error("feedback", "err", err)
		writeFail(w, http.StatusInternalServerError, lang, err)
	default:
		s.lg.Info("feedback", "record", got.RecordID, "vote", got.Vote, "code", got.Code, "correct", got.Correct)
		writeJSON(w, http.StatusCreated, map[string]string{"id": got.ID, "record_id": got.RecordID, "vote": got.Vote,
			"code": got.Code, "correct": got.Correct})
	}
}
