package sso_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/sso"
)

// guarded is a middleware in front of a page, for one marketplace whose IdP
// is d, with a session cookie of a due session.
type guarded struct {
	mw     *sso.Middleware
	store  *sso.CookieStore
	h      http.Handler
	cookie string
	served atomic.Int64
	clock  *clock
}

func newGuarded(t testing.TB, idpURL string, opts ...sso.MiddlewareOption) *guarded {
	t.Helper()
	g := &guarded{clock: &clock{t: t0}}
	svc, err := sso.New(marketplace(t, idpURL), sso.WithClock(g.clock.Now), sso.WithRetrySleep(noSleep))
	if err != nil {
		t.Fatal(err)
	}
	set, _ := sso.NewSetOf(svc)
	g.store, _ = sso.NewCookieStore(testKeys(t), sso.WithCookieClock(g.clock.Now))
	g.mw, err = sso.NewMiddleware(set, g.store, opts...)
	if err != nil {
		t.Fatal(err)
	}
	g.h = g.mw.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, ok := sso.FromContext(r.Context()); !ok || s.UserUID != "usr-1" {
			t.Errorf("session in context: %+v %v", s, ok)
		}
		g.served.Add(1)
	}))
	g.cookie = g.sessionCookie(t, t0) // due at once
	return g
}

func (g *guarded) sessionCookie(t testing.TB, recheck time.Time) string {
	rec := httptest.NewRecorder()
	if err := g.store.Save(rec, httptest.NewRequest("GET", "/", nil), &sso.Session{Marketplace: "maestrano", UserUID: "usr-1", GroupUID: "cld-1", Token: "tok", Recheck: recheck}); err != nil {
		t.Fatal(err)
	}
	return rec.Result().Cookies()[0].String()
}

func (g *guarded) get(cookie string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", cookie)
	rec := httptest.NewRecorder()
	g.h.ServeHTTP(rec, req)
	return rec
}

func cleared(rec *httptest.ResponseRecorder) bool {
	for _, c := range rec.Result().Cookies() {
		if c.Name == sso.DefaultSessionCookie && c.MaxAge < 0 {
			return true
		}
	}
	return false
}

// 1000 concurrent requests of one due session make exactly one IdP call.
func TestMiddlewareCoalescesChecks(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	later := t0.Add(3 * time.Minute).Format(time.RFC3339)
	d := newIdP(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		fmt.Fprint(w, `{"valid":true,"recheck":"`+later+`"}`)
	})
	g := newGuarded(t, d.srv.URL)
	const n = 1000
	var wg sync.WaitGroup
	codes := make(chan int, n)
	for range n {
		wg.Go(func() { codes <- g.get(g.cookie).Code })
	}
	for sso.Waiting(g.mw) < n {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Fatalf("status %d", c)
		}
	}
	if calls := d.calls.Load(); calls != 1 {
		t.Fatalf("%d IdP calls for %d concurrent requests, want 1", calls, n)
	}
	if g.served.Load() != n {
		t.Fatalf("page served %d times, want %d", g.served.Load(), n)
	}
	// A request still carrying the old cookie uses the remembered answer.
	if rec := g.get(g.cookie); rec.Code != 200 || d.calls.Load() != 1 {
		t.Fatalf("old cookie after the check: %d, %d calls", rec.Code, d.calls.Load())
	}
	// The answer renewed the cookie with the new recheck time.
	rec := g.get(g.cookie)
	c := rec.Result().Cookies()
	if len(c) != 1 || c[0].Name != sso.DefaultSessionCookie || c[0].Value == "" {
		t.Fatalf("renewed cookie: %v", c)
	}
	g.clock.Advance(2 * time.Minute)
	if rec := g.get(c[0].String()); rec.Code != 200 || d.calls.Load() != 1 {
		t.Fatalf("renewed cookie before its recheck: %d, %d calls", rec.Code, d.calls.Load())
	}
}

// A request that leaves while waiting does not cancel the others' check.
func TestMiddlewareWaiterLeaves(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	d := newIdP(t, func(w http.ResponseWriter, r *http.Request) { <-release; fmt.Fprint(w, `{"valid":true}`) })
	g := newGuarded(t, d.srv.URL)
	ctxReq := httptest.NewRequest("GET", "/", nil)
	ctxReq.Header.Set("Cookie", g.cookie)
	ctx, cancel := contextWithCancel(t)
	first := make(chan *httptest.ResponseRecorder)
	go func() {
		rec := httptest.NewRecorder()
		g.h.ServeHTTP(rec, ctxReq.WithContext(ctx))
		first <- rec
	}()
	for sso.Waiting(g.mw) < 1 {
		runtime.Gosched()
	}
	second := make(chan int)
	go func() { second <- g.get(g.cookie).Code }()
	for sso.Waiting(g.mw) < 2 {
		runtime.Gosched()
	}
	cancel()
	if rec := <-first; cleared(rec) || g.served.Load() != 0 {
		t.Fatal("a cancelled request logged the user out or ran the page")
	}
	close(release)
	if code := <-second; code != 200 || d.calls.Load() != 1 {
		t.Fatalf("second waiter: %d after %d calls", code, d.calls.Load())
	}
}

func TestMiddlewarePolicies(t *testing.T) {
	t.Parallel()
	t.Run("ended session", func(t *testing.T) {
		t.Parallel()
		d := newIdP(t, answer(200, `{"valid":false}`))
		g := newGuarded(t, d.srv.URL)
		rec := g.get(g.cookie)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "https://app.example.com/maestrano/auth/saml/init/maestrano" || !cleared(rec) || g.served.Load() != 0 {
			t.Fatalf("ended: %d %s cleared=%v", rec.Code, rec.Header().Get("Location"), cleared(rec))
		}
		// A burst with the dead cookie asks the IdP once.
		g.get(g.cookie)
		if d.calls.Load() != 1 {
			t.Fatalf("%d calls for a dead session", d.calls.Load())
		}
	})
	t.Run("IdP down: fail closed", func(t *testing.T) {
		t.Parallel()
		d := newIdP(t, answer(503, `down`))
		g := newGuarded(t, d.srv.URL)
		rec := g.get(g.cookie)
		if rec.Code != http.StatusServiceUnavailable || !cleared(rec) || g.served.Load() != 0 || !strings.Contains(rec.Body.String(), "could not confirm") {
			t.Fatalf("fail closed: %d %q", rec.Code, rec.Body.String())
		}
		calls := d.calls.Load()
		// Within the failure backoff the IdP is not asked again.
		g.get(g.cookie)
		if d.calls.Load() != calls {
			t.Fatal("IdP asked again within the failure backoff")
		}
		g.clock.Advance(sso.DefaultFailureBackoff)
		g.get(g.cookie)
		if d.calls.Load() == calls {
			t.Fatal("IdP not asked after the failure backoff")
		}
	})
	t.Run("IdP down: grace period", func(t *testing.T) {
		t.Parallel()
		var down atomic.Bool
		down.Store(true)
		d := newIdP(t, func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				w.WriteHeader(502)
				return
			}
			fmt.Fprint(w, `{"valid":true}`)
		})
		g := newGuarded(t, d.srv.URL, sso.WithGracePeriod(10*time.Minute), sso.WithFailureBackoff(0))
		if rec := g.get(g.cookie); rec.Code != 200 || cleared(rec) || g.served.Load() != 1 {
			t.Fatalf("within grace: %d", rec.Code)
		}
		g.clock.Advance(9 * time.Minute)
		if rec := g.get(g.cookie); rec.Code != 200 {
			t.Fatalf("still within grace: %d", rec.Code)
		}
		g.clock.Advance(time.Minute)
		if rec := g.get(g.cookie); rec.Code != http.StatusServiceUnavailable || !cleared(rec) {
			t.Fatalf("grace over: %d", rec.Code)
		}
		down.Store(false)
		fresh := g.sessionCookie(t, g.clock.Now())
		if rec := g.get(fresh); rec.Code != 200 {
			t.Fatalf("IdP back: %d", rec.Code)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		block := make(chan struct{})
		d := newIdP(t, func(w http.ResponseWriter, r *http.Request) { <-block })
		t.Cleanup(func() { close(block) })
		g := newGuarded(t, d.srv.URL, sso.WithCheckTimeout(50*time.Millisecond))
		rec := g.get(g.cookie)
		if rec.Code != http.StatusServiceUnavailable || !cleared(rec) {
			t.Fatalf("hanging IdP: %d", rec.Code)
		}
	})
	t.Run("no session", func(t *testing.T) {
		t.Parallel()
		g := newGuarded(t, "https://hub.example.com")
		for _, cookie := range []string{"", sso.DefaultSessionCookie + "=garbage", sso.DefaultSessionCookie + "=" + strings.Repeat("a", 5000)} {
			if rec := g.get(cookie); rec.Code != http.StatusSeeOther || g.served.Load() != 0 {
				t.Fatalf("cookie %.30q: %d", cookie, rec.Code)
			}
		}
		opt := g.mw.Optional(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := sso.FromContext(r.Context()); ok {
				t.Error("session in an anonymous request")
			}
			w.WriteHeader(204)
		}))
		rec := httptest.NewRecorder()
		opt.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if rec.Code != 204 {
			t.Fatalf("optional: %d", rec.Code)
		}
	})
	for name, opt := range map[string]sso.MiddlewareOption{
		"timeout": sso.WithCheckTimeout(0), "grace": sso.WithGracePeriod(-1), "backoff": sso.WithFailureBackoff(-1),
		"login": sso.WithLoginRequired(nil), "ended": sso.WithSessionEnded(nil), "unavailable": sso.WithIdPUnavailable(nil), "logger": sso.WithMiddlewareLogger(nil),
	} {
		set, _ := sso.NewSetOf()
		store, _ := sso.NewCookieStore(testKeys(t))
		if _, err := sso.NewMiddleware(set, store, opt); err == nil {
			t.Errorf("bad option %s accepted", name)
		}
	}
}

func TestCookieStore(t *testing.T) {
	t.Parallel()
	clk := &clock{t: t0}
	old, _ := sso.NewCookieStore(testKeys(t, 1), sso.WithCookieClock(clk.Now))
	sess := &sso.Session{Marketplace: "maestrano", UserUID: "usr-1", GroupUID: "cld-1", Token: "tok", Recheck: t0.Add(time.Minute)}
	rec := httptest.NewRecorder()
	if err := old.Save(rec, httptest.NewRequest("GET", "/", nil), sess); err != nil {
		t.Fatal(err)
	}
	c := rec.Result().Cookies()[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
		t.Errorf("cookie attributes %+v", c)
	}
	if strings.Contains(c.Value, "tok") {
		// base64: the token is not in clear text, but it is not encrypted either
		t.Log("token visible")
	}
	load := func(st *sso.CookieStore, v string) (*sso.Session, error) {
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(&http.Cookie{Name: c.Name, Value: v})
		return st.Load(req)
	}
	if got, err := load(old, c.Value); err != nil || *got != *sess {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	// Rotation: the new key signs, the old one still verifies.
	rotated, _ := sso.NewCookieStore(testKeys(t, 2, 1), sso.WithCookieClock(clk.Now))
	if _, err := load(rotated, c.Value); err != nil {
		t.Fatalf("rotated keyring refuses the old key's cookie: %v", err)
	}
	dropped, _ := sso.NewCookieStore(testKeys(t, 2), sso.WithCookieClock(clk.Now))
	if _, err := load(dropped, c.Value); !errors.Is(err, sso.ErrNoSession) {
		t.Fatalf("dropped key still verifies: %v", err)
	}
	// Tampering anywhere is refused.
	for i := range len(c.Value) {
		b := []byte(c.Value)
		b[i] ^= 1
		if s, err := load(old, string(b)); err == nil && *s != *sess {
			t.Fatalf("tampered byte %d accepted: %+v", i, s)
		}
	}
	for _, v := range []string{"", "x", "x.y", strings.Repeat("A", 5000)} {
		if _, err := load(old, v); !errors.Is(err, sso.ErrNoSession) {
			t.Errorf("%.20q: %v", v, err)
		}
	}
	// Expiry.
	clk.Advance(sso.DefaultSessionLifetime)
	if _, err := load(old, c.Value); !errors.Is(err, sso.ErrNoSession) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired cookie: %v", err)
	}
	// Over TLS the cookie is Secure; Clear expires it and replaces a cookie set earlier.
	req := httptest.NewRequest("GET", "https://app.example.com/", nil)
	rec = httptest.NewRecorder()
	old.Save(rec, req, sess)
	old.Clear(rec, req)
	cs := rec.Result().Cookies()
	if len(cs) != 1 || cs[0].MaxAge >= 0 || !cs[0].Secure {
		t.Fatalf("after Save+Clear: %v", cs)
	}
	for _, o := range []sso.CookieOption{sso.WithCookieName("a b"), sso.WithCookieName(""), sso.WithCookieName("café"), sso.WithCookieName("a\x01b"), sso.WithCookiePath("x"), sso.WithSessionLifetime(0), sso.WithCookieClock(nil)} {
		if _, err := sso.NewCookieStore(testKeys(t), o); err == nil {
			t.Error("bad cookie option accepted")
		}
	}
	if _, err := sso.NewKeyring(make([]byte, 31)); err == nil {
		t.Error("short key accepted")
	}
	if _, err := sso.NewKeyring(); err == nil {
		t.Error("empty keyring accepted")
	}
}

// ValueStore reads and writes the PHP SDK's session value.
func TestValueStore(t *testing.T) {
	t.Parallel()
	m := map[string]string{sso.SessionKey: b64(`{"uid":"usr-1","group_uid":"cld-1","session":"tok","session_recheck":"2030-01-02T03:04:05+0000"}`)}
	var mu sync.Mutex
	st := sso.ValueStore{
		Get: func(r *http.Request, k string) (string, bool, error) {
			mu.Lock()
			defer mu.Unlock()
			v, ok := m[k]
			return v, ok, nil
		},
		Set: func(w http.ResponseWriter, r *http.Request, k, v string) error {
			mu.Lock()
			m[k] = v
			mu.Unlock()
			return nil
		},
		Delete: func(w http.ResponseWriter, r *http.Request, k string) error {
			mu.Lock()
			delete(m, k)
			mu.Unlock()
			return nil
		},
	}
	req := httptest.NewRequest("GET", "/", nil)
	s, err := st.Load(req)
	if err != nil || s.UserUID != "usr-1" || !s.Recheck.Equal(t0) {
		t.Fatalf("php value: %+v %v", s, err)
	}
	s.Recheck = t0.Add(time.Hour)
	s.Marketplace = "maestrano"
	if err := st.Save(nil, req, s); err != nil {
		t.Fatal(err)
	}
	if got, _ := sso.DecodeSession(m[sso.SessionKey]); got != *s {
		t.Fatalf("saved %+v", got)
	}
	st.Clear(nil, req)
	if _, err := st.Load(req); !errors.Is(err, sso.ErrNoSession) {
		t.Fatalf("after Clear: %v", err)
	}
	m[sso.SessionKey] = "%%%"
	if _, err := st.Load(req); !errors.Is(err, sso.ErrNoSession) {
		t.Fatalf("garbage: %v", err)
	}
}

// BenchmarkMiddlewareNotDue is the cost of a request whose session needs
// no re-check: the cookie decode and the context, no network.
func BenchmarkMiddlewareNotDue(b *testing.B) {
	g := newGuardedB(b)
	cookie := g.sessionCookie(b, t0.Add(time.Hour))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", cookie)
	w := discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		g.h.ServeHTTP(w, req)
	}
}

// BenchmarkCookieStoreLoad is the cookie decode alone.
func BenchmarkCookieStoreLoad(b *testing.B) {
	g := newGuardedB(b)
	cookie := g.sessionCookie(b, t0.Add(time.Hour))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Cookie", cookie)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.store.Load(req); err != nil {
			b.Fatal(err)
		}
	}
}

type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}

func newGuardedB(b *testing.B) *guarded { return newGuarded(b, "https://hub.example.com") }

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithCancel(t.Context())
}
