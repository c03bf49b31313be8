package corpus

import (
	_ "embed"
	"fmt"
	"strings"
)

// reroutedTSV lists texts of the training data (routing examples, question index) whose route a review
// changed, without editing their authors' files: the text's TextHash, the route the review gave, the
// reviewer, and the text itself (so that a row can be read, and cannot silently name another text).
//
// The review applied the routing rules of the authoring brief: a text that asks only whether a service
// is counted, or which class (or whether a named class) covers a specific service ("劳务派遣算B11吗？",
// "K22包不包括施工？"), is a description, also when a question-index author wrote it as a question. Six
// reviewers read every question-labelled text of the routing examples and the question index once, each a
// share of them (3,858 texts in four shares, then the 855 of the authors qh, r7 and r8 in two); two more
// read every description-labelled routing example. A ninth (v9) read the 158 texts that mention money
// (advances, amounts paid on the client's behalf, goods bought, fees passed on) under one clarification:
// whether a sum of money is counted is a question of reporting amounts, also when asked "can it count
// under class X?"; its label replaces an earlier review's. Two more (v10, v11) read every text of the
// authors r11, r12 and qi, and v12 those of r11, r12, r13 and qi that speak of in-house or group work
// (whether that work counts is a description), under the same rules with three clarifications: money
// that is not the provider's own fee, a whole kind of party or site, a class and one named service.
//
//go:embed rerouted.tsv
var reroutedTSV string

// Reroutes parses rerouted.tsv into the route each listed text takes, by TextHash. A row with another
// number of columns, a route outside Routes, a repeated hash or a hash that is not its text's is an error
// naming the line.
func Reroutes() (map[string]string, error) {
	out := map[string]string{}
	for n, row := range strings.Split(reroutedTSV, "\n") {
		if strings.TrimSpace(row) == "" || strings.HasPrefix(row, "#") {
			continue
		}
		f := strings.Split(row, "\t")
		switch {
		case len(f) != 4:
			return nil, fmt.Errorf("corpus/rerouted.tsv line %d: want hash, route, reviewer and text, tab-separated", n+1)
		case !contains(Routes, f[1]):
			return nil, fmt.Errorf("corpus/rerouted.tsv line %d: route %q not one of %v", n+1, f[1], Routes)
		case TextHash(f[3]) != f[0]:
			return nil, fmt.Errorf("corpus/rerouted.tsv line %d: hash %q is not the text's (%s)", n+1, f[0], TextHash(f[3]))
		case out[f[0]] != "":
			return nil, fmt.Errorf("corpus/rerouted.tsv line %d: text listed twice", n+1)
		}
		out[f[0]] = f[1]
	}
	return out, nil
}
