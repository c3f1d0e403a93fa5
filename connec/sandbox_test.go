package connec_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/connec"
	"github.com/maestrano-go/maestrano/saml"
	"github.com/maestrano-go/maestrano/sandbox"
	"github.com/maestrano-go/maestrano/sandbox/store"
)

// sandboxMarketplace mounts the platform sandbox in-process and returns
// the "maestrano" marketplace as the app configures it from the developer
// platform. The seeded app owns groups cld-1 and cld-2.
func sandboxMarketplace(t *testing.T) *maestrano.Marketplace {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	sb, err := sandbox.Open(t.Context(), sandbox.Config{DataDir: t.TempDir(), BaseURL: "http://" + srv.Listener.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	srv.Config.Handler = sb
	srv.Start()
	t.Cleanup(srv.Close)
	creds := sb.DevPlatform()
	reg, err := maestrano.AutoConfigure(t.Context(), maestrano.DevPlatform{Host: creds.Host, EnvKey: creds.EnvKey, EnvSecret: maestrano.Secret(creds.EnvSecret)})
	if err != nil {
		t.Fatal(err)
	}
	mp, err := reg.Get(sandbox.DefaultMarketplace)
	if err != nil {
		t.Fatal(err)
	}
	return mp
}

func sandboxClient(t *testing.T, mp *maestrano.Marketplace, group string, opts ...connec.Option) *connec.Client {
	t.Helper()
	c, err := connec.New(mp, group, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSandboxCRUD(t *testing.T) {
	t.Parallel()
	mp := sandboxMarketplace(t)
	ctx := t.Context()
	for _, base := range []string{"/api/v2", "/connec/api/v2"} {
		m := *mp
		m.Connec.BasePath = base
		c := sandboxClient(t, &m, "cld-1")

		org, err := c.Organizations().Create(ctx, connec.Organization{
			Name: "O'Brien and Sons " + base, IsCustomer: new(true), IsSupplier: new(false),
			Address: &connec.Addresses{Billing: &connec.Address{City: "Sydney", Country: "AU"}},
			Extra:   connec.Extra{"rating": json.RawMessage(`{"stars":4}`)},
		})
		if err != nil {
			t.Fatalf("%s: create: %v", base, err)
		}
		if org.ID.Connec() == "" || org.GroupID != "cld-1" {
			t.Fatalf("%s: created = %+v", base, org)
		}
		person, err := c.People().Create(ctx, connec.Person{FirstName: "Ada", LastName: "Lovelace", OrganizationID: org.ID})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Organizations().Get(ctx, org.ID.Connec())
		if err != nil || got.Name != org.Name || got.Address.Billing.City != "Sydney" || string(got.Extra["rating"]) != `{"stars":4}` || *got.IsSupplier {
			t.Fatalf("%s: get = %+v, %v", base, got, err)
		}
		upd, err := c.Organizations().Update(ctx, org.ID.Connec(), connec.Organization{Industry: "Shipping"})
		if err != nil || upd.Name != org.Name || upd.Industry != "Shipping" {
			t.Fatalf("%s: update = %+v, %v", base, upd, err)
		}
		// The filter literal carries a quote and " and ".
		page, err := c.Organizations().List(ctx, connec.Where("name", connec.Eq, org.Name).Where("industry", connec.Eq, "Shipping"))
		if err != nil || len(page.Items) != 1 || page.Items[0].ID.Connec() != org.ID.Connec() || page.Pagination.Total != 1 {
			t.Fatalf("%s: list = %+v, %v", base, page, err)
		}
		p, err := c.People().Get(ctx, person.ID.Connec())
		if err != nil || p.OrganizationID.Connec() != org.ID.Connec() {
			t.Fatalf("%s: person = %+v, %v", base, p, err)
		}
		if err := c.People().Delete(ctx, person.ID.Connec()); err != nil {
			t.Fatalf("%s: delete: %v", base, err)
		}
		_, err = c.People().Get(ctx, person.ID.Connec())
		var apiErr *connec.APIError
		if !errors.Is(err, connec.ErrNotFound) || !errors.As(err, &apiErr) || apiErr.Errors[0].Title != "Resource not found" {
			t.Fatalf("%s: get after delete: %v", base, err)
		}
	}
}

func TestSandboxOtherCollections(t *testing.T) {
	t.Parallel()
	c := sandboxClient(t, sandboxMarketplace(t), "cld-1")
	ctx := t.Context()
	tc, err := c.TaxCodes().Create(ctx, connec.TaxCode{Name: "GST", SaleTaxRate: "10", SaleTaxes: []connec.Tax{{Name: "GST", Rate: "10"}}})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := c.Accounts().Create(ctx, connec.Account{Name: "Sales", Classification: "REVENUE", TaxCodeID: tc.ID})
	if err != nil || acc.TaxCodeID.Connec() != tc.ID.Connec() {
		t.Fatalf("account = %+v, %v", acc, err)
	}
	item, err := c.Items().Create(ctx, connec.Item{Name: "Hour", SalePrice: &connec.Money{NetAmount: "50.00", Currency: "USD"}})
	if err != nil || item.SalePrice.NetAmount != "50.00" {
		t.Fatalf("item = %+v, %v", item, err)
	}
	raw, err := c.Collection("sales_orders").Create(ctx, connec.Raw(`{"title":"SO 1","lines":[{"quantity":1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var so struct{ ID, Title string }
	if err := json.Unmarshal(raw, &so); err != nil || so.Title != "SO 1" || so.ID == "" {
		t.Fatalf("sales order = %s, %v", raw, err)
	}
	co, err := c.UpdateCompany(ctx, connec.Company{Timezone: "Australia/Sydney"})
	if err != nil || co.Timezone != "Australia/Sydney" {
		t.Fatalf("company = %+v, %v", co, err)
	}
	if co, err = c.Company(ctx); err != nil || co.Timezone != "Australia/Sydney" {
		t.Fatalf("company = %+v, %v", co, err)
	}
	if _, err := c.Collection("widgets").List(ctx, connec.Query{}); !errors.Is(err, connec.ErrBadRequest) {
		t.Errorf("unknown collection: %v", err)
	}
	if _, err := c.Invoices().List(ctx, connec.Where("amount/total_amount", connec.Gt, "x").OrderBy("title", connec.Asc)); err != nil {
		t.Errorf("nested filter field: %v", err)
	}
}

func TestSandboxBatchAndPagination(t *testing.T) {
	t.Parallel()
	c := sandboxClient(t, sandboxMarketplace(t), "cld-2")
	ctx := t.Context()
	const n = 230
	var ops []connec.BatchOp
	for i := range n {
		ops = append(ops, connec.BatchCreate("people", connec.Person{FirstName: fmt.Sprintf("p%03d", i)}))
	}
	results, err := c.Batch(ctx, ops)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		p, err := connec.Decode[connec.Person](r, "people")
		if err != nil || r.Status != 201 || p.FirstName != fmt.Sprintf("p%03d", i) {
			t.Fatalf("op %d: %+v %v", i, r, err)
		}
	}
	first, _ := connec.Decode[connec.Person](results[0], "people")
	// Updates and a refused op in one batch.
	results, err = c.Batch(ctx, []connec.BatchOp{
		connec.BatchUpdate("people", first.ID.Connec(), connec.Person{LastName: "First"}),
		connec.BatchUpdate("people", "no-such-id", connec.Person{LastName: "x"}),
	})
	if err != nil || results[0].Err != nil || !errors.Is(results[1].Err, connec.ErrNotFound) {
		t.Fatalf("batch: %v %+v", err, results)
	}

	seen := map[string]bool{}
	for p, err := range c.People().All(ctx, connec.Query{}.Top(40)) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[p.ID.Connec()] {
			t.Fatalf("%s twice", p.ID)
		}
		seen[p.ID.Connec()] = true
	}
	if len(seen) != n {
		t.Fatalf("iterated %d people, want %d", len(seen), n)
	}
	page, err := c.People().List(ctx, connec.Where("last_name", connec.Eq, "First"))
	if err != nil || len(page.Items) != 1 || page.Items[0].FirstName != "p000" {
		t.Fatalf("filtered = %+v, %v", page, err)
	}
	// Another group's records are not visible.
	other := sandboxClient(t, sandboxMarketplace(t), "cld-1")
	if page, err := other.People().List(ctx, connec.Query{}); err != nil || len(page.Items) != 0 {
		t.Errorf("cld-1 sees %d people (%v)", len(page.Items), err)
	}
}

func TestSandboxExternalIDs(t *testing.T) {
	t.Parallel()
	mp := sandboxMarketplace(t)
	c := sandboxClient(t, mp, "cld-1", connec.WithExternalIDs(true))
	ctx := t.Context()
	org, err := c.Organizations().Create(ctx, connec.Organization{
		Entity: connec.Entity{ID: connec.IDs(connec.ExternalID{ID: "CUS-1", Provider: "myapp", Realm: "acct-1"})},
		Name:   "External Corp",
	})
	if err != nil {
		t.Fatal(err)
	}
	if org.ID.Connec() == "" || org.ID.Plain != "" {
		t.Fatalf("id = %+v", org.ID)
	}
	if ext, ok := org.ID.For("myapp", "acct-1"); !ok || ext != "CUS-1" {
		t.Errorf("external id = %+v", org.ID)
	}
	// The plain client sees the same record with a string id.
	plain := sandboxClient(t, mp, "cld-1")
	got, err := plain.Organizations().Get(ctx, org.ID.Connec())
	if err != nil || got.ID.Plain != org.ID.Connec() || got.Name != "External Corp" {
		t.Fatalf("plain get = %+v, %v", got, err)
	}
}

func TestSandboxReports(t *testing.T) {
	t.Parallel()
	c := sandboxClient(t, sandboxMarketplace(t), "cld-1")
	ctx := t.Context()
	for _, inv := range []connec.Invoice{
		{Type: "CUSTOMER", Entity: connec.Entity{Status: "AUTHORISED"}, TransactionDate: connec.NewTime(time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC)),
			Amount: &connec.Money{NetAmount: "100.00", TaxAmount: "10.00", TotalAmount: "110.00", Currency: "USD"}},
		{Type: "SUPPLIER", Entity: connec.Entity{Status: "PAID"}, TransactionDate: connec.NewTime(time.Date(2024, 2, 5, 0, 0, 0, 0, time.UTC)),
			Amount: &connec.Money{NetAmount: "40.50", TaxAmount: "0", TotalAmount: "40.50", Currency: "USD"}},
		{Type: "CUSTOMER", Entity: connec.Entity{Status: "DRAFT"}, TransactionDate: connec.NewTime(time.Date(2024, 2, 6, 0, 0, 0, 0, time.UTC)),
			Amount: &connec.Money{NetAmount: "999", Currency: "USD"}},
	} {
		if _, err := c.Invoices().Create(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := c.Report(ctx, "profit_and_loss", connec.ReportParams{
		From: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC), Period: connec.PeriodMonthly,
	})
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Income    json.Number `json:"income"`
		Expenses  json.Number `json:"expenses"`
		NetProfit json.Number `json:"net_profit"`
		Invoices  int         `json:"invoices"`
		Periods   []struct{ From, To string }
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	inc, _ := rep.Income.Float64()
	exp, _ := rep.Expenses.Float64()
	net, _ := rep.NetProfit.Float64()
	if inc != 100 || exp != 40.5 || net != 59.5 || rep.Invoices != 2 || len(rep.Periods) != 3 {
		t.Errorf("profit and loss = %s", raw)
	}
	if _, err := c.Report(ctx, "balance_sheet", connec.ReportParams{}); !errors.Is(err, connec.ErrBadRequest) {
		t.Errorf("unknown report: %v", err)
	}
}

func TestSandboxAuth(t *testing.T) {
	t.Parallel()
	mp := sandboxMarketplace(t)
	ctx := t.Context()
	bad := *mp
	bad.API.Key = "not-the-key"
	for name, c := range map[string]*connec.Client{
		"wrong key":     sandboxClient(t, &bad, "cld-1"),
		"foreign group": sandboxClient(t, mp, "cld-999"),
	} {
		_, err := c.Invoices().List(ctx, connec.Query{})
		var apiErr *connec.APIError
		if !errors.Is(err, connec.ErrUnauthorized) || !errors.As(err, &apiErr) || len(apiErr.Errors) == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// testClock is a settable clock shared with the sandbox.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// TestSandboxNotifications runs the whole path: an entity written on the
// platform (the sandbox admin page) becomes a Connec! notification that the
// sandbox's webhook worker posts to the app's handler; a redelivery of the
// same delivery is dropped by the delivery store.
func TestSandboxNotifications(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	clock := &testClock{now: time.Now().UTC()}
	dir := t.TempDir()
	srv := httptest.NewUnstartedServer(nil)
	sb, err := sandbox.Open(ctx, sandbox.Config{DataDir: dir, BaseURL: "http://" + srv.Listener.Addr().String(),
		Now: clock.Now, Webhooks: sandbox.WebhookConfig{Manual: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	srv.Config.Handler = sb
	srv.Start()
	t.Cleanup(srv.Close)
	creds := sb.DevPlatform()
	reg, err := maestrano.AutoConfigure(ctx, maestrano.DevPlatform{Host: creds.Host, EnvKey: creds.EnvKey, EnvSecret: maestrano.Secret(creds.EnvSecret)})
	if err != nil {
		t.Fatal(err)
	}

	// The app: its notification handler on its own server.
	rec := &recorder{}
	h, err := connec.NewNotificationHandler(reg, rec.callback, connec.WithDeliveryStore(saml.NewMemoryReplayCache(0, clock.Now)), connec.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	if err := h.Mount(mux); err != nil {
		t.Fatal(err)
	}
	app := httptest.NewServer(mux)
	t.Cleanup(app.Close)
	if err := sb.SetAppHost(ctx, sandbox.DemoAppUID, app.URL); err != nil {
		t.Fatal(err)
	}
	// Fixture: the app subscribes to organizations (the sandbox has no API
	// for subscriptions; its own tests set them in its database too).
	st, err := store.Open(ctx, filepath.Join(dir, "sandbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SetAppSubscriptions(ctx, sandbox.DemoAppUID, []string{"organizations", "people"}); err != nil {
		t.Fatal(err)
	}

	// The app's own write is not sent back to it; the platform's is.
	mp, _ := reg.Get(sandbox.DefaultMarketplace)
	if _, err := sandboxClient(t, mp, "cld-1").People().Create(ctx, connec.Person{FirstName: "Own"}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.PostForm(srv.URL+"/admin/connec", url.Values{
		"group": {"cld-1"}, "collection": {"organizations"}, "json": {`{"name":"Platform Corp","is_customer":true,"custom":{"a":1}}`},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		t.Fatalf("admin write: %s", resp.Status)
	}
	clock.Advance(sandbox.DefaultCoalesceWindow + time.Second)
	if n, err := sb.DeliverPending(ctx); err != nil || n != 1 {
		t.Fatalf("DeliverPending = %d, %v; want one attempt", n, err)
	}
	if rec.count() != 1 {
		t.Fatalf("callback ran %d times", rec.count())
	}
	n := rec.got[0]
	if n.Marketplace != sandbox.DefaultMarketplace || n.DeliveryID == "" || len(n.Organizations) != 1 || len(n.People) != 0 {
		t.Fatalf("notification = %+v", n)
	}
	org := n.Organizations[0]
	if org.Name != "Platform Corp" || org.GroupID != "cld-1" || org.ID.Connec() == "" || org.IsCustomer == nil || string(org.Extra["custom"]) != `{"a":1}` {
		t.Errorf("organization = %+v", org)
	}

	// A redelivery keeps its id: the handler answers 200 and drops it.
	if err := sb.Redeliver(ctx, n.DeliveryID); err != nil {
		t.Fatal(err)
	}
	if k, err := sb.DeliverPending(ctx); err != nil || k != 1 {
		t.Fatalf("redelivery: %d attempts, %v", k, err)
	}
	if rec.count() != 1 {
		t.Errorf("redelivery reached the callback: %d calls", rec.count())
	}
}
