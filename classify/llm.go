package classify

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"fenlei/corpus"
	"fenlei/decision"
	"fenlei/llm"
	"fenlei/prompts"
)

// Chatter is the LLM transport the classifier needs; *llm.Client satisfies it.
type Chatter interface {
	Chat(ctx context.Context, r llm.Request) (llm.Reply, error)
}

var _ Chatter = (*llm.Client)(nil)

// LLM is the LLM engine: it renders the classification prompts from the retrieved candidates, asks the
// model through a Chatter, and parses the JSON reply. It is safe for concurrent use.
//
// An empty reply is the transport's to retry. A reply that is not the JSON object asked for gets one
// repair call (a short follow-up carrying the bad reply and asking for the object only); if that fails
// too, Suggest returns an error and the engine answers offline. Suggest does not check the code against
// the taxonomy: the rule layer does.
type LLM struct {
	c     Chatter
	model string
	lg    *slog.Logger
}

var _ Suggester = (*LLM)(nil)

// NewLLM returns an LLM engine that asks c, a client of model. lg may be nil.
func NewLLM(c Chatter, model string, lg *slog.Logger) *LLM {
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	return &LLM{c: c, model: model, lg: lg}
}

// Model returns the model name.
func (s *LLM) Model() string { return s.model }

// ReplySchema is the JSON schema of the reply the prompts ask for (sent with the json_schema format).
var ReplySchema = &llm.Schema{Name: "suggestion", JSON: json.RawMessage(`{
  "type": "object",
  "properties": {
    "code": {"type": "string", "description": "sub-class code such as I11, or OUT"},
    "reason": {"type": "string"},
    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    "citations": {"type": "array", "items": {"type": "string"}}
  },
  "required": ["code", "reason"],
  "additionalProperties": false
}`)}

// Suggest asks the model for a code. With onDelta it streams the first call, passing the reply's
// "reason" text to onDelta as it arrives (the repair call, if any, is not streamed). Usage is summed
// over the calls. Errors wrap the transport's error, or the parse error of the repaired reply.
func (s *LLM) Suggest(ctx context.Context, in SuggestInput, onDelta func(string)) (Suggestion, error) {
	const op = "classify.LLM.Suggest"
	system, user, err := prompts.Classify(promptData(in))
	if err != nil {
		return Suggestion{}, fmt.Errorf("%s: %w", op, err)
	}
	req := llm.Request{System: system, User: user, Schema: ReplySchema}
	if onDelta != nil {
		req.OnDelta = (&reasonStream{out: onDelta}).write
	}
	reply, err := s.c.Chat(ctx, req)
	if err != nil {
		return Suggestion{}, fmt.Errorf("%s: %w", op, err)
	}
	usage := reply.Usage
	s.lg.Debug("llm suggest", "model", reply.Model, "prompt_bytes", len(system)+len(user),
		"prompt_tokens", reply.Usage.PromptTokens, "completion_tokens", reply.Usage.CompletionTokens, "finish", reply.FinishReason)

	sug, perr := parseReply(reply.Text)
	if perr != nil {
		s.lg.Warn("llm reply unreadable, repairing", "model", reply.Model, "finish", reply.FinishReason,
			"chars", len(reply.Text), "err", perr)
		rsys, ruser, err := prompts.Repair(prompts.RepairData{Lang: in.Lang, Reply: reply.Text})
		if err != nil {
			return Suggestion{}, fmt.Errorf("%s: %w", op, err)
		}
		fixed, err := s.c.Chat(ctx, llm.Request{System: rsys, User: ruser, Schema: ReplySchema})
		if err != nil {
			return Suggestion{}, fmt.Errorf("%s: repair after %w: %w", op, perr, err)
		}
		usage = addUsage(usage, fixed.Usage)
		if sug, err = parseReply(fixed.Text); err != nil {
			s.lg.Warn("llm reply unrepairable", "model", fixed.Model, "err", err)
			return Suggestion{}, fmt.Errorf("%s: reply and repaired reply unreadable: %w", op, err)
		}
	}
	s.lg.Info("llm suggestion", "model", reply.Model, "code", sug.Code, "confidence", sug.Confidence,
		"citations", len(sug.Citations), "repaired", perr != nil)
	return Suggestion{
		Code:       sug.Code,
		Reason:     sug.Reason,
		Confidence: sug.Confidence,
		HasConf:    sug.HasConfidence,
		Citations:  sug.Citations,
		Usage:      usage,
	}, nil
}

func addUsage(a, b decision.Usage) decision.Usage {
	return decision.Usage{PromptTokens: a.PromptTokens + b.PromptTokens, CompletionTokens: a.CompletionTokens + b.CompletionTokens}
}

// promptData builds the prompt data from a SuggestInput: the fixed part (the 45 classes, the scope
// clauses, the section 三 rules), then for each candidate its definition (the class's ".def" passage,
// else any definition passage), typical businesses and exclusions in document order, and the retrieved
// redirecting exclusions of other classes.
func promptData(in SuggestInput) prompts.ClassifyData {
	d := prompts.ClassifyData{Lang: in.Lang, Text: in.Text}
	for _, c := range in.Classes {
		d.Classes = append(d.Classes, prompts.ClassLine{Code: c.Code, Name: c.Name, Definition: c.Definition})
	}
	for _, p := range in.Scope {
		d.Scope = append(d.Scope, prompts.Clause{Ref: p.Ref, Text: p.Text})
	}
	for _, p := range in.Rules {
		d.Rules = append(d.Rules, prompts.Clause{Ref: p.Ref, Text: p.Text})
	}
	shown := map[string]bool{}
	for _, ci := range in.Candidates {
		c := prompts.Candidate{Code: ci.Class.Code, Name: ci.Class.Name, NameEN: ci.Class.NameEN}
		for _, p := range ci.Passages {
			switch p.Kind {
			case corpus.KindDefinition:
				if c.Definition == "" || p.Ref == ci.Class.Code+".def" {
					c.Definition, c.DefinitionRef = p.Text, p.Ref
				}
			case corpus.KindTypical:
				c.Typical = append(c.Typical, prompts.Clause{Ref: p.Ref, Title: p.Title, Text: p.Text})
			case corpus.KindExclude:
				c.Exclusions = append(c.Exclusions, prompts.Clause{Ref: p.Ref, Text: p.Text})
				shown[p.Ref] = true
			}
		}
		d.Candidates = append(d.Candidates, c)
	}
	for _, p := range in.Exclusions {
		if !shown[p.Ref] {
			d.Exclusions = append(d.Exclusions, prompts.Clause{Ref: p.Ref, Text: p.Text})
		}
	}
	return d
}

// Check asks the model one short classification with the classifier's reply schema and reads the reply:
// it shows that the endpoint, key, model and JSON mode work together (fenlei llm check). Errors wrap the
// transport's *llm.Error (with the provider's message) or the reply parser's error.
func (s *LLM) Check(ctx context.Context) (Suggestion, error) {
	const op = "classify.LLM.Check"
	reply, err := s.c.Chat(ctx, llm.Request{
		System: `Classify the service for China's service-outsourcing statistics. Reply with one JSON object and nothing else: {"code": "I11", "reason": "...", "confidence": 0.0-1.0, "citations": []}.`,
		User:   "为银行定制开发信贷管理软件 (custom loan-management software for a bank). Reply with the JSON object only.",
		Schema: ReplySchema,
	})
	if err != nil {
		return Suggestion{}, fmt.Errorf("%s: %w", op, err)
	}
	r, err := parseReply(reply.Text)
	if err != nil {
		return Suggestion{}, fmt.Errorf("%s: the reply is not the JSON object asked for (%q): %w", op, clip(reply.Text, 200), err)
	}
	return Suggestion{Code: r.Code, Reason: r.Reason, Confidence: r.Confidence, HasConf: r.HasConfidence, Usage: reply.Usage}, nil
}
