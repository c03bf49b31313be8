package corpus

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Outside a clone, the training data is not found and the error says so; in any folder of a clone it is.
func TestTrainingDataSource(t *testing.T) {
	g, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	if _, err := g.CodingIndex(); !errors.Is(err, ErrNoTrainingData) {
		t.Errorf("CodingIndex outside the repository: %v, want ErrNoTrainingData", err)
	}
	if _, err := RoutingExamples(); !errors.Is(err, ErrNoTrainingData) {
		t.Errorf("RoutingExamples outside the repository: %v, want ErrNoTrainingData", err)
	}
	// A folder deep in the clone finds it by walking up.
	t.Chdir(filepath.Join(root, "corpus", "codingindex"))
	es, err := g.CodingIndex()
	if err != nil || len(es) < 4000 {
		wd, _ := os.Getwd()
		t.Errorf("CodingIndex from %s: %d entries, %v", wd, len(es), err)
	}
}
