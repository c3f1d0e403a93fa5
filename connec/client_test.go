package connec_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/connec"
)

func TestNewValidates(t *testing.T) {
	t.Parallel()
	good := &maestrano.Marketplace{Name: "m", API: maestrano.APIConfig{ID: "a", Key: "k"},
		Connec: maestrano.ConnecConfig{Host: "https://api-connec.example.com"}}
	if _, err := connec.New(good, "cld-1"); err != nil {
		t.Fatalf("good config: %v", err)
	}
	var cfgErr *maestrano.ConfigError
	if _, err := connec.New(&maestrano.Marketplace{Name: "m"}, "cld-1"); !errors.As(err, &cfgErr) || len(cfgErr.Problems) != 3 {
		t.Errorf("empty marketplace: %v", err)
	}
	cases := map[string]struct {
		host, group string
		opts        []connec.Option
	}{
		"nil marketplace":           {},
		"plain http off-host":       {host: "http://api-connec.example.com", group: "cld-1"},
		"host with query":           {host: "https://api-connec.example.com/?x=1", group: "cld-1"},
		"empty group":               {host: "https://a.example.com"},
		"dot group":                 {host: "https://a.example.com", group: ".."},
		"control char in group":     {host: "https://a.example.com", group: "cld\n1"},
		"nil http client":           {host: "https://a.example.com", group: "g", opts: []connec.Option{connec.WithHTTPClient(nil)}},
		"negative retries":          {host: "https://a.example.com", group: "g", opts: []connec.Option{connec.WithRetries(-1)}},
		"zero timeout":              {host: "https://a.example.com", group: "g", opts: []connec.Option{connec.WithTimeout(0)}},
		"empty user agent":          {host: "https://a.example.com", group: "g", opts: []connec.Option{connec.WithUserAgent(" ")}},
		"user agent with a newline": {host: "https://a.example.com", group: "g", opts: []connec.Option{connec.WithUserAgent("app/1\r\nX-Evil: 1")}},
		"nil logger":                {host: "https://a.example.com", group: "g", opts: []connec.Option{connec.WithLogger(nil)}},
	}
	for name, tc := range cases {
		var mp *maestrano.Marketplace
		if name != "nil marketplace" {
			mp = &maestrano.Marketplace{Name: "m", API: maestrano.APIConfig{ID: "a", Key: "k"}, Connec: maestrano.ConnecConfig{Host: tc.host}}
		}
		if _, err := connec.New(mp, tc.group, tc.opts...); err == nil {
			t.Errorf("%s: New = nil error", name)
		}
	}
}

func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	f := newFakeConnec(t)
	f.seed("people", map[string]any{"first_name": "Ada"})
	for _, ext := range []bool{false, true} {
		c := f.client(t, connec.WithExternalIDs(ext), connec.WithUserAgent("my-app/1.0"))
		if _, err := c.People().List(t.Context(), connec.Query{}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.People().Create(t.Context(), connec.Person{FirstName: "Bob"}); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []struct{ method, ext, ctype string }{
		{"GET", "false", ""}, {"POST", "false", connec.MediaType}, {"GET", "true", ""}, {"POST", "true", connec.MediaType},
	} {
		r, _ := f.request(i)
		if r.Method != want.method {
			t.Fatalf("request %d: %s, want %s", i, r.Method, want.method)
		}
		for h, v := range map[string]string{
			"Accept": connec.MediaType, "Content-Type": want.ctype, "Connec-External-Ids": want.ext,
			"Connec-Country-Format": "alpha2", "User-Agent": "my-app/1.0",
		} {
			if got := r.Header.Get(h); got != v {
				t.Errorf("request %d: %s = %q, want %q", i, h, got, v)
			}
		}
		if u, p, _ := r.BasicAuth(); u != testAPIID || p != testAPIKey {
			t.Errorf("request %d: basic auth %q/%q", i, u, p)
		}
		if r.URL.Path != "/api/v2/cld-1/people" {
			t.Errorf("request %d: path %s", i, r.URL.Path)
		}
	}
}

func TestCRUDKeepsUnknownMembers(t *testing.T) {
	t.Parallel()
	f := newFakeConnec(t)
	c := f.client(t)
	ctx := t.Context()
	orgs := c.Organizations()

	created, err := orgs.Create(ctx, connec.Organization{
		Name: "DoeCorp Inc.", IsCustomer: new(true), IsSupplier: new(false),
		Address: &connec.Addresses{Billing: &connec.Address{Line1: "1 Main St", Country: "AU"}},
		Extra:   connec.Extra{"custom_rating": json.RawMessage(`{"stars":5}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := created.ID.Connec()
	if id == "" || created.GroupID != testGroup || created.CreatedAt.IsZero() || created.CreatedAt.Year() != 2024 {
		t.Fatalf("created = %+v", created)
	}
	if string(created.Extra["custom_rating"]) != `{"stars":5}` {
		t.Errorf("unknown member lost on create: %s", created.Extra["custom_rating"])
	}
	if created.IsSupplier == nil || *created.IsSupplier {
		t.Errorf("is_supplier false was lost: %v", created.IsSupplier)
	}
	_, body := f.request(0)
	if !strings.Contains(body, `"organizations":{`) || !strings.Contains(body, `"is_supplier":false`) || strings.Contains(body, `"id"`) {
		t.Errorf("create body = %s", body)
	}

	got, err := orgs.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "DoeCorp Inc." || got.Address.Billing.Country != "AU" || string(got.Extra["custom_rating"]) != `{"stars":5}` {
		t.Errorf("got = %+v", got)
	}

	// A partial update sends only what is set and the server merges.
	updated, err := orgs.Update(ctx, id, connec.Organization{Industry: "Software"})
	if err != nil {
		t.Fatal(err)
	}
	if updated.Name != "DoeCorp Inc." || updated.Industry != "Software" {
		t.Errorf("updated = %+v", updated)
	}
	if _, body := f.request(2); body != `{"organizations":{"industry":"Software"}}` {
		t.Errorf("update body = %s", body)
	}

	page, err := orgs.List(ctx, connec.Where("name", connec.Eq, "DoeCorp Inc."))
	if err != nil || len(page.Items) != 1 || page.Pagination.Total != 1 || page.Pagination.Next != "" {
		t.Fatalf("list = %+v, %v", page, err)
	}
	if err := orgs.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	_, err = orgs.Get(ctx, id)
	var apiErr *connec.APIError
	if !errors.Is(err, connec.ErrNotFound) || !errors.As(err, &apiErr) || apiErr.Errors[0].Title != "Resource not found" {
		t.Fatalf("get after delete: %v", err)
	}
	if !strings.Contains(err.Error(), "HTTP 404: Resource not found") {
		t.Errorf("error text = %q", err)
	}
}

func TestRawCollectionAndEscaping(t *testing.T) {
	t.Parallel()
	f := newFakeConnec(t)
	f.seed("sales_orders", map[string]any{"id": "so/1 ?#", "title": "odd id"})
	c := f.client(t)
	got, err := c.Collection("sales_orders").Get(t.Context(), "so/1 ?#")
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(got, &v); err != nil || v["title"] != "odd id" {
		t.Fatalf("raw = %s, %v", got, err)
	}
	r, _ := f.request(0)
	if r.URL.EscapedPath() != "/api/v2/cld-1/sales_orders/so%2F1%20%3F%23" {
		t.Errorf("escaped path = %s", r.URL.EscapedPath())
	}
	for _, bad := range []string{"", "Invoices", "../x", "tax-codes", "a/b"} {
		if _, err := c.Collection(bad).List(t.Context(), connec.Query{}); err == nil {
			t.Errorf("collection %q accepted", bad)
		}
	}
	if _, err := c.Invoices().Get(t.Context(), ""); err == nil {
		t.Error("empty id accepted")
	}
	if n := f.calls(); n != 1 {
		t.Errorf("invalid calls reached the server: %d requests", n)
	}
}

func TestExternalIDs(t *testing.T) {
	t.Parallel()
	f := newFakeConnec(t)
	f.externalIDs = true
	c := f.client(t, connec.WithExternalIDs(true))
	inv, err := c.Invoices().Create(t.Context(), connec.Invoice{
		Entity:         connec.Entity{ID: connec.IDs(connec.ExternalID{ID: "INV-7", Provider: "myapp", Realm: "acct-9"})},
		Type:           "CUSTOMER",
		OrganizationID: connec.IDs(connec.ExternalID{ID: "CUS-1", Provider: "myapp", Realm: "acct-9"}),
		Lines:          []connec.InvoiceLine{{Quantity: "2", UnitPrice: &connec.Money{NetAmount: "10.10", TaxRate: "10"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if inv.ID.Connec() == "" || inv.ID.Plain != "" {
		t.Fatalf("id = %+v", inv.ID)
	}
	if ext, ok := inv.ID.For("myapp", "acct-9"); !ok || ext != "INV-7" {
		t.Errorf("For(myapp) = %q, %v", ext, ok)
	}
	if ref, _ := inv.OrganizationID.For("myapp", ""); ref != "CUS-1" {
		t.Errorf("organization_id = %+v", inv.OrganizationID)
	}
	if inv.Lines[0].UnitPrice.NetAmount != "10.10" {
		t.Errorf("amount = %q", inv.Lines[0].UnitPrice.NetAmount)
	}
	_, body := f.request(0)
	if !strings.Contains(body, `"id":[{"id":"INV-7","provider":"myapp","realm":"acct-9"}]`) || !strings.Contains(body, `"net_amount":10.10`) {
		t.Errorf("body = %s", body)
	}
}

func TestCompanyAndReport(t *testing.T) {
	t.Parallel()
	f := newFakeConnec(t)
	f.seed("company", map[string]any{"id": "co-1", "name": "Acme", "abn": "12 345"})
	c := f.client(t)
	co, err := c.Company(t.Context())
	if err != nil || co.Name != "Acme" || string(co.Extra["abn"]) != `"12 345"` {
		t.Fatalf("company = %+v, %v", co, err)
	}
	co, err = c.UpdateCompany(t.Context(), connec.Company{Timezone: "Australia/Sydney"})
	if err != nil || co.Name != "Acme" || co.Timezone != "Australia/Sydney" {
		t.Fatalf("updated company = %+v, %v", co, err)
	}
	if r, body := f.request(1); r.Method != http.MethodPut || r.URL.Path != "/api/v2/cld-1/company" || body != `{"company":{"timezone":"Australia/Sydney"}}` {
		t.Errorf("update: %s %s %s", r.Method, r.URL.Path, body)
	}
	rep, err := c.Report(t.Context(), "accounts_summary", connec.ReportParams{
		From: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2015, 12, 31, 23, 0, 0, 0, time.UTC), Period: connec.PeriodMonthly,
	})
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ From, To, Period string }
	if err := json.Unmarshal(rep, &v); err != nil || v.From != "2015-01-01" || v.To != "2015-12-31" || v.Period != "MONTHLY" {
		t.Fatalf("report = %s, %v", rep, err)
	}
	r, _ := f.request(2)
	if r.URL.Path != "/api/reports/cld-1/accounts_summary" {
		t.Errorf("report path = %s", r.URL.Path)
	}
	if _, err := c.Report(t.Context(), "profit_and_loss", connec.ReportParams{}); !errors.Is(err, connec.ErrBadRequest) {
		t.Errorf("unknown report: %v", err)
	}
	if _, err := c.Report(t.Context(), "../x", connec.ReportParams{}); err == nil {
		t.Error("bad report name accepted")
	}
}

func TestDoEscapeHatch(t *testing.T) {
	t.Parallel()
	f := newFakeConnec(t)
	f.seed("people", map[string]any{"first_name": "Ada"})
	c := f.client(t)
	body, err := c.Do(t.Context(), http.MethodGet, "people", nil, nil)
	if err != nil || !strings.Contains(string(body), `"Ada"`) {
		t.Fatalf("Do = %s, %v", body, err)
	}
	var apiErr *connec.APIError
	if _, err := c.Do(t.Context(), http.MethodGet, "/api/v2/json_schema/people", nil, nil); !errors.As(err, &apiErr) {
		t.Errorf("Do(/api/v2/json_schema) = %v", err)
	}
	if r, _ := f.request(1); r.URL.Path != "/api/v2/json_schema/people" {
		t.Errorf("path = %s", r.URL.Path)
	}
}

// TestFaults runs each call against a server that misbehaves.
func TestFaults(t *testing.T) {
	t.Parallel()
	type result struct {
		err   error
		calls int
	}
	run := func(t *testing.T, fault func(w http.ResponseWriter, r *http.Request, n int) bool, call func(*connec.Client) error, opts ...connec.Option) result {
		f := newFakeConnec(t)
		f.seed("invoices", map[string]any{"id": "inv-1", "title": "first"})
		f.fault = fault
		err := call(f.client(t, opts...))
		return result{err, f.calls()}
	}
	get := func(c *connec.Client) error { _, err := c.Invoices().Get(context.Background(), "inv-1"); return err }
	create := func(c *connec.Client) error {
		_, err := c.Invoices().Create(context.Background(), connec.Invoice{Title: "x"})
		return err
	}
	status := func(codes ...int) func(w http.ResponseWriter, r *http.Request, n int) bool {
		return func(w http.ResponseWriter, r *http.Request, n int) bool {
			if n > len(codes) {
				return false
			}
			if codes[n-1] == 429 {
				w.Header().Set("Retry-After", "2")
			}
			connecError(w, codes[n-1], http.StatusText(codes[n-1]))
			return true
		}
	}

	t.Run("GET 5xx then success", func(t *testing.T) {
		t.Parallel()
		res := run(t, status(503, 500), get)
		if res.err != nil || res.calls != 3 {
			t.Fatalf("err = %v, calls = %d; want success on the 3rd", res.err, res.calls)
		}
	})
	t.Run("GET 5xx every time", func(t *testing.T) {
		t.Parallel()
		res := run(t, status(502, 502, 502, 502), get)
		if !errors.Is(res.err, connec.ErrServer) || res.calls != 3 {
			t.Fatalf("err = %v, calls = %d", res.err, res.calls)
		}
	})
	t.Run("POST 5xx not repeated", func(t *testing.T) {
		t.Parallel()
		res := run(t, status(503), create)
		var apiErr *connec.APIError
		if !errors.As(res.err, &apiErr) || apiErr.StatusCode != 503 || res.calls != 1 {
			t.Fatalf("err = %v, calls = %d; want one call and the 503", res.err, res.calls)
		}
	})
	t.Run("429 with Retry-After", func(t *testing.T) {
		t.Parallel()
		var waits []time.Duration
		sleep := connec.WithRetrySleep(func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil })
		for _, call := range []func(*connec.Client) error{get, create} {
			waits = nil
			res := run(t, status(429), call, sleep)
			if res.err != nil || res.calls != 2 || len(waits) != 1 || waits[0] != 2*time.Second {
				t.Fatalf("err = %v, calls = %d, waits = %v; want one retry after the 2s the server asked for", res.err, res.calls, waits)
			}
		}
		res := run(t, status(429, 429, 429), get, connec.WithRetries(1))
		var apiErr *connec.APIError
		if !errors.Is(res.err, connec.ErrRateLimited) || !errors.As(res.err, &apiErr) || apiErr.RetryAfter != 2*time.Second || res.calls != 2 {
			t.Fatalf("exhausted: err = %v, calls = %d", res.err, res.calls)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		defer close(release)
		hang := func(w http.ResponseWriter, r *http.Request, n int) bool {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return true
		}
		res := run(t, hang, get, connec.WithTimeout(50*time.Millisecond), connec.WithRetries(1))
		var ce *maestrano.ConnectionError
		if !errors.As(res.err, &ce) || res.calls != 2 {
			t.Fatalf("err = %v, calls = %d; want a ConnectionError after a retry", res.err, res.calls)
		}
		var ne net.Error
		if !errors.As(res.err, &ne) || !ne.Timeout() {
			t.Errorf("err = %v, want a timeout", res.err)
		}
		res = run(t, hang, create, connec.WithTimeout(50*time.Millisecond), connec.WithRetries(3))
		if !errors.As(res.err, &ce) || res.calls != 1 {
			t.Fatalf("POST timeout: err = %v, calls = %d; want no repeat", res.err, res.calls)
		}
	})
	t.Run("malformed JSON", func(t *testing.T) {
		t.Parallel()
		for _, body := range []string{`{"invoices": {"title": `, `not json`, `{"people": {}}`, `{"invoices": []}`, `{"invoices": {"lines": "x"}}`} {
			res := run(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
				w.Write([]byte(body))
				return true
			}, get)
			var de *connec.DecodeError
			if !errors.As(res.err, &de) {
				t.Errorf("body %q: err = %T %v, want *DecodeError", body, res.err, res.err)
			}
		}
	})
	t.Run("truncated body", func(t *testing.T) {
		t.Parallel()
		res := run(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
			w.Header().Set("Content-Length", "500")
			w.Write([]byte(`{"invoices": {"title": "cut`))
			return true
		}, get, connec.WithRetries(0))
		var ce *maestrano.ConnectionError
		if !errors.As(res.err, &ce) {
			t.Fatalf("err = %T %v, want *maestrano.ConnectionError", res.err, res.err)
		}
	})
	t.Run("oversized body", func(t *testing.T) {
		t.Parallel()
		res := run(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
			w.Write([]byte(`{"invoices": {"title": "` + strings.Repeat("x", 4096) + `"}}`))
			return true
		}, get, connec.WithMaxResponseBytes(1024))
		if res.err == nil || !strings.Contains(res.err.Error(), "larger than 1024 bytes") {
			t.Fatalf("err = %v", res.err)
		}
	})
	t.Run("wrong credentials", func(t *testing.T) {
		t.Parallel()
		f := newFakeConnec(t)
		mp := f.marketplace()
		mp.API.Key = "wrong-key"
		c, err := connec.New(mp, testGroup)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Invoices().List(t.Context(), connec.Query{})
		var apiErr *connec.APIError
		if !errors.Is(err, connec.ErrUnauthorized) || !errors.As(err, &apiErr) || apiErr.Errors[0].Title != "Unauthorized Access" || f.calls() != 1 {
			t.Fatalf("err = %v, calls = %d", err, f.calls())
		}
		if strings.Contains(err.Error(), "wrong-key") {
			t.Errorf("error leaks the key: %v", err)
		}
		// A group the app does not own is refused the same way.
		c2, _ := connec.New(f.marketplace(), "cld-other")
		if _, err := c2.Invoices().List(t.Context(), connec.Query{}); !errors.Is(err, connec.ErrUnauthorized) {
			t.Errorf("foreign group: %v", err)
		}
	})
	t.Run("errors body", func(t *testing.T) {
		t.Parallel()
		res := run(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
			writeJSON(w, 409, map[string]any{"errors": []map[string]string{
				{"id": "e1", "status": "409", "code": "creation_of_resource_with_id", "title": "Creation of resource with id", "detail": "id must not be set"},
				{"status": "409", "title": "second"},
			}})
			return true
		}, create)
		var apiErr *connec.APIError
		if !errors.As(res.err, &apiErr) || !errors.Is(res.err, connec.ErrConflict) || len(apiErr.Errors) != 2 || apiErr.Errors[0].Code != "creation_of_resource_with_id" {
			t.Fatalf("err = %#v", res.err)
		}
		if want := "HTTP 409: Creation of resource with id: id must not be set (and 1 more)"; !strings.Contains(res.err.Error(), want) {
			t.Errorf("message %q lacks %q", res.err, want)
		}
		// Not an errors document: the start of the body is kept.
		res = run(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
			w.WriteHeader(418)
			w.Write([]byte("<html>\n  I'm a teapot " + strings.Repeat("x", 1000) + "</html>"))
			return true
		}, get)
		if !errors.As(res.err, &apiErr) || apiErr.Errors != nil || !strings.HasPrefix(apiErr.Message, "<html> I'm a teapot") || len(apiErr.Message) > 520 {
			t.Fatalf("non-JSON error: %#v", res.err)
		}
	})
	t.Run("redirect not followed", func(t *testing.T) {
		t.Parallel()
		res := run(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
			http.Redirect(w, r, "https://elsewhere.example/steal", http.StatusFound)
			return true
		}, get)
		var apiErr *connec.APIError
		if !errors.As(res.err, &apiErr) || apiErr.StatusCode != 302 || res.calls != 1 {
			t.Fatalf("err = %v", res.err)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		t.Parallel()
		f := newFakeConnec(t)
		ctx, cancel := context.WithCancel(t.Context())
		var calls atomic.Int32
		f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
			calls.Add(1)
			cancel()
			<-r.Context().Done()
			return true
		}
		_, err := f.client(t).Invoices().Get(ctx, "inv-1")
		if !errors.Is(err, context.Canceled) || calls.Load() != 1 {
			t.Fatalf("err = %v, calls = %d", err, calls.Load())
		}
	})
}
