package importtest

import (
	"fmt"
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "fenlei"

// file is one Go source file of the module.
type file struct {
	pkg  string // import path of its directory, e.g. fenlei/bot/web
	name string // path relative to the module root, for messages
	test bool   // a _test.go file
	src  []byte
}

// rule restricts an import path prefix to the files that allow it.
type rule struct {
	prefix  string
	allowed func(f file) bool
	what    string // who may import it, for messages
}

func in(pkg, root string) bool { return pkg == root || strings.HasPrefix(pkg, root+"/") }

var rules = []rule{
	{"github.com/sashabaranov/go-openai", func(f file) bool { return f.pkg == "fenlei/llm" }, "fenlei/llm"},
	{"github.com/blevesearch/", func(f file) bool { return f.pkg == "fenlei/retrieval" }, "fenlei/retrieval"},
	{"github.com/bwmarrin/discordgo", func(f file) bool { return in(f.pkg, "fenlei/bot/discord") }, "fenlei/bot/discord"},
	{"github.com/gorilla/websocket", func(f file) bool {
		return in(f.pkg, "fenlei/bot/web") || f.pkg == "fenlei/bot/discord" || (f.test && in(f.pkg, "fenlei/bot"))
	}, "fenlei/bot/web, fenlei/bot/discord (discordgo's gateway transport, for its close codes), and test files under bot/"},
	{"github.com/chromedp/", func(f file) bool { return f.test && in(f.pkg, "fenlei/bot") }, "test files under bot/"},
	// llm is transport only: the classifier owns its prompts, reply schema and parsing, and the arrow
	// points from classify to llm, never back.
	{"fenlei/classify", func(f file) bool { return !in(f.pkg, "fenlei/llm") }, "any package but fenlei/llm"},
	{"fenlei/prompts", func(f file) bool { return !in(f.pkg, "fenlei/llm") }, "any package but fenlei/llm"},
	{"github.com/jackc/pgx/", func(f file) bool { return in(f.pkg, "fenlei/store") }, "fenlei/store"},
	{"modernc.org/sqlite", func(f file) bool { return in(f.pkg, "fenlei/store") }, "fenlei/store"},
	{"github.com/pressly/goose/", func(f file) bool { return f.pkg == "fenlei/store" }, "fenlei/store"},
	{"github.com/xuri/excelize/", func(f file) bool { return f.pkg == "fenlei/audit" || f.test }, "fenlei/audit, and test files"},
	{"github.com/schollz/progressbar/", func(f file) bool { return f.pkg == "fenlei/cmd/fenlei" }, "fenlei/cmd/fenlei"},
}

// envReaders are the functions that read the environment, by package.
var envReaders = map[string][]string{
	"os":      {"Getenv", "LookupEnv", "Environ", "ExpandEnv"},
	"syscall": {"Getenv", "Environ"},
}

// check returns the rule violations of one file.
func check(f file) ([]string, error) {
	fset := token.NewFileSet()
	af, err := parser.ParseFile(fset, f.name, f.src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var bad []string
	pin, err := toolsPin(af)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.name, err)
	}
	local := map[string]string{} // import path → the name the file uses for it
	for _, imp := range af.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			return nil, err
		}
		name := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		local[path] = name
		if pin {
			continue
		}
		for _, r := range rules {
			if (path == r.prefix || strings.HasPrefix(path, strings.TrimSuffix(r.prefix, "/")+"/")) && !r.allowed(f) {
				bad = append(bad, fmt.Sprintf("%s (%s) imports %s: only %s may", f.name, f.pkg, path, r.what))
			}
		}
	}
	if f.test || in(f.pkg, module+"/cmd") {
		return bad, nil
	}
	for pkg, funcs := range envReaders {
		name, ok := local[pkg]
		if !ok {
			continue
		}
		if name == "." {
			bad = append(bad, fmt.Sprintf("%s dot-imports %s: env reads cannot be checked", f.name, pkg))
			continue
		}
		ast.Inspect(af, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == name && slices.Contains(funcs, sel.Sel.Name) {
				bad = append(bad, fmt.Sprintf("%s: %s.%s reads the environment below cmd/ (%s)",
					f.name, pkg, sel.Sel.Name, fset.Position(sel.Pos())))
			}
			return true
		})
	}
	return bad, nil
}

// toolsPin reports whether a file builds only with the "tools" tag.
func toolsPin(af *ast.File) (bool, error) {
	for _, cg := range af.Comments {
		if cg.Pos() > af.Package {
			break
		}
		for _, c := range cg.List {
			if !constraint.IsGoBuild(c.Text) {
				continue
			}
			expr, err := constraint.Parse(c.Text)
			if err != nil {
				return false, err
			}
			return expr.Eval(func(tag string) bool { return tag == "tools" }) && !expr.Eval(func(string) bool { return false }), nil
		}
	}
	return false, nil
}

// moduleFiles reads every .go file of the module rooted at root, skipping testdata, hidden
// and underscore directories, vendor and nested modules.
func moduleFiles(t *testing.T, root string) []file {
	t.Helper()
	var files []file
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			n := d.Name()
			if path != root && (n == "testdata" || n == "vendor" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_")) {
				return filepath.SkipDir
			}
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		pkg := module
		if dir := filepath.ToSlash(filepath.Dir(rel)); dir != "." {
			pkg += "/" + dir
		}
		files = append(files, file{pkg: pkg, name: rel, test: strings.HasSuffix(path, "_test.go"), src: src})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// moduleRoot is the directory of the go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			if !strings.HasPrefix(string(b), "module "+module+"\n") {
				t.Fatalf("%s/go.mod is not module %s", dir, module)
			}
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

func TestImports(t *testing.T) {
	files := moduleFiles(t, moduleRoot(t))
	pkgs := map[string]bool{}
	openai := false
	for _, f := range files {
		pkgs[f.pkg] = true
		bad, err := check(f)
		if err != nil {
			t.Errorf("%s: %v", f.name, err)
		}
		for _, b := range bad {
			t.Error(b)
		}
		openai = openai || (f.pkg == "fenlei/llm" && strings.Contains(string(f.src), `"github.com/sashabaranov/go-openai"`))
	}
	// The walk saw the module: guard against a vacuous pass.
	for _, p := range []string{"fenlei/llm", "fenlei/retrieval", "fenlei/classify", "fenlei/corpus", "fenlei/importtest"} {
		if !pkgs[p] {
			t.Errorf("the walk missed package %s (saw %d packages)", p, len(pkgs))
		}
	}
	if !openai {
		t.Error("fenlei/llm does not import go-openai: the scan is not reading what it should")
	}
	t.Logf("checked %d files in %d packages", len(files), len(pkgs))
}

// TestCheck shows that check catches what it should, on made-up files.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    file
		bad  int
	}{
		{"openai in llm", file{pkg: "fenlei/llm", src: []byte("package llm\nimport openai \"github.com/sashabaranov/go-openai\"\n")}, 0},
		{"openai in classify", file{pkg: "fenlei/classify", src: []byte("package classify\nimport _ \"github.com/sashabaranov/go-openai\"\n")}, 1},
		{"classify in llm", file{pkg: "fenlei/llm", src: []byte("package llm\nimport _ \"fenlei/classify\"\n")}, 1},
		{"classify in llm test", file{pkg: "fenlei/llm", test: true, src: []byte("package llm\nimport _ \"fenlei/classify\"\n")}, 1},
		{"llm in classify", file{pkg: "fenlei/classify", src: []byte("package classify\nimport _ \"fenlei/llm\"\n")}, 0},
		{"openai in a test of bot", file{pkg: "fenlei/bot", test: true, src: []byte("package bot\nimport _ \"github.com/sashabaranov/go-openai\"\n")}, 1},
		{"bleve sub-package in eval", file{pkg: "fenlei/eval", src: []byte("package eval\nimport _ \"github.com/blevesearch/bleve/v2/search/query\"\n")}, 1},
		{"bleve in retrieval", file{pkg: "fenlei/retrieval", src: []byte("package retrieval\nimport _ \"github.com/blevesearch/bleve/v2\"\n")}, 0},
		{"discordgo in web", file{pkg: "fenlei/bot/web", src: []byte("package web\nimport _ \"github.com/bwmarrin/discordgo\"\n")}, 1},
		{"websocket in webload", file{pkg: "fenlei/bot/web/webload", src: []byte("package webload\nimport _ \"github.com/gorilla/websocket\"\n")}, 0},
		{"websocket in discord", file{pkg: "fenlei/bot/discord", src: []byte("package discord\nimport _ \"github.com/gorilla/websocket\"\n")}, 0},
		{"websocket in bot", file{pkg: "fenlei/bot", src: []byte("package bot\nimport _ \"github.com/gorilla/websocket\"\n")}, 1},
		{"websocket in a bot test", file{pkg: "fenlei/bot", test: true, src: []byte("package bot_test\nimport _ \"github.com/gorilla/websocket\"\n")}, 0},
		{"websocket in an eval test", file{pkg: "fenlei/eval", test: true, src: []byte("package eval\nimport _ \"github.com/gorilla/websocket\"\n")}, 1},
		{"chromedp in a web test", file{pkg: "fenlei/bot/web", test: true, src: []byte("package web\nimport _ \"github.com/chromedp/chromedp\"\n")}, 0},
		{"chromedp in web", file{pkg: "fenlei/bot/web", src: []byte("package web\nimport _ \"github.com/chromedp/chromedp\"\n")}, 1},
		{"pgx in store", file{pkg: "fenlei/store", src: []byte("package store\nimport _ \"github.com/jackc/pgx/v5/stdlib\"\n")}, 0},
		{"sqlite in web", file{pkg: "fenlei/bot/web", src: []byte("package web\nimport _ \"modernc.org/sqlite\"\n")}, 1},
		{"excelize in web", file{pkg: "fenlei/bot/web", src: []byte("package web\nimport _ \"github.com/xuri/excelize/v2\"\n")}, 1},
		{"excelize in a web test", file{pkg: "fenlei/bot/web", test: true, src: []byte("package web\nimport _ \"github.com/xuri/excelize/v2\"\n")}, 0},
		{"progressbar in audit", file{pkg: "fenlei/audit", src: []byte("package audit\nimport _ \"github.com/schollz/progressbar/v3\"\n")}, 1},
		{"tools pin", file{pkg: "fenlei", src: []byte("//go:build tools\n\npackage tools\nimport _ \"github.com/chromedp/chromedp\"\n")}, 0},
		{"other build tag", file{pkg: "fenlei/eval", src: []byte("//go:build !windows\n\npackage eval\nimport _ \"github.com/chromedp/chromedp\"\n")}, 1},
		{"Getenv in llm", file{pkg: "fenlei/llm", src: []byte("package llm\nimport \"os\"\nvar k = os.Getenv(\"KEY\")\n")}, 1},
		{"aliased LookupEnv", file{pkg: "fenlei/bot", src: []byte("package bot\nimport sys \"os\"\nfunc f() { _, _ = sys.LookupEnv(\"X\") }\n")}, 1},
		{"Getenv as a value", file{pkg: "fenlei/eval", src: []byte("package eval\nimport \"os\"\nvar get = os.Getenv\n")}, 1},
		{"syscall.Getenv", file{pkg: "fenlei/eval", src: []byte("package eval\nimport \"syscall\"\nfunc f() { syscall.Getenv(\"X\") }\n")}, 1},
		{"os.Environ and ExpandEnv", file{pkg: "fenlei/eval", src: []byte("package eval\nimport \"os\"\nvar a, b = os.Environ(), os.ExpandEnv(\"$X\")\n")}, 2},
		{"Getenv in cmd", file{pkg: "fenlei/cmd/fenlei", src: []byte("package main\nimport \"os\"\nvar k = os.Getenv(\"KEY\")\n")}, 0},
		{"Getenv in a test", file{pkg: "fenlei/bot/web", test: true, src: []byte("package web\nimport \"os\"\nvar k = os.Getenv(\"CI\")\n")}, 0},
		{"other os calls", file{pkg: "fenlei/eval", src: []byte("package eval\nimport \"os\"\nvar _, _ = os.ReadFile(\"x\")\n")}, 0},
		{"a local named os", file{pkg: "fenlei/eval", src: []byte("package eval\nfunc f(os struct{ Getenv int }) int { return os.Getenv }\n")}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.name = tc.name + ".go"
			bad, err := check(tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if len(bad) != tc.bad {
				t.Errorf("got %d violations %q, want %d", len(bad), bad, tc.bad)
			}
		})
	}
}
