package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"fenlei/decision"
	"fenlei/store"
	"fenlei/store/storetest"
)

func records(t *testing.T, s *Server) []store.Record {
	t.Helper()
	var out []store.Record
	if err := s.cfg.Lister.Records(t.Context(), store.Query{}, func(r store.Record) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAnswersAreRecorded(t *testing.T) {
	s, ts := newTestServer(t, &fakeEngine{}, nil)
	db := s.cfg.Recorder.(*store.DB)

	st, body := post(t, ts, "/api/classify", `{"id":"r1","text":"为银行定制开发软件"}`)
	if st != 200 {
		t.Fatalf("status %d: %s", st, body)
	}
	var d decision.Decision
	mustJSON(t, body, &d)

	c := dial(t, ts, nil)
	sendUser(t, c, "software testing")
	_, msg := readTurn(t, c)
	if msg.Type != "answer" {
		t.Fatalf("ws message %+v, want an answer", msg)
	}

	recs := records(t, s)
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	for i, tc := range []struct {
		channel, text, id string
		sent              decision.Decision
	}{
		{"api", "为银行定制开发软件", d.RecordID, d},
		{"ws", "software testing", msg.Decision.RecordID, *msg.Decision},
	} {
		r := recs[i]
		if tc.id == "" || r.ID != tc.id {
			t.Errorf("%s: the answer sent has record_id %q, the record is %q", tc.channel, tc.id, r.ID)
		}
		if r.Channel != tc.channel || r.Text != tc.text || r.Engine != "fake" {
			t.Errorf("%s: record = %+v", tc.channel, r)
		}
		if r.User != db.HashUser("ip:127.0.0.1") || strings.Contains(r.User, "127.0.0.1") {
			t.Errorf("%s: user %q is not the salted hash of the address", tc.channel, r.User)
		}
		sent := tc.sent
		sent.RecordID = ""
		if r.Decision.Code != sent.Code || r.Decision.Answer != sent.Answer || r.Decision.ID != sent.ID || len(r.Decision.Citations) != len(sent.Citations) {
			t.Errorf("%s: recorded decision %+v differs from the one sent %+v", tc.channel, r.Decision, sent)
		}
	}
	if !strings.HasPrefix(recs[1].Conversation, s.instance+"/ws-") {
		t.Errorf("ws conversation = %q, want %s/ws-N", recs[1].Conversation, s.instance)
	}
}

// failingRecorder refuses every write.
type failingRecorder struct{}

func (failingRecorder) AddRecord(context.Context, store.Record, string) (store.Record, error) {
	return store.Record{}, errors.New("disk full")
}
func (failingRecorder) AddFeedback(context.Context, store.Feedback, string) (store.Feedback, error) {
	return store.Feedback{}, errors.New("disk full")
}

func TestUnrecordedAnswerIsNotSent(t *testing.T) {
	_, ts := newTestServer(t, &fakeEngine{}, func(c *Config) { c.Recorder = failingRecorder{} })
	st, body := post(t, ts, "/api/classify", `{"text":"为银行定制开发软件"}`)
	if st != http.StatusInternalServerError || strings.Contains(string(body), "I11") {
		t.Errorf("status %d body %s; want 500 without the answer", st, body)
	}
	c := dial(t, ts, nil)
	sendUser(t, c, "为银行定制开发软件")
	_, msg := readTurn(t, c)
	if msg.Type != "error" || msg.Decision != nil || !strings.Contains(msg.Message, "保存") {
		t.Errorf("ws message %+v, want an error in Chinese and no answer", msg)
	}
}

func get(t *testing.T, url, token string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func TestAdminRoutes(t *testing.T) {
	_, off := newTestServer(t, &fakeEngine{}, nil)
	_, on := newTestServer(t, &fakeEngine{}, func(c *Config) { c.AdminToken = "s3cret-token" })
	post(t, on, "/api/classify", `{"text":"为银行定制开发软件"}`)
	for _, path := range []string{"/api/records", "/api/feedback"} {
		for _, tc := range []struct {
			name  string
			ts    *httptest.Server
			query string
			token string
			want  int
		}{
			{"no token configured", off, "", "s3cret-token", 404},
			{"no credentials", on, "", "", 401},
			{"wrong token", on, "", "s3cret-tokeN", 401},
			{"right token", on, "", "s3cret-token", 200},
			{"bad limit", on, "?limit=0", "s3cret-token", 400},
			{"bad since", on, "?since=yesterday", "s3cret-token", 400},
		} {
			st, body, hdr := get(t, tc.ts.URL+path+tc.query, tc.token)
			if st != tc.want {
				t.Errorf("%s %s: status %d, want %d (%s)", path, tc.name, st, tc.want, body)
			}
			if st == 401 && hdr.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s: 401 without WWW-Authenticate", path, tc.name)
			}
			if st != 200 && !strings.Contains(string(body), `"error"`) {
				t.Errorf("%s %s: error body %s", path, tc.name, body)
			}
		}
	}
	_, body, _ := get(t, on.URL+"/api/records", "s3cret-token")
	var recs []store.Record
	mustJSON(t, body, &recs)
	if len(recs) != 1 || recs[0].Text != "为银行定制开发软件" || recs[0].Decision.Code != "I11" {
		t.Errorf("GET /api/records = %s", body)
	}
}

func TestFeedback(t *testing.T) {
	db := storetest.Open(t, storetest.SQLite(t), store.Options{FeedbackPerDay: 2})
	s, ts := newTestServer(t, &fakeEngine{}, func(c *Config) { c.Recorder, c.Lister = db, db })
	var ids []string
	for range 3 {
		_, body := post(t, ts, "/api/classify", `{"text":"为银行测试软件"}`)
		var d decision.Decision
		mustJSON(t, body, &d)
		ids = append(ids, d.RecordID)
	}
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"up", `{"record_id":"` + ids[0] + `","vote":"up"}`, 201},
		{"down with a fix, lower case", `{"record_id":"` + ids[1] + `","vote":"down","correct":"i13","comment":"测试"}`, 201},
		{"again on the same answer", `{"record_id":"` + ids[1] + `","vote":"down","correct":"OUT"}`, 201},
		{"over the daily limit", `{"record_id":"` + ids[2] + `","vote":"up"}`, 429},
		{"no record id", `{"vote":"up","code":"I11","text":"软件"}`, 400},
		{"unknown record", `{"record_id":"NOSUCHRECORD","vote":"up"}`, 404},
		{"bad vote", `{"record_id":"` + ids[0] + `","vote":"meh"}`, 400},
		{"not a code", `{"record_id":"` + ids[0] + `","vote":"down","correct":"X99"}`, 400},
		{"not in the categories", `{"record_id":"` + ids[0] + `","vote":"down","correct":"K21"}`, 400},
		{"not json", `not json`, 400},
		{"comment not text (textin)", `{"record_id":"` + ids[0] + `","vote":"up","comment":"a\u0000b"}`, 422},
		{"comment too long (textin)", `{"record_id":"` + ids[0] + `","vote":"up","comment":"` + strings.Repeat("字", maxComment+1) + `"}`, 422},
	} {
		if st, b := post(t, ts, "/api/feedback", tc.body); st != tc.want {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, st, tc.want, b)
		}
	}
	var got []string
	s.cfg.Lister.Feedbacks(t.Context(), store.Query{}, func(f store.Feedback) error {
		got = append(got, f.Vote+":"+f.Code+"->"+f.Correct+":"+f.Text)
		return nil
	})
	want := []string{"up:I11->:为银行测试软件", "down:I11->OUT:为银行测试软件"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("feedback stored = %q, want %q", got, want)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	s, ts := newTestServer(t, &fakeEngine{}, func(c *Config) { c.AllowedOrigins = []string{"https://helpdesk.example.org"} })
	host := strings.TrimPrefix(ts.URL, "http://")
	for _, tc := range []struct {
		name    string
		path    string
		headers map[string]string
		want    int
	}{
		{"cross-site fetch", "/api/classify", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 403},
		{"same-site other origin", "/api/ask", map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:1"}, 403},
		{"foreign Origin only", "/api/feedback", map[string]string{"Origin": "https://evil.example"}, 403},
		{"same origin", "/api/classify", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://" + host}, 200},
		{"Origin equal to Host", "/api/classify", map[string]string{"Origin": "http://" + host}, 200},
		{"trusted origin", "/api/classify", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://helpdesk.example.org"}, 200},
		{"no browser headers", "/api/classify", nil, 200},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL+tc.path, strings.NewReader(`{"text":"为银行定制开发软件","vote":"up","record_id":"x"}`))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range tc.headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
	if n := len(records(t, s)); n != 4 {
		t.Errorf("%d records, want 4 (only the allowed requests)", n)
	}
}
