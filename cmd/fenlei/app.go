package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"text/tabwriter"

	"fenlei/bot"
	"fenlei/bot/discord"
	"fenlei/bot/web"
	"fenlei/classify"
	"fenlei/corpus"
	"fenlei/decision"
	"fenlei/eval"
	"fenlei/llm"
	"fenlei/retrieval"
	"fenlei/score"
	"fenlei/textin"
)

// App holds what the commands share: the configuration, the logger, the streams and the engine.
type App struct {
	cfg            *Config
	lg             *slog.Logger
	stdin          io.Reader
	stdout, stderr io.Writer

	g   *corpus.Guidance
	idx *retrieval.Index
	eng *classify.Engine
	// model replaces the embedded scorer (train builds the engine with an empty one); nil: embedded.
	model *score.Model
	// entries builds the coding index from its entries (train, eval --cv) instead of the compiled form.
	entries bool
	// router and kinds replace the embedded routing models (train fits them first); nil: embedded.
	router *classify.Router
	kinds  *score.TextWire
}

// indexed is the embedded data an engine reads: the guidance, the index over its passages, the coding
// index and the question index, and the question lexicon. All of it is read-only once built.
type indexed struct {
	g         *corpus.Guidance
	idx       *retrieval.Index
	questions []corpus.Synonym
}

// loadIndexed builds the indexed data once per process. Serving reads the compiled coding index
// (retrieval/index.gob); training and cross-validation (fromEntries) read the coding index's
// entries, whose texts they classify, and build the index from them. A command calls load once, so this
// changes nothing for it; the tests, which run fenlei many times in one process, share it. The engine,
// which holds the logger and the options, is built per App.
func loadIndexed(fromEntries bool) (indexed, error) {
	if fromEntries {
		return loadTraining()
	}
	return loadServing()
}

var (
	loadServing  = sync.OnceValues(func() (indexed, error) { return buildIndexed(false) })
	loadTraining = sync.OnceValues(func() (indexed, error) { return buildIndexed(true) })
)

func buildIndexed(fromEntries bool) (indexed, error) {
	g, err := corpus.Load()
	if err != nil {
		return indexed{}, err
	}
	lex, err := corpus.Lexicon()
	if err != nil {
		return indexed{}, err
	}
	var opts retrieval.Options
	if fromEntries {
		if opts.Entries, err = g.CodingIndex(); err != nil {
			return indexed{}, err
		}
	}
	opts.Questions = g.QuestionIndex
	idx, err := retrieval.New(g, lex, opts)
	if err != nil {
		return indexed{}, err
	}
	questions, err := corpus.QuestionLexicon()
	if err != nil {
		return indexed{}, err
	}
	return indexed{g: g, idx: idx, questions: questions}, nil
}

// load builds the engine (with the LLM when one is configured) over the indexed data.
func (a *App) load() error {
	if a.eng != nil {
		return nil
	}
	in, err := loadIndexed(a.entries)
	if err != nil {
		return err
	}
	g, idx, questions := in.g, in.idx, in.questions
	cfg := classify.Config{Guidance: g, Searcher: idx, Neighbours: idx, QuestionIndex: idx, Questions: questions, Logger: a.lg,
		Model: a.model, MaxRunes: cliMaxRunes, Router: a.router, QuestionKinds: a.kinds}
	if a.cfg.Skip != "" {
		cfg.SkipRules = strings.Split(a.cfg.Skip, ",")
	}
	if a.cfg.LLMURL != "" {
		c, err := a.llmClient()
		if err != nil {
			return err
		}
		cfg.Suggester = classify.NewLLM(c, c.Model(), a.lg)
	}
	eng, err := classify.New(cfg)
	if err != nil {
		return err
	}
	a.g, a.idx, a.eng = g, idx, eng
	return nil
}

func (a *App) ask(ctx context.Context, args []string) error {
	text := strings.Join(args, " ")
	if text == "" {
		return fmt.Errorf("ask: give a description or a question, e.g. fenlei ask 我们给银行做手机APP")
	}
	in, err := textin.ParseLang(text, a.maxRunes(), a.cfg.Lang)
	if err != nil {
		return userError(err, in.Lang)
	}
	if err := a.load(); err != nil {
		return err
	}
	d, err := a.eng.Answer(ctx, in.Match, nil)
	if err != nil {
		if textin.UserError(err) {
			return userError(err, in.Lang)
		}
		return fmt.Errorf("ask: %w", err)
	}
	if a.cfg.JSON {
		return writeJSON(a.stdout, d)
	}
	_, err = fmt.Fprintln(a.stdout, d.Text())
	return err
}

// parseJSONLine reads one line of classify --jsonl: {"id": string or number, "text": string}, other
// fields ignored. The id is returned whenever it can be read, also with an error about the text.
func parseJSONLine(line string) (id, text string, err *textin.Error) {
	var fields map[string]json.RawMessage
	if e := json.Unmarshal([]byte(line), &fields); e != nil {
		return "", "", textin.JSONError(e)
	}
	id, ok := decision.RequestID(fields["id"])
	if !ok {
		return "", "", &textin.Error{Code: textin.CodeBadRequest, Problem: textin.ProblemType, Field: "id"}
	}
	raw := fields["text"]
	if t := strings.TrimSpace(string(raw)); t == "" || t == "null" {
		return id, "", &textin.Error{Code: textin.CodeBadRequest, Problem: textin.ProblemMissing, Field: "text"}
	}
	if json.Unmarshal(raw, &text) != nil {
		return id, "", &textin.Error{Code: textin.CodeBadRequest, Problem: textin.ProblemType, Field: "text"}
	}
	return id, text, nil
}

// cliMaxRunes is the longest text the command line accepts (the web's limit is bot.DefaultMaxMessage).
const cliMaxRunes = 10000

func (a *App) maxRunes() int { return cliMaxRunes }

// cliError is an input error told to the user in their language; it wraps the textin error.
type cliError struct {
	msg string
	err error
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

func userError(err error, lang string) error {
	return &cliError{msg: textin.Message(err, lang), err: err}
}

// maxLine is the longest line classify --jsonl reads; the rest of a longer line is skipped.
const maxLine = 1 << 20

// jsonlJob is one input line of classify --jsonl and where its Decision goes.
type jsonlJob struct {
	n       int
	line    string
	readErr error
	out     chan decision.Decision
}

// classifyJSONL reads {"id","text"} lines and writes one line per input line, in order, classifying
// --workers lines at a time: a Decision, or for a bad line (blank, not JSON, a wrong type, a text that
// is empty or too long…) a Decision-shaped line with "error" (for people, in the text's language)
// and "error_code" (for programs), keeping the id whenever it can be read. The run goes on. A UTF-8
// byte-order mark before the first line is skipped, and so is whitespace after the last newline.
func (a *App) classifyJSONL(ctx context.Context) error {
	if err := a.load(); err != nil {
		return err
	}
	workers := a.cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
		if a.cfg.LLMURL != "" {
			workers = 4 // the LLM's concurrency limit
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan *jsonlJob, workers)
	order := make(chan *jsonlJob, 2*workers)
	readErr := make(chan error, 1)
	go func() { // the reader: lines in order, to the workers and to the writer
		defer close(order)
		defer close(jobs)
		readErr <- a.readJSONL(ctx, jobs, order)
	}()
	for range workers {
		go func() {
			for j := range jobs {
				j.out <- a.classifyLine(ctx, j)
			}
		}()
	}
	out := bufio.NewWriter(a.stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for j := range order {
		if err := ctx.Err(); err != nil {
			return err
		}
		var d decision.Decision
		select {
		case d = <-j.out:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := enc.Encode(d); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return <-readErr
}

// readJSONL sends every line of stdin to jobs and order, until the input or ctx ends.
func (a *App) readJSONL(ctx context.Context, jobs, order chan<- *jsonlJob) error {
	in := bufio.NewReader(a.stdin)
	for n := 1; ; n++ {
		line, err := readLine(in, maxLine)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, errLineTooLong) {
			return fmt.Errorf("classify: line %d: %w", n, err)
		}
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if errors.Is(err, io.EOF) && strings.TrimSpace(line) == "" {
			return nil // nothing after the last newline but whitespace: not a line
		}
		j := &jsonlJob{n: n, line: line, readErr: err, out: make(chan decision.Decision, 1)}
		for _, ch := range []chan<- *jsonlJob{order, jobs} {
			select {
			case ch <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

var errLineTooLong = errors.New("line longer than 1 MiB")

// readLine reads one line of at most max bytes; the rest of a longer line is skipped.
// The error is io.EOF when the input ended without a newline after this line.
func readLine(r *bufio.Reader, max int) (string, error) {
	var b []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(b)+len(chunk) <= max {
			b = append(b, chunk...)
		} else if len(b) <= max {
			b = append(b, chunk[:max-len(b)]...)
			b = append(b, 0) // mark as too long
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(b) > max {
			if err == nil {
				err = errLineTooLong
			}
			return "", errors.Join(errLineTooLong, err)
		}
		return strings.TrimRight(string(b), "\r\n"), err
	}
}

// classifyLine is the output line for one input line.
func (a *App) classifyLine(ctx context.Context, j *jsonlJob) decision.Decision {
	lang := a.cfg.Lang
	bad := func(id string, err error) decision.Decision {
		return decision.Decision{ID: id, Error: textin.Message(err, lang), ErrorCode: string(textin.ErrorCode(err)), Lang: textin.Lang("", lang),
			Path: []string{}, Candidates: []decision.Candidate{}, Citations: []decision.Citation{}, Checks: []decision.Check{},
			Engine: engineName(a.cfg)}
	}
	switch {
	case errors.Is(j.readErr, errLineTooLong):
		return bad("", &textin.Error{Code: textin.CodeTooLarge, Limit: maxLine})
	case strings.TrimSpace(j.line) == "":
		return bad("", &textin.Error{Code: textin.CodeBadRequest, Problem: textin.ProblemBlankLine})
	}
	id, text, perr := parseJSONLine(j.line)
	if perr != nil {
		return bad(id, perr)
	}
	in, err := textin.ParseLang(text, a.maxRunes(), lang)
	lang = in.Lang
	if err != nil {
		return bad(id, err)
	}
	d, err := a.eng.AnswerText(ctx, in, nil)
	if err != nil {
		if !textin.UserError(err) {
			a.lg.Error("classify", "line", j.n, "id", id, "err", err)
		}
		return bad(id, err)
	}
	d.ID = id
	return d
}

func (a *App) categories() error {
	g, err := corpus.Load()
	if err != nil {
		return err
	}
	if a.cfg.JSON {
		return writeJSON(a.stdout, g.Classes)
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	for _, c := range g.Classes {
		indent := map[corpus.Level]string{corpus.Major: "", corpus.Middle: "  ", corpus.Sub: "    "}[c.Level]
		fmt.Fprintf(tw, "%s%s\t%s\t%s\n", indent, c.Code, c.Name, c.NameEN)
	}
	return tw.Flush()
}

func (a *App) search(ctx context.Context, args []string) error {
	in, err := textin.ParseLang(strings.Join(args, " "), a.maxRunes(), a.cfg.Lang)
	if err != nil {
		return userError(err, in.Lang)
	}
	if err := a.load(); err != nil {
		return err
	}
	res, err := a.idx.Search(ctx, in.Match, 10)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	a.idx.Highlight(&res)
	if a.cfg.JSON {
		return writeJSON(a.stdout, res)
	}
	if len(res.Expanded) > 0 {
		fmt.Fprintf(a.stdout, "expanded: %s\n", strings.Join(res.Expanded, ", "))
	}
	fmt.Fprintln(a.stdout, "categories:")
	for _, c := range res.Categories {
		fmt.Fprintf(a.stdout, "  %-4s %.2f  %s\n", c.Code, c.Score, c.Name)
	}
	fmt.Fprintln(a.stdout, "passages:")
	for i, h := range res.Passages {
		if i == 10 {
			break
		}
		p, _ := a.g.Passage(h.Ref)
		text := h.Fragment
		if text == "" {
			text = p.Text
		}
		fmt.Fprintf(a.stdout, "  %6.2f  %-22s %s\n          「%s」\n", h.Score, h.Ref, p.Section, text)
	}
	return nil
}

// chat is a terminal conversation over the same engine as the web chat.
func (a *App) chat(ctx context.Context) error {
	if err := a.load(); err != nil {
		return err
	}
	convs := bot.New(a.eng, bot.Options{Logger: a.lg})
	convs.Start("cli", a.cfg.Lang)
	lang := textin.Lang("", a.cfg.Lang)
	in := bufio.NewReader(a.stdin)
	if lang == "zh" {
		fmt.Fprintln(a.stdout, "fenlei chat — 描述您的服务、询问指引，或输入“帮助”。Ctrl-D 退出。")
	} else {
		fmt.Fprintln(a.stdout, "fenlei chat — describe your service, ask about the guidance, or type help. Ctrl-D to quit.")
	}
	for {
		fmt.Fprint(a.stdout, "> ")
		line, err := readLine(in, maxLine)
		switch {
		case errors.Is(err, errLineTooLong):
			fmt.Fprintln(a.stdout, textin.Message(&textin.Error{Code: textin.CodeTooLong, Limit: bot.DefaultMaxMessage}, lang))
			continue
		case errors.Is(err, io.EOF) && line == "":
			fmt.Fprintln(a.stdout)
			return nil
		case err != nil && !errors.Is(err, io.EOF):
			return err
		}
		d, terr := convs.Turn(ctx, "cli", line, nil)
		if d.Lang != "" {
			lang = d.Lang
		}
		if terr != nil {
			if !textin.UserError(terr) {
				a.lg.Error("chat", "err", terr)
			}
			fmt.Fprintln(a.stdout, textin.Message(terr, lang))
		} else {
			fmt.Fprintln(a.stdout, d.Text())
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

func (a *App) serve(ctx context.Context) error {
	if err := a.load(); err != nil {
		return err
	}
	a.eng.Warm() // a server pays its one-time costs before its first user, not during
	origins := splitList(a.cfg.AllowedOrigins)
	inFlight := a.cfg.MaxInFlight
	if inFlight <= 0 && a.cfg.LLMURL != "" {
		inFlight = 16 * runtime.GOMAXPROCS(0) // LLM calls mostly wait on the network
	}
	db, err := a.openStore(ctx)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer db.Close()
	go a.retain(ctx, db)
	srv, err := web.New(web.Config{Addr: a.cfg.Addr, Engine: a.eng, Categories: a.g.Classes, Guide: a.g, Logger: a.lg,
		AllowedOrigins: origins, Hosts: splitList(a.cfg.Hosts), RateLimit: a.cfg.RateLimit, Burst: a.cfg.Burst,
		ConnRateLimit: a.cfg.WSRateLimit, ConnBurst: a.cfg.WSBurst, MaxConnsPerIP: a.cfg.MaxConnsPerIP, MaxInFlight: inFlight,
		Recorder: db, Lister: db, AdminToken: a.cfg.AdminToken, Auditor: a.eng, AuditClasses: a.g.Classes})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintf(a.stderr, "fenlei: serving on http://%s (engine: %s)\n", ln.Addr(), engineName(a.cfg))
	return srv.Serve(ctx, ln)
}

func (a *App) discord(ctx context.Context) error {
	if a.cfg.DiscordToken == "" {
		return errors.New("discord: set DISCORD_TOKEN (and optionally DISCORD_GUILD_ID)")
	}
	if err := a.load(); err != nil {
		return err
	}
	a.eng.Warm()
	db, err := a.openStore(ctx)
	if err != nil {
		return fmt.Errorf("discord: %w", err)
	}
	defer db.Close()
	go a.retain(ctx, db)
	b, err := discord.New(discord.Config{Token: a.cfg.DiscordToken, GuildID: a.cfg.DiscordGuild, APIBase: a.cfg.DiscordAPI,
		Engine: a.eng, Conversations: bot.New(a.eng, bot.Options{Logger: a.lg}), Classes: a.g.Classes, Guide: a.g,
		Logger: a.lg, LibraryLog: true, Recorder: db})
	if err != nil {
		return err
	}
	return b.Run(ctx)
}

func (a *App) eval(ctx context.Context) error {
	if a.cfg.CV != "" {
		return a.crossValidate(ctx)
	}
	if len(a.cfg.Cases) == 0 {
		return errors.New("eval: give at least one --cases FILE, or --cv author")
	}
	if err := a.load(); err != nil {
		return err
	}
	var cases []eval.Case
	for _, f := range a.cfg.Cases {
		cs, err := eval.LoadFile(f)
		if err != nil {
			return err
		}
		cases = append(cases, cs...)
	}
	if a.cfg.Routes != "" {
		routes, err := eval.LoadRoutes(a.cfg.Routes)
		if err != nil {
			return err
		}
		a.lg.Info("routes adjudicated", "file", a.cfg.Routes, "cases", eval.ApplyRoutes(cases, routes))
	}
	opts := eval.Options{Workers: a.cfg.Workers, Verbatim: a.g.Verbatim, Logger: a.lg}
	if opts.Workers == 0 && a.cfg.LLMURL != "" {
		opts.Workers = 4 // the LLM's concurrency limit
	}
	if isTerminal(a.stderr) {
		opts.Progress = a.stderr
	}
	rep, err := eval.Run(ctx, a.eng, cases, opts)
	if err != nil {
		return err
	}
	return a.report(rep)
}

// report writes an eval report as text or JSON, then the HTML report, comparison and baseline gate
// that the flags ask for.
func (a *App) report(rep *eval.Report) error {
	if a.cfg.JSON {
		if err := writeJSON(a.stdout, rep); err != nil {
			return err
		}
	} else if err := rep.WriteText(a.stdout); err != nil {
		return err
	}
	if a.cfg.Report != "" {
		f, err := os.Create(a.cfg.Report)
		if err != nil {
			return err
		}
		if err := rep.WriteHTML(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if a.cfg.Compare != "" {
		prev, err := eval.LoadReport(a.cfg.Compare)
		if err != nil {
			return err
		}
		if err := eval.Compare(prev, rep).WriteText(a.stderr); err != nil {
			return err
		}
	}
	if a.cfg.Baseline != "" {
		b, err := eval.LoadBaseline(a.cfg.Baseline)
		if err != nil {
			return err
		}
		return b.Check(rep)
	}
	return nil
}

// splitList splits a comma-separated flag value, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func engineName(c *Config) string {
	if c.LLMURL == "" {
		return "offline"
	}
	return "llm:" + c.LLMModel
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// llmClient is the configured LLM client.
func (a *App) llmClient() (*llm.Client, error) {
	prov, err := llm.ParseProvider(a.cfg.LLMProvider)
	if err != nil {
		return nil, err
	}
	return llm.New(llm.Config{URL: a.cfg.LLMURL, Model: a.cfg.LLMModel, Key: a.cfg.LLMKey, Provider: prov,
		Timeout: a.cfg.LLMTimeout, ResponseFormat: a.cfg.LLMFormat, Logger: a.lg})
}
