package corpus

import "testing"

// Every rerouted text is a text of the training data that the review could change: a routing example or a
// question of the question index. A row whose text left the data fails.
func TestReroutesNameTrainingTexts(t *testing.T) {
	rr, err := Reroutes()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	ex, err := RoutingExamples()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ex {
		have[TextHash(e.Text)] = true
	}
	g, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	qs, err := g.QuestionIndex()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		have[TextHash(q.Text)] = true
	}
	for h := range rr {
		if !have[h] {
			t.Errorf("rerouted text %s is not in the routing examples or the question index", h)
		}
	}
}

func TestReroutesParse(t *testing.T) {
	defer func(s string) { reroutedTSV = s }(reroutedTSV)
	text := "劳务派遣算B11吗？"
	tests := []struct {
		name, tsv string
		ok        bool
	}{
		{"good", "# c\n" + TextHash(text) + "\tdescription\tv1\t" + text + "\n", true},
		{"bad hash", "000000000000\tdescription\tv1\t" + text + "\n", false},
		{"bad route", TextHash(text) + "\tclass\tv1\t" + text + "\n", false},
		{"three columns", TextHash(text) + "\tdescription\t" + text + "\n", false},
		{"twice", TextHash(text) + "\tdescription\tv1\t" + text + "\n" + TextHash(text) + "\tquestion\tv2\t" + text + "\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reroutedTSV = tt.tsv
			rr, err := Reroutes()
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok %v", err, tt.ok)
			}
			if tt.ok && rr[TextHash(text)] != "description" {
				t.Errorf("Reroutes = %v", rr)
			}
		})
	}
}
