package eval

import (
	"context"
	"fmt"
)

// Fold is one fold of a cross-validation: a classifier that never saw the fold's cases.
type Fold struct {
	Name       string
	Classifier Classifier
	Cases      []Case
}

// CrossValidate runs every fold and scores all their results together, as one Report in fold order.
// An error in one fold stops the run.
func CrossValidate(ctx context.Context, folds []Fold, opts Options) (*Report, error) {
	var results []Result
	for _, f := range folds {
		r, err := Run(ctx, f.Classifier, f.Cases, opts)
		if err != nil {
			return nil, fmt.Errorf("eval.CrossValidate: fold %s: %w", f.Name, err)
		}
		results = append(results, r.Results...)
	}
	return Score(results, opts.Verbatim), nil
}
