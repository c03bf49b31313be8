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
	"strings"
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
}

// load builds the corpus, the index and the engine (with the LLM when one is configured).
func (a *App) load() error {
	if a.eng != nil {
		return nil
	}
	g, err := corpus.Load()
	if err != nil {
		return err
	}
	lex, err := corpus.Lexicon()
	if err != nil {
		return err
	}
	idx, err := retrieval.New(g, lex, retrieval.Options{})
	if err != nil {
		return err
	}
	questions, err := corpus.QuestionLexicon()
	if err != nil {
		return err
	}
	cfg := classify.Config{Guidance: g, Searcher: idx, Questions: questions, Logger: a.lg}
	if a.cfg.LLMURL != "" {
		c, err := llm.New(llm.Config{URL: a.cfg.LLMURL, Model: a.cfg.LLMModel, Key: a.cfg.LLMKey,
			Timeout: a.cfg.LLMTimeout, ResponseFormat: a.cfg.LLMFormat, Logger: a.lg})
		if err != nil {
			return err
		}
		cfg.Suggester = llm.NewSuggester(c, a.lg)
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
	if err := a.load(); err != nil {
		return err
	}
	d, err := a.eng.Answer(ctx, text, nil)
	if err != nil {
		return fmt.Errorf("ask: %w", err)
	}
	if a.cfg.JSON {
		return writeJSON(a.stdout, d)
	}
	_, err = fmt.Fprintln(a.stdout, d.Text())
	return err
}

// classifyJSONL reads {"id","text"} lines and writes one Decision per line, in order; a bad line gets a
// Decision-shaped line with an "error" field and the run goes on.
func (a *App) classifyJSONL(ctx context.Context) error {
	if err := a.load(); err != nil {
		return err
	}
	in := bufio.NewReader(a.stdin)
	out := bufio.NewWriter(a.stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for n := 1; ; n++ {
		line, err := readLine(in, 1<<20)
		if errors.Is(err, io.EOF) && line == "" {
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, errLineTooLong) {
			return fmt.Errorf("classify: line %d: %w", n, err)
		}
		if strings.TrimSpace(line) == "" && err == nil {
			continue
		}
		d := a.classifyLine(ctx, line, err)
		if err := enc.Encode(d); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

var errLineTooLong = errors.New("line longer than 1 MiB")

// readLine reads one line of at most max bytes; the rest of a longer line is skipped.
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
			return "", errLineTooLong
		}
		return strings.TrimRight(string(b), "\r\n"), err
	}
}

func (a *App) classifyLine(ctx context.Context, line string, readErr error) decision.Decision {
	bad := func(id, msg string) decision.Decision {
		return decision.Decision{ID: id, Error: msg, Path: []string{}, Candidates: []decision.Candidate{},
			Citations: []decision.Citation{}, Checks: []decision.Check{}, Engine: "offline"}
	}
	if errors.Is(readErr, errLineTooLong) {
		return bad("", "line longer than 1 MiB")
	}
	var req struct {
		ID   json.RawMessage `json:"id"`
		Text *string         `json:"text"`
	}
	if err := json.Unmarshal([]byte(line), &req); err != nil {
		return bad("", `invalid JSON: each line must be an object like {"id": "1", "text": "…"}`)
	}
	id := idString(req.ID)
	if req.Text == nil {
		return bad(id, `missing "text"`)
	}
	d, err := a.eng.Classify(ctx, *req.Text)
	if err != nil {
		return bad(id, err.Error())
	}
	d.ID = id
	return d
}

// idString echoes a request id: a JSON string as its value, a number as written, null or absent as "".
func idString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if t := strings.TrimSpace(string(raw)); t != "null" {
		return t
	}
	return ""
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
	text := strings.Join(args, " ")
	if err := a.load(); err != nil {
		return err
	}
	if err := a.eng.Validate(text); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	res, err := a.idx.Search(ctx, text, 10)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
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
	in := bufio.NewReader(a.stdin)
	fmt.Fprintln(a.stdout, "fenlei chat — describe your service, ask about the guidance, or type help. Ctrl-D to quit.")
	for {
		fmt.Fprint(a.stdout, "> ")
		line, err := readLine(in, 1<<20)
		switch {
		case errors.Is(err, errLineTooLong):
			fmt.Fprintln(a.stdout, bot.Message(bot.ErrTooLong, "zh", bot.DefaultMaxMessage))
			continue
		case errors.Is(err, io.EOF) && line == "":
			fmt.Fprintln(a.stdout)
			return nil
		case err != nil && !errors.Is(err, io.EOF):
			return err
		}
		d, terr := convs.Turn(ctx, "cli", line, nil)
		if terr != nil {
			fmt.Fprintln(a.stdout, bot.Message(terr, bot.DetectLang(line), bot.DefaultMaxMessage))
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
	var origins []string
	for _, o := range strings.Split(a.cfg.AllowedOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	db, err := a.openStore(ctx)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer db.Close()
	go a.retain(ctx, db)
	srv, err := web.New(web.Config{Addr: a.cfg.Addr, Engine: a.eng, Categories: a.g.Classes, Logger: a.lg,
		AllowedOrigins: origins, RateLimit: a.cfg.RateLimit, MaxConnsPerIP: a.cfg.MaxConnsPerIP,
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
	if len(a.cfg.Cases) == 0 {
		return errors.New("eval: give at least one --cases FILE")
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
