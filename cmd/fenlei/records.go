package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fenlei/store"
)

// storeFlags adds the record-database settings of the commands that use it.
func storeFlags(c *Config, fs *flag.FlagSet, cmd string, getenv func(string) string) {
	switch cmd {
	case "serve", "discord", "records", "feedback":
		c.DB = getenv("FENLEI_DB_URL")
		if c.DB == "" {
			c.DB = "fenlei.db"
		}
		fs.StringVar(&c.DB, "db", c.DB, "record database: a SQLite file path or a postgres:// URL (env FENLEI_DB_URL)")
	}
	switch cmd {
	case "serve", "discord":
		c.AdminToken = getenv("FENLEI_ADMIN_TOKEN")
		c.Retention, c.retentionErr = parseRetention(getenv("FENLEI_RETENTION"))
		fs.Func("retention", "delete records older than this, e.g. 90d or 2160h (default: keep them; env FENLEI_RETENTION)", func(v string) (err error) {
			c.Retention, err = parseRetention(v)
			c.retentionErr = nil
			return err
		})
		fs.IntVar(&c.FeedbackPerDay, "feedback-per-day", store.DefaultFeedbackPerDay, "feedback one user may give in 24 hours")
	}
}

func (c *Config) validateStore() error {
	if c.retentionErr != nil {
		return fmt.Errorf("FENLEI_RETENTION: %w", c.retentionErr)
	}
	if c.Format != "" && c.Format != "jsonl" && c.Format != "csv" {
		return fmt.Errorf("--format %q: want jsonl or csv", c.Format)
	}
	return nil
}

// parseRetention reads "" (keep), "90d" (days) or a Go duration ("2160h").
func parseRetention(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "0" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q: want a number of days like 90d, or a duration like 2160h", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want a number of days like 90d, or a duration like 2160h", v)
	}
	return d, nil
}

// openStore opens the record database of the configuration.
func (a *App) openStore(ctx context.Context) (*store.DB, error) {
	db, err := store.Open(ctx, a.cfg.DB, store.Options{FeedbackPerDay: a.cfg.FeedbackPerDay, Logger: a.lg})
	if err != nil {
		return nil, err
	}
	a.lg.Info("record database", "db", db.String())
	return db, nil
}

// retain deletes records older than the retention now and then every hour, until ctx ends.
func (a *App) retain(ctx context.Context, db *store.DB) {
	if a.cfg.Retention <= 0 {
		return
	}
	for {
		n, err := db.Prune(ctx, time.Now().Add(-a.cfg.Retention))
		if err != nil && ctx.Err() == nil {
			a.lg.Error("retention", "err", err)
		} else if n > 0 {
			a.lg.Info("retention", "deleted", n, "older_than", a.cfg.Retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}

// records exports every record, one JSON line or CSV row per answer, each with its Decision.
func (a *App) records(ctx context.Context) error {
	db, err := a.openStore(ctx)
	if err != nil {
		return fmt.Errorf("records: %w", err)
	}
	defer db.Close()
	out := bufio.NewWriter(a.stdout)
	defer out.Flush()
	if a.cfg.Format == "csv" {
		cw := csv.NewWriter(out)
		cw.Write([]string{"id", "at", "channel", "conversation", "user", "text", "code", "name", "confidence",
			"engine", "model", "prompt_tokens", "completion_tokens", "latency_ms", "decision"})
		err = db.Records(ctx, store.Query{}, func(r store.Record) error {
			d, err := json.Marshal(r.Decision)
			if err != nil {
				return err
			}
			cw.Write([]string{r.ID, r.At.Format(time.RFC3339Nano), r.Channel, r.Conversation, r.User, r.Text,
				r.Decision.Code, r.Decision.Name, strconv.FormatFloat(r.Decision.Confidence, 'f', -1, 64),
				r.Engine, r.Model, strconv.Itoa(r.PromptTokens), strconv.Itoa(r.CompletionTokens),
				strconv.FormatFloat(r.LatencyMS, 'f', -1, 64), string(d)})
			return cw.Error()
		})
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
	} else {
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		err = db.Records(ctx, store.Query{}, func(r store.Record) error { return enc.Encode(r) })
	}
	if err != nil {
		return fmt.Errorf("records: %w", err)
	}
	return out.Flush()
}

// feedbackCase is an eval case made from a correction (eval.Case's fields, plus its source).
type feedbackCase struct {
	ID       string   `json:"id"`
	Text     string   `json:"text"`
	Expected string   `json:"expected"`
	Tags     []string `json:"tags"`
	Reason   string   `json:"reason,omitempty"`
	Source   string   `json:"source"`
	Record   string   `json:"record"`
	Answered string   `json:"answered"` // the code fenlei gave
}

// feedbackExport writes every correction (feedback with a corrected code) as an eval case.
func (a *App) feedbackExport(ctx context.Context, args []string) error {
	if len(args) != 1 || args[0] != "export" {
		return fmt.Errorf("feedback: usage: fenlei feedback export [--db DB] > cases.jsonl")
	}
	db, err := a.openStore(ctx)
	if err != nil {
		return fmt.Errorf("feedback: %w", err)
	}
	defer db.Close()
	out := bufio.NewWriter(a.stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	n := 0
	err = db.Feedbacks(ctx, store.Query{}, func(f store.Feedback) error {
		if f.Correct == "" || strings.TrimSpace(f.Text) == "" {
			return nil
		}
		n++
		return enc.Encode(feedbackCase{ID: "fb-" + strings.ToLower(f.ID), Text: f.Text, Expected: f.Correct,
			Tags: []string{"feedback"}, Reason: f.Comment, Source: "feedback", Record: f.RecordID, Answered: f.Code})
	})
	if err != nil {
		return fmt.Errorf("feedback: %w", err)
	}
	fmt.Fprintf(a.stderr, "fenlei: %d corrections written as eval cases\n", n)
	return out.Flush()
}

var errNoInput = errors.New("audit: give one filings file: fenlei audit [-o OUT] FILE")
