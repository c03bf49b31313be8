// Package audit reviews enterprises' filings (审核): a table of contracts, each with a
// description and the code the enterprise declared, is classified row by row and every row gets
// fenlei's suggestion beside the declaration.
//
// It promises:
//   - Read takes CSV or XLSX and finds its columns by header, in Chinese or English
//     (企业名称/enterprise, 合同名称或业务描述/description, 申报代码/declared code, 合同金额/amount,
//     合同编号/contract id; description and declared code are required), below an optional title row.
//   - Review keeps every input row and column, in order, and adds suggested_code, suggested_name,
//     confidence, status, reason, refs and error. Status is agree, differs (another sub-class of the
//     same ITO/BPO/KPO class), differs-class (another class), out (not counted as service
//     outsourcing) or review (fenlei asks a question, or the declared code is not a code).
//   - A bad row (no description, an amount that is not a number, a declared code that is not a
//     code, a classifier error) gets a message in its error cell, in the table's language, and the
//     run goes on; only a file that cannot be read at all is an error (wrapping ErrInput).
//   - WriteXLSX adds a summary sheet: rows per status with their share, counts and amounts per class
//     declared and suggested, and declared class against suggested class.
//   - Rows are classified by Options.Workers goroutines; the output order is the input order. A
//     description that occurs in several rows is classified once.
package audit

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"fenlei/corpus"
	"fenlei/decision"
	"fenlei/textin"
)

// Classifier classifies one description; *classify.Engine satisfies it.
type Classifier interface {
	Classify(ctx context.Context, text string) (decision.Decision, error)
}

// Statuses of a reviewed row.
const (
	StatusAgree        = "agree"
	StatusDiffers      = "differs"
	StatusDiffersClass = "differs-class"
	StatusOut          = "out"
	StatusReview       = "review"
)

// Added are the columns a review adds to the input's.
var Added = []string{"suggested_code", "suggested_name", "confidence", "status", "reason", "refs", "error"}

// Options configure Review. Zero values take the defaults.
type Options struct {
	Classes  []corpus.Class        // the taxonomy: declared codes are checked against its sub-classes (nil: by shape)
	Workers  int                   // rows classified at once (default GOMAXPROCS)
	Progress func(done, total int) // called after each row, from one goroutine at a time (may be nil)
}

// Row is the review of one input row.
type Row struct {
	Declared   string  // the declared code, normalised
	Amount     float64 // the contract amount (0 when absent or unreadable)
	Suggested  string
	Name       string
	Confidence float64
	Status     string
	Reason     string
	Refs       string
	Error      string
}

// Report is a reviewed table.
type Report struct {
	Table *Table
	Rows  []Row // one per Table.Rows
}

// Review classifies every row of t with c.
func Review(ctx context.Context, c Classifier, t *Table, opts Options) (*Report, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	subs := map[string]bool{}
	for _, cl := range opts.Classes {
		if cl.Level == corpus.Sub {
			subs[cl.Code] = true
		}
	}
	rep := &Report{Table: t, Rows: make([]Row, len(t.Rows))}
	m := &memo{c: c}
	jobs := make(chan int)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
	)
	for range min(workers, max(len(t.Rows), 1)) {
		wg.Go(func() {
			for i := range jobs {
				rep.Rows[i] = reviewRow(ctx, m, t, t.Rows[i], subs)
				if opts.Progress != nil {
					mu.Lock()
					done++
					opts.Progress(done, len(t.Rows))
					mu.Unlock()
				}
			}
		})
	}
feed:
	for i := range t.Rows {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("audit.Review: %w", err)
	}
	return rep, nil
}

// memo classifies each distinct description once: filings repeat descriptions, and one text
// should get one answer throughout a file.
type memo struct {
	c Classifier
	m sync.Map // text → *memoEntry
}

type memoEntry struct {
	once sync.Once
	d    decision.Decision
	err  error
}

func (m *memo) Classify(ctx context.Context, text string) (decision.Decision, error) {
	v, _ := m.m.LoadOrStore(text, &memoEntry{})
	e := v.(*memoEntry)
	e.once.Do(func() { e.d, e.err = m.c.Classify(ctx, text) })
	return e.d, e.err
}

func reviewRow(ctx context.Context, c Classifier, t *Table, row []string, subs map[string]bool) Row {
	zh := t.Lang == "zh"
	msg := func(z, e string, args ...any) string {
		if zh {
			return fmt.Sprintf(z, args...)
		}
		return fmt.Sprintf(e, args...)
	}
	var errs []string
	sep := "；"
	if !zh {
		sep = "; "
	}
	r := Row{Declared: corpus.NormCode(t.field(row, colDeclared))}
	if a := t.field(row, colAmount); a != "" {
		v, ok := parseAmount(a)
		if ok {
			r.Amount = v
		} else {
			errs = append(errs, msg("合同金额“%s”不是数字", "amount %q is not a number", a))
		}
	}
	validDeclared := r.Declared == decision.OUT || subs[r.Declared] || (len(subs) == 0 && codeShape(r.Declared))
	if !validDeclared {
		if r.Declared == "" {
			errs = append(errs, msg("缺少申报代码", "no declared code"))
		} else {
			errs = append(errs, msg("申报代码“%s”不是子类代码（如 I11）", "declared code %q is not a sub-class code (like I11)", r.Declared))
		}
	}
	text := t.field(row, colDescription)
	if text == "" {
		r.Error = strings.Join(append(errs, msg("缺少合同名称或业务描述，未审核", "no description: not reviewed")), sep)
		return r
	}
	// A description is user text like any message: textin normalises it and refuses what is not
	// a description (no words, too long, not text), in the file's language.
	in, err := textin.ParseLang(text, 0, t.Lang)
	var d decision.Decision
	if err == nil {
		d, err = c.Classify(ctx, in.Match)
	}
	if err != nil {
		r.Error = strings.Join(append(errs, msg("无法分类：%s", "could not classify: %s", textin.Message(err, t.Lang))), sep)
		return r
	}
	r.Suggested, r.Name, r.Confidence = d.Code, d.Name, d.Confidence
	r.Refs = refs(d)
	r.Reason = d.Reason
	if r.Reason == "" {
		r.Reason, _, _ = strings.Cut(d.Answer, "\n")
	}
	switch {
	case d.Code == "":
		r.Status = StatusReview
		if d.Question != "" {
			r.Reason = d.Question
		}
	case !validDeclared:
		r.Status = StatusReview
	case d.Code == r.Declared:
		r.Status = StatusAgree
	case d.Code == decision.OUT:
		r.Status = StatusOut
	case classOf(d.Code) == classOf(r.Declared):
		r.Status = StatusDiffers
	default:
		r.Status = StatusDiffersClass
	}
	r.Error = strings.Join(errs, sep)
	return r
}

// refs lists the passages behind a Decision: its citations, then the rules that changed it.
func refs(d decision.Decision) string {
	var out []string
	seen := map[string]bool{}
	add := func(r string) {
		if r != "" && !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	for _, c := range d.Citations {
		add(c.Ref)
	}
	for _, c := range d.Checks {
		add(c.Ref)
	}
	return strings.Join(out, " ")
}

// classOf is the ITO/BPO/KPO class of a sub-class code, "OUT" for OUT, "" for anything else.
func classOf(code string) string {
	switch {
	case code == decision.OUT:
		return decision.OUT
	case strings.HasPrefix(code, "I"):
		return "ITO"
	case strings.HasPrefix(code, "B"):
		return "BPO"
	case strings.HasPrefix(code, "K"):
		return "KPO"
	}
	return ""
}

func codeShape(code string) bool {
	return len(code) == 3 && strings.ContainsRune("IBK", rune(code[0])) && code[1] >= '1' && code[1] <= '9' && code[2] >= '0' && code[2] <= '9'
}

// parseAmount reads "1,234.5", "￥1 234", "12.5万" (×10,000) and the like.
func parseAmount(s string) (float64, bool) {
	s = strings.NewReplacer(",", "", "，", "", " ", "", "￥", "", "¥", "", "$", "", "元", "").Replace(strings.TrimSpace(s))
	mult := 1.0
	if t, ok := strings.CutSuffix(s, "万"); ok {
		s, mult = t, 1e4
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return v * mult, true
}

// Run reads a filings file in inFormat from in, reviews it and writes the result in outFormat to out.
func Run(ctx context.Context, c Classifier, in io.Reader, inFormat string, out io.Writer, outFormat string, opts Options) (*Report, error) {
	t, err := Read(in, inFormat)
	if err != nil {
		return nil, err
	}
	rep, err := Review(ctx, c, t, opts)
	if err != nil {
		return nil, err
	}
	switch outFormat {
	case CSV:
		err = rep.WriteCSV(out)
	case XLSX:
		err = rep.WriteXLSX(out)
	default:
		err = fmt.Errorf("audit.Run: unknown output format %q", outFormat)
	}
	return rep, err
}
