package eval

import "fenlei/decision"

// Report holds every figure of one evaluation run and the per-case results it was computed from.
// JSON field names are stable; new fields may be added.
//
// Conventions: a classification case is right at top-1 when the Decision's code (projected to the
// level) equals the expected code or an accept code; a case whose Classify call failed counts as
// wrong with predicted code "". Rates are in [0,1] and 0 when their denominator is 0.
type Report struct {
	Cases               int `json:"cases"`
	ClassificationCases int `json:"classification_cases"`
	QuestionCases       int `json:"question_cases"`

	// Accuracy is top-1/top-3 accuracy at each level over classification cases.
	Accuracy Accuracy `json:"accuracy"`
	// Out is precision and recall of the OUT code.
	Out OutScore `json:"out"`

	// Abstained counts cases answered with code "" and a clarifying question.
	Abstained      int     `json:"abstained"`
	AbstentionRate float64 `json:"abstention_rate"`
	// Answered counts classification cases with a non-empty code and no error;
	// AnsweredAccuracy is top-1 sub-class accuracy among them.
	Answered         int     `json:"answered"`
	AnsweredAccuracy float64 `json:"answered_accuracy"`

	// Coverage is the coverage–accuracy curve for thresholds 0, 0.05 … 1.
	Coverage []CoveragePoint `json:"coverage"`
	// ECE is the expected calibration error over Calibration's 10 equal-width bins (answered cases).
	ECE         float64          `json:"ece"`
	Calibration []CalibrationBin `json:"calibration"`

	// PerClass scores each sub-class code (and OUT) seen as gold label or prediction, in taxonomy
	// order. The gold label is the predicted code when the case accepts it, else the expected code.
	PerClass []ClassScore `json:"per_class"`
	// MacroF1 is the mean F1 over classes with support > 0.
	MacroF1   float64   `json:"macro_f1"`
	Confusion Confusion `json:"confusion"`

	// PerTag is the share of right cases per tag (top-1 sub-class, or question hit), sorted by tag.
	PerTag    []TagScore    `json:"per_tag"`
	Citations CitationScore `json:"citations"`
	// Deciding counts the right classification answers to cases with a Ref (a coding-index entry's
	// deciding passage) that cite that passage.
	Deciding  DecidingScore `json:"deciding,omitzero"`
	Questions QuestionScore `json:"questions"`
	Routing   RoutingScore  `json:"routing"`
	// RoutingCV is the router's leave-one-author-out cross-validation over its training texts, per route
	// and "binary" (description or not). The caller computes it (it is not a figure of the cases); empty
	// unless the run is such a cross-validation.
	RoutingCV []RouteScore   `json:"routing_cv,omitempty"`
	Latency   LatencySummary `json:"latency"`
	Tokens    TokenSummary   `json:"tokens"`

	ErrorCount int         `json:"error_count"`
	Errors     []CaseError `json:"errors"`
	// Failures lists every case that was not right, in case order.
	Failures []Failure `json:"failures"`
	// Results holds one entry per case, in case order.
	Results []Result `json:"results"`
}

// Accuracy is top-k accuracy at the three levels of the classification.
type Accuracy struct {
	Sub    TopK `json:"sub"`
	Middle TopK `json:"middle"`
	Major  TopK `json:"major"`
}

// TopK is top-1 and top-3 accuracy at one level.
type TopK struct {
	Top1 float64 `json:"top1"`
	Top3 float64 `json:"top3"`
}

// OutScore is how well OUT (not service outsourcing) is recognised.
type OutScore struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	// Predicted counts cases predicted OUT, Gold cases whose gold label is OUT, Hits both.
	Predicted int `json:"predicted"`
	Gold      int `json:"gold"`
	Hits      int `json:"hits"`
}

// CoveragePoint is one point of the coverage–accuracy curve: the cases answered with
// confidence ≥ Threshold.
type CoveragePoint struct {
	Threshold float64 `json:"threshold"`
	Answered  int     `json:"answered"`
	Coverage  float64 `json:"coverage"`
	Accuracy  float64 `json:"accuracy"`
}

// CalibrationBin is one confidence bin [Lo, Hi) (the last one includes 1).
type CalibrationBin struct {
	Lo         float64 `json:"lo"`
	Hi         float64 `json:"hi"`
	Count      int     `json:"count"`
	Accuracy   float64 `json:"accuracy"`
	Confidence float64 `json:"confidence"`
}

// ClassScore is precision, recall and F1 of one code.
type ClassScore struct {
	Code      string  `json:"code"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
	Predicted int     `json:"predicted"`
}

// Confusion is the expected × predicted matrix of classification cases: Counts[i][j] counts cases
// expected Expected[i] and predicted Predicted[j]. The expected code is the gold label: the case's
// expected code, or the predicted code when the case accepts it, so the diagonal holds exactly the
// cases right at top-1. Predicted "" stands for abstentions and errors. Codes are in taxonomy
// order (ITO, BPO, KPO, OUT, "").
type Confusion struct {
	Expected  []string `json:"expected"`
	Predicted []string `json:"predicted"`
	Counts    [][]int  `json:"counts"`
}

// TagScore is accuracy over the cases carrying one tag.
type TagScore struct {
	Tag      string  `json:"tag"`
	Cases    int     `json:"cases"`
	Right    int     `json:"right"`
	Accuracy float64 `json:"accuracy"`
}

// CitationScore is the share of citations that quote the guidance verbatim. Checked is false when
// no verbatim check was supplied.
type CitationScore struct {
	Checked  bool    `json:"checked"`
	Total    int     `json:"total"`
	Verbatim int     `json:"verbatim"`
	Rate     float64 `json:"rate"`
}

// DecidingScore is how often a right answer cites the passage its case's author said decides it: First
// when it is the first citation (the one the answer's reason quotes), Cited when it is anywhere; by the
// expected code's kind, OUT apart, since an OUT rests on a scope clause or an exclusion the text must be
// matched with.
type DecidingScore struct {
	Cases    int     `json:"cases"` // right answers to cases with a Ref
	First    int     `json:"first"`
	Cited    int     `json:"cited"`
	Rate     float64 `json:"rate"` // First / Cases
	OutCases int     `json:"out_cases"`
	OutFirst int     `json:"out_first"`
	OutRate  float64 `json:"out_rate"` // OutFirst / OutCases
}

// QuestionScore is the hit rate on guidance-question cases.
type QuestionScore struct {
	Cases   int     `json:"cases"`
	Hits    int     `json:"hits"`
	HitRate float64 `json:"hit_rate"`
	// Led counts the questions with needed passages (Case.Needs) whose answer quotes a needed passage
	// first: the plain answer is written for, or taken from, the first passage.
	NeedCases int     `json:"need_cases,omitempty"`
	Led       int     `json:"led,omitempty"`
	LedRate   float64 `json:"led_rate,omitempty"`
	// Quoted and QuotedNeeded count those answers' quotes and the needed ones among them: Precision is
	// their ratio (an answer that quotes twelve passages to cover one is hard to read).
	Quoted       int     `json:"quoted,omitempty"`
	QuotedNeeded int     `json:"quoted_needed,omitempty"`
	Precision    float64 `json:"precision,omitempty"`
}

// RoutingScore says how often inputs were routed right: questions answered as questions (guidance or
// follow-up), descriptions classified (not taken for questions). Cases with an error are not counted. A
// case counts under the route it was adjudicated to when it has one (Case.Route), else under its type.
type RoutingScore struct {
	// Adjudicated is how many cases count under a route other than their type's (Case.Route).
	Adjudicated       int     `json:"adjudicated,omitempty"`
	Questions         int     `json:"questions"`
	QuestionsRight    int     `json:"questions_right"`
	QuestionRate      float64 `json:"question_rate"`
	Descriptions      int     `json:"descriptions"`
	DescriptionsRight int     `json:"descriptions_right"`
	DescriptionRate   float64 `json:"description_rate"`
}

// RouteScore is how many texts of one route a cross-validated router routed right.
type RouteScore struct {
	Route string  `json:"route"`
	Texts int     `json:"texts"`
	Right int     `json:"right"`
	Rate  float64 `json:"rate"`
}

// NewRouteScore is a RouteScore with its rate.
func NewRouteScore(route string, right, texts int) RouteScore {
	return RouteScore{Route: route, Texts: texts, Right: right, Rate: rate(right, texts)}
}

// LatencySummary summarises per-case latency (nearest-rank percentiles) in milliseconds.
type LatencySummary struct {
	P50MS  float64 `json:"p50_ms"`
	P95MS  float64 `json:"p95_ms"`
	MeanMS float64 `json:"mean_ms"`
	MaxMS  float64 `json:"max_ms"`
}

// TokenSummary is LLM token usage, in total and per case (over all cases).
type TokenSummary struct {
	Prompt            int     `json:"prompt"`
	Completion        int     `json:"completion"`
	PromptPerCase     float64 `json:"prompt_per_case"`
	CompletionPerCase float64 `json:"completion_per_case"`
}

// CaseError is one case whose Classify call failed.
type CaseError struct {
	ID    string `json:"id"`
	Error string `json:"error"`
}

// Failure is one case that was not right, with what the engine said.
type Failure struct {
	ID        string              `json:"id"`
	Question  bool                `json:"question,omitempty"`
	Text      string              `json:"text"`
	Expected  string              `json:"expected,omitempty"`
	Accept    []string            `json:"accept,omitempty"`
	Cite      []string            `json:"cite,omitempty"`
	Code      string              `json:"code"`
	Reason    string              `json:"reason,omitempty"`
	Answer    string              `json:"answer,omitempty"`
	Ask       string              `json:"ask,omitempty"` // the clarifying question of an abstention
	Citations []decision.Citation `json:"citations,omitempty"`
	Verbatim  []bool              `json:"verbatim,omitempty"` // per citation, when checked
	Error     string              `json:"error,omitempty"`
}

// Result is one case, the Decision it got and how it was judged.
type Result struct {
	Case      Case              `json:"case"`
	Decision  decision.Decision `json:"decision"`
	Error     string            `json:"error,omitempty"`
	LatencyMS float64           `json:"latency_ms"`
	// Right is top-1 sub-class correctness for a classification case, the hit for a question case.
	Right bool `json:"right"`
	// Top3 is top-3 sub-class correctness (equal to Right for a question case).
	Top3      bool `json:"top3"`
	Abstained bool `json:"abstained,omitempty"`
}
