package classify

import (
	"bytes"
	"testing"
)

// The embedded router and question kinds were fitted on the embedded data.
func TestRoutingNotStale(t *testing.T) {
	d := routingData(t)
	e, err := embeddedRouting()
	if err != nil {
		t.Fatal(err)
	}
	if e.data != d.Hash() {
		t.Fatalf("classify/routing.bin is stale against corpus/routing, corpus/codingindex and corpus/questionindex: run `go run ./cmd/fenlei train`")
	}
}

// Fitting is deterministic: refitting on the embedded data gives the embedded file, byte for byte. It takes
// about ten seconds, a minute under the race detector, so the race build skips it and .ci/run runs it
// on its own.
func TestTrainReproducesRouting(t *testing.T) {
	if raceEnabled || testing.Short() {
		t.Skip("slow: .ci/run runs it without -race")
	}
	_, _, b, err := TrainRouting(routingData(t))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, routingBin) {
		t.Fatalf("TrainRouting gives %d bytes other than classify/routing.bin's %d: run `go run ./cmd/fenlei train`", len(b), len(routingBin))
	}
}

// A damaged routing file is an error, never a router.
func TestDecodeRoutingRejects(t *testing.T) {
	if _, err := decodeRouting(routingBin); err != nil {
		t.Fatalf("the embedded file: %v", err)
	}
	for name, b := range map[string][]byte{
		"empty":     nil,
		"not ours":  []byte("GIF89a"),
		"truncated": routingBin[:len(routingBin)/2],
		"trailing":  append(bytes.Clone(routingBin), 0),
	} {
		if _, err := decodeRouting(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}
