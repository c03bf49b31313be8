package discord

import (
	"net/http"
	"testing"
)

type recordRT struct{ got []string }

func (r *recordRT) RoundTrip(req *http.Request) (*http.Response, error) {
	r.got = append(r.got, req.Method+" "+req.URL.String()+" host="+req.Host)
	return &http.Response{StatusCode: 204, Body: http.NoBody, Request: req}, nil
}

func TestRebase(t *testing.T) {
	tests := []struct {
		name, base, in, want string
	}{
		{"default base moves v9 to v10", "", "https://discord.com/api/v9/channels/1/messages?limit=2",
			"GET https://discord.com/api/v10/channels/1/messages?limit=2 host="},
		{"local fake", "http://127.0.0.1:8080/api/v10/", "https://discord.com/api/v9/webhooks/2/tok/messages/@original",
			"GET http://127.0.0.1:8080/api/v10/webhooks/2/tok/messages/@original host="},
		{"proxy with a path and no slash", "https://proxy.example/discord", "https://discord.com/api/v9/gateway",
			"GET https://proxy.example/discord/gateway host="},
		{"escaped path kept", "http://h/api/", "https://discord.com/api/v9/channels/1/messages/2/reactions/%F0%9F%91%8D/@me",
			"GET http://h/api/channels/1/messages/2/reactions/%F0%9F%91%8D/@me host="},
		{"cdn untouched", "http://h/api/", "https://cdn.discordapp.com/avatars/1/a.png",
			"GET https://cdn.discordapp.com/avatars/1/a.png host=cdn.discordapp.com"},
		{"non-api path untouched", "http://h/api/", "https://discord.com/oauth2/authorize",
			"GET https://discord.com/oauth2/authorize host=discord.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recordRT{}
			rt, err := newRebase(tc.base, rec)
			if err != nil {
				t.Fatal(err)
			}
			req, err := http.NewRequest("GET", tc.in, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if len(rec.got) != 1 || rec.got[0] != tc.want {
				t.Errorf("sent %q, want %q", rec.got, tc.want)
			}
			if req.URL.String() != tc.in {
				t.Errorf("the original request was changed to %s", req.URL)
			}
		})
	}
}

func TestAPIRest(t *testing.T) {
	for in, want := range map[string]string{
		"/api/v9/gateway": "gateway", "/api/v10/": "", "/api/v/x": "!", "/api/vx/x": "!", "/api/v9": "!", "/apx/v9/x": "!",
	} {
		got, ok := apiRest(in)
		if !ok {
			got = "!"
		}
		if got != want {
			t.Errorf("apiRest(%q) = %q, want %q", in, got, want)
		}
	}
}
