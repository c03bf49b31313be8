package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// category is one class as docs/contract.md lists it; Parent is a pointer to tell a missing key from "".
type category struct {
	Code   string  `json:"code"`
	Name   string  `json:"name"`
	NameEN string  `json:"name_en"`
	Level  string  `json:"level"`
	Parent *string `json:"parent"`
}

// checkTaxonomy checks the 57 classes: 3 major, 9 middle, 45 sub, every parent a class one level up.
func checkTaxonomy(t *testing.T, cats []category) {
	t.Helper()
	if len(cats) != 57 {
		t.Fatalf("%d classes, want 57", len(cats))
	}
	byCode := map[string]category{}
	count := map[string]int{}
	for _, c := range cats {
		if c.Code == "" || c.Name == "" || c.NameEN == "" {
			t.Errorf("class lacks code, name or name_en: %+v", c)
		}
		if _, dup := byCode[c.Code]; dup {
			t.Errorf("duplicate code %s", c.Code)
		}
		byCode[c.Code] = c
		count[c.Level]++
	}
	if count["major"] != 3 || count["middle"] != 9 || count["sub"] != 45 {
		t.Errorf("levels = %v, want major 3, middle 9, sub 45", count)
	}
	up := map[string]string{"middle": "major", "sub": "middle"}
	for _, c := range cats {
		parent := ""
		if c.Parent != nil {
			parent = *c.Parent
		}
		switch c.Level {
		case "major":
			if parent != "" {
				t.Errorf("%s: major class has parent %q", c.Code, parent)
			}
		case "middle", "sub":
			p, ok := byCode[parent]
			if !ok || p.Level != up[c.Level] {
				t.Errorf("%s (%s): parent %q is not a %s class", c.Code, c.Level, parent, up[c.Level])
			}
		default:
			t.Errorf("%s: level %q, want major, middle or sub", c.Code, c.Level)
		}
	}
	for _, code := range []string{"ITO", "BPO", "KPO", "I1", "I11", "B11", "K39"} {
		if _, ok := byCode[code]; !ok {
			t.Errorf("class %s missing", code)
		}
	}
}

func TestCategories(t *testing.T) {
	t.Run("json", func(t *testing.T) {
		got := runFenlei(t, invocation{args: []string{"categories", "--json"}})
		if got.err != nil {
			t.Fatal(got.err)
		}
		var cats []category
		if err := json.Unmarshal([]byte(got.stdout), &cats); err != nil {
			t.Fatalf("categories --json: %v\n%.300s", err, got.stdout)
		}
		checkTaxonomy(t, cats)
		if cats[0].Code != "ITO" {
			t.Errorf("first class = %s, want ITO (document order)", cats[0].Code)
		}
	})
	t.Run("json has parent on every class", func(t *testing.T) {
		// docs/contract.md: "every class with code, name, name_en, level and parent"; GET /api/categories
		// always sends "parent" (empty for major classes).
		got := runFenlei(t, invocation{args: []string{"categories", "--json"}})
		if got.err != nil {
			t.Fatal(got.err)
		}
		var raw []map[string]json.RawMessage
		if err := json.Unmarshal([]byte(got.stdout), &raw); err != nil {
			t.Fatal(err)
		}
		for _, c := range raw {
			for _, k := range []string{"code", "name", "name_en", "level", "parent"} {
				if _, ok := c[k]; !ok {
					if k == "parent" {
						t.Errorf(`categories --json omits "parent" on major classes (%s), /api/categories sends "parent": ""`, c["code"])
					}
					t.Errorf("class %s lacks %q", c["code"], k)
				}
			}
		}
	})
	t.Run("text", func(t *testing.T) {
		got := runFenlei(t, invocation{args: []string{"categories"}})
		if got.err != nil {
			t.Fatal(got.err)
		}
		lines := strings.Split(strings.TrimRight(got.stdout, "\n"), "\n")
		if len(lines) != 57 {
			t.Fatalf("%d lines, want 57", len(lines))
		}
		for _, want := range []string{"ITO", "  I1 ", "    I11 ", "软件研发服务", "Software research and development services"} {
			if !strings.Contains(got.stdout, want) {
				t.Errorf("text lacks %q", want)
			}
		}
		subs := 0
		for _, l := range lines {
			if strings.HasPrefix(l, "    ") {
				subs++
			}
		}
		if subs != 45 {
			t.Errorf("%d indented sub-class lines, want 45", subs)
		}
	})
}

func TestSearch(t *testing.T) {
	tests := []struct {
		name      string
		query     string
		wantTop   string // the best category
		wantRef   string // a passage ref among the hits
		wantInTxt []string
	}{
		{name: "chinese", query: "手机APP开发", wantTop: "I11", wantRef: "I11.typical.4",
			wantInTxt: []string{"categories:", "I11", "passages:", "「"}},
		{name: "english", query: "mobile app development", wantTop: "I11",
			wantInTxt: []string{"expanded:", "categories:", "I11"}},
		{name: "labour dispatch", query: "劳务派遣", wantRef: "B11.exclude.1",
			wantInTxt: []string{"B11", "劳务派遣"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/json", func(t *testing.T) {
			got := runFenlei(t, invocation{args: []string{"search", "--json", tt.query}})
			if got.err != nil {
				t.Fatal(got.err)
			}
			var res struct {
				Query      string `json:"query"`
				Categories []struct {
					Code  string  `json:"code"`
					Name  string  `json:"name"`
					Score float64 `json:"score"`
				} `json:"categories"`
				Passages []struct {
					Ref   string  `json:"ref"`
					Score float64 `json:"score"`
				} `json:"passages"`
			}
			if err := json.Unmarshal([]byte(got.stdout), &res); err != nil {
				t.Fatalf("search --json: %v", err)
			}
			if res.Query != tt.query {
				t.Errorf("query = %q, want %q", res.Query, tt.query)
			}
			if len(res.Categories) == 0 || len(res.Categories) > 10 || len(res.Passages) == 0 {
				t.Fatalf("%d categories, %d passages; want 1–10 and some", len(res.Categories), len(res.Passages))
			}
			if tt.wantTop != "" && res.Categories[0].Code != tt.wantTop {
				t.Errorf("top category = %s, want %s", res.Categories[0].Code, tt.wantTop)
			}
			for i, c := range res.Categories {
				if c.Score < 0 || c.Score > 1 || (i > 0 && c.Score > res.Categories[i-1].Score) {
					t.Errorf("category %s score %v out of [0,1] or out of order", c.Code, c.Score)
				}
			}
			if tt.wantRef != "" {
				found := false
				for _, p := range res.Passages {
					found = found || p.Ref == tt.wantRef
				}
				if !found {
					t.Errorf("passages lack %s", tt.wantRef)
				}
			}
		})
		t.Run(tt.name+"/text", func(t *testing.T) {
			got := runFenlei(t, invocation{args: []string{"search", tt.query}})
			if got.err != nil {
				t.Fatal(got.err)
			}
			for _, w := range tt.wantInTxt {
				if !strings.Contains(got.stdout, w) {
					t.Errorf("search text lacks %q:\n%.500s", w, got.stdout)
				}
			}
		})
	}
	t.Run("empty query", func(t *testing.T) {
		got := runFenlei(t, invocation{args: []string{"search"}})
		if got.err == nil {
			t.Errorf("search with no query: err = nil, want an error")
		}
	})
}
