package llm

import (
	"context"
	"fmt"
	"log/slog"

	cls "fenlei/classify" // aliased: this package has a func classify
	"fenlei/corpus"
	"fenlei/decision"
	"fenlei/prompts"
)

// Suggester is the LLM engine of classify: it renders the classification prompts from the
// retrieved candidates, asks the model, and parses the JSON reply. It is safe for concurrent use.
//
// A reply that is not the JSON object asked for gets one repair call (a short follow-up carrying
// the bad reply and asking for the object only); if that fails too, Suggest returns an error and
// the engine answers offline. Suggest does not check the code against the taxonomy: the rule
// layer does.
type Suggester struct {
	c  *Client
	lg *slog.Logger
}

var _ cls.Suggester = (*Suggester)(nil)

// NewSuggester returns a Suggester that asks c. lg may be nil.
func NewSuggester(c *Client, lg *slog.Logger) *Suggester {
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	return &Suggester{c: c, lg: lg}
}

// Model returns the client's model name.
func (s *Suggester) Model() string { return s.c.Model() }

// Suggest asks the model for a code. With onDelta it streams the first call, passing the reply's
// "reason" text to onDelta as it arrives (the repair call, if any, is not streamed). Usage is summed over the calls.
// Errors wrap the *Error of a failed call, or the ParseSuggestion error of the repaired reply.
func (s *Suggester) Suggest(ctx context.Context, in cls.SuggestInput, onDelta func(string)) (cls.Suggestion, error) {
	const op = "llm.Suggest"
	system, user, err := prompts.Classify(promptData(in))
	if err != nil {
		return cls.Suggestion{}, fmt.Errorf("%s: %w", op, err)
	}
	var reply Reply
	if onDelta != nil {
		rs := &reasonStream{out: onDelta}
		reply, err = s.c.Stream(ctx, system, user, rs.write)
	} else {
		reply, err = s.c.Complete(ctx, system, user)
	}
	if err != nil {
		return cls.Suggestion{}, fmt.Errorf("%s: %w", op, err)
	}
	usage := reply.Usage
	s.lg.Debug("llm suggest", "model", reply.Model, "prompt_bytes", len(system)+len(user),
		"prompt_tokens", reply.Usage.PromptTokens, "completion_tokens", reply.Usage.CompletionTokens, "finish", reply.FinishReason)

	sug, perr := ParseSuggestion(reply.Text)
	if perr != nil {
		s.lg.Warn("llm reply unreadable, repairing", "model", reply.Model, "finish", reply.FinishReason,
			"chars", len(reply.Text), "err", perr)
		rsys, ruser, err := prompts.Repair(prompts.RepairData{Lang: in.Lang, Reply: reply.Text})
		if err != nil {
			return cls.Suggestion{}, fmt.Errorf("%s: %w", op, err)
		}
		fixed, err := s.c.Complete(ctx, rsys, ruser)
		if err != nil {
			return cls.Suggestion{}, fmt.Errorf("%s: repair after %w: %w", op, perr, err)
		}
		usage = addUsage(usage, fixed.Usage)
		if sug, err = ParseSuggestion(fixed.Text); err != nil {
			s.lg.Warn("llm reply unrepairable", "model", fixed.Model, "err", err)
			return cls.Suggestion{}, fmt.Errorf("%s: reply and repaired reply unreadable: %w", op, err)
		}
	}
	s.lg.Info("llm suggestion", "model", reply.Model, "code", sug.Code, "confidence", sug.Confidence,
		"citations", len(sug.Citations), "repaired", perr != nil)
	return cls.Suggestion{
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

// promptData builds the prompt data from a cls.SuggestInput: for each candidate its
// definition (the class's ".def" passage, else any definition passage), typical businesses
// (KindTypical) and exclusions (KindExclude) in document order, and the section 三 rules.
func promptData(in cls.SuggestInput) prompts.ClassifyData {
	d := prompts.ClassifyData{Lang: in.Lang, Text: in.Text}
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
			}
		}
		d.Candidates = append(d.Candidates, c)
	}
	for _, p := range in.Rules {
		d.Rules = append(d.Rules, prompts.Clause{Ref: p.Ref, Text: p.Text})
	}
	return d
}
