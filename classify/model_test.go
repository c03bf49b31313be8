package classify

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"fenlei/score"
)

// The embedded model must have been trained on the coding index and clause data.
func TestModelNotStale(t *testing.T) {
	e, err := scoredFixture()
	if err != nil {
		t.Fatal(err)
	}
	m, err := DefaultModel()
	if err != nil {
		t.Fatal(err)
	}
	if m.Data != DataHash(e.sc.nbr.Entries()) {
		t.Fatalf("classify/model.json is stale against corpus/codingindex and corpus/clauses.yaml: run `go run ./cmd/fenlei train`")
	}
	if len(m.W) != nFeatures || len(m.Features) != nFeatures {
		t.Fatalf("model has %d weights for %d features", len(m.W), nFeatures)
	}
}

// Training is deterministic: retraining on the embedded data gives the embedded model, byte for byte.
// It takes about a minute, and ten under the race detector, so the race build skips it and .ci/run runs
// it on its own.
func TestTrainReproducesModel(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("slow: .ci/run runs it without -race")
	}
	e, err := scoredFixture()
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.Train(t.Context(), score.FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("model.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(append(got, '\n'), want) {
		t.Fatalf("retraining gives a different model than classify/model.json: run `go run ./cmd/fenlei train`")
	}
}
