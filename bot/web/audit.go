package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"fenlei/audit"
	"fenlei/textin"
)

// Defaults of the audit upload.
const (
	DefaultMaxUpload    = 10 << 20
	DefaultMaxAuditRows = 20000
)

// handleAudit reviews an uploaded filings file and returns the reviewed XLSX. The upload is a
// multipart form with a "file" field, or the file itself as the body with Content-Type text/csv or
// the XLSX type (?format=csv|xlsx overrides). One audit runs at a time per server; answers are
// not recorded (the file returned is the record).
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	lang := requestLang(r)
	if s.cfg.Auditor == nil {
		writeSaid(w, http.StatusNotFound, textin.CodeNotFound, lang, "本服务器不提供审核。", "Audit is not available on this server.")
		return
	}
	maxUpload := s.cfg.MaxUpload
	if maxUpload <= 0 {
		maxUpload = DefaultMaxUpload
	}
	maxRows := s.cfg.MaxAuditRows
	if maxRows <= 0 {
		maxRows = DefaultMaxAuditRows
	}
	tooLarge := &textin.Error{Code: textin.CodeTooLarge, Limit: int(maxUpload)}
	if r.ContentLength > maxUpload {
		writeFail(w, http.StatusRequestEntityTooLarge, lang, tooLarge)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	data, format, err := uploaded(r)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		writeFail(w, http.StatusRequestEntityTooLarge, lang, tooLarge)
		return
	case err != nil:
		writeBadFile(w, lang, err)
		return
	}
	if !s.auditMu.TryLock() {
		w.Header().Set("Retry-After", "10")
		writeSaid(w, http.StatusTooManyRequests, textin.CodeBusy, lang, "另一项审核正在进行，请稍后重试。", "Another audit is running: try again shortly.")
		return
	}
	defer s.auditMu.Unlock()
	t, err := audit.Read(bytes.NewReader(data), format)
	if err != nil {
		writeBadFile(w, lang, err)
		return
	}
	if len(t.Rows) > maxRows {
		writeSaid(w, http.StatusRequestEntityTooLarge, textin.CodeTooLarge, lang, fmt.Sprintf("文件超过 %d 行。", maxRows),
			fmt.Sprintf("The file has more than %d rows.", maxRows))
		return
	}
	rep, err := audit.Review(r.Context(), s.cfg.Auditor, t, audit.Options{Classes: s.cfg.AuditClasses})
	if err != nil {
		s.lg.Error("audit", "err", err)
		writeFail(w, http.StatusInternalServerError, lang, err)
		return
	}
	var out bytes.Buffer
	if err := rep.WriteXLSX(&out); err != nil {
		s.lg.Error("audit", "err", err)
		writeFail(w, http.StatusInternalServerError, lang, err)
		return
	}
	sum := rep.Summary()
	s.lg.Info("audit", "rows", sum.Rows, "flagged", sum.Flagged, "errors", sum.Errors)
	h := w.Header()
	h.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	h.Set("Content-Disposition", `attachment; filename="reviewed.xlsx"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.Write(out.Bytes())
}

// writeBadFile answers an upload that is not a filings file. The audit's own errors (ErrInput)
// are worded "中文 / English"; the half in lang is sent. Anything else is not shown.
func writeBadFile(w http.ResponseWriter, lang string, err error) {
	if !errors.Is(err, audit.ErrInput) {
		writeFail(w, http.StatusBadRequest, lang, &textin.Error{Code: textin.CodeBadRequest})
		return
	}
	msg := strings.TrimPrefix(err.Error(), audit.ErrInput.Error()+": ")
	zh, en, ok := strings.Cut(msg, " / ")
	if !ok {
		if zh, en, ok = strings.Cut(msg, "）/ "); ok {
			zh += "）"
		}
	}
	if ok {
		msg = strings.TrimSpace(zh)
		if lang == "en" {
			msg = strings.TrimSpace(en)
		}
	}
	writeJSON(w, http.StatusBadRequest, errorBody{Error: msg, Code: textin.CodeBadRequest})
}

var errUploadType = fmt.Errorf(`%w: 请以 multipart/form-data（字段 "file"）、text/csv 或 XLSX 上传文件 / `+
	`send the file as multipart/form-data (field "file"), text/csv or XLSX`, audit.ErrInput)

// uploaded reads the file of an audit request and its format.
func uploaded(r *http.Request) ([]byte, string, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, "", errUploadType
	}
	var (
		data   []byte
		format string
	)
	switch mt {
	case "multipart/form-data":
		f, fh, err := r.FormFile("file")
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, "", err
			}
			return nil, "", fmt.Errorf(`%w: 上传的表单没有 "file" 字段 / multipart upload without a "file" field`, audit.ErrInput)
		}
		defer f.Close()
		if format, err = audit.FormatOf(fh.Filename); err != nil {
			return nil, "", err
		}
		data, err = io.ReadAll(f)
		if err != nil {
			return nil, "", err
		}
	case "text/csv":
		format = audit.CSV
	case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		format = audit.XLSX
	default:
		return nil, "", errUploadType
	}
	if data == nil {
		if data, err = io.ReadAll(r.Body); err != nil {
			return nil, "", err
		}
	}
	switch v := r.URL.Query().Get("format"); v {
	case audit.CSV, audit.XLSX:
		format = v
	case "":
	default:
		return nil, "", fmt.Errorf("%w: format 应为 csv 或 xlsx（而非 %q）/ format %q: want csv or xlsx", audit.ErrInput, v, v)
	}
	return data, format, nil
}
