package sandbox_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/sandbox"

	"github.com/chromedp/chromedp"
)

// chromium returns the path of Debian's Chromium; without it the test is
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
	t.Skip("chromium not installed")
	return ""
}

// TestAdminEditInBrowser edits a group, adds a member and invoices a bill
// in a real browser, by plain form submissions (the pages have no scripts;
// TestAdminEditPages checks that).
func TestAdminEditInBrowser(t *testing.T) {
	e := setupWorld(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)), chromedp.UserDataDir(t.TempDir()), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })

	const addForm = `//form[.//button[starts-with(., "Add")]]`
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(e.srv.URL + "/admin"),
		chromedp.Click(`//nav/a[.="Groups"]`, chromedp.NodeVisible),
		chromedp.Click(`//a[code="cld-2"]`, chromedp.NodeVisible),
		chromedp.SetValue(`//input[@name="name"]`, "Globex Corporation"),
		chromedp.Click(`//button[.="Save group"]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`//h1[contains(., "Globex Corporation")]`),
		chromedp.SetValue(addForm+`//select[@name="user"]`, "usr-2"),
		chromedp.SetValue(addForm+`//select[@name="role"]`, "Super Admin"),
		chromedp.Click(addForm+`//button`, chromedp.NodeVisible),
		chromedp.WaitVisible(`//a[code="usr-2"]`),
	}
	for i, st := range steps {
		if err := chromedp.Do(ctx, st); err != nil {
			t.Fatalf("edit group in the browser, step %d: %v", i, err)
		}
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(`//h1`))
	if err != nil {
		t.Fatal(err)
	}
	members, err := chromedp.Run(ctx, chromedp.Text(`//h2[.="Members"]/following-sibling::table[1]`))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(`//nav/a[.="Bills"]`, chromedp.NodeVisible),
		chromedp.Click(`//form[@action="/admin/bills/bill-1/invoice"]/button`, chromedp.NodeVisible),
		// The Bills heading is already on the page before the POST answers:
		// wait for the row to change instead.
		chromedp.WaitVisible(`//tr[td/code="bill-1"][contains(., "invoiced")]`),
	)
	if err != nil {
		t.Fatalf("invoice in the browser: %v", err)
	}
	bills, err := chromedp.Run(ctx, chromedp.Text(`//tr[td/code="bill-1"]`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(heading, "Globex Corporation") {
		t.Errorf("heading %q", heading)
	}
	if !strings.Contains(members, "Jane Roe") {
		t.Errorf("members %q", members)
	}
	if !strings.Contains(bills, "invoiced") {
		t.Errorf("bill-1 row %q", bills)
	}
	_, env := e.call(t, "GET", "/api/v1/account/users?group_id=cld-2", app1, "", "")
	if got := ids(data[[]sandbox.AccountUser](t, env), func(u sandbox.AccountUser) string { return u.ID }); got != "usr-1,usr-2" {
		t.Errorf("cld-2 users %s", got)
	}
}
