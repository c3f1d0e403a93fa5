package account_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/account"
)

// loadMarketplaces reads a developer-platform answer fixture.
func loadMarketplaces(t testing.TB) []*maestrano.Marketplace {
	t.Helper()
	raw, err := os.ReadFile("testdata/webhook/registry/marketplaces.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Marketplaces []*maestrano.Marketplace `json:"marketplaces"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Marketplaces
}

func registry(t testing.TB, mod ...func([]*maestrano.Marketplace) []*maestrano.Marketplace) *maestrano.Registry {
	t.Helper()
	mps := loadMarketplaces(t)
	for _, m := range mod {
		mps = m(mps)
	}
	reg, err := maestrano.NewRegistry(mps...)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// recorder keeps the events the callbacks saw.
type recorder struct {
	mu      sync.Mutex
	groups  []account.GroupRemoved
	members []account.MemberRemoved
	err     error
}

func (rc *recorder) callbacks() account.WebhookCallbacks {
	return account.WebhookCallbacks{
		GroupRemoved: func(ctx context.Context, ev account.GroupRemoved) error {
			rc.mu.Lock()
			defer rc.mu.Unlock()
			rc.groups = append(rc.groups, ev)
			return rc.err
		},
		MemberRemoved: func(ctx context.Context, ev account.MemberRemoved) error {
			rc.mu.Lock()
			defer rc.mu.Unlock()
			rc.members = append(rc.members, ev)
			return rc.err
		},
	}
}

func (rc *recorder) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.groups) + len(rc.members)
}

type hookCall struct {
	method, path, user, key, body string
}

func send(t *testing.T, srvURL string, c hookCall) (int, http.Header, map[string]any) {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodDelete
	}
	var body *strings.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	var req *http.Request
	var err error
	if body != nil {
		req, err = http.NewRequestWithContext(t.Context(), c.method, srvURL+c.path, body)
	} else {
		req, err = http.NewRequestWithContext(t.Context(), c.method, srvURL+c.path, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v", c.method, c.path, err)
	}
	return resp.StatusCode, resp.Header, out
}

const (
	mnoID, mnoKey = "app-1", "key-maestrano-0123456789abcdef0123456789"
	uatID, uatKey = "app-7", "key-uat-0123456789abcdef0123456789abcd"
)

func TestWebhookHandler(t *testing.T) {
	t.Parallel()
	rc := &recorder{}
	h, err := account.NewWebhookHandler(registry(t), rc.callbacks())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	code, _, out := send(t, srv.URL, hookCall{path: "/maestrano/account/groups/cld-1/maestrano", user: mnoID, key: mnoKey})
	if code != 200 || out["success"] != true {
		t.Fatalf("group removed: %d %v", code, out)
	}
	code, _, _ = send(t, srv.URL, hookCall{path: "/maestrano/account/groups/cld-2/users/usr-3.cld-2/maestrano-uat/", user: uatID, key: uatKey})
	if code != 200 {
		t.Fatalf("member removed: %d", code)
	}
	// An escaped segment is unescaped.
	if code, _, _ = send(t, srv.URL, hookCall{path: "/maestrano/account/groups/cld%2D9/maestrano", user: mnoID, key: mnoKey}); code != 200 {
		t.Fatalf("escaped id: %d", code)
	}
	want := []account.GroupRemoved{{Marketplace: "maestrano", GroupID: "cld-1"}, {Marketplace: "maestrano", GroupID: "cld-9"}}
	if len(rc.groups) != 2 || rc.groups[0] != want[0] || rc.groups[1] != want[1] {
		t.Fatalf("groups = %+v", rc.groups)
	}
	if len(rc.members) != 1 || rc.members[0] != (account.MemberRemoved{Marketplace: "maestrano-uat", GroupID: "cld-2", UserID: "usr-3.cld-2"}) ||
		rc.members[0].RealUserID() != "usr-3" {
		t.Fatalf("members = %+v", rc.members)
	}

	refused := []struct {
		name string
		call hookCall
		code int
	}{
		{"no credentials", hookCall{path: "/maestrano/account/groups/cld-1/maestrano"}, 401},
		{"wrong key", hookCall{path: "/maestrano/account/groups/cld-1/maestrano", user: mnoID, key: mnoKey + "x"}, 401},
		{"key prefix", hookCall{path: "/maestrano/account/groups/cld-1/maestrano", user: mnoID, key: mnoKey[:10]}, 401},
		{"other marketplace's credentials", hookCall{path: "/maestrano/account/groups/cld-1/maestrano", user: uatID, key: uatKey}, 401},
		{"GET", hookCall{method: "GET", path: "/maestrano/account/groups/cld-1/maestrano", user: mnoID, key: mnoKey}, 405},
		{"POST", hookCall{method: "POST", path: "/maestrano/account/groups/cld-1/users/usr-1/maestrano", user: mnoID, key: mnoKey}, 405},
		{"unknown path", hookCall{path: "/maestrano/account/groups/cld-1/elsewhere", user: mnoID, key: mnoKey}, 404},
		{"unknown tenant", hookCall{path: "/maestrano/account/groups/cld-1", user: mnoID, key: mnoKey}, 404},
		{"slash in id", hookCall{path: "/maestrano/account/groups/cld%2F1/maestrano", user: mnoID, key: mnoKey}, 404},
		{"empty id", hookCall{path: "/maestrano/account/groups//maestrano", user: mnoID, key: mnoKey}, 404},
		{"dot id", hookCall{path: "/maestrano/account/groups/%2E%2E/maestrano", user: mnoID, key: mnoKey}, 404},
		{"huge path", hookCall{path: "/maestrano/account/groups/" + strings.Repeat("a", 5000) + "/maestrano", user: mnoID, key: mnoKey}, 404},
		{"body too large", hookCall{path: "/maestrano/account/groups/cld-1/maestrano", user: mnoID, key: mnoKey, body: strings.Repeat("x", account.DefaultWebhookMaxBody+1)}, 413},
	}
	for _, tc := range refused {
		code, hdr, out := send(t, srv.URL, tc.call)
		if code != tc.code {
			t.Errorf("%s: status %d, want %d", tc.name, code, tc.code)
		}
		switch code {
		case 401:
			if out["error"] != "Invalid credentials" || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("%s: 401 answer %v %q", tc.name, out, hdr.Get("WWW-Authenticate"))
			}
		case 405:
			if hdr.Get("Allow") != "DELETE" {
				t.Errorf("%s: Allow = %q", tc.name, hdr.Get("Allow"))
			}
		}
	}
	if n := rc.count(); n != 3 {
		t.Fatalf("callbacks ran %d times, want 3 (refused calls must not reach them)", n)
	}
}

func TestWebhookCallbackErrorAndFallback(t *testing.T) {
	t.Parallel()
	rc := &recorder{err: errors.New("database is down: secret-dsn")}
	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"from":"app"}`))
	})
	var logs strings.Builder
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := account.NewWebhookHandler(registry(t), rc.callbacks(), account.WithWebhookFallback(fallback),
		account.WithWebhookMaxBody(10), account.WithWebhookLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	code, _, out := send(t, srv.URL, hookCall{path: "/maestrano/account/groups/cld-1/maestrano", user: mnoID, key: mnoKey})
	if code != 500 || strings.Contains(out["error"].(string), "secret") {
		t.Fatalf("callback error: %d %v", code, out)
	}
	if code, _, out := send(t, srv.URL, hookCall{method: "GET", path: "/home"}); code != 200 || out["from"] != "app" {
		t.Fatalf("fallback: %d %v", code, out)
	}
	if code, _, _ := send(t, srv.URL, hookCall{path: "/maestrano/account/groups/cld-1/maestrano", user: mnoID, key: mnoKey, body: "12345678901"}); code != 413 {
		t.Fatalf("11-byte body with a 10-byte bound: %d", code)
	}
	send(t, srv.URL, hookCall{path: "/maestrano/account/groups/cld-1/maestrano", user: mnoID, key: "guess-" + mnoKey})
	logMu.Lock()
	text := logs.String()
	logMu.Unlock()
	if !strings.Contains(text, "invalid credentials") || !strings.Contains(text, "callback failed") || strings.Contains(text, mnoKey) {
		t.Errorf("logs = %s", text)
	}
	// A nil callback acknowledges.
	h2, err := account.NewWebhookHandler(registry(t), account.WebhookCallbacks{GroupRemoved: rc.callbacks().GroupRemoved})
	if err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewServer(h2)
	defer srv2.Close()
	if code, _, _ := send(t, srv2.URL, hookCall{path: "/maestrano/account/groups/cld-1/users/usr-1/maestrano", user: mnoID, key: mnoKey}); code != 200 {
		t.Fatalf("nil callback: %d", code)
	}
}

// TestWebhookSharedPath: with the platform's default paths (no tenant
// segment) several marketplaces share one path, and the credentials say
// which is calling.
func TestWebhookSharedPath(t *testing.T) {
	t.Parallel()
	reg := registry(t, func(mps []*maestrano.Marketplace) []*maestrano.Marketplace {
		for _, mp := range mps {
			mp.Webhooks.Account.GroupPath = "/maestrano/account/groups/:id"
			mp.Webhooks.Account.GroupUserPath = "/maestrano/account/groups/:group_id/users/:id"
		}
		return mps
	})
	rc := &recorder{}
	h, err := account.NewWebhookHandler(reg, rc.callbacks())
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Patterns(); strings.Join(got, ",") != "DELETE /maestrano/account/groups/{group_id}/users/{id},DELETE /maestrano/account/groups/{id}" {
		t.Fatalf("Patterns = %v", got)
	}
	// Mounted on a ServeMux through its patterns.
	mux := http.NewServeMux()
	for _, p := range h.Patterns() {
		mux.Handle(p, h)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	send(t, srv.URL, hookCall{path: "/maestrano/account/groups/cld-1", user: uatID, key: uatKey})
	send(t, srv.URL, hookCall{path: "/maestrano/account/groups/cld-1", user: mnoID, key: mnoKey})
	if len(rc.groups) != 2 || rc.groups[0].Marketplace != "maestrano-uat" || rc.groups[1].Marketplace != "maestrano" {
		t.Fatalf("groups = %+v", rc.groups)
	}
	if code, _, _ := send(t, srv.URL, hookCall{path: "/maestrano/account/groups/cld-1", user: mnoID, key: uatKey}); code != 401 {
		t.Fatalf("mixed credentials: %d", code)
	}
}

func TestWebhookQueryTemplate(t *testing.T) {
	t.Parallel()
	reg := registry(t, func(mps []*maestrano.Marketplace) []*maestrano.Marketplace {
		mps[0].Webhooks.Account.GroupPath = "/hooks/groups/:id?marketplace=maestrano"
		mps[1].Webhooks.Account.GroupPath = "/hooks/groups/:id?marketplace=maestrano-uat"
		return mps
	})
	rc := &recorder{}
	h, err := account.NewWebhookHandler(reg, rc.callbacks())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	if code, _, _ := send(t, srv.URL, hookCall{path: "/hooks/groups/cld-5?marketplace=maestrano-uat", user: uatID, key: uatKey}); code != 200 {
		t.Fatalf("status %d", code)
	}
	if code, _, _ := send(t, srv.URL, hookCall{path: "/hooks/groups/cld-5", user: uatID, key: uatKey}); code != 404 {
		t.Fatalf("without the query: %d", code)
	}
	if len(rc.groups) != 1 || rc.groups[0].Marketplace != "maestrano-uat" {
		t.Fatalf("groups = %+v", rc.groups)
	}
}

func TestWebhookConfigErrors(t *testing.T) {
	t.Parallel()
	rc := &recorder{}
	if _, err := account.NewWebhookHandler(nil, rc.callbacks()); err == nil {
		t.Error("nil registry accepted")
	}
	if _, err := account.NewWebhookHandler(registry(t), account.WebhookCallbacks{}); err == nil {
		t.Error("no callbacks accepted")
	}
	for name, paths := range map[string][2]string{
		"group path without :id":        {"/groups/x", ""},
		"group path with :tenant":       {"/groups/:id/:tenant", ""},
		"relative":                      {"groups/:id", ""},
		"member path without :group_id": {"", "/groups/x/users/:id"},
		"member path with :id twice":    {"", "/groups/:id/users/:id"},
		"empty segment":                 {"/groups//:id", ""},
	} {
		reg := registry(t, func(mps []*maestrano.Marketplace) []*maestrano.Marketplace {
			mps[0].Webhooks.Account.GroupPath, mps[0].Webhooks.Account.GroupUserPath = paths[0], paths[1]
			return mps
		})
		_, err := account.NewWebhookHandler(reg, rc.callbacks())
		var ce *maestrano.ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), `marketplace "maestrano"`) {
			t.Errorf("%s: %v, want a ConfigError naming the marketplace", name, err)
		}
	}
	for name, opt := range map[string]account.WebhookOption{
		"nil logger": account.WithWebhookLogger(nil), "zero body": account.WithWebhookMaxBody(0), "nil fallback": account.WithWebhookFallback(nil),
	} {
		if _, err := account.NewWebhookHandler(registry(t), rc.callbacks(), opt); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// FuzzWebhookPath sends arbitrary paths and methods to the handler: it
// answers a known status, never panics, and calls back only for DELETE
// with the marketplace's credentials on a matching path.
func FuzzWebhookPath(f *testing.F) {
	for _, seed := range []string{"/maestrano/account/groups/cld-1/maestrano", "/maestrano/account/groups/cld-2/users/usr-3.cld-2/maestrano-uat/",
		"/maestrano/account/groups/%2E%2E/maestrano", "/maestrano/account/groups/cld%2F1/maestrano", "//", "/%zz", "/maestrano/account/groups/cld-1/maestrano?x=%"} {
		f.Add("DELETE", seed, true)
		f.Add("GET", seed, false)
	}
	reg := registry(f)
	var calls atomic.Int32
	h, err := account.NewWebhookHandler(reg, account.WebhookCallbacks{
		GroupRemoved:  func(context.Context, account.GroupRemoved) error { calls.Add(1); return nil },
		MemberRemoved: func(context.Context, account.MemberRemoved) error { calls.Add(1); return nil },
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, path string, auth bool) {
		req, err := http.NewRequest(method, "http://app.example.com"+path, nil)
		if err != nil || !strings.HasPrefix(req.URL.Path, "/") {
			return
		}
		if auth {
			req.SetBasicAuth(mnoID, mnoKey)
		}
		before := calls.Load()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200:
			if calls.Load() != before+1 || method != http.MethodDelete || !auth {
				t.Fatalf("%s %q: 200 with %d callbacks", method, path, calls.Load()-before)
			}
		case 401, 404, 405, 413:
			if calls.Load() != before {
				t.Fatalf("%s %q: %d but a callback ran", method, path, rec.Code)
			}
		default:
			t.Fatalf("%s %q: status %d", method, path, rec.Code)
		}
	})
}
