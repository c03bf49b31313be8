package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"fenlei/decision"
	"fenlei/store"
)

// Clock is a settable clock for Options.Now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func dec(code, engine string, usage *decision.Usage) decision.Decision {
	return decision.Decision{Code: code, Name: "名称 " + code, Path: []string{"ITO", "I1", code}, Confidence: 0.75,
		Candidates: []decision.Candidate{{Code: code, Score: 0.75}},
		Citations:  []decision.Citation{{Ref: code + ".def", Section: "二、业务分类", Quote: "引文"}},
		Checks:     []decision.Check{}, Answer: "答：" + code, Engine: engine, Kind: decision.KindClassification, Usage: usage}
}

// Run is the contract every backend passes. newDSN returns the location of a new, empty database
// each time it is called.
func Run(t *testing.T, newDSN func(t *testing.T) string) {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

	t.Run("migrate", func(t *testing.T) {
		dsn := newDSN(t)
		a := Open(t, dsn, store.Options{})
		v, err := a.Version(t.Context())
		if err != nil || v < 1 {
			t.Fatalf("Version = %d, %v; want >= 1", v, err)
		}
		h := a.HashUser("ip:203.0.113.9")
		b := Open(t, dsn, store.Options{}) // a second replica, or a restart: migrating again is a no-op
		if v2, err := b.Version(t.Context()); err != nil || v2 != v {
			t.Errorf("second Open: Version = %d, %v; want %d", v2, err, v)
		}
		if h2 := b.HashUser("ip:203.0.113.9"); h2 != h {
			t.Errorf("the salt changed between opens: %s then %s", h, h2)
		}
	})

	t.Run("concurrent records commit in groups", func(t *testing.T) {
		db := Open(t, newDSN(t), store.Options{})
		const n = 300
		ids := make([]string, n)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := db.AddRecord(t.Context(), store.Record{Channel: "ws", Text: fmt.Sprintf("描述 %d", i),
					Decision: dec("I11", "offline", nil)}, "ip:198.51.100.7")
				if err != nil {
					errs <- err
					return
				}
				ids[i] = r.ID
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("AddRecord: %v", err)
		}
		for i, id := range ids { // every returned record was committed: it reads back
			r, err := db.Record(t.Context(), id)
			if err != nil || r.Text != fmt.Sprintf("描述 %d", i) {
				t.Fatalf("record %d (%s): %+v, %v", i, id, r, err)
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddRecord(t.Context(), store.Record{Channel: "ws", Text: "x", Decision: dec("I11", "offline", nil)}, ""); !errors.Is(err, store.ErrClosed) {
			t.Errorf("AddRecord after Close: %v, want ErrClosed", err)
		}
	})

	t.Run("records", func(t *testing.T) {
		clk := NewClock(start)
		db := Open(t, newDSN(t), store.Options{Now: clk.Now})
		ctx := t.Context()
		in := []struct {
			rec  store.Record
			user string
		}{
			{store.Record{Channel: "api", Text: "为银行开发APP", Decision: dec("I11", "offline", nil), LatencyMS: 3.5}, "ip:198.51.100.7"},
			{store.Record{Channel: "ws", Conversation: "c1", Text: "仓储物流", Decision: dec("OUT", "llm:deepseek-chat",
				&decision.Usage{PromptTokens: 1200, CompletionTokens: 80}), LatencyMS: 812}, "ip:198.51.100.7"},
			{store.Record{Channel: "discord", Conversation: "discord:42", Text: "software testing", Decision: dec("I13", "offline", nil)}, "discord:1234567890"},
		}
		var ids []string
		for i, c := range in {
			clk.Add(time.Minute)
			got, err := db.AddRecord(ctx, c.rec, c.user)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, got.ID)
			if len(got.ID) < 20 {
				t.Errorf("record %d: id %q is too short to be unguessable", i, got.ID)
			}
			if got.User == c.user || got.User == "" || got.User != db.HashUser(c.user) {
				t.Errorf("record %d: user = %q, want the salted hash of %q", i, got.User, c.user)
			}
			back, err := db.Record(ctx, got.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, got) {
				t.Errorf("record %d read back differs:\n got %+v\nwant %+v", i, back, got)
			}
		}
		if in[0].user == "" || db.HashUser(in[0].user) == db.HashUser(in[2].user) {
			t.Error("two users hash alike")
		}
		r1, _ := db.Record(ctx, ids[1])
		if r1.Engine != "llm:deepseek-chat" || r1.Model != "deepseek-chat" || r1.PromptTokens != 1200 || r1.CompletionTokens != 80 || r1.LatencyMS != 812 {
			t.Errorf("engine, model, usage, latency = %q %q %d %d %v", r1.Engine, r1.Model, r1.PromptTokens, r1.CompletionTokens, r1.LatencyMS)
		}
		if !r1.At.Equal(start.Add(2 * time.Minute)) {
			t.Errorf("at = %v, want %v", r1.At, start.Add(2*time.Minute))
		}
		if _, err := db.Record(ctx, "nosuchrecord"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Record(unknown) err = %v, want ErrNotFound", err)
		}
		for _, tc := range []struct {
			name string
			q    store.Query
			want []string
		}{
			{"all", store.Query{}, ids},
			{"since", store.Query{Since: start.Add(2 * time.Minute)}, ids[1:]},
			{"limit", store.Query{Limit: 2}, ids[:2]},
			{"newest", store.Query{Newest: true, Limit: 2}, []string{ids[2], ids[1]}},
		} {
			var got []string
			if err := db.Records(ctx, tc.q, func(r store.Record) error { got = append(got, r.ID); return nil }); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			}
		}
		stop := errors.New("stop")
		if err := db.Records(ctx, store.Query{}, func(store.Record) error { return stop }); err != stop {
			t.Errorf("Records did not return fn's error: %v", err)
		}
	})

	t.Run("feedback", func(t *testing.T) {
		clk := NewClock(start)
		db := Open(t, newDSN(t), store.Options{Now: clk.Now, FeedbackPerDay: 3})
		ctx := t.Context()
		var recs []string
		for i := range 5 {
			r, err := db.AddRecord(ctx, store.Record{Channel: "api", Text: fmt.Sprintf("描述 %d", i), Decision: dec("I11", "offline", nil)}, "ip:a")
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, r.ID)
		}
		add := func(rec, vote, correct, user string) error {
			clk.Add(time.Second)
			_, err := db.AddFeedback(ctx, store.Feedback{RecordID: rec, Vote: vote, Correct: correct, Comment: "c"}, user)
			return err
		}
		for _, tc := range []struct {
			name                 string
			rec, vote, fix, user string
			want                 error
		}{
			{"bad vote", recs[0], "maybe", "", "u1", store.ErrInvalid},
			{"unknown record", "nosuchrecord", "down", "I13", "u1", store.ErrNotFound},
			{"first", recs[0], "down", "I13", "u1", nil},
			{"same record again replaces", recs[0], "down", "I12", "u1", nil},
			{"second", recs[1], "up", "", "u1", nil},
			{"third", recs[2], "down", "OUT", "u1", nil},
			{"over the daily limit", recs[3], "down", "I13", "u1", store.ErrLimit},
			{"changing an earlier one is still allowed", recs[1], "down", "B21", "u1", nil},
			{"another user has their own limit", recs[3], "up", "", "u2", nil},
		} {
			if err := add(tc.rec, tc.vote, tc.fix, tc.user); !errors.Is(err, tc.want) {
				t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
			}
		}
		clk.Add(25 * time.Hour)
		if err := add(recs[4], "down", "K11", "u1"); err != nil {
			t.Errorf("a day later: %v", err)
		}
		type row struct{ Rec, Vote, Correct, Text, Code, User string }
		var got []row
		if err := db.Feedbacks(ctx, store.Query{}, func(f store.Feedback) error {
			got = append(got, row{f.RecordID, f.Vote, f.Correct, f.Text, f.Code, f.User})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		u1, u2 := db.HashUser("u1"), db.HashUser("u2")
		want := []row{
			{recs[0], "down", "I12", "描述 0", "I11", u1},
			{recs[2], "down", "OUT", "描述 2", "I11", u1},
			{recs[1], "down", "B21", "描述 1", "I11", u1},
			{recs[3], "up", "", "描述 3", "I11", u2},
			{recs[4], "down", "K11", "描述 4", "I11", u1},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Feedbacks:\n got %v\nwant %v", got, want)
		}
	})

	t.Run("prune", func(t *testing.T) {
		clk := NewClock(start)
		db := Open(t, newDSN(t), store.Options{Now: clk.Now})
		ctx := t.Context()
		old, err := db.AddRecord(ctx, store.Record{Channel: "api", Text: "old", Decision: dec("I11", "offline", nil)}, "u")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddFeedback(ctx, store.Feedback{RecordID: old.ID, Vote: "up"}, "u"); err != nil {
			t.Fatal(err)
		}
		clk.Add(48 * time.Hour)
		recent, err := db.AddRecord(ctx, store.Record{Channel: "api", Text: "new", Decision: dec("I12", "offline", nil)}, "u")
		if err != nil {
			t.Fatal(err)
		}
		n, err := db.Prune(ctx, clk.Now().Add(-24*time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("Prune = %d, %v; want 1", n, err)
		}
		if _, err := db.Record(ctx, old.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the old record is still there: %v", err)
		}
		if _, err := db.Record(ctx, recent.ID); err != nil {
			t.Errorf("the recent record is gone: %v", err)
		}
		nf := 0
		db.Feedbacks(ctx, store.Query{}, func(store.Feedback) error { nf++; return nil })
		if nf != 0 {
			t.Errorf("%d feedbacks on pruned records remain", nf)
		}
	})

	t.Run("concurrent replicas", func(t *testing.T) {
		dsn := newDSN(t)
		a, b := Open(t, dsn, store.Options{}), Open(t, dsn, store.Options{})
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for w := range 8 {
			db := a
			if w%2 == 1 {
				db = b
			}
			wg.Go(func() {
				for i := range 25 {
					if _, err := db.AddRecord(t.Context(), store.Record{Channel: "api", Text: fmt.Sprintf("%d-%d", w, i),
						Decision: dec("I11", "offline", nil)}, "u"); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		seen := map[string]bool{}
		a.Records(t.Context(), store.Query{}, func(r store.Record) error { seen[r.Text] = true; return nil })
		if len(seen) != 200 {
			t.Errorf("%d distinct records, want 200", len(seen))
		}
	})
}
