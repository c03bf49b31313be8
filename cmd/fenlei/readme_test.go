package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEExamples runs the command lines of the README's "Examples" block as a user would
// copy them: `go run ./cmd/fenlei …` through run, `echo '…' | …` with that stdin, and `curl …`
// against a served fenlei (localhost:8080 replaced by its port; curl -d sends a form content type,
// as the real curl does). Every example must succeed with a Decision-shaped answer.
func TestREADMEExamples(t *testing.T) {
	lines := readmeExamples(t)
	if len(lines) < 5 {
		t.Fatalf("found %d example lines in the README, want the Examples block", len(lines))
	}
	var stderr syncBuffer
	base, _, _, _ := startServe(t, &stderr)
	port := base[strings.LastIndex(base, ":")+1:]
	for _, line := range lines {
		t.Run(line, func(t *testing.T) {
			words, err := shellWords(line)
			if err != nil {
				t.Fatal(err)
			}
			stdin := ""
			if words[0] == "echo" {
				i := indexOf(words, "|")
				if i < 0 {
					t.Fatalf("echo without a pipe")
				}
				stdin, words = strings.Join(words[1:i], " ")+"\n", words[i+1:]
			}
			switch {
			case len(words) > 2 && words[0] == "go" && words[1] == "run" && words[2] == "./cmd/fenlei":
				args := words[3:]
				for i, a := range args {
					switch {
					case strings.HasPrefix(a, "eval/"):
						args[i] = filepath.Join("..", "..", a)
					case strings.HasPrefix(a, "/tmp/"):
						args[i] = filepath.Join(t.TempDir(), filepath.Base(a))
					}
				}
				got := runFenlei(t, invocation{args: args, stdin: stdin})
				if got.err != nil {
					t.Fatalf("%v\nstderr: %s", got.err, got.stderr)
				}
				if strings.TrimSpace(got.stdout) == "" {
					t.Errorf("no output")
				}
				if args[0] == "classify" {
					for _, l := range outputLines(t, got.stdout) {
						if d := parseDecision(t, []byte(l)); d.Error != "" || d.Code == "" {
							t.Errorf("classify line %s", l)
						}
					}
				}
			case words[0] == "curl":
				status, body := curl(t, words[1:], port)
				if status != http.StatusOK {
					t.Fatalf("status %d: %s", status, body)
				}
				var v map[string]any
				if err := json.Unmarshal(body, &v); err != nil || v["code"] == nil {
					t.Errorf("answer is not a Decision or a class: %.300s", body)
				}
			default:
				t.Fatalf("the README example %q is not a command this test knows how to run", line)
			}
		})
	}
}

// readmeExamples returns the lines of the ```sh block after the README's "Examples:" line.
func readmeExamples(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	state := 0 // 0 before "Examples:", 1 before the block, 2 in it
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case state == 0 && strings.TrimSpace(l) == "Examples:":
			state = 1
		case state == 1 && strings.HasPrefix(l, "```"):
			state = 2
		case state == 2 && strings.HasPrefix(l, "```"):
			return out
		case state == 2 && strings.TrimSpace(l) != "" && !strings.HasPrefix(strings.TrimSpace(l), "#"):
			out = append(out, strings.TrimSpace(l))
		}
	}
	t.Fatal("README has no Examples block")
	return nil
}

// curl sends the request a curl command line describes (-s, -d/--data, -H, -X, a URL), as curl
// would: -d makes it a POST with Content-Type application/x-www-form-urlencoded.
func curl(t *testing.T, args []string, port string) (int, []byte) {
	t.Helper()
	method, url, data := "", "", ""
	hdr := http.Header{}
	hasData := false
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "-s", "--silent":
		case "-d", "--data":
			i++
			data, hasData = args[i], true
		case "-H", "--header":
			i++
			k, v, _ := strings.Cut(args[i], ":")
			hdr.Set(strings.TrimSpace(k), strings.TrimSpace(v))
		case "-X", "--request":
			i++
			method = args[i]
		default:
			if strings.HasPrefix(a, "-") {
				t.Fatalf("curl option %q is not supported by this test", a)
			}
			url = a
		}
	}
	url = strings.Replace(url, "localhost:8080", "localhost:"+port, 1)
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	if method == "" {
		method = http.MethodGet
		if hasData {
			method = http.MethodPost
		}
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if hasData && hdr.Get("Content-Type") == "" {
		hdr.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header = hdr
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// shellWords splits a command line as sh would for the README's examples: words separated by
// spaces, single quotes literal, double quotes with \" and \\ escapes, and | as its own word.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		case c == '|':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
			words = append(words, "|")
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, io.ErrUnexpectedEOF
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, io.ErrUnexpectedEOF
			}
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func indexOf(words []string, w string) int {
	for i, v := range words {
		if v == w {
			return i
		}
	}
	return -1
}

// TestContractDoc: docs/contract.md holds the team's reference contract verbatim (when the
// reference, shared/CONTRACT.md, is beside the repository, as on the team's machines and in CI).
func TestContractDoc(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "contract.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "## Additions in this repository") {
		t.Errorf("docs/contract.md lacks its additions section")
	}
	ref, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "CONTRACT.md"))
	if err != nil {
		t.Skipf("no team reference beside the repository (%v): docs/contract.md not compared", err)
	}
	if !strings.Contains(string(doc), strings.TrimSpace(string(ref))) {
		t.Errorf("docs/contract.md is not in step with shared/CONTRACT.md: copy the reference into it again, above the additions")
	}
}
