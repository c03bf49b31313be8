//go:build ignore

// gen_traditional writes traditional.txt: every character that OpenCC's t2s conversion can change —
// the keys of its TSCharacters dictionary and every character of its TSPhrases keys that convert to
// something else — read from the opencc module the build uses. Run by `go generate ./textin`.
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

func main() {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/longbridgeapp/opencc").Output()
	if err != nil {
		log.Fatal(err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "dictionary")
	set := map[rune]bool{}
	for _, name := range []string{"TSCharacters.txt", "TSPhrases.txt"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			log.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			key, to, ok := strings.Cut(sc.Text(), "\t")
			if !ok || strings.Fields(to)[0] == key && len(strings.Fields(to)) == 1 {
				continue
			}
			for _, r := range key {
				set[r] = true
			}
		}
		if err := sc.Err(); err != nil {
			log.Fatal(err)
		}
		f.Close()
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
