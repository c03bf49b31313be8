// Package store keeps the record of fenlei's answers and the feedback on them, in an embedded
// SQLite database (a pure-Go driver: no cgo, one static binary) or in PostgreSQL (pgx), which
// replicas of `fenlei serve` share. It is the only package that imports a database driver.
//
// It promises:
//   - Open chooses the database by its argument: a postgres:// (or postgresql://) URL, or else a
//     file path for SQLite (":memory:" for a private in-memory database). It applies the versioned
//     migrations in migrations/ before it returns, under a lock on PostgreSQL, so replicas that
//     start together migrate once.
//   - AddRecord and AddFeedback return only after their transaction has committed: an answer a
//     channel sends after AddRecord returned survives a kill -9 of the process.
//   - Raw user ids (IP addresses, Discord ids) are never written: only an HMAC-SHA256 of them under a
//     random salt kept in the database (shared by every replica), see HashUser.
//   - Record ids are random (26 characters of base32): knowing one means having received the answer.
//   - Feedback refers to a recorded answer (ErrNotFound otherwise); a user has one feedback per
//     record (a later one replaces it) and at most Options.FeedbackPerDay in 24 hours (ErrLimit).
//   - Prune deletes records older than a time, and the feedback on them (the retention setting).
//
// Errors are wrapped with the operation ("store.AddRecord: …"); callers branch on ErrNotFound,
// ErrLimit and ErrInvalid with errors.Is.
package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"fenlei/decision"
)

//go:embed migrations/*.sql
var migrationsFS embed.FS

// Errors callers branch on.
var (
	ErrNotFound = errors.New("not found")
	ErrLimit    = errors.New("feedback limit reached")
	ErrInvalid  = errors.New("invalid")
	ErrClosed   = errors.New("store closed")
)

// DefaultFeedbackPerDay is the default of Options.FeedbackPerDay.
const DefaultFeedbackPerDay = 50

// Options configure a DB. Zero values take the defaults.
type Options struct {
	FeedbackPerDay int              // feedback a user may give in 24 hours (default 50)
	Now            func() time.Time // clock (default time.Now)
	Logger         *slog.Logger     // default: discard
}

// Record is one answer as it was sent.
type Record struct {
	ID               string            `json:"id"`
	At               time.Time         `json:"at"`
	Channel          string            `json:"channel"` // "api", "ws", "discord", …
	Conversation     string            `json:"conversation,omitempty"`
	User             string            `json:"user"` // salted hash of the user id ("" when none)
	Text             string            `json:"text"` // what the user sent
	Decision         decision.Decision `json:"decision"`
	Engine           string            `json:"engine"`          // the Decision's engine
	Model            string            `json:"model,omitempty"` // the LLM model, when one answered
	PromptTokens     int               `json:"prompt_tokens"`
	CompletionTokens int               `json:"completion_tokens"`
	LatencyMS        float64           `json:"latency_ms"`
}

// Feedback is a judgement of one recorded answer.
type Feedback struct {
	ID       string    `json:"id"`
	At       time.Time `json:"at"`
	RecordID string    `json:"record_id"`
	User     string    `json:"user"`              // salted hash of the user id
	Vote     string    `json:"vote"`              // "up" or "down"
	Correct  string    `json:"correct,omitempty"` // the code the user says is right
	Comment  string    `json:"comment,omitempty"`

	// From the record judged, filled in by Feedbacks.
	Text string `json:"text"`
	Code string `json:"code"` // the code the answer gave ("" for a question)
}

// Query selects records or feedback.
type Query struct {
	Since  time.Time // at or after (zero: from the start)
	Limit  int       // at most this many (<= 0: all)
	Newest bool      // newest first (default oldest first)
}

// DB is a record store. It is safe for concurrent use.
type DB struct {
	db       *sql.DB
	kind     string // "sqlite" or "postgres"
	salt     []byte
	perDay   int
	now      func() time.Time
	lg       *slog.Logger
	rebind   func(string) string
	location string // for messages, without a password

	// Group commit: AddRecord queues its row and waits; one writer commits whatever has queued in one
	// transaction. Under a burst of answers, a commit (an fsync) per answer made every answer wait for
	// all the commits before it.
	pending   chan *pendingRecord
	writerEnd chan struct{}
	closeMu   sync.RWMutex // held to read by a sender, to write by Close (which closes pending)
	closed    bool
}

// pendingRecord is one row waiting for the writer, and where its outcome goes.
type pendingRecord struct {
	args []any
	done chan error
}

// maxBatch bounds the rows of one group commit.
const maxBatch = 256

// IsPostgres reports whether dsn names a PostgreSQL database rather than a SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens (creating if needed) the database dsn and migrates it to the latest version.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if opts.FeedbackPerDay <= 0 {
		opts.FeedbackPerDay = DefaultFeedbackPerDay
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if strings.TrimSpace(dsn) == "" {
		return nil, fmt.Errorf("store.Open: %w: empty database location", ErrInvalid)
	}
	s := &DB{perDay: opts.FeedbackPerDay, now: opts.Now, lg: opts.Logger, rebind: func(q string) string { return q }}
	var (
		err     error
		dialect goose.Dialect
		popts   = []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	)
	if IsPostgres(dsn) {
		s.kind, s.location, dialect = "postgres", redact(dsn), goose.DialectPostgres
		s.rebind = dollarParams
		s.db, err = sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("store.Open: %s: %w", s.location, err)
		}
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("store.Open: %w", err)
		}
		popts = append(popts, goose.WithSessionLocker(locker))
	} else {
		s.kind, s.location, dialect = "sqlite", dsn, goose.DialectSQLite3
		// WAL lets readers run beside the writer; busy_timeout waits for another process's write;
		// synchronous=FULL (the default) makes a commit durable before AddRecord returns.
		s.db, err = sql.Open("sqlite", dsn+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
		if err != nil {
			return nil, fmt.Errorf("store.Open: %s: %w", dsn, err)
		}
		s.db.SetMaxOpenConns(1) // one writer at a time anyway; ":memory:" needs a single connection
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("store.Open: %s: %w", s.location, err)
	}
	sub, _ := fs.Sub(migrationsFS, "migrations")
	p, err := goose.NewProvider(dialect, s.db, sub, popts...)
	if err != nil {
		s.db.Close()
		return nil, fmt.Errorf("store.Open: migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		s.db.Close()
		return nil, fmt.Errorf("store.Open: %s: migrate: %w", s.location, err)
	}
	for _, r := range res {
		s.lg.Info("store migrated", "db", s.location, "version", r.Source.Version, "took", r.Duration)
	}
	if err := s.loadSalt(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	s.pending = make(chan *pendingRecord, maxBatch)
	s.writerEnd = make(chan struct{})
	go s.writer()
	return s, nil
}

// Close commits the records already queued, then closes the database.
func (s *DB) Close() error {
	s.closeMu.Lock()
	if !s.closed {
		s.closed = true
		close(s.pending)
	}
	s.closeMu.Unlock()
	<-s.writerEnd
	return s.db.Close()
}

const insertRecord = `INSERT INTO records (id, at, channel, conversation, user_hash, text, decision,
		code, engine, model, prompt_tokens, completion_tokens, latency_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// writer commits queued records, as many as have queued (up to maxBatch) in each transaction, until
// Close. A batch whose transaction fails is retried one row per transaction, so that one bad row fails
// only its own AddRecord.
func (s *DB) writer() {
	defer close(s.writerEnd)
	for first := range s.pending {
		batch := []*pendingRecord{first}
	drain:
		for len(batch) < maxBatch {
			select {
			case p, ok := <-s.pending:
				if !ok {
					break drain
				}
				batch = append(batch, p)
			default:
				break drain
			}
		}
		if err := s.commit(batch); err != nil && len(batch) > 1 {
			for _, p := range batch {
				p.done <- s.commit([]*pendingRecord{p})
			}
			continue
		} else {
			for _, p := range batch {
				p.done <- err
			}
		}
	}
}

// commit inserts the rows of batch in one transaction.
func (s *DB) commit(batch []*pendingRecord) error {
	ctx := context.Background() // a queued row is written even if its caller has given up waiting
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	q := s.rebind(insertRecord)
	for _, p := range batch {
		if _, err := tx.ExecContext(ctx, q, p.args...); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

// Kind is "sqlite" or "postgres".
func (s *DB) Kind() string { return s.kind }

// String names the database (a PostgreSQL URL without its password).
func (s *DB) String() string { return s.kind + ":" + s.location }

// Version returns the schema version the migrations reached.
func (s *DB) Version(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version").Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("store.Version: %w", err)
	}
	return v, nil
}

func (s *DB) loadSalt(ctx context.Context) error {
	salt := make([]byte, 32)
	rand.Read(salt)
	if _, err := s.db.ExecContext(ctx, s.rebind("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"),
		"user_salt", hex.EncodeToString(salt)); err != nil {
		return fmt.Errorf("store.Open: salt: %w", err)
	}
	var v string
	if err := s.db.QueryRowContext(ctx, s.rebind("SELECT value FROM settings WHERE key = ?"), "user_salt").Scan(&v); err != nil {
		return fmt.Errorf("store.Open: salt: %w", err)
	}
	b, err := hex.DecodeString(v)
	if err != nil || len(b) < 16 {
		return fmt.Errorf("store.Open: salt: %w: stored salt is not 16+ hex bytes", ErrInvalid)
	}
	s.salt = b
	return nil
}

// HashUser returns the salted hash under which a raw user id is kept ("" for "").
func (s *DB) HashUser(raw string) string {
	if raw == "" {
		return ""
	}
	m := hmac.New(sha256.New, s.salt)
	m.Write([]byte(raw))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// AddRecord hashes user, stores r under a new id and returns it as stored, after the commit (a group
// commit with the records queued beside it).
// At defaults to now; Engine, Model and the token counts are taken from the Decision.
func (s *DB) AddRecord(ctx context.Context, r Record, user string) (Record, error) {
	r.ID = rand.Text()
	if r.At.IsZero() {
		r.At = s.now()
	}
	r.At = r.At.UTC().Truncate(time.Microsecond)
	r.User = s.HashUser(user)
	r.Engine = r.Decision.Engine
	r.Model = ""
	if m, ok := strings.CutPrefix(r.Engine, "llm:"); ok {
		r.Model = m
	}
	if u := r.Decision.Usage; u != nil {
		r.PromptTokens, r.CompletionTokens = u.PromptTokens, u.CompletionTokens
	}
	d, err := json.Marshal(r.Decision)
	if err != nil {
		return Record{}, fmt.Errorf("store.AddRecord: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return Record{}, fmt.Errorf("store.AddRecord: %w", err)
	}
	p := &pendingRecord{done: make(chan error, 1), args: []any{r.ID, r.At.UnixMicro(), r.Channel, r.Conversation, r.User,
		r.Text, string(d), r.Decision.Code, r.Engine, r.Model, r.PromptTokens, r.CompletionTokens, int64(r.LatencyMS * 1000)}}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return Record{}, fmt.Errorf("store.AddRecord: %w", ErrClosed)
	}
	select {
	case s.pending <- p:
		s.closeMu.RUnlock()
	case <-ctx.Done():
		s.closeMu.RUnlock()
		return Record{}, fmt.Errorf("store.AddRecord: %w", ctx.Err())
	}
	select {
	case err = <-p.done: // committed (or failed) with the others queued beside it
	case <-ctx.Done():
		return Record{}, fmt.Errorf("store.AddRecord: %w (the record may still be written)", ctx.Err())
	}
	if err != nil {
		return Record{}, fmt.Errorf("store.AddRecord: %w", err)
	}
	return r, nil
}

const recordCols = "id, at, channel, conversation, user_hash, text, decision, engine, model, prompt_tokens, completion_tokens, latency_us"

func scanRecord(sc interface{ Scan(...any) error }) (Record, error) {
	var (
		r      Record
		at, us int64
		d      string
	)
	if err := sc.Scan(&r.ID, &at, &r.Channel, &r.Conversation, &r.User, &r.Text, &d, &r.Engine, &r.Model,
		&r.PromptTokens, &r.CompletionTokens, &us); err != nil {
		return Record{}, err
	}
	r.At = time.UnixMicro(at).UTC()
	r.LatencyMS = float64(us) / 1000
	if err := json.Unmarshal([]byte(d), &r.Decision); err != nil {
		return Record{}, fmt.Errorf("record %s: decision: %w", r.ID, err)
	}
	return r, nil
}

// Record returns the record with id, or ErrNotFound.
func (s *DB) Record(ctx context.Context, id string) (Record, error) {
	r, err := scanRecord(s.db.QueryRowContext(ctx, s.rebind("SELECT "+recordCols+" FROM records WHERE id = ?"), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, fmt.Errorf("store.Record: %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return Record{}, fmt.Errorf("store.Record: %w", err)
	}
	return r, nil
}

// Records calls fn for each record that q selects, stopping at fn's first error.
// fn must not call other methods of s (on SQLite they would wait for this read).
func (s *DB) Records(ctx context.Context, q Query, fn func(Record) error) error {
	rows, err := s.db.QueryContext(ctx, s.rebind("SELECT "+recordCols+" FROM records WHERE at >= ?"+q.order("at, id")), q.Since.UnixMicro())
	if err != nil {
		return fmt.Errorf("store.Records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return fmt.Errorf("store.Records: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store.Records: %w", err)
	}
	return nil
}

// order is the ORDER BY and LIMIT clause of q over cols.
func (q Query) order(cols string) string {
	o := " ORDER BY " + cols
	if q.Newest {
		o = " ORDER BY " + strings.ReplaceAll(cols, ",", " DESC,") + " DESC"
	}
	if q.Limit > 0 {
		o += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	return o
}

// AddFeedback stores f (Vote "up" or "down"; Correct and Comment as given, already validated by
// the caller) from user, replacing that user's earlier feedback on the same record. Errors:
// ErrInvalid for a bad vote, ErrNotFound when the record does not exist, ErrLimit when the user
// gave Options.FeedbackPerDay feedbacks in the last 24 hours.
func (s *DB) AddFeedback(ctx context.Context, f Feedback, user string) (Feedback, error) {
	if f.Vote != "up" && f.Vote != "down" {
		return Feedback{}, fmt.Errorf("store.AddFeedback: %w: vote %q", ErrInvalid, f.Vote)
	}
	f.ID = rand.Text()
	f.At = s.now().UTC().Truncate(time.Microsecond)
	f.User = s.HashUser(user)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Feedback{}, fmt.Errorf("store.AddFeedback: %w", err)
	}
	defer tx.Rollback()
	var d string
	err = tx.QueryRowContext(ctx, s.rebind("SELECT text, code FROM records WHERE id = ?"), f.RecordID).Scan(&f.Text, &d)
	if errors.Is(err, sql.ErrNoRows) {
		return Feedback{}, fmt.Errorf("store.AddFeedback: record %q: %w", f.RecordID, ErrNotFound)
	}
	if err != nil {
		return Feedback{}, fmt.Errorf("store.AddFeedback: %w", err)
	}
	f.Code = d
	var n int
	if err := tx.QueryRowContext(ctx, s.rebind("SELECT COUNT(*) FROM feedback WHERE user_hash = ? AND at >= ? AND record_id <> ?"),
		f.User, f.At.Add(-24*time.Hour).UnixMicro(), f.RecordID).Scan(&n); err != nil {
		return Feedback{}, fmt.Errorf("store.AddFeedback: %w", err)
	}
	if n >= s.perDay {
		return Feedback{}, fmt.Errorf("store.AddFeedback: %w: %d in 24 hours", ErrLimit, n)
	}
	if _, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO feedback (id, at, record_id, user_hash, vote, correct, comment)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (record_id, user_hash) DO UPDATE
		SET id = excluded.id, at = excluded.at, vote = excluded.vote, correct = excluded.correct, comment = excluded.comment`),
		f.ID, f.At.UnixMicro(), f.RecordID, f.User, f.Vote, f.Correct, f.Comment); err != nil {
		return Feedback{}, fmt.Errorf("store.AddFeedback: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Feedback{}, fmt.Errorf("store.AddFeedback: %w", err)
	}
	return f, nil
}

// Feedbacks calls fn for each feedback that q selects, with the text and code of its record.
// fn must not call other methods of s.
func (s *DB) Feedbacks(ctx context.Context, q Query, fn func(Feedback) error) error {
	rows, err := s.db.QueryContext(ctx, s.rebind(`SELECT f.id, f.at, f.record_id, f.user_hash, f.vote, f.correct, f.comment, r.text, r.code
		FROM feedback f JOIN records r ON r.id = f.record_id WHERE f.at >= ?`+q.order("f.at, f.id")), q.Since.UnixMicro())
	if err != nil {
		return fmt.Errorf("store.Feedbacks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			f  Feedback
			at int64
		)
		if err := rows.Scan(&f.ID, &at, &f.RecordID, &f.User, &f.Vote, &f.Correct, &f.Comment, &f.Text, &f.Code); err != nil {
			return fmt.Errorf("store.Feedbacks: %w", err)
		}
		f.At = time.UnixMicro(at).UTC()
		if err := fn(f); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store.Feedbacks: %w", err)
	}
	return nil
}

// Prune deletes the records made before t and the feedback on them, and returns how many records
// it deleted.
func (s *DB) Prune(ctx context.Context, before time.Time) (int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store.Prune: %w", err)
	}
	defer tx.Rollback()
	cut := before.UnixMicro()
	if _, err := tx.ExecContext(ctx, s.rebind("DELETE FROM feedback WHERE record_id IN (SELECT id FROM records WHERE at < ?)"), cut); err != nil {
		return 0, fmt.Errorf("store.Prune: %w", err)
	}
	res, err := tx.ExecContext(ctx, s.rebind("DELETE FROM records WHERE at < ?"), cut)
	if err != nil {
		return 0, fmt.Errorf("store.Prune: %w", err)
	}
	n, _ := res.RowsAffected()
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store.Prune: %w", err)
	}
	return n, nil
}

// dollarParams turns the ? placeholders of q into PostgreSQL's $1, $2, …
// (the queries here have no ? inside literals).
func dollarParams(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// redact drops the password of a URL for messages.
func redact(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return dsn
	}
	cred := dsn[scheme+3 : at]
	if user, _, ok := strings.Cut(cred, ":"); ok {
		return dsn[:scheme+3] + user + ":xxxxx" + dsn[at:]
	}
	return dsn
}
