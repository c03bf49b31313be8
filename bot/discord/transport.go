package discord

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// DefaultAPIBase is Discord's REST API, used when Config.APIBase is empty.
const DefaultAPIBase = "https://discord.com/api/v10/"

// apiRest returns what follows the versioned API prefix of the paths discordgo builds
// ("/api/v9/channels/1" → "channels/1"), and false for any other path.
func apiRest(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "/api/v")
	if !ok {
		return "", false
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i == 0 || i == len(rest) || rest[i] != '/' {
		return "", false
	}
	return rest[i+1:], true
}

// rebase is an http.RoundTripper that sends the requests discordgo makes to
// https://discord.com/api/v<N>/… to base instead, keeping the rest of the path and the query.
// Other requests (the CDN, anything else) pass through unchanged. It leaves discordgo's
// package-level Endpoint* variables alone, so several bots with different bases can share a process.
type rebase struct {
	base *url.URL // absolute, path ends in "/"
	next http.RoundTripper
}

func newRebase(apiBase string, next http.RoundTripper) (*rebase, error) {
	if apiBase == "" {
		apiBase = DefaultAPIBase
	}
	u, err := url.Parse(apiBase)
	if err != nil {
		return nil, fmt.Errorf("APIBase %q: %w", apiBase, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("APIBase %q: want an absolute http(s) URL", apiBase)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	u.RawQuery, u.Fragment = "", ""
	if next == nil {
		next = http.DefaultTransport
	}
	return &rebase{base: u, next: next}, nil
}

func (r *rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	host := strings.ToLower(req.URL.Hostname())
	if host != "discord.com" && host != "discordapp.com" {
		return r.next.RoundTrip(req)
	}
	rest, ok := apiRest(req.URL.EscapedPath())
	if !ok {
		return r.next.RoundTrip(req)
	}
	u, err := url.Parse(r.base.String() + rest)
	if err != nil {
		return nil, fmt.Errorf("discord: rebase %s: %w", req.URL.Redacted(), err)
	}
	u.RawQuery = req.URL.RawQuery
	out := req.Clone(req.Context())
	out.URL = u
	out.Host = ""
	return r.next.RoundTrip(out)
}
