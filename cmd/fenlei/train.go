package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"fenlei/classify"
	"fenlei/corpus"
	"fenlei/eval"
	"fenlei/retrieval"
	"fenlei/score"
)

// train fits the router and the question kinds on the routing examples, coding index and question index
// (-routing-out, classify/routing.bin), compiles the index (-index-out, retrieval/index.gob) and fits the
// scorer on the coding index (-o, classify/model.json); the binary embeds all three. Training is
// deterministic: the same data gives the same files.
func (a *App) train(ctx context.Context) error {
	g, err := corpus.Load()
	if err != nil {
		return err
	}
	data, err := classify.LoadRoutingData(g)
	if err != nil {
		return err
	}
	var routing []byte
	if a.router, a.kinds, routing, err = classify.TrainRouting(data); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := os.WriteFile(a.cfg.RoutingOut, routing, 0o644); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	a.model = &score.Model{} // features need an engine, not a model
	a.entries = true
	if err := a.load(); err != nil {
		return err
	}
	lex, err := corpus.Lexicon()
	if err != nil {
		return err
	}
	ci, err := retrieval.Compile(a.g, lex, a.idx.Entries())
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := os.WriteFile(a.cfg.IndexOut, ci, 0o644); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	m, err := a.eng.Train(ctx, score.FitOptions{})
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	b, err := MarshalModel(m)
	if err != nil {
		return err
	}
	if err := os.WriteFile(a.cfg.Out, b, 0o644); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	fmt.Fprintf(a.stderr, "train: %d examples, temperature %.2f, wrote %s, %s and %s\n", m.Examples, m.Temperature, a.cfg.Out, a.cfg.IndexOut, a.cfg.RoutingOut)
	return nil
}

// MarshalModel is the model file's one format: indented JSON with a final newline.
func MarshalModel(m *score.Model) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// crossValidate runs leave-one-author-out cross-validation: --cv author over the coding index (for each
// author, the scorer is refitted on the other authors' entries, the neighbours and naive Bayes leave the
// author out, and the whole engine, rules included, classifies the author's entries); --cv questions
// over the question index and the router's training texts (crossValidateQuestions).
func (a *App) crossValidate(ctx context.Context) error {
	switch a.cfg.CV {
	case "author":
	case "questions":
		return a.crossValidateQuestions(ctx)
	default:
		return fmt.Errorf("eval: --cv %q: the schemes are \"author\" and \"questions\"", a.cfg.CV)
	}
	a.entries = true
	if err := a.load(); err != nil {
		return err
	}
	entries := a.idx.Entries()
	if len(entries) == 0 {
		return errors.New("eval: the coding index is empty")
	}
	exs, authors, err := a.eng.Examples(ctx)
	if err != nil {
		return err
	}
	full, err := classify.DefaultModel()
	if err != nil {
		return err
	}
	var folds []eval.Fold
	for _, author := range slices.Compact(slices.Sorted(slices.Values(authors))) {
		m, err := a.eng.FoldModel(exs, authors, author, full, score.FitOptions{})
		if err != nil {
			return err
		}
		f := eval.Fold{Name: author, Classifier: a.eng.Fold(author, m)}
		for _, e := range entries {
			if e.Author == author {
				f.Cases = append(f.Cases, entryCase(e))
			}
		}
		folds = append(folds, f)
	}
	rep, err := eval.CrossValidate(ctx, folds, a.evalOptions())
	if err != nil {
		return err
	}
	return a.report(rep)
}

func (a *App) evalOptions() eval.Options {
	opts := eval.Options{Workers: a.cfg.Workers, Verbatim: a.g.Verbatim, Logger: a.lg}
	if isTerminal(a.stderr) {
		opts.Progress = a.stderr
	}
	return opts
}

// crossValidateQuestions runs leave-one-author-out cross-validation over the question index: for each
// author, the router is refitted without the author's texts, the question index's votes leave the author
// out, and the whole engine answers the author's questions, scored by their needs (like the guidance
// question set). The report adds the router's own cross-validation over every text it is fitted on:
// routing examples, coding-index wordings and the question index, one router per author.
func (a *App) crossValidateQuestions(ctx context.Context) error {
	if err := a.load(); err != nil {
		return err
	}
	data, err := classify.LoadRoutingData(a.g)
	if err != nil {
		return err
	}
	qs, docs := data.Questions, data.Docs
	if len(qs) == 0 {
		return errors.New("eval: the question index is empty")
	}
	routers, err := classify.RouterFolds(docs)
	if err != nil {
		return err
	}
	rr, err := corpus.Reroutes()
	if err != nil {
		return err
	}
	var folds []eval.Fold
	for _, q := range qs {
		if len(folds) == 0 || folds[len(folds)-1].Name != q.Author {
			f, err := a.eng.FoldQuestions(q.Author, routers[q.Author])
			if err != nil {
				return err
			}
			folds = append(folds, eval.Fold{Name: q.Author, Classifier: f})
		}
		f := &folds[len(folds)-1]
		c := questionCase(q)
		if r := rr[corpus.TextHash(q.Text)]; r == corpus.RouteDescription {
			c.Route = eval.RouteDescription // reviewed: it asks which class, so it is a description
		}
		f.Cases = append(f.Cases, c)
	}
	rep, err := eval.CrossValidate(ctx, folds, a.evalOptions())
	if err != nil {
		return err
	}
	cv := classify.ScoreRouting(docs, routers)
	for _, r := range append(slices.Clone(corpus.Routes), "binary") {
		rep.RoutingCV = append(rep.RoutingCV, eval.NewRouteScore(r, cv.Right[r], cv.Total[r]))
	}
	return a.report(rep)
}

// questionCase turns a question of the question index into an eval case, tagged with its kind, language
// and author.
func questionCase(q corpus.Question) eval.Case {
	return eval.Case{ID: fmt.Sprintf("%s:%d", q.Author, q.Line), Question: q.Text, Needs: q.Needs, QKind: q.Kind,
		Author: q.Author, Lang: q.Lang, Tags: []string{"kind:" + q.Kind, "lang:" + q.Lang, "author:" + q.Author}}
}

// entryCase turns a coding-index entry into an eval case, tagged with its register, language and author,
// "catch-all" for the 其他 sub-classes and "excerpt" for contract and tender excerpts.
func entryCase(e corpus.Entry) eval.Case {
	tags := []string{"register:" + e.Register, "lang:" + e.Lang, "author:" + e.Author}
	if e.Code != corpus.OUT && strings.HasSuffix(e.Code, "9") {
		tags = append(tags, "catch-all")
	}
	if e.Register == "contract" || e.Register == "tender" {
		tags = append(tags, "excerpt")
	}
	return eval.Case{ID: fmt.Sprintf("%s:%d", e.Author, e.Line), Text: e.Text, Expected: e.Code, Ref: e.Ref, Tags: tags, Lang: e.Lang}
}
