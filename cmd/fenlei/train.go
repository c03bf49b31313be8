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

// train fits the scorer on the coding index and writes it where -o says (classify/model.json, which the
// binary embeds). Training is deterministic: the same data gives the same file.
func (a *App) train(ctx context.Context) error {
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
	fmt.Fprintf(a.stderr, "train: %d examples, temperature %.2f, wrote %s and %s\n", m.Examples, m.Temperature, a.cfg.Out, a.cfg.IndexOut)
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

// crossValidate runs leave-one-author-out cross-validation over the coding index: for each author, the
// scorer is refitted on the other authors' entries, the neighbours and naive Bayes leave the author out,
// and the whole engine (rules included) classifies the author's entries.
func (a *App) crossValidate(ctx context.Context) error {
	if a.cfg.CV != "author" {
		return fmt.Errorf("eval: --cv %q: the one scheme is \"author\"", a.cfg.CV)
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
	opts := eval.Options{Workers: a.cfg.Workers, Verbatim: a.g.Verbatim, Logger: a.lg}
	if isTerminal(a.stderr) {
		opts.Progress = a.stderr
	}
	rep, err := eval.CrossValidate(ctx, folds, opts)
	if err != nil {
		return err
	}
	return a.report(rep)
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
	return eval.Case{ID: fmt.Sprintf("%s:%d", e.Author, e.Line), Text: e.Text, Expected: e.Code, Tags: tags, Lang: e.Lang}
}
