package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"fenlei/audit"
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
	if s.cfg.Auditor == nil {
		writeError(w, http.StatusNotFound, "audit is not available on this server")
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
	if r.ContentLength > maxUpload {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("file over %d bytes", maxUpload))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	data, format, err := uploaded(r)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("file over %d bytes", maxUpload))
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !s.auditMu.TryLock() {
		w.Header().Set("Retry-After", "10")
		writeError(w, http.StatusTooManyRequests, "另一项审核正在进行，请稍后重试 / another audit is running: try again shortly")
		return
	}
	defer s.auditMu.Unlock()
	t, err := audit.Read(bytes.NewReader(data), format)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(t.Rows) > maxRows {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("文件超过 %d 行 / more than %d rows", maxRows, maxRows))
		return
	}
	rep, err := audit.Review(r.Context(), s.cfg.Auditor, t, audit.Options{Classes: s.cfg.AuditClasses})
	if err != nil {
		s.lg.Error("audit", "err", err)
		writeError(w, http.StatusInternalServerError, "audit failed")
		return
	}
	var out bytes.Buffer
	if err := rep.WriteXLSX(&out); err != nil {
		s.lg.Error("audit", "err", err)
		writeError(w, http.StatusInternalServerError, "audit failed")
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

// uploaded reads the file of an audit request and its format.
func uploaded(r *http.Request) ([]byte, string, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, "", errors.New("send the file as multipart/form-data (field \"file\"), text/csv or XLSX")
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
			return nil, "", errors.New(`multipart upload without a "file" field`)
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
		return nil, "", errors.New("send the file as multipart/form-data (field \"file\"), text/csv or XLSX")
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
		return nil, "", fmt.Errorf("format %q: want csv or xlsx", v)
	}
	return data, format, nil
}
