//go:build ignore

// gen_traditional writes traditional.txt: the characters whose presence makes OpenCC's t2s conversion
// worth running — the keys of its TSCharacters dictionary that convert to something else, and every
// character of a TSPhrases key that converts to something else while holding none of those characters.
// A text without any of them is left as it is by t2s: each phrase t2s matches in it maps to itself, and
// so does each single character. Read from the opencc module the build uses; run by `go generate ./textin`.
package main

import (
	"bufio"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// phrase collects the characters of phrases that change without a changing character.
var phrase = map[rune]bool{}

// changing returns the keys of a dictionary file whose conversion differs from the key.
func changing(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, to, ok := strings.Cut(sc.Text(), "\t")
		if !ok || strings.Fields(to)[0] == key && len(strings.Fields(to)) == 1 {
			continue
		}
		out = append(out, key)
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	return out
}

func main() {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/longbridgeapp/opencc").Output()
	if err != nil {
		log.Fatal(err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "dictionary")
	set := map[rune]bool{}
	for _, kv := range changing(filepath.Join(dir, "TSCharacters.txt")) {
		for _, r := range kv {
			set[r] = true
		}
	}
	for _, kv := range changing(filepath.Join(dir, "TSPhrases.txt")) {
		if !strings.ContainsFunc(kv, func(r rune) bool { return set[r] }) {
			for _, r := range kv {
				phrase[r] = true
			}
		}
	}
	for r := range phrase {
		set[r] = true
	}
	rs := make([]rune, 0, len(set))
	for r := range set {
		rs = append(rs, r)
	}
	slices.Sort(rs)
	if err := os.WriteFile("traditional.txt", []byte(string(rs)+"\n"), 0o644); err != nil {
		log.Fatal(err)
	}
}
