package main

import (
	"errors"
	"fenlei/llm"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config is everything the commands read from flags and the environment, with defaults.
type Config struct {
	JSON  bool
	JSONL bool
	Lang  string // "zh" or "en" from LC_ALL, LC_MESSAGES or LANG: the language of messages when the text shows none

	LLMURL, LLMModel, LLMKey string
	LLMTimeout               time.Duration
	LLMFormat                string
	LLMProvider              string

	Addr           string
	AllowedOrigins string
	Hosts          string
	RateLimit      float64
	Burst          int
	WSRateLimit    float64
	WSBurst        int
	MaxConnsPerIP  int
	MaxInFlight    int

	DiscordToken, DiscordGuild, DiscordAPI string

	Cases    multiFlag
	Routes   string // eval: a routes file (adjudicated routes of the cases)
	Report   string
	Compare  string
	Baseline string
	Workers  int
	CV       string // eval: cross-validation scheme ("author" or "questions")
	Skip     string // eval: rules to leave out, comma-separated (ablation)
	Out      string // train: where to write the model; audit: the output file
	IndexOut string // train: where to write the compiled index
	// RoutingOut is where train writes the router and the question kinds.
	RoutingOut string

	DB             string        // FENLEI_DB_URL / --db: SQLite file path or postgres:// URL
	AdminToken     string        // FENLEI_ADMIN_TOKEN: bearer token of the admin routes ("": off)
	Retention      time.Duration // records older than this are deleted by serve (0: kept)
	retentionErr   error         // FENLEI_RETENTION did not parse
	FeedbackPerDay int
	Format         string // records: jsonl or csv
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func newConfig(cmd string, getenv func(string) string) (*Config, *flag.FlagSet) {
	c := &Config{Lang: localeLang(getenv)}
	fs := flag.NewFlagSet("fenlei "+cmd, flag.ContinueOnError)
	key := getenv("FENLEI_LLM_KEY")
	if key == "" {
		key = getenv("OPENAI_API_KEY")
	}
	fs.StringVar(&c.LLMURL, "llm-url", getenv("FENLEI_LLM_URL"), "OpenAI-compatible base URL incl. version path (unset: offline)")
	fs.StringVar(&c.LLMModel, "llm-model", getenv("FENLEI_LLM_MODEL"), "LLM model name")
	fs.StringVar(&c.LLMKey, "llm-key", key, "LLM API key")
	fs.DurationVar(&c.LLMTimeout, "llm-timeout", 0, "LLM call timeout, retries included (default: the provider profile's)")
	fs.StringVar(&c.LLMFormat, "llm-format", getenv("FENLEI_LLM_FORMAT"), "response_format: json_schema, json_object or none (default: the provider profile's)")
	fs.StringVar(&c.LLMProvider, "llm-provider", getenv("FENLEI_LLM_PROVIDER"), "provider profile: openai, deepseek, qwen, ollama, reasoning (default: guessed from the URL and model)")
	switch cmd {
	case "ask", "search", "categories":
		fs.BoolVar(&c.JSON, "json", false, "print JSON")
	case "classify":
		fs.BoolVar(&c.JSONL, "jsonl", true, "JSON lines in and out")
		fs.IntVar(&c.Workers, "workers", 0, "lines classified at once; output stays in input order (default: CPUs; 4 with an LLM)")
	case "records":
		fs.StringVar(&c.Format, "format", "jsonl", "jsonl or csv")
	case "audit":
		fs.StringVar(&c.Out, "o", "", "output file, .xlsx or .csv (default: INPUT.reviewed.xlsx beside the input)")
		fs.IntVar(&c.Workers, "workers", 0, "rows classified at once (default: CPUs)")
	case "serve":
		fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "listen address (127.0.0.1: this machine only; :8080 opens it)")
		fs.StringVar(&c.AllowedOrigins, "allowed-origins", "", "comma-separated extra origins allowed to open /ws")
		fs.StringVar(&c.Hosts, "hosts", getenv("FENLEI_HOSTS"), "comma-separated host names the server answers to besides IP addresses and localhost (DNS-rebinding guard)")
		fs.Float64Var(&c.RateLimit, "rate-limit", 10, "API calls, websocket upgrades and messages per second per client IP (<0: off)")
		fs.IntVar(&c.Burst, "burst", 40, "burst of --rate-limit per client IP")
		fs.Float64Var(&c.WSRateLimit, "ws-rate-limit", 1, "messages per second per websocket connection (<0: off)")
		fs.IntVar(&c.WSBurst, "ws-burst", 5, "burst of --ws-rate-limit per connection")
		fs.IntVar(&c.MaxConnsPerIP, "max-conns-per-ip", 50, "open websockets per client IP (<0: unlimited)")
		fs.IntVar(&c.MaxInFlight, "max-in-flight", 0, "engine calls at once; the rest wait in order (default: 2 per CPU; 16 per CPU with an LLM)")
	case "discord":
		fs.StringVar(&c.DiscordToken, "token", getenv("DISCORD_TOKEN"), "bot token")
		fs.StringVar(&c.DiscordGuild, "guild", getenv("DISCORD_GUILD_ID"), "guild for instant command registration")
		fs.StringVar(&c.DiscordAPI, "api-base", getenv("DISCORD_API_BASE"), "Discord REST base (proxies, tests)")
	case "eval":
		fs.Var(&c.Cases, "cases", "case file (.jsonl, .json or .csv); repeatable")
		fs.StringVar(&c.Routes, "routes", "", "score routing against this routes file's adjudicated routes (TSV: id, route, annotators' routes), e.g. eval/testdata/routes.tsv")
		fs.BoolVar(&c.JSON, "json", false, "print the report as JSON")
		fs.StringVar(&c.Report, "report", "", "write a self-contained HTML report here")
		fs.StringVar(&c.Compare, "compare", "", "a previous --json report: list the cases fixed and broken")
		fs.StringVar(&c.Baseline, "baseline", "", "fail when top-1, top-3 or OUT recall drop below this baseline JSON")
		fs.IntVar(&c.Workers, "workers", 0, "parallel cases (default: CPUs; 4 with an LLM)")
		fs.StringVar(&c.Skip, "skip-rules", "", "leave these rules out, comma-separated (ablation): scope,contract,repair,domain,exclusion,clarify")
		fs.StringVar(&c.CV, "cv", "", "cross-validate instead, leaving one author out: \"author\" over the coding index, \"questions\" over the question index and the router's texts")
	case "train":
		fs.StringVar(&c.Out, "o", "classify/model.json", "write the trained scorer here")
		fs.StringVar(&c.IndexOut, "index-out", "retrieval/index.gob", "write the compiled index (passages and coding index) here")
		fs.StringVar(&c.RoutingOut, "routing-out", "classify/routing.bin", "write the router and the question kinds here")
	}
	storeFlags(c, fs, cmd, getenv)
	return c, fs
}

// localeLang is "zh" when the locale (LC_ALL, LC_MESSAGES, LANG, the first set) is Chinese, else "en".
func localeLang(getenv func(string) string) string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			if strings.HasPrefix(strings.ToLower(v), "zh") {
				return "zh"
			}
			return "en"
		}
	}
	return "en"
}

func (c *Config) validate() error {
	if c.LLMURL != "" {
		u, err := url.Parse(c.LLMURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("FENLEI_LLM_URL %q is not an http(s) URL", c.LLMURL)
		}
		if c.LLMModel == "" {
			return errors.New("FENLEI_LLM_URL is set but FENLEI_LLM_MODEL is not")
		}
	}
	if err := c.validateStore(); err != nil {
		return err
	}
	switch c.LLMFormat {
	case "", "json_object", "json_schema", "none":
	default:
		return fmt.Errorf("--llm-format %q: want json_object, json_schema or none", c.LLMFormat)
	}
	if _, err := llm.ParseProvider(c.LLMProvider); err != nil {
		return fmt.Errorf("FENLEI_LLM_PROVIDER: %w", err)
	}
	return nil
}
