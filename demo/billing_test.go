package demo_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/maestrano-go/maestrano/account"
	"github.com/maestrano-go/maestrano/internal/flowtest"
	"github.com/maestrano-go/maestrano/sandbox"
)

// billStatus reads the status cell of a bill's row on the billing page.
func billStatus(body, id string) string {
	re := regexp.MustCompile(`data-id="` + regexp.QuoteMeta(id) + `"[\s\S]*?<td class="status">([^<]*)</td>`)
	if m := re.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

func TestBilling(t *testing.T) {
	t.Parallel()
	p := start(t)
	b := flowtest.NewBrowser(t)
	home := b.Login(p.initURL, "usr-1", "cld-1")
	token := flowtest.Field(home.Body, "csrf_token")
	post := func(path string, vals url.Values) flowtest.Page {
		t.Helper()
		if vals == nil {
			vals = url.Values{}
		}
		vals.Set("csrf_token", token)
		return b.PostForm(p.appURL+path, vals)
	}

	page := b.Get(p.appURL + "/billing")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, `id="no-bills"`) {
		t.Fatalf("billing page: status %d; %.1500s", page.Status, page.Body)
	}
	created := post("/billing/bills", url.Values{"description": {"Extra storage"}, "amount": {"12.5"}})
	if created.Status != http.StatusSeeOther || created.Location != p.appURL+"/billing" {
		t.Fatalf("create: status %d location %q; %.1500s", created.Status, created.Location, created.Body)
	}
	page = b.Get(p.appURL + "/billing")
	notice := flowtest.Text(page.Body, "billing-notice")
	m := regexp.MustCompile(`Bill (bill-\d+) submitted: 12\.50 USD for Extra storage\.`).FindStringSubmatch(notice)
	if m == nil {
		t.Fatalf("notice %q; page %.2000s", notice, page.Body)
	}
	id := m[1]
	if got := billStatus(page.Body, id); got != "submitted" {
		t.Fatalf("bill %s status %q, want submitted", id, got)
	}
	// The notice shows once.
	if again := b.Get(p.appURL + "/billing"); flowtest.Text(again.Body, "billing-notice") != "" {
		t.Error("the notice shows twice")
	}

	cancelled := post("/billing/bills/"+id+"/cancel", nil)
	if cancelled.Status != http.StatusSeeOther {
		t.Fatalf("cancel: status %d; %.1500s", cancelled.Status, cancelled.Body)
	}
	page = b.Get(p.appURL + "/billing")
	if got := billStatus(page.Body, id); got != "cancelled" {
		t.Fatalf("after cancel, bill %s status %q", id, got)
	}

	// Errors are shown on the page, with the form kept.
	for name, c := range map[string]struct {
		vals   url.Values
		status int
		want   string
	}{
		"bad amount":     {url.Values{"description": {"X"}, "amount": {"12,50"}}, http.StatusUnprocessableEntity, "at most two decimals"},
		"zero amount":    {url.Values{"description": {"X"}, "amount": {"0"}}, http.StatusUnprocessableEntity, "greater than zero"},
		"no description": {url.Values{"description": {""}, "amount": {"3"}}, http.StatusUnprocessableEntity, "description"},
		"cancel unknown": {nil, http.StatusNotFound, "no such bill"},
	} {
		path := "/billing/bills"
		if c.vals == nil {
			path = "/billing/bills/bill-999/cancel"
		}
		page := post(path, c.vals)
		if page.Status != c.status || !strings.Contains(page.Body, `id="billing-error"`) || !strings.Contains(page.Body, c.want) {
			t.Errorf("%s: status %d, want %d and %q on the page; %.2500s", name, page.Status, c.status, c.want, page.Body)
		}
	}

	// A bill of another group cannot be cancelled from this group, though
	// the app's credentials could.
	mp, _ := p.reg.Get(sandbox.DefaultMarketplace)
	ac, err := account.New(mp)
	if err != nil {
		t.Fatal(err)
	}
	other, err := ac.Bills.Create(t.Context(), account.BillRequest{GroupID: "cld-2", PriceCents: 100, Description: "Globex's"})
	if err != nil {
		t.Fatal(err)
	}
	if page := post("/billing/bills/"+other.ID+"/cancel", nil); page.Status != http.StatusNotFound {
		t.Fatalf("cancelling another group's bill: status %d, want 404", page.Status)
	}
	if got, err := ac.Bills.Get(t.Context(), other.ID); err != nil || got.Status != account.BillSubmitted {
		t.Fatalf("the other group's bill: %+v, %v", got, err)
	}
	if page := b.Get(p.appURL + "/billing"); strings.Contains(page.Body, other.ID) {
		t.Error("the billing page lists another group's bill")
	}

	// Without the CSRF token nothing is created.
	if page := b.PostForm(p.appURL+"/billing/bills", url.Values{"description": {"CSRF"}, "amount": {"1"}}); page.Status != http.StatusForbidden {
		t.Fatalf("create without token: status %d", page.Status)
	}
}

func TestRecurringBilling(t *testing.T) {
	t.Parallel()
	p := start(t)
	b := flowtest.NewBrowser(t)
	token := flowtest.Field(b.Login(p.initURL, "usr-1", "cld-1").Body, "csrf_token")
	page := b.PostForm(p.appURL+"/billing/recurring_bills", url.Values{"csrf_token": {token}, "description": {"Pro plan"}, "amount": {"9.99"}, "period": {"month"}})
	if page.Status != http.StatusSeeOther {
		t.Fatalf("create: status %d; %.1500s", page.Status, page.Body)
	}
	page = b.Get(p.appURL + "/billing")
	m := regexp.MustCompile(`Recurring bill (rbill-\d+) submitted: 9\.99 USD every month\.`).FindStringSubmatch(flowtest.Text(page.Body, "billing-notice"))
	if m == nil {
		t.Fatalf("notice %q", flowtest.Text(page.Body, "billing-notice"))
	}
	if page := b.PostForm(p.appURL+"/billing/recurring_bills/"+m[1]+"/cancel", url.Values{"csrf_token": {token}}); page.Status != http.StatusSeeOther {
		t.Fatalf("cancel: status %d; %.1500s", page.Status, page.Body)
	}
	if got := billStatus(b.Get(p.appURL+"/billing").Body, m[1]); got != "cancelled" {
		t.Fatalf("status %q after cancel", got)
	}
	bad := b.PostForm(p.appURL+"/billing/recurring_bills", url.Values{"csrf_token": {token}, "description": {"X"}, "amount": {"1"}, "period": {"fortnight"}})
	if bad.Status != http.StatusUnprocessableEntity || !strings.Contains(bad.Body, "choose a period") {
		t.Fatalf("bad period: status %d", bad.Status)
	}
}

// A Power User sees the bills but may not charge or cancel.
func TestBillingAdminsOnly(t *testing.T) {
	t.Parallel()
	p := start(t)
	b := flowtest.NewBrowser(t)
	token := flowtest.Field(b.Login(p.initURL, "usr-2", "").Body, "csrf_token")
	page := b.Get(p.appURL + "/billing")
	if page.Status != http.StatusOK || strings.Contains(page.Body, `id="new-bill"`) || !strings.Contains(page.Body, `id="billing-admins-only"`) {
		t.Fatalf("status %d; the form shows to a Power User: %.1500s", page.Status, page.Body)
	}
	if page := b.PostForm(p.appURL+"/billing/bills", url.Values{"csrf_token": {token}, "description": {"X"}, "amount": {"1"}}); page.Status != http.StatusForbidden {
		t.Fatalf("create as Power User: status %d", page.Status)
	}
}
