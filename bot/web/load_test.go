package web

import (
	"testing"
	"time"

	"fenlei/bot/web/webload"
)

// TestLoad runs the cmd/loadtest driver against an httptest server: 50 conversations × 5 turns
// must all be answered, with no error.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	fe := &fakeEngine{}
	_, ts := newTestServer(t, fe, nil)
	res, err := webload.Run(t.Context(), webload.Options{
		URL: wsURL(ts), Conns: 50, Turns: 5, Text: "为银行定制开发信贷管理软件", Timeout: 2 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("load: %s", res)
	if res.Errors != 0 || res.Answers != 250 {
		t.Errorf("answers %d/250, errors %d: %v", res.Answers, res.Errors, res.Samples)
	}
	if res.Deltas != 500 {
		t.Errorf("deltas = %d, want 500 (2 per turn)", res.Deltas)
	}
	if got := len(fe.Asked()); got != 250 {
		t.Errorf("engine asked %d times, want 250", got)
	}
}

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"ws://127.0.0.1:8080/ws", true},
		{"ws://127.9.9.9:1/ws", true},
		{"ws://localhost:8080/ws", true},
		{"ws://[::1]:8080/ws", true},
		{"wss://127.0.0.1/ws", true},
		{"ws://10.0.0.1:8080/ws", false},
		{"ws://192.168.1.1/ws", false},
		{"ws://example.com/ws", false},
		{"ws://localhost.example.com/ws", false},
		{"http://127.0.0.1:8080/ws", false},
		{"ws://0.0.0.0:8080/ws", false},
		{"::", false},
	}
	for _, tt := range tests {
		if err := webload.CheckLoopback(tt.url); (err == nil) != tt.ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok=%v", tt.url, err, tt.ok)
		}
	}
}
