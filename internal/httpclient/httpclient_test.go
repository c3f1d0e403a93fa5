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
