// Command fenlei tells which category of China's service-outsourcing statistics a service belongs in,
// and proves it with quotes of the guidance. See README.md and docs/contract.md.
//
//	fenlei ask [--json] TEXT           classify a description or answer a question
//	fenlei classify --jsonl            JSON lines in, one Decision per line out
//	fenlei categories [--json]         the taxonomy
//	fenlei search TEXT                 ranked categories and passages (helpdesk look-up)
//	fenlei chat                        a conversation in the terminal
//	fenlei serve [--addr :8080]        web chat, JSON API and websocket
//	fenlei discord                     the Discord bot
//	fenlei eval --cases FILE [--json]  score the engine on a case file
//	fenlei eval --cv author            leave-one-author-out cross-validation over the coding index
//	fenlei eval --cv questions         the same over the question index and the router's texts
//	fenlei train [-o FILE]             fit the router, compile the index, fit the scorer
//	fenlei audit [-o OUT] FILE         review filings (CSV or XLSX)
//	fenlei records [--format csv]      export the record of answers
//	fenlei feedback export             corrections as eval cases
//
// All wiring lives here: flags and environment are read once into a Config and passed down.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// FENLEI_CPUPROFILE=file writes a CPU profile of the whole run (go tool pprof file), for measuring.
	if path := os.Getenv("FENLEI_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
	}
	// classify --jsonl, a batch job, lets its heap grow to three times the live data between collections
	// instead of two (GOGC 200) unless GOGC is set: measured on 3,000 descriptions, about 10 % less CPU
	// for 8 MB more peak RSS. (audit sets its own.)
	if len(os.Args) > 1 && os.Args[1] == "classify" && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	// ask, a one-shot command, decodes its indexes into a heap of about 20 MB: collecting it on the way
	// (GOGC 100 ran six cycles) cost more than the memory. GOGC 400 unless GOGC is set: a description's
	// median wall 51-53 ms against 60 ms with GOGC=100, peak RSS 45 against 43 MB.
	if len(os.Args) > 1 && os.Args[1] == "ask" && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// A server (serve, discord) keeps its heap near 100 MiB, a soft limit that makes the collector work
	// harder rather than let a burst grow the heap, unless GOMEMLIMIT is set: 1,000 websocket
	// conversations at once peaked at 151-163 MB without it and 128 MB with it, at the same latency.
	if len(os.Args) > 1 && (os.Args[1] == "serve" || os.Args[1] == "discord") && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	pprof.StopCPUProfile()
	if errors.Is(err, errUsage) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fenlei:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// defaultMemoryLimit is the soft memory limit of serve and discord when GOMEMLIMIT is not set.
const defaultMemoryLimit = 100 << 20

const usage = `fenlei — China service-outsourcing statistics classifier (Operation Guidance 2022)

Usage:
  fenlei ask [--json] TEXT            classify a description, or answer a question about the guidance
  fenlei classify --jsonl [--workers N]
                                      read {"id","text"} JSON lines on stdin, write one line per input line,
                                      in order (N lines at once; default: CPUs)
  fenlei categories [--json]          list the taxonomy (3 classes, 9 middle classes, 45 sub-classes)
  fenlei search [--json] TEXT         ranked categories and passages for a query
  fenlei chat                         a conversation in the terminal (help, why not X, follow-ups)
  fenlei serve [--addr :8080]         web chat, JSON API and websocket on one port
                                      [--hosts NAMES] [--rate-limit 10] [--burst 40] [--ws-rate-limit 1]
                                      [--ws-burst 5] [--max-conns-per-ip 50] [--max-in-flight N]
  fenlei discord                      the Discord bot (DISCORD_TOKEN, DISCORD_GUILD_ID)
  fenlei eval --cases FILE [--cases FILE2] [--routes FILE] [--json] [--report out.html] [--compare prev.json] [--baseline FILE]
  fenlei eval --cv author [--json]    leave-one-author-out cross-validation over the coding index
  fenlei eval --cv questions [--json] the same over the question index and the router's training texts
  fenlei train [-o classify/model.json]  fit the router and question kinds (classify/routing.bin), compile the
                                      index (retrieval/index.gob) and fit the scorer (deterministic)
  fenlei llm check                    check the configured LLM endpoint, key, model and JSON mode
  fenlei audit [-o OUT] FILE          review filings (CSV or XLSX; OUT .xlsx or .csv, default FILE.reviewed.xlsx)
  fenlei records [--db DB] [--format jsonl|csv]   export the record of answers, one per line/row
  fenlei feedback export [--db DB]    write the corrections users gave as eval cases (JSON lines)

Records (serve, discord, records, feedback):
  FENLEI_DB_URL or --db: a SQLite file (default fenlei.db) or a postgres:// URL; every answer is recorded before it is sent
  FENLEI_ADMIN_TOKEN: bearer token for GET /api/records and /api/feedback (unset: those routes are off)
  FENLEI_RETENTION or --retention 90d: delete older records (default: keep them)

LLM (every command; unset FENLEI_LLM_URL = offline engine):
  FENLEI_LLM_URL, FENLEI_LLM_MODEL, FENLEI_LLM_KEY (or OPENAI_API_KEY); flags --llm-url, --llm-model, --llm-key
  FENLEI_LLM_PROVIDER / --llm-provider openai|deepseek|qwen|ollama|reasoning (default: guessed)
  --llm-timeout (default: the provider's), FENLEI_LLM_FORMAT / --llm-format json_schema|json_object|none
  FENLEI_LOG_LEVEL=debug|info|warn|error (default warn)
`

// run is main without the process: tests call it with their own streams and environment.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "ask", "classify", "categories", "search", "chat", "serve", "discord", "eval", "train", "llm", "audit", "records", "feedback":
	default:
		fmt.Fprintf(stderr, "fenlei: unknown command %q\n\n%s", cmd, usage)
		return errUsage
	}
	if cmd == "feedback" && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		rest = append(rest[1:len(rest):len(rest)], rest[0]) // "feedback export --db X": the flags follow the sub-command
	}
	cfg, fs := newConfig(cmd, getenv)
	fs.SetOutput(stderr)
	if err := fs.Parse(rest); err != nil {
		return errUsage
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	lg := newLogger(stderr, getenv("FENLEI_LOG_LEVEL"))
	app := &App{cfg: cfg, lg: lg, stdin: stdin, stdout: stdout, stderr: stderr}
	switch cmd {
	case "ask":
		return app.ask(ctx, fs.Args())
	case "classify":
		return app.classifyJSONL(ctx)
	case "categories":
		return app.categories()
	case "search":
		return app.search(ctx, fs.Args())
	case "chat":
		return app.chat(ctx)
	case "serve":
		return app.serve(ctx)
	case "discord":
		return app.discord(ctx)
	case "train":
		return app.train(ctx)
	case "llm":
		return app.llmCheck(ctx, fs.Args())
	case "audit":
		return app.audit(ctx, fs.Args())
	case "records":
		return app.records(ctx)
	case "feedback":
		return app.feedbackExport(ctx, fs.Args())
	default: // "eval"
		return app.eval(ctx)
	}
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	switch level {
	case "debug":
		l = slog.LevelDebug
	case "info":
		l = slog.LevelInfo
	case "error":
		l = slog.LevelError
	default:
		l = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}
