package account_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/account"
)

func noSleep(context.Context, time.Duration) error { return nil }

func newClient(t *testing.T, f *fakeAPI, opts ...account.Option) *account.Client {
	t.Helper()
	srv := f.start(t)
	c, err := account.New(f.marketplace(srv.URL), append([]account.Option{account.WithRetrySleep(noSleep)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestBills(t *testing.T) {
	t.Parallel()
	f := newFakeAPI()
	c := newClient(t, f)
	ctx := t.Context()

	start := time.Date(2024, 5, 1, 0, 0, 0, 0, time.FixedZone("AEST", 10*3600))
	b, err := c.Bills.Create(ctx, account.BillRequest{GroupID: "cld-1", PriceCents: 1500, Description: "Pro plan, May",
		Currency: "usd", Units: 2, PeriodStartedAt: start, PeriodEndedAt: start.AddDate(0, 1, 0), ThirdParty: true})
	if err != nil {
		t.Fatal(err)
	}
	if b.ID != "bill-1" || b.GroupID != "cld-1" || b.Status != account.BillSubmitted || b.PriceCents != 1500 ||
		b.Currency != "USD" || b.Units != 2 || !b.ThirdParty || !b.PeriodStartedAt.Equal(start) || b.CreatedAt.IsZero() {
		t.Fatalf("created bill = %+v", b)
	}
	// The request was JSON with integer cents and UTC times.
	body := string(f.bodies[len(f.bodies)-1])
	for _, want := range []string{`"price_cents":1500`, `"currency":"USD"`, `"period_started_at":"2024-04-30T14:00:00Z"`, `"third_party":true`, `"units":2`} {
		if !strings.Contains(body, want) {
			t.Errorf("request body %s lacks %s", body, want)
		}
	}
	if ct := f.requests[len(f.requests)-1].Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if _, err := c.Bills.Create(ctx, account.BillRequest{GroupID: "cld-2", PriceCents: 99, Description: "Setup"}); err != nil {
		t.Fatal(err)
	}

	got, err := c.Bills.Get(ctx, "bill-1")
	if err != nil || got.ID != "bill-1" || got.Description != "Pro plan, May" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	all, err := c.Bills.List(ctx, nil)
	if err != nil || len(all) != 2 {
		t.Fatalf("List(nil) = %d bills, %v", len(all), err)
	}
	one, err := c.Bills.List(ctx, &account.ListOptions{GroupID: "cld-2"})
	if err != nil || len(one) != 1 || one[0].GroupID != "cld-2" {
		t.Fatalf("List(cld-2) = %+v, %v", one, err)
	}
	cheap, err := c.Bills.List(ctx, new(account.ListOptions).Where("price_cents", account.StrictlyLowerThan, 100))
	if err != nil || len(cheap) != 1 || cheap[0].PriceCents != 99 {
		t.Fatalf("List(price < 100) = %+v, %v", cheap, err)
	}
	if q := f.requests[len(f.requests)-1].URL.RawQuery; q != "price_cents_strictly_lower_than=100" {
		t.Errorf("query = %q", q)
	}
	recent, err := c.Bills.List(ctx, new(account.ListOptions).Where("created_at", account.After, f.now.Add(-time.Hour)).Where("status", account.Eq, "submitted"))
	if err != nil || len(recent) != 2 {
		t.Fatalf("List(created_at ≥ now-1h, submitted) = %d, %v", len(recent), err)
	}
	none, err := c.Bills.List(ctx, new(account.ListOptions).Where("created_at", account.StrictlyAfter, f.now))
	if err != nil || none == nil || len(none) != 0 {
		t.Fatalf("List(created_at > now) = %#v, %v; want an empty, non-nil list", none, err)
	}

	cancelled, err := c.Bills.Cancel(ctx, "bill-1")
	if err != nil || cancelled.Status != account.BillCancelled {
		t.Fatalf("Cancel = %+v, %v", cancelled, err)
	}
	if again, err := c.Bills.Cancel(ctx, "bill-1"); err != nil || again.Status != account.BillCancelled {
		t.Fatalf("second Cancel = %+v, %v (cancel is idempotent)", again, err)
	}
	f.mu.Lock()
	f.bills[1]["status"] = "invoiced"
	f.mu.Unlock()
	_, err = c.Bills.Cancel(ctx, "bill-2")
	var ae *account.APIError
	if !errors.Is(err, account.ErrValidation) || !errors.As(err, &ae) || ae.StatusCode != 400 || len(ae.FieldErrors("status")) != 1 {
		t.Fatalf("cancel invoiced: %v", err)
	}
	_, err = c.Bills.Cancel(ctx, "bill-404")
	if !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("cancel unknown: %v, want ErrNotFound", err)
	}
}

func TestCreateErrors(t *testing.T) {
	t.Parallel()
	f := newFakeAPI()
	c := newClient(t, f)
	ctx := t.Context()

	// Refused by the platform: a group the app does not serve.
	_, err := c.Bills.Create(ctx, account.BillRequest{GroupID: "cld-99", PriceCents: 100, Description: "x"})
	var ae *account.APIError
	if !errors.As(err, &ae) || ae.Kind != account.KindValidation || ae.StatusCode != 400 || ae.Errors["group_id"] == nil {
		t.Fatalf("unknown group: %v", err)
	}
	if !strings.Contains(err.Error(), "group_id does not exist or cannot be charged") {
		t.Errorf("message = %q", err)
	}

	// Refused before sending: nothing reaches the server.
	before := f.callCount()
	for name, req := range map[string]account.BillRequest{
		"no group":        {PriceCents: 1, Description: "x"},
		"zero price":      {GroupID: "cld-1", Description: "x"},
		"negative price":  {GroupID: "cld-1", PriceCents: -5, Description: "x"},
		"blank":           {GroupID: "cld-1", PriceCents: 1, Description: "  "},
		"huge":            {GroupID: "cld-1", PriceCents: 1, Description: strings.Repeat("a", 5000)},
		"bad currency":    {GroupID: "cld-1", PriceCents: 1, Description: "x", Currency: "EURO"},
		"path in group":   {GroupID: "../x", PriceCents: 1, Description: "x"},
		"period reversed": {GroupID: "cld-1", PriceCents: 1, Description: "x", PeriodStartedAt: f.now, PeriodEndedAt: f.now.Add(-time.Hour)},
	} {
		_, err := c.Bills.Create(ctx, req)
		if !errors.As(err, &ae) || ae.StatusCode != 0 || !errors.Is(err, account.ErrValidation) {
			t.Errorf("%s: err = %v, want a local validation error", name, err)
		}
	}
	for name, req := range map[string]account.RecurringBillRequest{
		"bad period":   {GroupID: "cld-1", PriceCents: 1, Description: "x", Period: "fortnight"},
		"zero cycles":  {GroupID: "cld-1", PriceCents: 1, Description: "x", Cycles: new(int)},
		"neg initial":  {GroupID: "cld-1", PriceCents: 1, Description: "x", InitialCents: -1},
		"neg freq":     {GroupID: "cld-1", PriceCents: 1, Description: "x", Frequency: -1},
		"missing desc": {GroupID: "cld-1", PriceCents: 1},
	} {
		if _, err := c.RecurringBills.Create(ctx, req); !errors.Is(err, account.ErrValidation) {
			t.Errorf("%s: err = %v, want ErrValidation", name, err)
		}
	}
	for _, id := range []string{"", ".", "..", "a/b", "a?b", "a#b", "a\nb", strings.Repeat("x", 300)} {
		if _, err := c.Bills.Get(ctx, id); !errors.Is(err, account.ErrValidation) {
			t.Errorf("Get(%q): %v, want ErrValidation", id, err)
		}
	}
	if n := f.callCount(); n != before {
		t.Fatalf("%d requests reached the server; want none", n-before)
	}
}

func TestRecurringBills(t *testing.T) {
	t.Parallel()
	f := newFakeAPI()
	c := newClient(t, f)
	ctx := t.Context()
	three := 3
	rb, err := c.RecurringBills.Create(ctx, account.RecurringBillRequest{GroupID: "cld-1", PriceCents: 2500,
		Description: "Monthly plan", Period: "Month", Frequency: 1, Cycles: &three, InitialCents: 500})
	if err != nil {
		t.Fatal(err)
	}
	if rb.ID != "rbill-1" || rb.Period != account.PeriodMonth || rb.Cycles == nil || *rb.Cycles != 3 ||
		rb.InitialCents != 500 || !rb.LastExecutionAt.IsZero() || rb.NextExecutionAt.IsZero() || *rb.RemainingCycles != 3 {
		t.Fatalf("created = %+v", rb)
	}
	if body := string(f.bodies[len(f.bodies)-1]); !strings.Contains(body, `"period":"month"`) || !strings.Contains(body, `"cycles":3`) {
		t.Errorf("body = %s", body)
	}
	unlimited, err := c.RecurringBills.Create(ctx, account.RecurringBillRequest{GroupID: "cld-2", PriceCents: 100, Description: "Daily", Period: account.PeriodDay})
	if err != nil || unlimited.Cycles != nil || unlimited.RemainingCycles != nil {
		t.Fatalf("unlimited = %+v, %v", unlimited, err)
	}
	if body := string(f.bodies[len(f.bodies)-1]); strings.Contains(body, "cycles") || strings.Contains(body, "start_date") {
		t.Errorf("unset fields were sent: %s", body)
	}
	list, err := c.RecurringBills.List(ctx, new(account.ListOptions).Where("period", account.Eq, account.PeriodDay))
	if err != nil || len(list) != 1 || list[0].ID != unlimited.ID {
		t.Fatalf("List(period=day) = %+v, %v", list, err)
	}
	got, err := c.RecurringBills.Get(ctx, "rbill-1")
	if err != nil || got.Description != "Monthly plan" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	for range 2 {
		if rb, err := c.RecurringBills.Cancel(ctx, "rbill-1"); err != nil || rb.Status != account.RecurringBillCancelled {
			t.Fatalf("Cancel = %+v, %v", rb, err)
		}
	}
}

func TestGroupsUsersResellers(t *testing.T) {
	t.Parallel()
	f := newFakeAPI()
	c := newClient(t, f)
	ctx := t.Context()

	groups, err := c.Groups.List(ctx, nil)
	if err != nil || len(groups) != 2 {
		t.Fatalf("groups = %v, %v", groups, err)
	}
	g, err := c.Groups.Get(ctx, "cld-1")
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "Acme" || !g.HasCreditCard || g.Timezone != "America/Los_Angeles" || g.MainAccounting != "xero" ||
		g.Metadata["pull_disabled"] != false || !g.CreatedAt.Equal(time.Date(2014, 5, 21, 0, 37, 34, 0, time.UTC)) ||
		!g.UpdatedAt.Equal(time.Date(2016, 8, 1, 15, 30, 20, 0, time.UTC)) {
		t.Fatalf("group = %+v", g)
	}
	if _, err := c.Groups.List(ctx, &account.ListOptions{GroupID: "cld-1"}); !errors.Is(err, account.ErrValidation) {
		t.Errorf("Groups.List with GroupID: %v, want ErrValidation", err)
	}

	users, err := c.Users.List(ctx, &account.ListOptions{GroupID: "cld-2"})
	if err != nil || len(users) != 1 || users[0].ID != "usr-2" {
		t.Fatalf("users of cld-2 = %v, %v", users, err)
	}
	u, err := c.Users.Get(ctx, "usr-1")
	if err != nil || u.Surname != "Doe" || u.SSOSession != "tok-1" {
		t.Fatalf("user = %+v, %v", u, err)
	}
	if s := u.String(); strings.Contains(s, "tok-1") {
		t.Errorf("User.String shows the SSO session: %s", s)
	}

	rs, err := c.Resellers.List(ctx, nil)
	if err != nil || len(rs) != 1 || rs[0].Code != "US-204512-BCL" {
		t.Fatalf("resellers = %+v, %v", rs, err)
	}
	r, err := c.Resellers.Get(ctx, "rsl-449s8fsd")
	if err != nil || r.Name != "Blue Consulting" {
		t.Fatalf("reseller = %+v, %v", r, err)
	}
	rg, err := c.Resellers.Groups(ctx, "rsl-449s8fsd", nil)
	if err != nil || len(rg) != 2 {
		t.Fatalf("reseller groups = %v, %v", rg, err)
	}
	if f.requests[len(f.requests)-1].URL.Path != "/api/v1/account/resellers/rsl-449s8fsd/groups" {
		t.Errorf("path = %s", f.requests[len(f.requests)-1].URL.Path)
	}
	if _, err := c.Resellers.Get(ctx, "rsl-0"); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("unknown reseller: %v", err)
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	f := newFakeAPI()
	c := newClient(t, f)
	ctx := t.Context()
	u, err := c.Users.Authenticate(ctx, account.AuthenticateRequest{Email: "jane@example.com", Password: "correct horse"})
	if err != nil || u.ID != "usr-1" {
		t.Fatalf("Authenticate = %+v, %v", u, err)
	}
	body := string(f.bodies[len(f.bodies)-1])
	if strings.Contains(body, "correct horse") {
		t.Fatalf("password sent in clear: %s", body)
	}
	u, err = c.Users.Authenticate(ctx, account.AuthenticateRequest{UserID: "usr-2", Password: "x"})
	if err != nil || u.ID != "usr-2" {
		t.Fatalf("Authenticate by id = %+v, %v", u, err)
	}
	_, err = c.Users.Authenticate(ctx, account.AuthenticateRequest{UserID: "usr-1", Password: "invalid_password"})
	var ae *account.APIError
	if !errors.Is(err, account.ErrInvalidPassword) || !errors.As(err, &ae) || ae.StatusCode != 200 {
		t.Fatalf("wrong password: %v, want ErrInvalidPassword on HTTP 200", err)
	}
	if strings.Contains(err.Error(), "invalid_password\"") {
		t.Errorf("error quotes the password: %v", err)
	}
	if _, err := c.Users.Authenticate(ctx, account.AuthenticateRequest{UserID: "usr-9", Password: "x"}); !errors.Is(err, account.ErrInvalidPassword) {
		t.Errorf("unknown user: %v", err)
	}
	for _, req := range []account.AuthenticateRequest{{Password: "x"}, {UserID: "usr-1", Email: "a@b", Password: "x"}, {UserID: "usr-1"}, {Email: "nope", Password: "x"}} {
		if _, err := c.Users.Authenticate(ctx, req); !errors.Is(err, account.ErrValidation) {
			t.Errorf("Authenticate(%+v): %v, want ErrValidation", req, err)
		}
	}
	// A key too short to derive the AES-256 key is a clear local error.
	mp := f.marketplace("http://127.0.0.1:1")
	mp.API.Key = "short"
	short, err := account.New(mp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := short.Users.Authenticate(ctx, account.AuthenticateRequest{UserID: "usr-1", Password: "x"}); err == nil || !strings.Contains(err.Error(), "32 bytes") {
		t.Errorf("short key: %v", err)
	}
}

func TestPingAndCredentials(t *testing.T) {
	t.Parallel()
	f := newFakeAPI()
	c := newClient(t, f)
	if err := c.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := f.requests[len(f.requests)-1]
	if r.URL.Path != "/api/v1/ping" || !strings.HasPrefix(r.Header.Get("User-Agent"), "maestrano-go/") || r.Header.Get("Accept") != "application/json" {
		t.Errorf("ping request: %s UA=%q Accept=%q", r.URL.Path, r.Header.Get("User-Agent"), r.Header.Get("Accept"))
	}

	f2 := newFakeAPI()
	srv := f2.start(t)
	mp := f2.marketplace(srv.URL)
	mp.API.Key = "wrong-key-wrong-key-wrong-key-wrong-key"
	bad, err := account.New(mp, account.WithRetrySleep(noSleep), account.WithUserAgent("my-app/1.0"))
	if err != nil {
		t.Fatal(err)
	}
	err = bad.Ping(t.Context())
	var ae *account.APIError
	if !errors.Is(err, account.ErrAuthentication) || !errors.As(err, &ae) || ae.StatusCode != 401 || ae.Errors["authentication"][0] != "Invalid API token" {
		t.Fatalf("wrong key: %v", err)
	}
	if strings.Contains(err.Error(), "wrong-key") {
		t.Errorf("error shows the key: %v", err)
	}
	if f2.callCount() != 1 {
		t.Errorf("401 was retried: %d calls", f2.callCount())
	}
	if ua := f2.requests[0].Header.Get("User-Agent"); ua != "my-app/1.0" {
		t.Errorf("User-Agent = %q", ua)
	}
}

func TestNotFoundOn200(t *testing.T) {
	t.Parallel()
	f := newFakeAPI()
	c := newClient(t, f)
	for name, get := range map[string]func() error{
		"bill":     func() error { _, err := c.Bills.Get(t.Context(), "bill-9"); return err },
		"rbill":    func() error { _, err := c.RecurringBills.Get(t.Context(), "rbill-9"); return err },
		"group":    func() error { _, err := c.Groups.Get(t.Context(), "cld-9"); return err },
		"user":     func() error { _, err := c.Users.Get(t.Context(), "usr-9"); return err },
		"reseller": func() error { _, err := c.Resellers.Get(t.Context(), "rsl-9"); return err },
	} {
		err := get()
		var ae *account.APIError
		if !errors.Is(err, account.ErrNotFound) || !errors.As(err, &ae) || ae.StatusCode != 200 || ae.Kind != account.KindNotFound {
			t.Errorf("%s: %v, want ErrNotFound from an HTTP 200", name, err)
		}
		if errors.Is(err, account.ErrValidation) {
			t.Errorf("%s: matches ErrValidation too", name)
		}
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	ok := func() *maestrano.Marketplace {
		return &maestrano.Marketplace{Name: "m", API: maestrano.APIConfig{ID: "app-1", Key: "key", Host: "https://api.example.com", Base: "/api/v1/"}}
	}
	if _, err := account.New(nil); err == nil {
		t.Error("New(nil) = nil error")
	}
	for name, mod := range map[string]func(*maestrano.Marketplace){
		"no id":        func(m *maestrano.Marketplace) { m.API.ID = "" },
		"no key":       func(m *maestrano.Marketplace) { m.API.Key = "" },
		"no host":      func(m *maestrano.Marketplace) { m.API.Host = "" },
		"plain http":   func(m *maestrano.Marketplace) { m.API.Host = "http://api.example.com" },
		"relative":     func(m *maestrano.Marketplace) { m.API.Host = "api.example.com" },
		"creds in URL": func(m *maestrano.Marketplace) { m.API.Host = "https://u:p@api.example.com" },
	} {
		mp := ok()
		mod(mp)
		_, err := account.New(mp)
		var ce *maestrano.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: %v, want *maestrano.ConfigError", name, err)
		}
	}
	for name, opt := range map[string]account.Option{
		"nil client": account.WithHTTPClient(nil), "zero timeout": account.WithTimeout(0),
		"nil logger": account.WithLogger(nil), "empty UA": account.WithUserAgent(" "), "UA newline": account.WithUserAgent("a\nb"),
		"neg retries": account.WithRetries(-1), "zero bound": account.WithMaxResponseBytes(0),
	} {
		if _, err := account.New(ok(), opt); err == nil {
			t.Errorf("%s: nil error", name)
		}
	}
	// An empty api.base means /api/v1/; a base without slashes is joined.
	for _, base := range []string{"", "api/v1", "/api/v1"} {
		f := newFakeAPI()
		srv := f.start(t)
		mp := f.marketplace(srv.URL)
		mp.API.Base = base
		c, err := account.New(mp)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Ping(t.Context()); err != nil {
			t.Errorf("base %q: %v", base, err)
		}
	}
	c, err := account.New(ok())
	if err != nil || c.Marketplace() != "m" {
		t.Fatalf("Marketplace() = %v, %v", c, err)
	}
	// The caller's client is copied, not changed, by WithTimeout.
	hc := &http.Client{}
	if _, err := account.New(ok(), account.WithHTTPClient(hc), account.WithTimeout(time.Second)); err != nil || hc.Timeout != 0 {
		t.Fatalf("caller's client changed: %v %v", hc.Timeout, err)
	}
}
