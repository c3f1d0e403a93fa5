package demo_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/maestrano-go/maestrano/sandbox"
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
	// Quality 100 makes Chromium encode PNG (anything less is JPEG).
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("screenshot %s is not a PNG", name)
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

// TestBrowserConnecNotification: John adds an organization with the data
// page's form; then, in another tab, the sandbox admin creates one as the
// other app of the group (Books); the Connec! notification reaches the demo
// app and its data page shows it without a reload (static/live.js polls).
func TestBrowserConnecNotification(t *testing.T) {
	p := startSeeded(t, "testdata/demo/another-app/seed.yaml")
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1100, 900)); err != nil {
		t.Fatal(err)
	}
	clickLogin(t, ctx, p, "John Doe — Acme Corp")
	if err := chromedp.Do(ctx,
		chromedp.Click(`//nav//a[text()="Data"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`#no-notifications`),
		chromedp.SendKeys(`#org-name`, "Acme Widgets"),
		chromedp.SendKeys(`#email`, "sales@widgets.example"),
		chromedp.Click(`#create-entity`, chromedp.NodeVisible),
		chromedp.WaitVisible(`#data-notice`),
	); err != nil {
		t.Fatalf("add an organization in the browser: %v", err)
	}
	if got := text(t, ctx, "#data-notice"); !strings.HasPrefix(got, "Added Acme Widgets to Connec!") {
		t.Fatalf("notice %q", got)
	}
	if got := text(t, ctx, `//tr[@class="entity"]/td[@class="name"]`); got != "Acme Widgets" {
		t.Fatalf("listed %q", got)
	}

	// The sandbox admin, in a second tab, writes as Books (app-2).
	admin, cancel := chromedp.NewContext(ctx)
	defer cancel()
	create := `form[method="post"][action="/admin/connec"]`
	if err := chromedp.Do(admin,
		chromedp.Navigate(p.sbURL+"/admin/connec?group=cld-1&collection=organizations"),
		chromedp.WaitVisible(chromedp.CSS(create+` textarea[name="json"]`)),
		chromedp.SetValue(chromedp.CSS(create+` select[name="origin"]`), "app-2"),
		chromedp.SetValue(chromedp.CSS(create+` textarea[name="json"]`), `{"name": "Books Customer Ltd", "is_customer": true}`),
		chromedp.Click(chromedp.CSS(create+` button[type="submit"]`), chromedp.NodeVisible),
		chromedp.WaitVisible(`//pre[contains(., "Books Customer Ltd")]`),
	); err != nil {
		t.Fatalf("sandbox admin: create as another app: %v", err)
	}
	// The sandbox gathers a group's changes for a short window before it
	// sends the notification; its clock is the test's.
	p.clock.Advance(sandbox.DefaultCoalesceWindow + time.Second)

	arrived := `//li[@class="notification"]/span[@class="name" and text()="Books Customer Ltd"]`
	if err := chromedp.Do(ctx, chromedp.WaitVisible(arrived)); err != nil {
		t.Fatalf("the notification did not show on the data page: %v", err)
	}
	// It came by the script, not by a reload: the notice of the form is
	// still there.
	if got := text(t, ctx, "#data-notice"); !strings.HasPrefix(got, "Added Acme Widgets") {
		t.Fatalf("the page was reloaded (notice %q)", got)
	}
	screenshot(t, ctx, "data")
	// The demo app's own write was not sent back to it.
	if got := text(t, ctx, "#notifications"); strings.Contains(got, "Acme Widgets") {
		t.Errorf("the app was notified of its own write: %q", got)
	}
}

// TestBrowserMemberRemoved: the sandbox admin removes John from Acme Corp
// on /admin/webhooks; the account webhook reaches the demo app, which
// refuses John's next request.
func TestBrowserMemberRemoved(t *testing.T) {
	p := start(t)
	ctx := newBrowser(t)
	clickLogin(t, ctx, p, "John Doe — Acme Corp")
	remove := `form[action="/admin/groups/cld-1/users/usr-1/remove"] button`
	if err := chromedp.Do(ctx,
		chromedp.Navigate(p.sbURL+"/admin/webhooks"),
		chromedp.WaitVisible(chromedp.CSS(remove)),
		chromedp.Click(chromedp.CSS(remove), chromedp.NodeVisible),
		chromedp.WaitNotPresent(chromedp.CSS(remove)),
	); err != nil {
		t.Fatalf("sandbox admin: remove member: %v", err)
	}
	// Wait until the sandbox has delivered the webhook to the app.
	delivered := `//tr[contains(., "account.group_user.removed")]/td[contains(@class, "state-delivered")]`
	for {
		if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitReady(chromedp.CSS(`body`))); err != nil {
			t.Fatalf("waiting for the delivery: %v", err)
		}
		n, err := chromedp.Run(ctx, chromedp.Evaluate[float64](
			`document.evaluate('count(`+delivered+`)', document, null, XPathResult.NUMBER_TYPE, null).numberValue`))
		if err != nil {
			t.Fatalf("waiting for the delivery: %v", err)
		}
		if n > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(p.appURL+"/"),
		chromedp.WaitVisible(`#error-title`),
	); err != nil {
		t.Fatalf("next request: %v", err)
	}
	if got := text(t, ctx, "#error-title"); got != "Access removed" {
		t.Fatalf("title %q, want Access removed", got)
	}
	if got := text(t, ctx, "#error-message"); !strings.Contains(got, "no longer a member of Acme Corp") {
		t.Errorf("message %q", got)
	}
	// The session is gone: the app now offers to log in.
	if err := chromedp.Do(ctx, chromedp.Navigate(p.appURL+"/"), chromedp.WaitVisible(`a.login`)); err != nil {
		t.Fatalf("after the refusal: %v", err)
	}
}
