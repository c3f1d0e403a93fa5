package demo_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// screenshot saves a full-page PNG of the current page as name.png in the
// directory named by MNO_SCREENSHOTS (relative paths are taken from the
// module root, so MNO_SCREENSHOTS=docs/screenshots refreshes the README's
// pictures). Without the variable it does nothing: normal test runs do not
// write into the tree.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("MNO_SCREENSHOTS")
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", dir) // tests run in demo/
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// clickLogin logs in by clicking: the app's login button, then the user
// and group on the sandbox IdP's picker.
func clickLogin(t *testing.T, ctx context.Context, p *platform, who string) {
	t.Helper()
	pick := `//a[contains(., "` + who + `")]`
	if err := chromedp.Do(ctx,
		chromedp.Navigate(p.appURL+"/"),
		chromedp.Click(`a.login`, chromedp.NodeVisible),
		chromedp.WaitVisible(pick),
		chromedp.Click(pick, chromedp.NodeVisible),
		chromedp.WaitVisible(`#user-uid`),
	); err != nil {
		t.Fatalf("login as %s in the browser: %v", who, err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	got, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return strings.TrimSpace(got)
}

// TestBrowserDashboard: the dashboard shows the user, the group, the role,
// the end of the free trial and the currency; the events page is reachable
// from the navigation.
func TestBrowserDashboard(t *testing.T) {
	p := start(t)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1100, 800)); err != nil {
		t.Fatal(err)
	}
	clickLogin(t, ctx, p, "Jane Roe")
	for sel, want := range map[string]string{"#user-name": "Jane Roe", "#group-name": "Acme Corp", "#role": "Power User", "#currency": "USD"} {
		if got := text(t, ctx, sel); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	trialEnd := p.clock.Now().AddDate(0, 1, 0).Format("2 January 2006")
	if got := text(t, ctx, "#free-trial-end"); got != trialEnd {
		t.Errorf("free trial end %q, want %q", got, trialEnd)
	}
	screenshot(t, ctx, "dashboard")
	if err := chromedp.Do(ctx,
		chromedp.Click(`//nav//a[text()="Events"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`//h1[text()="Events"]`),
	); err != nil {
		t.Fatalf("events page: %v", err)
	}
	screenshot(t, ctx, "events")
}

// TestBrowserSessionRotation: the sandbox admin rotates the user's SSO
// session; once the recheck interval has passed, the app's next page sends
// the browser back through login (the IdP's user picker).
func TestBrowserSessionRotation(t *testing.T) {
	p := start(t)
	ctx := newBrowser(t)
	clickLogin(t, ctx, p, "John Doe — Acme Corp")

	rotate := `form[action="/admin/users/usr-1/rotate_session"] button`
	if err := chromedp.Do(ctx,
		chromedp.Navigate(p.sbURL+"/admin"),
		chromedp.WaitVisible(chromedp.CSS(rotate)),
	); err != nil {
		t.Fatalf("sandbox admin: %v", err)
	}
	clickAndWaitForNewPage(t, ctx, chromedp.CSS(rotate))
	// Before the recheck time the app does not ask, and still shows the user.
	if err := chromedp.Do(ctx, chromedp.Navigate(p.appURL+"/"), chromedp.WaitVisible(`#user-uid`)); err != nil {
		t.Fatalf("before the recheck: %v", err)
	}
	p.clock.Advance(4 * time.Minute) // past the sandbox's 3-minute recheck
	if err := chromedp.Do(ctx, chromedp.Navigate(p.appURL+"/"), chromedp.WaitVisible(`//h1[contains(., "Log in to")]`)); err != nil {
		t.Fatalf("after the recheck the browser did not go back to login: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(loc, p.sbURL+"/api/v1/auth/saml?") {
		t.Fatalf("browser at %s, want the sandbox IdP", loc)
	}
}

// TestBrowserBilling: an admin creates a bill with the form and cancels it
// with its button.
func TestBrowserBilling(t *testing.T) {
	p := start(t)
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1100, 900)); err != nil {
		t.Fatal(err)
	}
	clickLogin(t, ctx, p, "John Doe — Acme Corp")
	if err := chromedp.Do(ctx,
		chromedp.Click(`//nav//a[text()="Billing"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`#no-bills`),
		chromedp.SendKeys(`#bill-description`, "Extra storage"),
		chromedp.SendKeys(`#bill-amount`, "12.50"),
		chromedp.Click(`#create-bill`, chromedp.NodeVisible),
		chromedp.WaitVisible(`#billing-notice`),
	); err != nil {
		t.Fatalf("create a bill in the browser: %v", err)
	}
	notice := text(t, ctx, "#billing-notice")
	id, _, ok := strings.Cut(strings.TrimPrefix(notice, "Bill "), " submitted")
	if !ok || !strings.HasPrefix(id, "bill-") {
		t.Fatalf("notice %q", notice)
	}
	row := `//tr[@data-id="` + id + `"]`
	if got := text(t, ctx, row+`/td[@class="status"]`); got != "submitted" {
		t.Fatalf("status %q, want submitted", got)
	}
	screenshot(t, ctx, "billing")
	if err := chromedp.Do(ctx,
		chromedp.Click(row+`//button[contains(@class, "cancel")]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`//p[@id="billing-notice" and contains(., "cancelled")]`),
	); err != nil {
		t.Fatalf("cancel the bill in the browser: %v", err)
	}
	if got := text(t, ctx, row+`/td[@class="status"]`); got != "cancelled" {
		t.Fatalf("status %q after cancel, want cancelled", got)
	}
}

// clickAndWaitForNewPage clicks sel (a form button) and waits until the
// browser shows the next document, even when it looks like the old one (a
// POST that redirects back to the same page).
func clickAndWaitForNewPage(t *testing.T, ctx context.Context, sel chromedp.CSS) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__oldPage = true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(sel, chromedp.NodeVisible)); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
	for ctx.Err() == nil {
		old, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__oldPage === true || document.readyState !== "complete"`))
		if err == nil && !old {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no new page after clicking %s", sel)
}
