package demo_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium returns the path of Debian's Chromium. Without it the test is
// skipped, unless CI or MNO_REQUIRE_BROWSER is set (.ci/run sets both).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("MNO_REQUIRE_BROWSER") != "" || os.Getenv("CI") != "" {
		t.Fatal("CI or MNO_REQUIRE_BROWSER is set but no chromium is installed (apt-get install chromium)")
	}
	t.Skip("chromium not installed; apt-get install chromium to run the browser test")
	return ""
}

func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// TestBrowserLogin is the newcomer's path in a real browser: open the demo
// app, click "Log in with Maestrano", pick John Doe in Acme Corp on the
// sandbox IdP page, land back logged in; then log out.
func TestBrowserLogin(t *testing.T) {
	t.Run("same site", func(t *testing.T) { browserLogin(t, start(t)) })
	// In production the IdP is on another site than the app: the IdP's
	// form POST is then cross-site, and only a SameSite=None cookie can
	// carry the pending request back.
	t.Run("cross site", func(t *testing.T) { browserLogin(t, startOn(t, "127.0.0.2")) })
}

func browserLogin(t *testing.T, p *platform) {
	ctx := newBrowser(t)

	const johnInAcme = `//a[contains(., "John Doe") and contains(., "Acme Corp")]`
	err := chromedp.Do(ctx,
		chromedp.Navigate(p.appURL+"/"),
		chromedp.Click(`a.login`, chromedp.NodeVisible),
		chromedp.WaitVisible(johnInAcme),
		chromedp.Click(johnInAcme, chromedp.NodeVisible),
		chromedp.WaitVisible(`#user-uid`),
	)
	if err != nil {
		t.Fatalf("login in the browser: %v", err)
	}
	want := map[string]string{"#user-name": "John Doe", "#user-uid": "usr-1", "#group-name": "Acme Corp", "#group-uid": "cld-1", "#role": "Admin"}
	for sel, w := range want {
		got, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		if strings.TrimSpace(got) != w {
			t.Errorf("home page %s shows %q, want %q", sel, got, w)
		}
	}
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if url != p.appURL+"/" {
		t.Errorf("landed on %s, want %s/", url, p.appURL)
	}

	if err := chromedp.Do(ctx, chromedp.Click(`#logout`, chromedp.NodeVisible), chromedp.WaitVisible(`//h1[contains(., "logged out")]`)); err != nil {
		t.Fatalf("logout in the browser: %v", err)
	}
	if url, err = chromedp.Run(ctx, chromedp.Location()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, p.sbURL+"/app_logout?user_uid=usr-1") {
		t.Errorf("after logout the browser is at %s, want the sandbox logout page", url)
	}
}
