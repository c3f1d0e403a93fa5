package account_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/account"
	"github.com/maestrano-go/maestrano/sandbox"
)

// The sandbox world's credentials (testdata/sandbox/world/seed.yaml).
const (
	sbEnvKey, sbEnvSecret = "acme-env-key-0001", "acme-env-secret-0001"
	sbApp1Key             = "app1-key-0123456789abcdef0123456789abcdef"
)

// sandboxWorld is the sandbox mounted in-process, with the SDK configured
// from its developer platform as an app would be.
type sandboxWorld struct {
	sb  *sandbox.Sandbox
	url string
	reg *maestrano.Registry
	now time.Time
}

func openSandboxWorld(t *testing.T) *sandboxWorld {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	w := &sandboxWorld{url: base, now: time.Date(2030, 1, 15, 9, 30, 0, 0, time.UTC)}
	sb, err := sandbox.Open(t.Context(), sandbox.Config{DataDir: t.TempDir(), BaseURL: base,
		SeedFile: "testdata/sandbox/world/seed.yaml", Now: func() time.Time { return w.now },
		Webhooks: sandbox.WebhookConfig{Manual: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	srv.Config.Handler = sb
	srv.Start()
	t.Cleanup(srv.Close)
	w.sb = sb
	dp := sb.DevPlatform()
	reg, err := maestrano.AutoConfigure(t.Context(), maestrano.DevPlatform{Host: dp.Host, APIPath: dp.APIPath, EnvKey: sbEnvKey, EnvSecret: sbEnvSecret})
	if err != nil {
		t.Fatal(err)
	}
	w.reg = reg
	return w
}

func (w *sandboxWorld) client(t *testing.T, marketplace string) *account.Client {
	t.Helper()
	mp, err := w.reg.Get(marketplace)
	if err != nil {
		t.Fatal(err)
	}
	c, err := account.New(mp, account.WithRetrySleep(noSleep))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSandboxBills(t *testing.T) {
	t.Parallel()
	w := openSandboxWorld(t)
	c := w.client(t, "maestrano")
	ctx := t.Context()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	seeded, err := c.Bills.List(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(seeded) != 2 {
		t.Fatalf("app-1 sees %d bills, want 2 (not app-3's)", len(seeded))
	}
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	b, err := c.Bills.Create(ctx, account.BillRequest{GroupID: "cld-1", PriceCents: 1500, Description: "Pro plan, January",
		Currency: "USD", Units: 1.5, PeriodStartedAt: start, PeriodEndedAt: start.AddDate(0, 1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if b.Object != account.ObjectBill || b.Status != account.BillSubmitted || b.PriceCents != 1500 || b.Units != 1.5 ||
		b.Currency != "USD" || !b.PeriodStartedAt.Equal(start) || !b.CreatedAt.Equal(w.now) {
		t.Fatalf("created = %+v", b)
	}
	got, err := c.Bills.Get(ctx, b.ID)
	if err != nil || got.ID != b.ID || got.Description != "Pro plan, January" {
		t.Fatalf("Get = %+v, %v", got, err)
	}

	// Filters: group, status, price and time with suffixes.
	check := func(name string, opts *account.ListOptions, want int) {
		t.Helper()
		bills, err := c.Bills.List(ctx, opts)
		if err != nil || len(bills) != want {
			t.Errorf("%s: %d bills, %v; want %d", name, len(bills), err, want)
		}
	}
	check("cld-1", &account.ListOptions{GroupID: "cld-1"}, 2)
	check("cld-3 (another app's group)", &account.ListOptions{GroupID: "cld-3"}, 0)
	check("invoiced", new(account.ListOptions).Where("status", account.Eq, account.BillInvoiced), 1)
	check("price > 1000", new(account.ListOptions).Where("price_cents", account.StrictlyGreaterThan, 1000), 2)
	check("price ≥ 1000 in cld-1", (&account.ListOptions{GroupID: "cld-1"}).Where("price_cents", account.GreaterThan, 1000), 2)
	// The seed and the new bill were all made at the sandbox clock's now.
	check("created at now", new(account.ListOptions).Where("created_at", account.After, w.now).Where("created_at", account.Before, w.now), 3)
	check("created after now", new(account.ListOptions).Where("created_at", account.StrictlyAfter, w.now), 0)
	check("created before now", new(account.ListOptions).Where("created_at", account.StrictlyBefore, w.now), 0)
	check("period started ≥ 2030-01-01", new(account.ListOptions).Where("period_started_at", account.After, start), 1)

	for range 2 {
		cancelled, err := c.Bills.Cancel(ctx, b.ID)
		if err != nil || cancelled.Status != account.BillCancelled {
			t.Fatalf("Cancel = %+v, %v", cancelled, err)
		}
	}
	invoiced, err := c.Bills.List(ctx, new(account.ListOptions).Where("status", account.Eq, account.BillInvoiced))
	if err != nil || len(invoiced) != 1 {
		t.Fatal(invoiced, err)
	}
	_, err = c.Bills.Cancel(ctx, invoiced[0].ID)
	var ae *account.APIError
	if !errors.Is(err, account.ErrValidation) || !errors.As(err, &ae) || ae.StatusCode != 400 || len(ae.Errors["status"]) == 0 {
		t.Fatalf("cancel invoiced: %v", err)
	}

	// Unknown ids: HTTP 200 with success:false on GET, 400 on DELETE.
	if _, err := c.Bills.Get(ctx, "bill-999"); !errors.Is(err, account.ErrNotFound) || !errors.As(err, &ae) || ae.StatusCode != 200 {
		t.Fatalf("Get unknown: %v", err)
	}
	if _, err := c.Bills.Cancel(ctx, "bill-999"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("Cancel unknown: %v", err)
	}
	// Another app's bill is unknown to this one.
	if _, err := c.Bills.Get(ctx, "bill-3"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("Get app-3's bill: %v", err)
	}
	// Refused by the platform: another app's group.
	if _, err := c.Bills.Create(ctx, account.BillRequest{GroupID: "cld-3", PriceCents: 100, Description: "x"}); !errors.Is(err, account.ErrValidation) ||
		!errors.As(err, &ae) || len(ae.Errors["group_id"]) == 0 {
		t.Fatalf("create on another app's group: %v", err)
	}
}

func TestSandboxRecurringBills(t *testing.T) {
	t.Parallel()
	w := openSandboxWorld(t)
	c := w.client(t, "maestrano")
	ctx := t.Context()
	six := 6
	start := w.now.Add(24 * time.Hour)
	rb, err := c.RecurringBills.Create(ctx, account.RecurringBillRequest{GroupID: "cld-2", PriceCents: 4900, Description: "Weekly",
		Period: "Week", Frequency: 2, Cycles: &six, StartDate: start, Currency: "EUR", InitialCents: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if rb.Object != account.ObjectRecurringBill || rb.Period != account.PeriodWeek || rb.Frequency != 2 || rb.Cycles == nil || *rb.Cycles != 6 ||
		!rb.StartDate.Equal(start) || rb.InitialCents != 1000 || rb.Status != account.RecurringBillSubmitted {
		t.Fatalf("created = %+v", rb)
	}
	unlimited, err := c.RecurringBills.Create(ctx, account.RecurringBillRequest{GroupID: "cld-1", PriceCents: 100, Description: "Daily", Period: account.PeriodDay})
	if err != nil || unlimited.Cycles != nil || unlimited.Period != account.PeriodDay || unlimited.Frequency != 1 {
		t.Fatalf("unlimited = %+v, %v", unlimited, err)
	}
	// The platform's own rule: a start more than an hour in the past.
	_, err = c.RecurringBills.Create(ctx, account.RecurringBillRequest{GroupID: "cld-1", PriceCents: 100, Description: "Late", StartDate: w.now.Add(-2 * time.Hour)})
	var ae *account.APIError
	if !errors.As(err, &ae) || ae.Kind != account.KindValidation || len(ae.Errors["start_date"]) == 0 {
		t.Fatalf("start in the past: %v", err)
	}
	all, err := c.RecurringBills.List(ctx, nil)
	if err != nil || len(all) != 3 {
		t.Fatalf("List = %d, %v; want 3 (seeded + 2)", len(all), err)
	}
	weekly, err := c.RecurringBills.List(ctx, new(account.ListOptions).Where("period", account.Eq, account.PeriodWeek))
	if err != nil || len(weekly) != 1 || weekly[0].ID != rb.ID {
		t.Fatalf("List(period=week) = %+v, %v", weekly, err)
	}
	if got, err := c.RecurringBills.Get(ctx, rb.ID); err != nil || got.Description != "Weekly" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	for range 2 {
		if got, err := c.RecurringBills.Cancel(ctx, rb.ID); err != nil || got.Status != account.RecurringBillCancelled {
			t.Fatalf("Cancel = %+v, %v", got, err)
		}
	}
	if _, err := c.RecurringBills.Get(ctx, "rbill-999"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("Get unknown: %v", err)
	}
}

func TestSandboxGroupsUsersResellers(t *testing.T) {
	t.Parallel()
	w := openSandboxWorld(t)
	c := w.client(t, "maestrano")
	ctx := t.Context()
	groups, err := c.Groups.List(ctx, nil)
	if err != nil || len(groups) != 2 {
		t.Fatalf("groups = %+v, %v", groups, err)
	}
	g, err := c.Groups.Get(ctx, "cld-2")
	if err != nil || g.Object != account.ObjectGroup || g.Name != "Globex Ltd" || g.Currency != "EUR" || g.Timezone != "Europe/Paris" ||
		!g.CreatedAt.Equal(time.Date(2029, 6, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("group = %+v, %v", g, err)
	}
	if _, err := c.Groups.Get(ctx, "cld-3"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("another app's group: %v", err)
	}
	named, err := c.Groups.List(ctx, new(account.ListOptions).Where("name", account.Eq, "Acme Corp"))
	if err != nil || len(named) != 1 || named[0].ID != "cld-1" || !named[0].HasCreditCard || named[0].MainAccounting != "xero" {
		t.Fatalf("groups named Acme Corp = %+v, %v", named, err)
	}

	users, err := c.Users.List(ctx, nil)
	if err != nil || len(users) != 2 {
		t.Fatalf("users = %+v, %v", users, err)
	}
	members, err := c.Users.List(ctx, &account.ListOptions{GroupID: "cld-2"})
	if err != nil || len(members) != 1 || members[0].Email != "john.doe@example.com" {
		t.Fatalf("members of cld-2 = %+v, %v", members, err)
	}
	u, err := c.Users.Get(ctx, members[0].ID)
	if err != nil || u.Object != account.ObjectUser || u.Name != "John" || u.Surname != "Doe" || u.SSOSession == "" {
		t.Fatalf("user = %+v, %v", u, err)
	}
	if got, err := c.Users.Authenticate(ctx, account.AuthenticateRequest{Email: "john.doe@example.com", Password: "correct horse"}); err != nil || got.ID != u.ID {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	if got, err := c.Users.Authenticate(ctx, account.AuthenticateRequest{UserID: u.ID, Password: "correct horse"}); err != nil || got.ID != u.ID {
		t.Fatalf("Authenticate by id = %+v, %v", got, err)
	}
	for _, req := range []account.AuthenticateRequest{
		{Email: "john.doe@example.com", Password: "wrong"},
		{Email: "john.doe@example.com", Password: "invalid_password"},
		{Email: "peter@initech.example", Password: "x"}, // not a user of this app
	} {
		if _, err := c.Users.Authenticate(ctx, req); !errors.Is(err, account.ErrInvalidPassword) {
			t.Errorf("Authenticate(%s): %v, want ErrInvalidPassword", req.Email, err)
		}
	}

	rs, err := c.Resellers.List(ctx, nil)
	if err != nil || len(rs) != 1 || rs[0].Object != account.ObjectReseller || rs[0].Code != "US-204512-BCL" {
		t.Fatalf("resellers = %+v, %v", rs, err)
	}
	r, err := c.Resellers.Get(ctx, rs[0].ID)
	if err != nil || r.Name != "Blue Consulting" {
		t.Fatalf("reseller = %+v, %v", r, err)
	}
	rg, err := c.Resellers.Groups(ctx, r.ID, nil)
	if err != nil || len(rg) != 1 || rg[0].ID != "cld-1" {
		t.Fatalf("reseller groups = %+v, %v", rg, err)
	}
}

func TestSandboxCredentials(t *testing.T) {
	t.Parallel()
	w := openSandboxWorld(t)
	mp, err := w.reg.Get("maestrano")
	if err != nil {
		t.Fatal(err)
	}
	mp.API.Key = "app1-key-wrong-wrong-wrong-wrong-wrong-wrong"
	c, err := account.New(mp, account.WithRetrySleep(noSleep))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Ping(t.Context())
	var ae *account.APIError
	if !errors.Is(err, account.ErrAuthentication) || !errors.As(err, &ae) || ae.StatusCode != 401 {
		t.Fatalf("wrong key: %v", err)
	}
	if _, err := c.Bills.List(t.Context(), nil); !errors.Is(err, account.ErrAuthentication) {
		t.Fatalf("wrong key, list: %v", err)
	}
	// The other marketplace's client works with its own credentials and
	// sees the groups published there only.
	uat := w.client(t, "maestrano-uat")
	groups, err := uat.Groups.List(t.Context(), nil)
	if err != nil || len(groups) != 1 || groups[0].ID != "cld-1" {
		t.Fatalf("uat groups = %+v, %v", groups, err)
	}
}

// TestSandboxAccountWebhooks: the sandbox removes a member and a group and
// delivers the account webhooks to the app, whose handler serves both
// marketplaces.
func TestSandboxAccountWebhooks(t *testing.T) {
	t.Parallel()
	w := openSandboxWorld(t)
	var mu sync.Mutex
	var events []string
	h, err := account.NewWebhookHandler(w.reg, account.WebhookCallbacks{
		GroupRemoved: func(ctx context.Context, ev account.GroupRemoved) error {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, "group "+ev.Marketplace+" "+ev.GroupID)
			return nil
		},
		MemberRemoved: func(ctx context.Context, ev account.MemberRemoved) error {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, "member "+ev.Marketplace+" "+ev.GroupID+" "+ev.RealUserID())
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	app := httptest.NewServer(h)
	defer app.Close()
	ctx := t.Context()
	for _, uid := range []string{"app-1", "app-2"} {
		if err := w.sb.SetAppHost(ctx, uid, app.URL); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.sb.RemoveMember(ctx, "cld-1", "usr-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.sb.RemoveGroup(ctx, "cld-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.sb.DeliverPending(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := slices.Sorted(slices.Values(events))
	mu.Unlock()
	want := []string{"group maestrano cld-2", "member maestrano cld-1 usr-2", "member maestrano-uat cld-1 usr-2"}
	if !slices.Equal(got, want) {
		t.Fatalf("events = %q\nwant     %q", got, want)
	}
	// The API agrees: the group is gone.
	if _, err := w.client(t, "maestrano").Groups.Get(ctx, "cld-2"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("removed group: %v", err)
	}
}
