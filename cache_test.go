package maestrano_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano"
)

// devPlatform is a developer platform whose answer the test changes.
type devPlatform struct {
	srv   *httptest.Server
	calls atomic.Int64
	mu    sync.Mutex
	h     func(w http.ResponseWriter)
}

func newDevPlatform(t *testing.T, body string) *devPlatform {
	t.Helper()
	d := &devPlatform{}
	d.set(jsonAnswer(200, body))
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.calls.Add(1)
		d.mu.Lock()
		h := d.h
		d.mu.Unlock()
		h(w)
	}))
	t.Cleanup(d.srv.Close)
	return d
}

func (d *devPlatform) set(h func(http.ResponseWriter)) { d.mu.Lock(); d.h = h; d.mu.Unlock() }

func (d *devPlatform) dp() maestrano.DevPlatform {
	return maestrano.DevPlatform{Host: d.srv.URL, EnvKey: "env-key", EnvSecret: "env-secret-value"}
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func goodBody(t *testing.T, apiIDs ...string) string {
	t.Helper()
	static, err := maestrano.LoadRegistryFile("testdata/registry/static/marketplaces.json")
	if err != nil {
		t.Fatal(err)
	}
	var mps []any
	for i, id := range apiIDs {
		mp, _ := static.Get("maestrano")
		mp.API.ID, mp.API.Key = id, "api-key-that-must-not-leak"
		if i > 0 {
			mp.Name = mp.Name + "-" + id
		}
		mps = append(mps, mp)
	}
	return mustJSON(map[string]any{"marketplaces": mps})
}

func cacheFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestCacheFreshCopyAvoidsTheNetwork(t *testing.T) {
	t.Parallel()
	d := newDevPlatform(t, goodBody(t, "app-1"))
	dir := filepath.Join(t.TempDir(), "cache")
	clk := &fakeClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	opts := []maestrano.Option{maestrano.WithCache(dir), maestrano.WithClock(clk.Now)}

	for i := range 2 {
		reg, err := maestrano.AutoConfigure(t.Context(), d.dp(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		if mp, _ := reg.Get("maestrano"); mp.API.ID != "app-1" {
			t.Fatalf("round %d: %+v", i, mp)
		}
	}
	if n := d.calls.Load(); n != 1 {
		t.Fatalf("%d calls to the developer platform, want 1 (the second run reads the cache)", n)
	}
	files := cacheFiles(t, dir)
	if len(files) != 1 || !strings.HasPrefix(files[0], "maestrano-config-") {
		t.Fatalf("cache files %v", files)
	}
	for _, s := range []string{"env-key", "env-secret"} {
		if strings.Contains(files[0], s) {
			t.Errorf("file name %s carries %s", files[0], s)
		}
	}
	st, err := os.Stat(filepath.Join(dir, files[0]))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("cache file mode %v, %v; want 0600", st.Mode(), err)
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Errorf("cache dir mode %v, want 0700", st.Mode())
	}
	data, _ := os.ReadFile(filepath.Join(dir, files[0]))
	if strings.Contains(string(data), "env-secret-value") {
		t.Error("the cache file holds the environment secret")
	}

	// After the TTL the platform is asked again, and the new answer wins.
	d.set(jsonAnswer(200, goodBody(t, "app-2")))
	clk.Advance(maestrano.DefaultCacheTTL)
	reg, err := maestrano.AutoConfigure(t.Context(), d.dp(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if mp, _ := reg.Get("maestrano"); mp.API.ID != "app-2" || d.calls.Load() != 2 {
		t.Fatalf("after the TTL: api id %s after %d calls", mp.API.ID, d.calls.Load())
	}
	// WithCacheTTL shortens it.
	clk.Advance(time.Minute)
	if _, err := maestrano.AutoConfigure(t.Context(), d.dp(), append(opts, maestrano.WithCacheTTL(time.Second))...); err != nil || d.calls.Load() != 3 {
		t.Fatalf("short TTL: %v after %d calls", err, d.calls.Load())
	}
	if files := cacheFiles(t, dir); len(files) != 1 {
		t.Fatalf("temporary files left behind: %v", files)
	}
}

func TestCacheStaleCopyWhenThePlatformIsDown(t *testing.T) {
	t.Parallel()
	body := goodBody(t, "app-1")
	dead := httptest.NewServer(nil)
	deadURL := dead.URL
	dead.Close()
	cases := []struct {
		name   string
		answer func(http.ResponseWriter) // nil: connection refused
	}{
		{"connection refused", nil},
		{"503", jsonAnswer(503, `maintenance`)},
		{"429", jsonAnswer(429, `slow down`)},
		{"html from a proxy", jsonAnswer(200, `<html>maintenance</html>`)},
		{"truncated json", jsonAnswer(200, body[:len(body)/2])},
		{"redirect", func(w http.ResponseWriter) {
			w.Header().Set("Location", "https://elsewhere.example/")
			w.WriteHeader(302)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := newDevPlatform(t, body)
			dir := t.TempDir()
			clk := &fakeClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
			var logs bytes.Buffer
			opts := []maestrano.Option{maestrano.WithCache(dir), maestrano.WithClock(clk.Now), maestrano.WithRetrySleep(noSleep),
				maestrano.WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))}
			if _, err := maestrano.AutoConfigure(t.Context(), d.dp(), opts...); err != nil {
				t.Fatal(err)
			}
			clk.Advance(30 * 24 * time.Hour) // long stale
			dp := d.dp()
			if c.answer == nil {
				// Point the cache at a dead host: the file moves under the
				// dead host's name.
				dp.Host = deadURL
				moveCache(t, dir, d.dp(), dp)
			} else {
				d.set(c.answer)
			}
			before, _ := os.ReadFile(filepath.Join(dir, cacheFiles(t, dir)[0]))
			reg, err := maestrano.AutoConfigure(t.Context(), dp, opts...)
			if err != nil {
				t.Fatalf("platform down with a cached copy: %v", err)
			}
			if mp, _ := reg.Get("maestrano"); mp.API.ID != "app-1" {
				t.Fatalf("stale registry %+v", mp)
			}
			if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "using the cached configuration") {
				t.Errorf("no warning logged: %s", logs.String())
			}
			if strings.Contains(logs.String(), "env-secret-value") || strings.Contains(logs.String(), "api-key-that-must-not-leak") {
				t.Errorf("log leaks a secret: %s", logs.String())
			}
			after, _ := os.ReadFile(filepath.Join(dir, cacheFiles(t, dir)[0]))
			if !bytes.Equal(before, after) {
				t.Error("the fallback re-wrote the cache (a stale copy must not be stamped fresh, an error body never cached)")
			}
			// Without a cache the same outage is an error.
			if _, err := maestrano.AutoConfigure(t.Context(), dp, maestrano.WithRetrySleep(noSleep)); err == nil {
				t.Fatal("platform down without a cache: no error")
			}
		})
	}
}

// moveCache renames the cache file of one DevPlatform to the name another
// one uses (the hash of URL and key), rewriting the URL it records.
func moveCache(t *testing.T, dir string, from, to maestrano.DevPlatform) {
	t.Helper()
	files := cacheFiles(t, dir)
	data, err := os.ReadFile(filepath.Join(dir, files[0]))
	if err != nil {
		t.Fatal(err)
	}
	var e map[string]json.RawMessage
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	u, _ := to.MarketplacesURL()
	e["url"], _ = json.Marshal(u)
	os.Remove(filepath.Join(dir, files[0]))
	if err := os.WriteFile(filepath.Join(dir, maestrano.CacheFileName(to)), []byte(mustJSON(e)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A refusal or a broken configuration is an error even with a cached copy,
// and is never cached.
func TestCacheNotUsedOnRefusal(t *testing.T) {
	t.Parallel()
	sb, _ := openSandbox(t)
	badFP := withFingerprint(validMarketplace(sb.Certificate()), "00:11")
	for name, answer := range map[string]func(http.ResponseWriter){
		"401":             jsonAnswer(401, `{"error":"invalid credentials"}`),
		"404":             jsonAnswer(404, `not here`),
		"error body":      jsonAnswer(200, `{"error":"environment disabled"}`),
		"bad fingerprint": jsonAnswer(200, mustJSON(map[string]any{"marketplaces": []any{badFP}})),
		"no marketplaces": jsonAnswer(200, `{}`),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := newDevPlatform(t, goodBody(t, "app-1"))
			dir := t.TempDir()
			clk := &fakeClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
			opts := []maestrano.Option{maestrano.WithCache(dir), maestrano.WithClock(clk.Now)}
			if _, err := maestrano.AutoConfigure(t.Context(), d.dp(), opts...); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(filepath.Join(dir, cacheFiles(t, dir)[0]))
			clk.Advance(maestrano.DefaultCacheTTL + time.Second)
			d.set(answer)
			if _, err := maestrano.AutoConfigure(t.Context(), d.dp(), opts...); err == nil {
				t.Fatal("refusal papered over with the cached copy")
			}
			after, _ := os.ReadFile(filepath.Join(dir, cacheFiles(t, dir)[0]))
			if !bytes.Equal(before, after) {
				t.Fatal("the refusal was written to the cache")
			}
		})
	}
}

func TestCacheIsKeyedPerEnvironment(t *testing.T) {
	t.Parallel()
	d := newDevPlatform(t, goodBody(t, "app-1"))
	dir := t.TempDir()
	a := d.dp()
	b := a
	b.EnvKey = "other-env"
	if _, err := maestrano.AutoConfigure(t.Context(), a, maestrano.WithCache(dir)); err != nil {
		t.Fatal(err)
	}
	d.set(jsonAnswer(200, goodBody(t, "app-b")))
	reg, err := maestrano.AutoConfigure(t.Context(), b, maestrano.WithCache(dir))
	if err != nil {
		t.Fatal(err)
	}
	if mp, _ := reg.Get("maestrano"); mp.API.ID != "app-b" || d.calls.Load() != 2 {
		t.Fatalf("environment b read environment a's cache: %s after %d calls", mp.API.ID, d.calls.Load())
	}
	if files := cacheFiles(t, dir); len(files) != 2 {
		t.Fatalf("files %v, want one per environment", files)
	}
}

// A cache file that is corrupt, of another environment or another format
// is ignored (with a warning) and replaced.
func TestCacheCorruptFileIsReplaced(t *testing.T) {
	t.Parallel()
	d := newDevPlatform(t, goodBody(t, "app-1"))
	dir := t.TempDir()
	name := filepath.Join(dir, maestrano.CacheFileName(d.dp()))
	for _, junk := range []string{"{not json", `{"version":1,"url":"http://other","env_key":"env-key","fetched_at":"2030-01-01T00:00:00Z","body":{}}`,
		`{"version":9}`, strings.Repeat(" ", 10<<20)} {
		if err := os.WriteFile(name, []byte(junk), 0o600); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		reg, err := maestrano.AutoConfigure(t.Context(), d.dp(), maestrano.WithCache(dir), maestrano.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		if err != nil || len(reg.Names()) != 1 {
			t.Fatalf("%.20q: %v", junk, err)
		}
		if !strings.Contains(logs.String(), "cache unreadable") {
			t.Errorf("%.20q: no warning: %s", junk, logs.String())
		}
	}
}

func TestCacheOptions(t *testing.T) {
	t.Parallel()
	dp := maestrano.DevPlatform{EnvKey: "k", EnvSecret: "s"}
	for name, opt := range map[string]maestrano.Option{
		"empty dir": maestrano.WithCache(" "), "zero ttl": maestrano.WithCacheTTL(0), "nil clock": maestrano.WithClock(nil), "zero refresh": maestrano.WithRefresh(0),
		"empty UA": maestrano.WithUserAgent(" "), "UA newline": maestrano.WithUserAgent("a\r\nX-Injected: 1"),
	} {
		if _, err := maestrano.AutoConfigure(t.Context(), dp, opt); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestRegistrySourceRefresh(t *testing.T) {
	t.Parallel()
	d := newDevPlatform(t, goodBody(t, "app-1"))
	dir := t.TempDir()
	src, err := maestrano.AutoConfigureSource(t.Context(), d.dp(), maestrano.WithCache(dir))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-src.Done():
	default:
		t.Fatal("a source without WithRefresh reports a running refresh")
	}
	var p maestrano.RegistryProvider = src
	first := p.Registry()

	// Readers run while the configuration is swapped (the race detector
	// checks the swap).
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if mp, err := src.Registry().Get("maestrano"); err != nil || (mp.API.ID != "app-1" && mp.API.ID != "app-2") {
					t.Errorf("reader saw %v %v", mp, err)
					return
				}
			}
		})
	}
	d.set(jsonAnswer(200, goodBody(t, "app-2")))
	if err := src.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	cancel()
	wg.Wait()
	if mp, _ := src.Registry().Get("maestrano"); mp.API.ID != "app-2" {
		t.Fatalf("after refresh: %s", mp.API.ID)
	}
	if mp, _ := first.Get("maestrano"); mp.API.ID != "app-1" {
		t.Fatal("a registry handed out earlier changed")
	}
	// The refresh wrote the cache: a new process starts from it.
	reg, err := maestrano.AutoConfigure(t.Context(), maestrano.DevPlatform{Host: d.srv.URL, EnvKey: "env-key", EnvSecret: "x"}, maestrano.WithCache(dir))
	if err != nil {
		t.Fatal(err)
	}
	if mp, _ := reg.Get("maestrano"); mp.API.ID != "app-2" {
		t.Fatalf("cache after refresh: %s", mp.API.ID)
	}

	// A failed refresh keeps the current registry.
	d.set(jsonAnswer(500, `down`))
	if err := src.Refresh(t.Context()); err == nil {
		t.Fatal("failed refresh reported no error")
	}
	if mp, _ := src.Registry().Get("maestrano"); mp.API.ID != "app-2" {
		t.Fatal("failed refresh dropped the registry")
	}

	static, err := maestrano.NewRegistrySource(first)
	if err != nil || static.Registry() != first || static.Refresh(t.Context()) == nil {
		t.Fatalf("static source: %v", err)
	}
	if err := static.Store(reg); err != nil || static.Registry() != reg {
		t.Fatal("Store")
	}
	if static.Store(nil) == nil {
		t.Fatal("Store(nil) accepted")
	}
	if _, err := maestrano.NewRegistrySource(nil); err == nil {
		t.Fatal("NewRegistrySource(nil) accepted")
	}
	if reg.Registry() != reg {
		t.Fatal("a *Registry is not its own provider")
	}
}

// The background refresh runs until its ctx is done, and then stops.
func TestRegistrySourceBackgroundRefresh(t *testing.T) {
	t.Parallel()
	d := newDevPlatform(t, goodBody(t, "app-1"))
	refreshed := make(chan struct{})
	var once sync.Once
	ctx, cancel := context.WithCancel(t.Context())
	src, err := maestrano.AutoConfigureSource(ctx, d.dp(), maestrano.WithRefresh(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	second := goodBody(t, "app-2")
	d.set(func(w http.ResponseWriter) {
		jsonAnswer(200, second)(w)
		once.Do(func() { close(refreshed) })
	})
	<-refreshed
	for {
		if mp, _ := src.Registry().Get("maestrano"); mp.API.ID == "app-2" {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-src.Done() // the goroutine has returned
}

func TestStaticRegistry(t *testing.T) {
	t.Parallel()
	reg, err := maestrano.LoadRegistryFile("testdata/registry/static/marketplaces.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(reg.Names(), ","); got != "maestrano,maestrano-uat" {
		t.Fatalf("names %s", got)
	}
	mp, _ := reg.Get("maestrano-uat")
	if mp.SSO.InitPath != "/maestrano/auth/saml/init/maestrano-uat" || mp.Connec.Timeout != 60 || !mp.Webhooks.Connec.ExternalIDs {
		t.Fatalf("%+v", mp)
	}
	for name, c := range map[string]struct{ in, want string }{
		"typo":          {mustRead(t, "testdata/registry/typo/marketplaces.json"), `unknown field "init_pth"`},
		"trailing data": {`{"marketplaces":[]} {}`, "data after"},
		"no array":      {`{}`, `no "marketplaces"`},
		"not json":      {`marketplaces: []`, "not JSON"},
		"too large":     {`{"marketplaces":[` + strings.Repeat(" ", 2<<20) + `]}`, "larger than"},
		"invalid":       {`{"marketplaces":[{"marketplace":"x"}]}`, "api.id is empty"},
	} {
		_, err := maestrano.ParseRegistry(strings.NewReader(c.in))
		var cerr *maestrano.ConfigError
		if !errors.As(err, &cerr) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want a *ConfigError with %q", name, err, c.want)
		}
	}
	if _, err := maestrano.LoadRegistryFile("testdata/registry/none.json"); err == nil {
		t.Error("missing file accepted")
	}
	empty, err := maestrano.ParseRegistry(strings.NewReader(`{"marketplaces":[]}`))
	if err != nil || len(empty.Names()) != 0 {
		t.Errorf("empty list: %v", err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMetadataHasNoSecrets(t *testing.T) {
	t.Parallel()
	reg, err := maestrano.LoadRegistryFile("testdata/registry/static/marketplaces.json")
	if err != nil {
		t.Fatal(err)
	}
	md := reg.Metadata()
	b, err := json.Marshal(md)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.Contains(s, "static-api-key-do-not-print") || strings.Contains(s, `"key"`) {
		t.Fatalf("metadata leaks the API key: %s", s)
	}
	for _, want := range []string{`"id":"app-static"`, `"lang":"go"`, `"x509_fingerprint":"72:f2:af`, `"group_path":"/maestrano/account/groups/:id/maestrano"`} {
		if !strings.Contains(s, want) {
			t.Errorf("metadata lacks %s: %s", want, s)
		}
	}
	if len(md) != 2 || md[0].Marketplace != "maestrano" || md[1].API.Version != maestrano.Version {
		t.Errorf("%+v", md)
	}
}
