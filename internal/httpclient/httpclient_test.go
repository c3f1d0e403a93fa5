package httpclient

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestNewFollowsNoRedirect(t *testing.T) {
	t.Parallel()
	var reached bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }))
	defer target.Close()
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusFound)
	}))
	defer src.Close()
	c := New(time.Second)
	req, _ := http.NewRequest(http.MethodGet, src.URL, nil)
	req.SetBasicAuth("k", "s")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || !IsRedirect(resp.StatusCode) || reached {
		t.Fatalf("status %d, target reached %v: want the 302 itself and no request to the target", resp.StatusCode, reached)
	}
	if c.Timeout != time.Second {
		t.Errorf("timeout %v", c.Timeout)
	}
}

func TestIsLoopbackHost(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST": true, "localhost.": true, "app.localhost": true,
		"127.0.0.1": true, "127.9.9.9": true, "::1": true, "[::1]": true, "::ffff:127.0.0.1": true,
		"127.evil.example": false, "127.0.0.1.nip.io": false, "localhost.evil.example": false,
		"0.0.0.0": false, "10.0.0.1": false, "::ffff:10.0.0.1": false, "": false, "evillocalhost": false,
	} {
		if got := IsLoopbackHost(host); got != want {
			t.Errorf("IsLoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestValidUserAgent(t *testing.T) {
	t.Parallel()
	for ua, want := range map[string]bool{
		"my-app/1.0": true, "a\tb (x; y)": true, "café/1": true,
		"": false, " \t": false, "a\nb": false, "a\rb": false, "a\x00b": false, "a\x7fb": false,
	} {
		if got := ValidUserAgent(ua); got != want {
			t.Errorf("ValidUserAgent(%q) = %v, want %v", ua, got, want)
		}
	}
}
