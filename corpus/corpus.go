// Package corpus is the guidance as data: the embedded text of the Operation Guidance on China
// Outsourcing Statistics (2022), parsed into a typed taxonomy (3 classes, 9 middle classes,
// 45 sub-classes) and into passages. It promises that every line of the guidance is in some
// passage, that every passage's Text occurs verbatim in the source (a page break inside a
// sentence joined with nothing in between), that refs are stable, and that every redirect
// target names existing codes. The data written from it (clauses, answers, the question index) is embedded
// too; the training data (the coding index and the routing examples) is read from the source tree
// (ErrNoTrainingData outside a clone).
package corpus

import (
	_ "embed"
	"sync"
)

//go:embed guidance.txt
var guidanceText string

// Level of a class in the taxonomy.
type Level string

// Levels.
const (
	Major  Level = "major"
	Middle Level = "middle"
	Sub    Level = "sub"
)

// Class is one node of the taxonomy.
type Class struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEN string `json:"name_en"`
	Level  Level  `json:"level"`
	Parent string `json:"parent"`
}

// Kind says what a passage is.
type Kind string

// Passage kinds.
const (
	KindTitle      Kind = "title"      // title page
	KindHeading    Kind = "heading"    // a section or table heading
	KindScope      Kind = "scope"      // section 一: what service outsourcing is
	KindTable      Kind = "table"      // a row of table 1
	KindDefinition Kind = "definition" // a class's definition
	KindTypical    Kind = "typical"    // one typical business (典型业务)
	KindExclude    Kind = "exclude"    // one exclusion (不包括)
	KindRule       Kind = "rule"       // section 三: mixed and product-sale contracts
	KindPlatform   Kind = "platform"   // section 四: trading platforms
)

// Passage is one citable piece of the guidance.
type Passage struct {
	Ref     string `json:"ref"`             // stable id, e.g. "I13.exclude.2", "I11.def", "I11.typical.4", "rule.2"
	Section string `json:"section"`         // readable path, e.g. "二、业务分类 › I13 测试服务 › 不包括"
	Line    int    `json:"line"`            // 1-based line of the source where the passage starts
	Title   string `json:"title,omitempty"` // the bold heading before the text, e.g. "典型业务 1：定制软件研发", "I13 测试服务"
	Text    string `json:"text"`            // verbatim text of the guidance (never contains the markdown ** of the source)
	Kind    Kind   `json:"kind"`
	Code    string `json:"code,omitempty"` // owning class code (sub, middle or major), "" outside section 二
	// Targets are the codes an exclusion redirects to ("应纳入 I11" → [I11]; "应纳入 I 信息技术外包" → [ITO];
	// "纳入相应的类别 I11、I12…" → several; "应纳入工程技术服务" → [K22]). Empty when it sends nowhere.
	Targets []string `json:"targets,omitempty"`
}

// Guidance is the parsed document.
type Guidance struct {
	Classes  []Class
	Passages []Passage

	source  string
	byCode  map[string]int
	byRef   map[string]int
	squashd string // source without whitespace, for verbatim checks

	groupOnce sync.Once
	levels    map[Level][]Class    // the classes of each level, in document order (see level)
	ofCode    map[string][]Passage // the passages of each code, in document order (see PassagesOf)
	restated  map[string][]string  // see Restatements
}
