package eval

import (
	"fenlei/decision"
)

// Helpers that build fake cases and decisions for the metric tests.

func cls(id, expected string, accept ...string) Case {
	return Case{ID: id, Text: "text of " + id, Expected: expected, Accept: accept}
}

func dec(code string, conf float64, cands ...string) decision.Decision {
	d := decision.Decision{Code: code, Confidence: conf}
	for _, c := range cands {
		d.Candidates = append(d.Candidates, decision.Candidate{Code: c})
	}
	return d
}

func ask(question string, cands ...string) decision.Decision {
	d := dec("", 0, cands...)
	d.Question = question
	return d
}

func res(c Case, d decision.Decision) Result { return Result{Case: c, Decision: d} }

func failed(c Case, err string) Result { return Result{Case: c, Error: err} }

// nineCases is the hand-scored set used by the metric tests. For each case: what it shows.
//
//	id  expected      decision (code conf | candidates)       sub t1/t3  mid t1/t3  major t1/t3
//	c1  I11           I11 .90                                  ✓ ✓        ✓ ✓        ✓ ✓
//	c2  I13           I11 .80 | I11 I13                        ✗ ✓        ✓ ✓        ✓ ✓
//	c3  B21           B23 .60 | B23 K21 I11 B21 (B21 is 4th)   ✗ ✗        ✓ ✓        ✓ ✓
//	c4  K31 acc K32   K32 .70                                  ✓ ✓        ✓ ✓        ✓ ✓
//	c5  OUT           OUT .95                                  ✓ ✓        ✓ ✓        ✓ ✓
//	c6  OUT           I21 .40 | I21 I22 OUT                    ✗ ✓        ✗ ✓        ✗ ✓
//	c7  I12           "" asks a question | I11 I12             ✗ ✓        ✗ ✓        ✗ ✓
//	c8  B11           OUT .50                                  ✗ ✗        ✗ ✗        ✗ ✗
//	c9  I11           Classify error                           ✗ ✗        ✗ ✗        ✗ ✗
//	                                                    totals 3/9 6/9    5/9 7/9    5/9 7/9
func nineCases() []Result {
	return []Result{
		res(cls("c1", "I11"), dec("I11", 0.90)),
		res(cls("c2", "I13"), dec("I11", 0.80, "I11", "I13")),
		res(cls("c3", "B21"), dec("B23", 0.60, "B23", "K21", "I11", "B21")),
		res(cls("c4", "K31", "K32"), dec("K32", 0.70)),
		res(cls("c5", "OUT"), dec("OUT", 0.95)),
		res(cls("c6", "OUT"), dec("I21", 0.40, "I21", "I22", "OUT")),
		res(cls("c7", "I12"), ask("是哪一类软件？", "I11", "I12")),
		res(cls("c8", "B11"), dec("OUT", 0.50)),
		failed(cls("c9", "I11"), "boom"),
	}
}
