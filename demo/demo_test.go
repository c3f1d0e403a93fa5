package demo_test

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/demo"
	"github.com/maestrano-go/maestrano/internal/flowtest"
	"github.com/maestrano-go/maestrano/sandbox"
)

// clock is a settable clock shared by the sandbox and the app.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// platform is a sandbox and the demo app, each on its own loopback server,
// wired through the developer-platform configuration.
type platform struct {
	sb      *sandbox.Sandbox
	sbDir   string // the sandbox's data directory
	sbSrv   *httptest.Server
	sbURL   string
	appURL  string
	initURL string
	clock   *clock
	app     *demo.App
	reg     *maestrano.Registry
	// checks counts session-check calls the sandbox received.
	checks atomic.Int64
	// failChecks makes the session check answer 503, as a platform that is down.
	failChecks atomic.Bool
	// logs holds what the app logged (debug and up).
	logs *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func start(t *testing.T) *platform { return startWith(t, "", "") }

// startOn runs the sandbox on sandboxHost ("" for 127.0.0.1). Another
// loopback address, such as 127.0.0.2, is another site for the browser.
func startOn(t *testing.T, sandboxHost string) *platform { return startWith(t, sandboxHost, "") }

// startSeeded starts the sandbox on the world of a seed file (the demo
// app must be app-1 of the first environment).
func startSeeded(t *testing.T, seedFile string) *platform { return startWith(t, "", seedFile) }

func startWith(t *testing.T, sandboxHost, seedFile string) *platform {
	t.Helper()
	p := &platform{clock: &clock{t: time.Now().UTC().Truncate(time.Second)}}
	sbSrv := httptest.NewUnstartedServer(nil)
	if sandboxHost != "" {
		ln, err := net.Listen("tcp", net.JoinHostPort(sandboxHost, "0"))
		if err != nil {
			t.Fatal(err)
		}
		sbSrv.Listener.Close()
		sbSrv.Listener = ln
	}
	appSrv := httptest.NewUnstartedServer(nil)
	p.sbURL = "http://" + sbSrv.Listener.Addr().String()
	p.appURL = "http://" + appSrv.Listener.Addr().String()

	p.sbDir = t.TempDir()
	sb, err := sandbox.Open(t.Context(), sandbox.Config{DataDir: p.sbDir, BaseURL: p.sbURL, Now: p.clock.Now, SeedFile: seedFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	p.sb = sb
	p.sbSrv = sbSrv
	if err := sb.SetAppHost(t.Context(), sandbox.DemoAppUID, p.appURL); err != nil {
		t.Fatal(err)
	}
	sbSrv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/v1/auth/saml/") {
			p.checks.Add(1)
			if p.failChecks.Load() {
				http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
				return
			}
		}
		sb.ServeHTTP(w, r)
	})
	sbSrv.Start()
	t.Cleanup(sbSrv.Close)

	dp := sb.DevPlatform()
	reg, err := maestrano.AutoConfigure(t.Context(), maestrano.DevPlatform{
		Host: dp.Host, APIPath: dp.APIPath, EnvKey: dp.EnvKey, EnvSecret: maestrano.Secret(dp.EnvSecret),
	})
	if err != nil {
		t.Fatal(err)
	}
	p.logs = &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(p.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	app, err := demo.New(t.Context(), reg, demo.WithClock(p.clock.Now), demo.WithDataDir(t.TempDir()), demo.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	p.app = app
	p.reg = reg
	appSrv.Config.Handler = app
	appSrv.Start()
	t.Cleanup(appSrv.Close)
	mp, _ := reg.Get(sandbox.DefaultMarketplace)
	p.initURL = maestrano.JoinURL(mp.SSO.IDM, mp.SSO.InitPath)
	return p
}

func wantIdentity(t *testing.T, page flowtest.Page, want map[string]string) {
	t.Helper()
	if page.Status != http.StatusOK {
		t.Fatalf("home: status %d; body %.400s", page.Status, page.Body)
	}
	for id, v := range want {
		if got := flowtest.Text(page.Body, id); got != v {
			t.Errorf("home page %s = %q, want %q", id, got, v)
		}
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	p := start(t)
	b := flowtest.NewBrowser(t)

	home := b.Get(p.appURL + "/")
	if !strings.Contains(home.Body, "Log in with Maestrano") || !strings.Contains(home.Body, p.initURL) {
		t.Fatalf("logged-out home page has no login link to %s: %.400s", p.initURL, home.Body)
	}
	wantIdentity(t, b.Login(p.initURL, "usr-1", ""), map[string]string{
		"user-name": "John Doe", "user-email": "john.doe@example.com", "user-uid": "usr-1",
		"group-name": "Acme Corp", "group-uid": "cld-1", "role": "Admin", "marketplace": "maestrano",
	})
}

func TestLoginChoosesGroup(t *testing.T) {
	t.Parallel()
	p := start(t)
	cases := []struct{ user, group, groupName, role string }{
		{"usr-1", "cld-2", "Globex Ltd", "Member"},
		{"usr-2", "", "Acme Corp", "Power User"},
		{"usr-3", "", "Globex Ltd", "Super Admin"},
	}
	for _, c := range cases {
		b := flowtest.NewBrowser(t)
		wantIdentity(t, b.Login(p.initURL, c.user, c.group), map[string]string{
			"user-uid": c.user, "group-name": c.groupName, "role": c.role,
		})
	}
}

func TestGroupIDPassesThroughInit(t *testing.T) {
	t.Parallel()
	p := start(t)
	b := flowtest.NewBrowser(t)
	// The platform launches the app with ?group_id=…; the app passes it on.
	acs, resp := b.IdPResponse(p.initURL+"?group_id=cld-2", "usr-1", "")
	got := b.PostForm(acs, url.Values{"SAMLResponse": {resp}})
	wantIdentity(t, b.Get(got.Location), map[string]string{"group-uid": "cld-2", "role": "Member"})
}

func TestTamperedResponseIsRefused(t *testing.T) {
	t.Parallel()
	p := start(t)
	cases := []struct {
		name       string
		old, new   string
		wantStatus int
		wantMsg    string
	}{
		{"role raised", `<saml:AttributeValue>Admin</saml:AttributeValue>`, `<saml:AttributeValue>Super Admin</saml:AttributeValue>`,
			http.StatusUnauthorized, "The login could not be verified."},
		{"other user", `>usr-1<`, `>usr-3<`, http.StatusUnauthorized, "The login could not be verified."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := flowtest.NewBrowser(t)
			acs, resp := b.IdPResponse(p.initURL, "usr-1", "")
			xml, err := base64.StdEncoding.DecodeString(resp)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(xml, []byte(c.old)) {
				t.Fatalf("response has no %q to tamper with", c.old)
			}
			tampered := base64.StdEncoding.EncodeToString(bytes.Replace(xml, []byte(c.old), []byte(c.new), 1))
			page := b.PostForm(acs, url.Values{"SAMLResponse": {tampered}})
			if page.Status != c.wantStatus {
				t.Fatalf("status %d, want %d", page.Status, c.wantStatus)
			}
			if msg := flowtest.Text(page.Body, "error-message"); !strings.HasPrefix(msg, c.wantMsg) {
				t.Fatalf("message %q, want prefix %q", msg, c.wantMsg)
			}
			// The detail is for the developer: in the log, not on the page.
			if strings.Contains(page.Body, "signature") || !strings.Contains(p.logs.String(), "signature invalid") {
				t.Errorf("the detail is on the page or missing from the log:\n%s", p.logs.String())
			}
			if home := b.Get(p.appURL + "/"); flowtest.Text(home.Body, "user-uid") != "" {
				t.Fatal("a refused response logged the user in")
			}
		})
	}
}

func TestBadConsumeRequests(t *testing.T) {
	t.Parallel()
	p := start(t)
	acsURL := strings.Replace(p.initURL, "/init/", "/consume/", 1)
	cases := []struct {
		name    string
		value   string
		status  int
		wantMsg string
		wantLog string
	}{
		{"missing", "", http.StatusBadRequest, "The login request was incomplete.", "the request carries no SAMLResponse"},
		{"not base64", "%%%", http.StatusUnauthorized, "The login could not be verified.", "SAMLResponse is not base64"},
		{"not xml", base64.StdEncoding.EncodeToString([]byte("hello")), http.StatusUnauthorized, "The login could not be verified.", "malformed"},
		{"too large", strings.Repeat("A", 3<<20), http.StatusRequestEntityTooLarge, "The login form is too large.", "request body too large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := flowtest.NewBrowser(t)
			b.Get(p.initURL) // an outstanding request, so the error is about the response itself
			page := b.PostForm(acsURL, url.Values{"SAMLResponse": {c.value}})
			if page.Status != c.status {
				t.Fatalf("status %d, want %d; %.300s", page.Status, c.status, page.Body)
			}
			if msg := flowtest.Text(page.Body, "error-message"); !strings.HasPrefix(msg, c.wantMsg) {
				t.Fatalf("message %q, want prefix %q", msg, c.wantMsg)
			}
			if strings.Contains(page.Body, c.wantLog) || !strings.Contains(p.logs.String(), c.wantLog) {
				t.Errorf("%q is on the page or missing from the log", c.wantLog)
			}
		})
	}
}

func TestResponseOfAnotherBrowserIsRefused(t *testing.T) {
	t.Parallel()
	p := start(t)
	victim := flowtest.NewBrowser(t)
	acs, resp := victim.IdPResponse(p.initURL, "usr-1", "")
	// An attacker who captured the response posts it from a browser that
	// never started this login.
	attacker := flowtest.NewBrowser(t)
	page := attacker.PostForm(acs, url.Values{"SAMLResponse": {resp}})
	if page.Status != http.StatusUnauthorized || !strings.Contains(flowtest.Text(page.Body, "error-message"), "belongs to another session") {
		t.Fatalf("status %d, message %q; want 401 and the public message", page.Status, flowtest.Text(page.Body, "error-message"))
	}
	if strings.Contains(page.Body, "unsolicited") || !strings.Contains(p.logs.String(), "unsolicited") {
		t.Error("the detail is on the page or missing from the log")
	}
	// The victim still logs in with it, once.
	if got := victim.PostForm(acs, url.Values{"SAMLResponse": {resp}}); got.Status != http.StatusSeeOther {
		t.Fatalf("victim: status %d", got.Status)
	}
	victim.Get(p.initURL) // a new outstanding request
	again := victim.PostForm(acs, url.Values{"SAMLResponse": {resp}})
	if again.Status != http.StatusUnauthorized {
		t.Fatalf("replayed response: status %d, want 401", again.Status)
	}
}

func TestSessionRecheckAndRotation(t *testing.T) {
	t.Parallel()
	p := start(t)
	b := flowtest.NewBrowser(t)
	wantIdentity(t, b.Login(p.initURL, "usr-1", ""), map[string]string{"user-uid": "usr-1"})
	if n := p.checks.Load(); n != 0 {
		t.Fatalf("%d session checks right after login, want 0", n)
	}

	// Within the recheck window: no call to the IdP.
	p.clock.Advance(2 * time.Minute)
	wantIdentity(t, b.Get(p.appURL+"/"), map[string]string{"user-uid": "usr-1"})
	if n := p.checks.Load(); n != 0 {
		t.Fatalf("%d session checks before the recheck time, want 0", n)
	}

	// Past it: one call, the session is still alive, and the new recheck
	// time holds off the next call.
	p.clock.Advance(2 * time.Minute)
	wantIdentity(t, b.Get(p.appURL+"/"), map[string]string{"user-uid": "usr-1"})
	wantIdentity(t, b.Get(p.appURL+"/"), map[string]string{"user-uid": "usr-1"})
	if n := p.checks.Load(); n != 1 {
		t.Fatalf("%d session checks after the recheck time, want 1", n)
	}

	// The platform ends the session (HTTP endpoint, as a script would).
	dp := p.sb.DevPlatform()
	req, _ := http.NewRequest(http.MethodPost, p.sbURL+"/api/sandbox/v1/users/usr-1/rotate_session", nil)
	req.SetBasicAuth(dp.EnvKey, dp.EnvSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("rotate: status %d", resp.StatusCode)
	}
	p.clock.Advance(4 * time.Minute)
	page := b.Get(p.appURL + "/")
	if page.Status != http.StatusSeeOther || page.Location != p.initURL {
		t.Fatalf("after rotation: status %d location %q, want 303 to %s", page.Status, page.Location, p.initURL)
	}
	if n := p.checks.Load(); n != 2 {
		t.Fatalf("%d session checks, want 2", n)
	}
	if home := b.Get(p.appURL + "/"); !strings.Contains(home.Body, "Log in with Maestrano") {
		t.Fatal("after rotation the app still shows the user as logged in")
	}
	// Going through login again works and gives the new session.
	wantIdentity(t, b.Login(p.initURL, "usr-1", ""), map[string]string{"user-uid": "usr-1"})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	p := start(t)
	b := flowtest.NewBrowser(t)
	home := b.Login(p.initURL, "usr-2", "")
	page := b.PostForm(p.appURL+"/logout", url.Values{"csrf_token": {flowtest.Field(home.Body, "csrf_token")}})
	want := p.sbURL + "/app_logout?user_uid=usr-2"
	if page.Status != http.StatusSeeOther || page.Location != want {
		t.Fatalf("logout: status %d location %q, want 303 to %s", page.Status, page.Location, want)
	}
	if out := b.Get(page.Location); out.Status != http.StatusOK {
		t.Fatalf("sandbox logout page: status %d", out.Status)
	}
	if home := b.Get(p.appURL + "/"); !strings.Contains(home.Body, "Log in with Maestrano") {
		t.Fatal("still logged in after logout")
	}
}

func TestLogoutRefusesCrossSite(t *testing.T) {
	t.Parallel()
	p := start(t)
	b := flowtest.NewBrowser(t)
	b.Login(p.initURL, "usr-1", "")
	for name, h := range map[string][2]string{
		"foreign Origin":           {"Origin", "http://evil.example"},
		"null Origin":              {"Origin", "null"},
		"Sec-Fetch-Site cross":     {"Sec-Fetch-Site", "cross-site"},
		"Sec-Fetch-Site same-site": {"Sec-Fetch-Site", "same-site"},
	} {
		req, _ := http.NewRequest(http.MethodPost, p.appURL+"/logout", nil)
		req.Header.Set(h[0], h[1])
		resp, err := b.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", name, resp.StatusCode)
		}
	}
	if home := b.Get(p.appURL + "/"); flowtest.Text(home.Body, "user-uid") != "usr-1" {
		t.Fatal("a refused logout logged the user out")
	}
}

// When the IdP cannot be reached at recheck time, the user is logged out
// (fail closed) and told why, rather than sent to a dead IdP.
func TestIdPUnreachableAtRecheck(t *testing.T) {
	t.Parallel()
	p := start(t)
	b := flowtest.NewBrowser(t)
	b.Login(p.initURL, "usr-1", "")
	p.failChecks.Store(true)
	p.clock.Advance(4 * time.Minute)
	page := b.Get(p.appURL + "/")
	if page.Status != http.StatusServiceUnavailable || flowtest.Text(page.Body, "error-title") != "Session not confirmed" {
		t.Fatalf("status %d title %q, want 503 Session not confirmed", page.Status, flowtest.Text(page.Body, "error-title"))
	}
	if !strings.Contains(page.Body, p.initURL) {
		t.Error("the page offers no way to log in again")
	}
	if home := b.Get(p.appURL + "/"); !strings.Contains(home.Body, "Log in with Maestrano") {
		t.Fatal("still logged in")
	}
}
