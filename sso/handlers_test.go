package sso_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/internal/flowtest"
	"github.com/maestrano-go/maestrano/sandbox"
	"github.com/maestrano-go/maestrano/sso"
)

// clock is a settable clock shared by the sandbox and the app.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func testKeys(t testing.TB, seeds ...byte) *sso.Keyring {
	t.Helper()
	if len(seeds) == 0 {
		seeds = []byte{1}
	}
	var keys [][]byte
	for _, s := range seeds {
		keys = append(keys, bytes.Repeat([]byte{s}, 32))
	}
	k, err := sso.NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// app is the sandbox and an app built only from this package's handlers,
// each on its own loopback server.
type app struct {
	sb      *sandbox.Sandbox
	sbURL   string
	url     string
	clock   *clock
	set     *sso.Set
	store   *sso.CookieStore
	initURL string
	checks  atomic.Int64
	logins  chan *sso.Identity
	refuse  atomic.Bool
}

func startApp(t *testing.T, opts ...sso.HandlerOption) *app {
	t.Helper()
	return startAppWith(t, nil, opts...)
}

func startAppWith(t *testing.T, svcOpts []sso.Option, opts ...sso.HandlerOption) *app {
	t.Helper()
	a := &app{clock: &clock{t: time.Now().UTC().Truncate(time.Second)}, logins: make(chan *sso.Identity, 10)}
	sbSrv := httptest.NewUnstartedServer(nil)
	appSrv := httptest.NewUnstartedServer(nil)
	a.sbURL, a.url = "http://"+sbSrv.Listener.Addr().String(), "http://"+appSrv.Listener.Addr().String()
	sb, err := sandbox.Open(t.Context(), sandbox.Config{DataDir: t.TempDir(), BaseURL: a.sbURL, Now: a.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	a.sb = sb
	if err := sb.SetAppHost(t.Context(), sandbox.DemoAppUID, a.url); err != nil {
		t.Fatal(err)
	}
	sbSrv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v1/auth/saml/") {
			a.checks.Add(1)
		}
		sb.ServeHTTP(w, r)
	})
	sbSrv.Start()
	t.Cleanup(sbSrv.Close)

	dp := sb.DevPlatform()
	reg, err := maestrano.AutoConfigure(t.Context(), maestrano.DevPlatform{Host: dp.Host, EnvKey: dp.EnvKey, EnvSecret: maestrano.Secret(dp.EnvSecret)})
	if err != nil {
		t.Fatal(err)
	}
	a.set, err = sso.NewSet(reg, append([]sso.Option{sso.WithClock(a.clock.Now)}, svcOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	keys := testKeys(t)
	a.store, err = sso.NewCookieStore(keys, sso.WithCookieClock(a.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	login := func(w http.ResponseWriter, r *http.Request, id *sso.Identity) error {
		if a.refuse.Load() {
			return &sso.RefusedError{Reason: "test refuses"}
		}
		a.logins <- id
		return nil
	}
	if err := a.set.Mount(mux, keys, a.store, login, opts...); err != nil {
		t.Fatal(err)
	}
	mw, err := sso.NewMiddleware(a.set, a.store)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("GET /{$}", mw.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := sso.FromContext(r.Context())
		if !ok {
			t.Error("no session in the context")
		}
		fmt.Fprintf(w, `<p id="uid">%s</p><p id="group">%s</p><p id="marketplace">%s</p>`, s.UserUID, s.GroupUID, s.Marketplace)
	})))
	mux.Handle("POST /logout", mw.Logout())
	appSrv.Config.Handler = mux
	appSrv.Start()
	t.Cleanup(appSrv.Close)
	svc, _ := a.set.Service(sandbox.DefaultMarketplace)
	a.initURL = svc.InitURL()
	return a
}

func (a *app) identity(t *testing.T) *sso.Identity {
	t.Helper()
	select {
	case id := <-a.logins:
		return id
	default:
		t.Fatal("the login callback was not called")
		return nil
	}
}

func cookieNamed(t *testing.T, b *flowtest.Browser, rawURL, name string) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(rawURL)
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestLoginThroughHandlers(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	b := flowtest.NewBrowser(t)

	// Without a session the page sends the browser to the init URL.
	if p := b.Get(a.url + "/"); p.Status != http.StatusSeeOther || p.Location != a.initURL {
		t.Fatalf("anonymous home: %d %s", p.Status, p.Location)
	}
	home := b.Login(a.initURL, "usr-1", "cld-2")
	if flowtest.Text(home.Body, "uid") != "usr-1" || flowtest.Text(home.Body, "group") != "cld-2" || flowtest.Text(home.Body, "marketplace") != "maestrano" {
		t.Fatalf("home: %d %s", home.Status, home.Body)
	}
	id := a.identity(t)
	if id.User.UID != "usr-1" || id.User.FirstName != "John" || id.Group.UID != "cld-2" || id.Group.Name != "Globex Ltd" || id.Membership.Role != "Member" || id.LocalUID != "usr-1" {
		t.Fatalf("identity %+v", id)
	}
	if c := cookieNamed(t, b, a.url, sso.DefaultPendingCookie); c != nil {
		t.Errorf("the spent pending cookie is still set: %v", c)
	}
	// Next requests do not ask the IdP until the recheck time.
	for range 3 {
		if p := b.Get(a.url + "/"); p.Status != http.StatusOK {
			t.Fatalf("home: %d", p.Status)
		}
	}
	if n := a.checks.Load(); n != 0 {
		t.Fatalf("%d session checks before the recheck time", n)
	}
	// After it, one check; still alive.
	a.clock.Advance(sso.DefaultRecheck + time.Second)
	if p := b.Get(a.url + "/"); p.Status != http.StatusOK || a.checks.Load() != 1 {
		t.Fatalf("after recheck: %d, %d checks", p.Status, a.checks.Load())
	}
	if p := b.Get(a.url + "/"); p.Status != http.StatusOK || a.checks.Load() != 1 {
		t.Fatalf("the new recheck time was not saved: %d, %d checks", p.Status, a.checks.Load())
	}
	// The platform ends the session: the next due request logs out locally
	// and goes through login again.
	if err := a.sb.RotateSession(t.Context(), "usr-1"); err != nil {
		t.Fatal(err)
	}
	a.clock.Advance(sso.DefaultRecheck + time.Second)
	if p := b.Get(a.url + "/"); p.Status != http.StatusSeeOther || p.Location != a.initURL {
		t.Fatalf("ended session: %d %s", p.Status, p.Location)
	}
	if p := b.Get(a.url + "/"); p.Status != http.StatusSeeOther {
		t.Fatalf("the ended session's cookie is still accepted: %d", p.Status)
	}

	// Log in again, then out.
	b.Login(a.initURL, "usr-1", "cld-1")
	a.identity(t)
	req, _ := http.NewRequest("POST", a.url+"/logout", nil)
	req.Header.Set("Origin", "http://evil.example")
	resp, err := b.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site logout: %d", resp.StatusCode)
	}
	p := b.PostForm(a.url+"/logout", nil)
	if p.Status != http.StatusSeeOther || p.Location != a.sbURL+"/app_logout?user_uid=usr-1" {
		t.Fatalf("logout: %d %s", p.Status, p.Location)
	}
	if p := b.Get(a.url + "/"); p.Status != http.StatusSeeOther {
		t.Fatalf("after logout: %d", p.Status)
	}
}

func TestInitPassesParametersAndSetsPendingCookie(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	b := flowtest.NewBrowser(t)
	p := b.Get(a.initURL + "?group_id=cld-2&lang=fr&SAMLRequest=evil&RelayState=x")
	if p.Status != http.StatusFound {
		t.Fatalf("init: %d", p.Status)
	}
	u, _ := url.Parse(p.Location)
	q := u.Query()
	if q.Get("group_id") != "cld-2" || q.Get("lang") != "fr" || q.Get("RelayState") != "" || len(q["SAMLRequest"]) != 1 || q.Get("SAMLRequest") == "evil" {
		t.Fatalf("IdP URL %s", p.Location)
	}
	resp, err := b.Client.Get(a.initURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	raw := strings.Join(resp.Header.Values("Set-Cookie"), "\n")
	for _, want := range []string{sso.DefaultPendingCookie + "=", "HttpOnly", "SameSite=None", "Secure", "Path=/"} {
		if !strings.Contains(raw, want) {
			t.Errorf("pending cookie %q lacks %s", raw, want)
		}
	}

	// WithForwardedParams keeps only the named parameters.
	a2 := startApp(t, sso.WithForwardedParams("group_id"))
	p = flowtest.NewBrowser(t).Get(a2.initURL + "?group_id=cld-2&lang=fr")
	u, _ = url.Parse(p.Location)
	if u.Query().Get("group_id") != "cld-2" || u.Query().Has("lang") {
		t.Fatalf("forwarded: %s", p.Location)
	}

	for _, c := range []struct {
		method, query string
		want          int
	}{{"POST", "", 405}, {"GET", "a=" + strings.Repeat("x", 5000), 400}, {"GET", "a=%zz", 400}} {
		req, _ := http.NewRequest(c.method, a.initURL+"?"+c.query, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s ?%.20s: %d, want %d", c.method, c.query, resp.StatusCode, c.want)
		}
	}
}

func TestConsumeRefusals(t *testing.T) {
	t.Parallel()
	a := startApp(t)
	svc, _ := a.set.Service("maestrano")
	unauthorized := svc.UnauthorizedURL()

	// A genuine response, posted by a browser that did not start the login
	// (no pending cookie): refused (InResponseTo unknown).
	b := flowtest.NewBrowser(t)
	acs, samlResponse := b.IdPResponse(a.initURL, "usr-1", "")
	other := flowtest.NewBrowser(t)
	if p := other.PostForm(acs, url.Values{"SAMLResponse": {samlResponse}}); p.Status != http.StatusSeeOther || p.Location != unauthorized {
		t.Fatalf("response without its pending login: %d %s", p.Status, p.Location)
	}
	// A pending cookie signed with another key is ignored.
	u, _ := url.Parse(a.url)
	forged := forgePending(t, b, u)
	other.Client.Jar.SetCookies(u, []*http.Cookie{forged})
	if p := other.PostForm(acs, url.Values{"SAMLResponse": {samlResponse}}); p.Status != http.StatusSeeOther || p.Location != unauthorized {
		t.Fatalf("forged pending cookie: %d %s", p.Status, p.Location)
	}
	// The browser that started it gets in, once.
	if p := b.PostForm(acs, url.Values{"SAMLResponse": {samlResponse}}); p.Status != http.StatusSeeOther || p.Location != a.url+"/" {
		t.Fatalf("genuine: %d %s %s", p.Status, p.Location, p.Body)
	}
	a.identity(t)
	if p := b.PostForm(acs, url.Values{"SAMLResponse": {samlResponse}}); p.Status != http.StatusSeeOther || p.Location != unauthorized {
		t.Fatalf("replay: %d %s", p.Status, p.Location)
	}

	// Malformed requests.
	for name, c := range map[string]struct {
		method, body string
		want         int
	}{
		"GET":             {"GET", "", 405},
		"no SAMLResponse": {"POST", "x=1", 400},
		"bad form":        {"POST", "%zz", 400},
		"too large":       {"POST", "SAMLResponse=" + strings.Repeat("A", 3<<20), 413},
		"not base64":      {"POST", "SAMLResponse=%25%25", 303},
	} {
		req, _ := http.NewRequest(c.method, acs, strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", name, resp.StatusCode, c.want)
		}
	}

	// The app refuses the user: no session is left behind.
	a.refuse.Store(true)
	b = flowtest.NewBrowser(t)
	acs, samlResponse = b.IdPResponse(a.initURL, "usr-1", "")
	resp, err := b.Client.PostForm(acs, url.Values{"SAMLResponse": {samlResponse}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != unauthorized {
		t.Fatalf("refused by the app: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, line := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, sso.DefaultSessionCookie+"=") && !strings.Contains(line, "Max-Age=0") {
			t.Fatalf("a refused login set a session cookie: %s", line)
		}
	}
	if p := b.Get(a.url + "/"); p.Status != http.StatusSeeOther {
		t.Fatalf("refused login has a session: %d", p.Status)
	}
}

// forgePending copies b's pending cookie, re-signed with another key.
func forgePending(t *testing.T, b *flowtest.Browser, u *url.URL) *http.Cookie {
	t.Helper()
	var c *http.Cookie
	for _, ck := range b.Client.Jar.Cookies(u) {
		if ck.Name == sso.DefaultPendingCookie {
			c = ck
		}
	}
	if c == nil {
		t.Fatal("no pending cookie")
	}
	payload, _, _ := strings.Cut(c.Value, ".")
	return &http.Cookie{Name: c.Name, Value: payload + "." + base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))}
}

func TestMountRoutesSharedPathsByQuery(t *testing.T) {
	t.Parallel()
	idp := "https://hub.example.com"
	mk := func(name string) *sso.Service {
		mp := marketplace(t, idp)
		mp.Name = name
		mp.SSO.InitPath, mp.SSO.ConsumePath = "/maestrano/init/?marketplace="+name, "/maestrano/consume/?marketplace="+name
		svc, err := sso.New(mp)
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	set, err := sso.NewSetOf(mk("a"), mk("b"))
	if err != nil {
		t.Fatal(err)
	}
	store, _ := sso.NewCookieStore(testKeys(t))
	login := func(http.ResponseWriter, *http.Request, *sso.Identity) error { return nil }
	mux := http.NewServeMux()
	if err := set.Mount(mux, testKeys(t), store, login); err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]int{"/maestrano/init/?marketplace=a": 302, "/maestrano/init/?marketplace=b&group_id=cld-1": 302, "/maestrano/init/?marketplace=c": 404, "/maestrano/init/": 404} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != want {
			t.Errorf("%s: %d, want %d", target, rec.Code, want)
		}
		if want == 302 {
			loc, _ := url.Parse(rec.Header().Get("Location"))
			if loc.Query().Get("marketplace") != strings.TrimPrefix(strings.SplitN(target, "&", 2)[0], "/maestrano/init/?marketplace=") {
				t.Errorf("%s went to %s", target, loc)
			}
		}
	}
	if _, err := sso.NewSetOf(mk("a"), mk("a")); err == nil {
		t.Error("the same marketplace twice accepted")
	}
	// Conflicts are errors, not panics.
	dup := mk("c")
	mp := marketplace(t, idp)
	mp.Name = "d"
	mp.SSO.InitPath, mp.SSO.ConsumePath = dup.InitPath(), dup.ConsumePath()
	svcD, _ := sso.New(mp)
	clash, _ := sso.NewSetOf(dup, svcD)
	if err := clash.Mount(http.NewServeMux(), testKeys(t), store, login); err == nil || !strings.Contains(err.Error(), "already claimed") {
		t.Errorf("two marketplaces on one URL: %v", err)
	}
	if err := set.Mount(mux, testKeys(t), store, login); err == nil {
		t.Error("mounting twice on one mux: no error")
	}
	if _, err := sso.NewHandlers(dup, nil, store, login); err == nil {
		t.Error("NewHandlers without keys accepted")
	}
}

func TestConsumerHostAndUIDMode(t *testing.T) {
	t.Parallel()
	mp := marketplace(t, "https://hub.example.com")
	svc, err := sso.New(mp, sso.WithConsumerHost("https://consume.example.com/"), sso.WithUIDMode(sso.VirtualUIDs))
	if err != nil {
		t.Fatal(err)
	}
	if got := svc.ACSURL(); got != "https://consume.example.com/maestrano/auth/saml/consume/maestrano" {
		t.Fatalf("ACS %s", got)
	}
	if svc.InitURL() != "https://app.example.com/maestrano/auth/saml/init/maestrano" {
		t.Fatalf("init %s", svc.InitURL())
	}
	for _, bad := range []string{"consume.example.com", "https://x.example.com/path", "ftp://x", "https://x?y=1"} {
		if _, err := sso.New(mp, sso.WithConsumerHost(bad)); err == nil {
			t.Errorf("consumer host %q accepted", bad)
		}
	}
	if _, err := sso.New(mp, sso.WithUIDMode(7)); err == nil {
		t.Error("unknown uid mode accepted")
	}
}

func TestVirtualUIDLogin(t *testing.T) {
	t.Parallel()
	a := startAppWith(t, []sso.Option{sso.WithUIDMode(sso.VirtualUIDs)})
	b := flowtest.NewBrowser(t)
	if p := b.Login(a.initURL, "usr-1", "cld-1"); p.Status != http.StatusOK {
		t.Fatalf("home %d", p.Status)
	}
	id := a.identity(t)
	if id.LocalUID != "usr-1.cld-1" || id.Membership.UserUID != "usr-1.cld-1" || !strings.HasPrefix(id.LocalEmail, "usr-1.cld-1@") || id.Session.UserUID != "usr-1" {
		t.Fatalf("virtual identity %+v", id)
	}
}
