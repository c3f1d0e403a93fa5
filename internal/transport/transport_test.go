package transport

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/internal/retry"
)

func noSleep(context.Context, time.Duration) error { return nil }

func newClient(t *testing.T, base string, mod ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: base, User: "app-1", Password: maestrano.Secret("s3cr3t-key"),
		Retry: retry.Policy{MaxRetries: 2, Sleep: noSleep}}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDoSendsCredentialsAndHeaders(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != "app-1" || p != "s3cr3t-key" {
			t.Errorf("basic auth = %q %q %v", u, p, ok)
		}
		if got := r.Header.Get("User-Agent"); !strings.HasPrefix(got, "maestrano-go/") {
			t.Errorf("User-Agent = %q", got)
		}
		if got := r.Header.Get("Accept"); got != "application/json" {
			t.Errorf("Accept = %q", got)
		}
		if r.URL.Path != "/api/v1/account/bills" || r.URL.Query().Get("group_id") != "cld-1" {
			t.Errorf("URL = %s", r.URL)
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	c := newClient(t, srv.URL+"/api/v1", func(c *Config) { c.Header = http.Header{"Accept": {"application/json"}} })
	resp, err := c.Do(context.Background(), Request{Path: "account/bills", Query: map[string][]string{"group_id": {"cld-1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || string(resp.Body) != `{"ok":true}` {
		t.Fatalf("resp = %d %s", resp.StatusCode, resp.Body)
	}
}

// sequence answers with the given statuses in order, then 200.
func sequence(statuses ...int) (http.Handler, *atomic.Int32) {
	var n atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			if statuses[i] == 429 {
				w.Header().Set("Retry-After", "1")
			}
			w.WriteHeader(statuses[i])
			return
		}
		w.WriteHeader(200)
	}), &n
}

func TestRetries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		method     string
		idempotent bool
		statuses   []int
		wantCalls  int32
		wantStatus int
	}{
		{"GET 503 then ok", "GET", false, []int{503}, 2, 200},
		{"GET 500 502 504 uses every retry", "GET", false, []int{500, 502, 504}, 3, 504},
		{"GET 429 with Retry-After", "GET", false, []int{429}, 2, 200},
		{"GET 404 is final", "GET", false, []int{404}, 1, 404},
		{"DELETE 503 then ok", "DELETE", false, []int{503}, 2, 200},
		{"POST 503 is not repeated", "POST", false, []int{503}, 1, 503},
		{"POST 500 is not repeated", "POST", false, []int{500}, 1, 500},
		{"POST 429 with Retry-After is repeated", "POST", false, []int{429}, 2, 200},
		{"idempotent POST 503 is repeated", "POST", true, []int{503}, 2, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h, n := sequence(tc.statuses...)
			srv := httptest.NewServer(h)
			defer srv.Close()
			c := newClient(t, srv.URL)
			var body []byte
			if tc.method == "POST" {
				body = []byte(`{}`)
			}
			resp, err := c.Do(context.Background(), Request{Method: tc.method, Path: "x", Body: body, ContentType: "application/json", Idempotent: tc.idempotent})
			if err != nil {
				t.Fatal(err)
			}
			if n.Load() != tc.wantCalls || resp.StatusCode != tc.wantStatus {
				t.Fatalf("calls = %d, status = %d; want %d, %d", n.Load(), resp.StatusCode, tc.wantCalls, tc.wantStatus)
			}
		})
	}
}

func TestConnectionErrors(t *testing.T) {
	t.Parallel()
	// A port nobody listens on: the POST was never sent, so it is retried,
	// and the error in the end is a ConnectionError without the secret.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var sleeps int
	c := newClient(t, "http://"+addr, func(c *Config) {
		c.Retry.Sleep = func(context.Context, time.Duration) error { sleeps++; return nil }
	})
	_, err = c.Do(context.Background(), Request{Method: "POST", Path: "bills", Body: []byte("x"), Query: map[string][]string{"session": {"tok-secret"}}})
	var ce *maestrano.ConnectionError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %T %v, want *maestrano.ConnectionError", err, err)
	}
	if sleeps != 2 {
		t.Errorf("retries = %d, want 2 (connection refused is safe to repeat)", sleeps)
	}
	if msg := err.Error(); strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "tok-secret") {
		t.Errorf("error leaks a secret: %s", msg)
	}

	// A body cut short.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Write([]byte(`{"partial":`))
	}))
	defer srv.Close()
	_, err = newClient(t, srv.URL).Do(context.Background(), Request{Path: "x"})
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "reading the answer") {
		t.Fatalf("truncated body: err = %v", err)
	}
}

func TestBodyBoundAndRedirects(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "https://elsewhere.example/", http.StatusFound)
			return
		}
		w.Write([]byte(strings.Repeat("a", 2048)))
	}))
	defer srv.Close()
	c := newClient(t, srv.URL, func(c *Config) { c.MaxResponseBytes = 1024 })
	_, err := c.Do(context.Background(), Request{Path: "big"})
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != 1024 {
		t.Fatalf("err = %v, want TooLargeError(1024)", err)
	}
	resp, err := c.Do(context.Background(), Request{Path: "/redirect"})
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("redirect: %v %v; want the 302 itself", resp, err)
	}
}

func TestContextCancel(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err := newClient(t, srv.URL).Do(ctx, Request{Path: "slow"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestNewAndURL(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "api.example.com", "ftp://x/", "http://api.example.com/", "https://u:p@api.example.com/", "https://api.example.com/?a=1"} {
		if _, err := New(Config{BaseURL: bad}); err == nil {
			t.Errorf("New(%q) = nil error", bad)
		}
	}
	c := newClient(t, "https://api.example.com/api/v1")
	for path, want := range map[string]string{
		"account/bills":       "https://api.example.com/api/v1/account/bills",
		"/batch":              "https://api.example.com/batch",
		"account/bills/b%2F1": "https://api.example.com/api/v1/account/bills/b%2F1",
	} {
		u, err := c.URL(path, nil)
		if err != nil || u.String() != want {
			t.Errorf("URL(%q) = %v, %v; want %s", path, u, err, want)
		}
	}
	for _, bad := range []string{"https://evil.example/x", "//evil.example/x", "../../etc", "a#frag"} {
		if _, err := c.URL(bad, nil); err == nil {
			t.Errorf("URL(%q) = nil error", bad)
		}
	}
}

// TestPlainHTTPOnlyToLoopback: plain http carries the Basic credentials in
// clear, so it is allowed to loopback addresses only — not to a host name
// that merely starts with "127." or ends with a loopback-looking label.
func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"http://127.evil.example/", "http://127.0.0.1.nip.io/", "http://[::ffff:10.0.0.1]/", "http://localhost.evil.example/", "http://0.0.0.0/"} {
		if _, err := New(Config{BaseURL: bad}); err == nil {
			t.Errorf("New(%q) = nil error, want plain http refused", bad)
		}
	}
	for _, good := range []string{"http://127.0.0.1:8080/", "http://127.1.2.3/", "http://[::1]:80/", "http://localhost/", "http://app.localhost/"} {
		if _, err := New(Config{BaseURL: good}); err != nil {
			t.Errorf("New(%q) = %v, want loopback accepted", good, err)
		}
	}
}

func TestCheckMarketplace(t *testing.T) {
	mp := &maestrano.Marketplace{Name: "m", API: maestrano.APIConfig{ID: "id", Key: "k"}}
	if err := CheckMarketplace(mp, "api.host", "https://api.example.com"); err != nil {
		t.Fatal(err)
	}
	var ce *maestrano.ConfigError
	err := CheckMarketplace(&maestrano.Marketplace{Name: "m"}, "connec.host", "")
	if !errors.As(err, &ce) || ce.Marketplace != "m" || strings.Join(ce.Problems, "; ") != "api.id is empty; api.key is empty; connec.host is empty" {
		t.Fatalf("err = %v", err)
	}
}
