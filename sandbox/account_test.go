package sandbox_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/sandbox"
)

// App credentials of the test world (testdata/account/world/seed.yaml).
var (
	app1 = basic("app-1", "app1-key-0123456789abcdef0123456789abcdef")
	app2 = basic("app-2", "app2-key-0123456789abcdef0123456789abcdef")
	app3 = basic("app-3", "app3-key-0123456789abcdef0123456789abcdef")
)

// envelope is the account API envelope with raw data.
type envelope struct {
	Success bool                  `json:"success"`
	Errors  map[string][]string   `json:"errors"`
	Data    json.RawMessage       `json:"data"`
	Error   *sandbox.AccountError `json:"error"`
}

// call sends an account API request with an optional body and content type
// and decodes the envelope, failing the test if the answer is not one.
func (e *env) call(t *testing.T, method, path string, auth http.Header, contentType, body string) (int, envelope) {
	t.Helper()
	status, hdr, raw := e.send(t, method, path, auth, contentType, body)
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: content type %q, body %q", method, path, ct, raw)
	}
	env := decodeJSON[envelope](t, raw)
	if env.Errors == nil || env.Data == nil {
		t.Fatalf("%s %s: not an envelope: %s", method, path, raw)
	}
	if env.Success != (len(env.Errors) == 0) || (env.Error == nil) == !env.Success {
		t.Fatalf("%s %s: inconsistent envelope %s", method, path, raw)
	}
	if !env.Success && string(env.Data) != "{}" {
		t.Fatalf("%s %s: failure with data %s", method, path, env.Data)
	}
	return status, env
}

func (e *env) send(t *testing.T, method, path string, hdr http.Header, contentType, body string) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func data[T any](t *testing.T, env envelope) T {
	t.Helper()
	return decodeJSON[T](t, string(env.Data))
}

func ids[T any](items []T, id func(T) string) string {
	var out []string
	for _, it := range items {
		out = append(out, id(it))
	}
	return strings.Join(out, ",")
}

func billIDs(b []sandbox.AccountBill) string {
	return ids(b, func(x sandbox.AccountBill) string { return x.ID })
}

const (
	form     = "application/x-www-form-urlencoded"
	jsonType = "application/json"
)

func TestAccountPingAndAuthentication(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	status, env := e.call(t, "GET", "/api/v1/ping", app1, "", "")
	if status != 200 || !env.Success || data[sandbox.PingData](t, env).Msg != "Ping successful! (API Authentication successful)" {
		t.Errorf("ping: %d %+v", status, env)
	}
	for name, auth := range map[string]http.Header{
		"none":        nil,
		"wrong key":   basic("app-1", "app2-key-0123456789abcdef0123456789abcdef"),
		"unknown app": basic("app-99", "app1-key-0123456789abcdef0123456789abcdef"),
		"env key":     basic("acme-env-key-0001", "acme-env-secret-0001"),
		"empty":       basic("", ""),
		"not basic":   {"Authorization": {"Bearer x"}},
		"bad base64":  {"Authorization": {"Basic %%%"}},
	} {
		for _, path := range []string{"/api/v1/ping", "/api/v1/account/bills", "/api/v1/account/groups/cld-1"} {
			status, env := e.call(t, "GET", path, auth, "", "")
			if status != http.StatusUnauthorized || env.Success || env.Errors["authentication"][0] != "Invalid API token" ||
				env.Error.Param != "authentication" {
				t.Errorf("%s %s: %d %+v", name, path, status, env)
			}
		}
	}
}

func TestAccountBillsCreateEncodings(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	for _, tc := range []struct {
		name, ct, body string
	}{
		{"form (Ruby, PHP)", form, "group_id=cld-1&price_cents=1500&description=Setup&currency=USD&units=2.5&period_started_at=2030-01-01T00:00:00Z&third_party=true"},
		{"form nested", form, "bill[group_id]=cld-1&bill[price_cents]=1500&bill[description]=Setup&bill[currency]=USD&bill[units]=2.5&bill[period_started_at]=2030-01-01T00:00:00Z&bill[third_party]=true"},
		{"JSON (Java)", jsonType, `{"group_id":"cld-1","price_cents":1500,"description":"Setup","currency":"USD","units":2.5,"period_started_at":"2030-01-01T00:00:00Z","third_party":true}`},
		{"JSON wrapped", "application/vnd.api+json", `{"bill":{"group_id":"cld-1","price_cents":1500,"description":"Setup","currency":"USD","units":2.5,"period_started_at":"2030-01-01T00:00:00Z","third_party":true}}`},
		{"JSON without content type", "", `{"group_id":"cld-1","price_cents":"1500","description":"Setup","currency":"USD","units":"2.5","period_started_at":"2030-01-01T00:00:00","third_party":"true"}`},
	} {
		status, env := e.call(t, "POST", "/api/v1/account/bills", app1, tc.ct, tc.body)
		if status != 200 || !env.Success {
			t.Fatalf("%s: %d %+v", tc.name, status, env)
		}
		b := data[sandbox.AccountBill](t, env)
		start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		if b.Object != "account_bill" || !strings.HasPrefix(b.ID, "bill-") || b.GroupID != "cld-1" || b.PriceCents != 1500 ||
			b.Status != "submitted" || b.Currency != "USD" || b.Units == nil || *b.Units != 2.5 || b.Description != "Setup" ||
			b.PeriodStartedAt == nil || !b.PeriodStartedAt.Equal(start) || b.PeriodEndedAt != nil || !b.ThirdParty || !b.CreatedAt.Equal(testNow) {
			t.Errorf("%s: bill %+v", tc.name, b)
		}
	}
	// Ids follow the seeded bill-1..bill-3.
	_, env := e.call(t, "GET", "/api/v1/account/bills", app1, "", "")
	if got := billIDs(data[[]sandbox.AccountBill](t, env)); got != "bill-1,bill-2,bill-4,bill-5,bill-6,bill-7,bill-8" {
		t.Errorf("app-1 bills %s", got)
	}
	// Defaults: currency AUD, units null.
	_, env = e.call(t, "POST", "/api/v1/account/bills", app1, form, "group_id=cld-2&price_cents=10&description=x")
	if b := data[sandbox.AccountBill](t, env); b.Currency != "AUD" || b.Units != nil || b.ThirdParty {
		t.Errorf("defaults %+v", b)
	}
	// The raw JSON has every key, nulls included.
	_, env = e.call(t, "GET", "/api/v1/account/bills/bill-1", app1, "", "")
	var raw map[string]any
	_ = json.Unmarshal(env.Data, &raw)
	for _, k := range []string{"object", "id", "group_id", "created_at", "updated_at", "price_cents", "status", "currency",
		"units", "description", "period_started_at", "period_ended_at", "third_party"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("bill JSON lacks %q: %s", k, env.Data)
		}
	}
	if raw["created_at"] != "2029-12-31T00:00:00Z" && !strings.HasSuffix(fmt.Sprint(raw["created_at"]), "Z") {
		t.Errorf("created_at %v", raw["created_at"])
	}
}

func TestAccountBillsValidation(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	for _, tc := range []struct {
		name, ct, body string
		want           map[string][]string
	}{
		{"nothing", form, "", map[string][]string{"group_id": {"does not exist or cannot be charged by your service"}}},
		{"other app's group", form, "group_id=cld-3&price_cents=1&description=x", map[string][]string{"group_id": {"does not exist or cannot be charged by your service"}}},
		{"unknown group", jsonType, `{"group_id":"cld-99","price_cents":1,"description":"x"}`, map[string][]string{"group_id": {"does not exist or cannot be charged by your service"}}},
		{"blank fields", form, "group_id=cld-1", map[string][]string{"price_cents": {"can't be blank", "is not a number"}, "description": {"can't be blank"}}},
		{"not a number", form, "group_id=cld-1&price_cents=abc&description=x", map[string][]string{"price_cents": {"is not a number"}}},
		{"not an integer", jsonType, `{"group_id":"cld-1","price_cents":1.5,"description":"x"}`, map[string][]string{"price_cents": {"must be an integer"}}},
		{"zero price", form, "group_id=cld-1&price_cents=0&description=x", map[string][]string{"price_cents": {"must be greater than 0"}}},
		{"negative price", form, "group_id=cld-1&price_cents=-5&description=x", map[string][]string{"price_cents": {"must be greater than 0"}}},
		{"huge price", form, "group_id=cld-1&price_cents=1e400&description=x", map[string][]string{"price_cents": {"is not a number"}}},
		{"currency", form, "group_id=cld-1&price_cents=1&description=x&currency=ZZZ", map[string][]string{"currency": {"is not included in the list"}}},
		{"units", form, "group_id=cld-1&price_cents=1&description=x&units=0", map[string][]string{"units": {"must be greater than 0"}}},
		{"units NaN", form, "group_id=cld-1&price_cents=1&description=x&units=NaN", map[string][]string{"units": {"is not a number"}}},
		{"date", form, "group_id=cld-1&price_cents=1&description=x&period_ended_at=yesterday", map[string][]string{"period_ended_at": {"is not a valid date (use YYYY-MM-DDTHH:MM:SSZ)"}}},
		{"boolean", form, "group_id=cld-1&price_cents=1&description=x&third_party=maybe", map[string][]string{"third_party": {"is not a boolean (use true or false)"}}},
		{"control characters", form, "group_id=cld-1&price_cents=1&description=a%00b", map[string][]string{"description": {"contains control characters or invalid UTF-8"}}},
		{"long description", form, "group_id=cld-1&price_cents=1&description=" + strings.Repeat("x", 1001), map[string][]string{"description": {"is too long (maximum is 1000 characters)"}}},
	} {
		status, env := e.call(t, "POST", "/api/v1/account/bills", app1, tc.ct, tc.body)
		if status != http.StatusBadRequest || env.Success || fmt.Sprint(env.Errors) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %d %v, want 400 %v", tc.name, status, env.Errors, tc.want)
		}
	}
	_, env := e.call(t, "GET", "/api/v1/account/bills", app1, "", "")
	if got := billIDs(data[[]sandbox.AccountBill](t, env)); got != "bill-1,bill-2" {
		t.Errorf("invalid creates stored bills: %s", got)
	}
}

func TestAccountBillsShowListCancel(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	// Show: own bill; another app's bill and an unknown id are 200 with
	// success false, as on the original platform.
	status, env := e.call(t, "GET", "/api/v1/account/bills/bill-1", app1, "", "")
	if status != 200 || data[sandbox.AccountBill](t, env).Description != "Setup fee" {
		t.Errorf("show bill-1: %d %+v", status, env)
	}
	for _, id := range []string{"bill-3", "bill-99", "x%00y", strings.Repeat("b", 300)} {
		status, env = e.call(t, "GET", "/api/v1/account/bills/"+id, app1, "", "")
		if status != 200 || env.Success || env.Errors["id"][0] != "does not exist" {
			t.Errorf("show %s: %d %+v", id, status, env)
		}
	}
	// Lists are scoped to the app and narrowed by group_id.
	for _, tc := range []struct {
		auth  http.Header
		query string
		want  string
	}{
		{app1, "", "bill-1,bill-2"},
		{app2, "", ""},
		{app3, "", "bill-3"},
		{app1, "?group_id=cld-2", "bill-2"},
		{app1, "?group_id=cld-3", ""}, // not the app's group
		{app1, "?status=invoiced", "bill-2"},
		{app1, "?currency=USD&status=submitted", "bill-1"},
		{app1, "?price_cents_greater_than=2500", "bill-2"},
		{app1, "?price_cents_strictly_greater_than=2500", ""},
		{app1, "?price_cents_lower_than=1000", "bill-1"},
		{app1, "?price_cents_strictly_lower_than=1000", ""},
		{app1, "?units=2", "bill-2"},
		{app1, "?third_party=false", "bill-1,bill-2"},
		{app1, "?created_at_after=2030-01-02T03:04:05Z", "bill-1,bill-2"},
		{app1, "?created_at_strictly_after=2030-01-02T03:04:05", ""},
		{app1, "?created_at_before=2030-01-02", ""},
		{app1, "?created_at_strictly_before=2030-01-03", "bill-1,bill-2"},
		{app1, "?id=bill-2", "bill-2"},
		{app1, "?colour=red", ""}, // unknown parameter: empty list
		{app1, "?created_at__after=2030-01-01", ""},
	} {
		status, env := e.call(t, "GET", "/api/v1/account/bills"+tc.query, tc.auth, "", "")
		if status != 200 || !env.Success {
			t.Fatalf("list %s: %d %+v", tc.query, status, env)
		}
		if got := billIDs(data[[]sandbox.AccountBill](t, env)); got != tc.want {
			t.Errorf("list %s: %s, want %q", tc.query, got, tc.want)
		}
		if string(env.Data) == "null" {
			t.Errorf("list %s: data null, want []", tc.query)
		}
	}
	for _, q := range []string{"?created_at_after=soon", "?price_cents=cheap", "?third_party_after=true", "?units_before=NaN"} {
		status, env := e.call(t, "GET", "/api/v1/account/bills"+q, app1, "", "")
		if status != http.StatusBadRequest || env.Success {
			t.Errorf("bad filter %s: %d %+v", q, status, env)
		}
	}
	// DELETE cancels, idempotently; an invoiced bill cannot be cancelled.
	for range 2 {
		status, env = e.call(t, "DELETE", "/api/v1/account/bills/bill-1", app1, "", "")
		if status != 200 || data[sandbox.AccountBill](t, env).Status != "cancelled" {
			t.Errorf("cancel bill-1: %d %+v", status, env)
		}
	}
	status, env = e.call(t, "DELETE", "/api/v1/account/bills/bill-2", app1, "", "")
	if status != 400 || env.Errors["status"][0] != "has already been set to invoiced and cannot be changed" {
		t.Errorf("cancel invoiced: %d %+v", status, env)
	}
	status, env = e.call(t, "DELETE", "/api/v1/account/bills/bill-3", app1, "", "")
	if status != 400 || env.Errors["id"][0] != "does not exist" {
		t.Errorf("cancel other app's bill: %d %+v", status, env)
	}
	if _, env = e.call(t, "GET", "/api/v1/account/bills/bill-3", app3, "", ""); data[sandbox.AccountBill](t, env).Status != "submitted" {
		t.Error("another app cancelled bill-3")
	}
}

func TestAccountRecurringBills(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	status, env := e.call(t, "POST", "/api/v1/account/recurring_bills", app1, jsonType,
		`{"group_id":"cld-2","price_cents":990,"description":"Plan","period":"Week","frequency":2,"cycles":6,"initial_cents":500,"currency":"EUR","start_date":"2030-01-10T00:00:00Z"}`)
	if status != 200 || !env.Success {
		t.Fatalf("create: %d %+v", status, env)
	}
	rb := data[sandbox.AccountRecurringBill](t, env)
	start := time.Date(2030, 1, 10, 0, 0, 0, 0, time.UTC)
	if rb.ID != "rbill-2" || rb.Object != "account_recurring_bill" || rb.Period != "week" || rb.Frequency != 2 || *rb.Cycles != 6 ||
		*rb.RemainingCycles != 6 || rb.InitialCents != 500 || !rb.StartDate.Equal(start) || !rb.NextExecutionAt.Equal(start) ||
		rb.LastExecutionAt != nil || rb.Status != "submitted" || rb.Currency != "EUR" {
		t.Errorf("recurring bill %+v", rb)
	}
	// initial_cents created the one-off bill at setup.
	_, env = e.call(t, "GET", "/api/v1/account/bills?description=Initial:%20Plan", app1, "", "")
	if b := data[[]sandbox.AccountBill](t, env); len(b) != 1 || b[0].PriceCents != 500 || b[0].GroupID != "cld-2" || b[0].Currency != "EUR" {
		t.Errorf("initial bill %+v", b)
	}
	// Defaults.
	_, env = e.call(t, "POST", "/api/v1/account/recurring_bills", app1, form, "group_id=cld-1&price_cents=100&description=d")
	rb = data[sandbox.AccountRecurringBill](t, env)
	if rb.Period != "month" || rb.Frequency != 1 || rb.Cycles != nil || rb.RemainingCycles != nil || !rb.StartDate.Equal(testNow) || rb.Currency != "AUD" {
		t.Errorf("defaults %+v", rb)
	}
	for _, tc := range []struct {
		body string
		want map[string][]string
	}{
		{"group_id=cld-1&price_cents=1&description=d&start_date=2030-01-02T01:00:00Z", map[string][]string{"start_date": {"cannot be in the past"}}},
		{"group_id=cld-1&price_cents=1&description=d&period=fortnight", map[string][]string{"period": {"is not included in the list"}}},
		{"group_id=cld-1&price_cents=1&description=d&frequency=0&cycles=-1", map[string][]string{"cycles": {"must be greater than 0"}, "frequency": {"must be greater than 0"}}},
		{"group_id=cld-1&price_cents=1&description=d&initial_cents=-1", map[string][]string{"initial_cents": {"must be greater than or equal to 0"}}},
		{"group_id=cld-1&price_cents=1&description=d&frequency=99999999999999", map[string][]string{"frequency": {"must be greater than 0"}}},
		{"group_id=cld-3&price_cents=1&description=d", map[string][]string{"group_id": {"does not exist or cannot be charged by your service"}}},
	} {
		status, env := e.call(t, "POST", "/api/v1/account/recurring_bills", app1, form, tc.body)
		if status != 400 || fmt.Sprint(env.Errors) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %d %v, want %v", tc.body, status, env.Errors, tc.want)
		}
	}
	_, env = e.call(t, "GET", "/api/v1/account/recurring_bills?period=week", app1, "", "")
	if got := ids(data[[]sandbox.AccountRecurringBill](t, env), func(b sandbox.AccountRecurringBill) string { return b.ID }); got != "rbill-2" {
		t.Errorf("filtered %s", got)
	}
	status, env = e.call(t, "GET", "/api/v1/account/recurring_bills/rbill-1", app3, "", "")
	if status != 200 || env.Success {
		t.Errorf("other app's recurring bill: %d %+v", status, env)
	}
	for range 2 {
		status, env = e.call(t, "DELETE", "/api/v1/account/recurring_bills/rbill-1", app1, "", "")
		if status != 200 || data[sandbox.AccountRecurringBill](t, env).Status != "cancelled" {
			t.Errorf("cancel: %d %+v", status, env)
		}
	}
	if status, _ = e.call(t, "DELETE", "/api/v1/account/recurring_bills/rbill-9", app1, "", ""); status != 400 {
		t.Errorf("cancel unknown: %d", status)
	}
}

func TestAccountGroupsUsersResellers(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	groupIDs := func(env envelope) string {
		return ids(data[[]sandbox.AccountGroup](t, env), func(g sandbox.AccountGroup) string { return g.ID })
	}
	userIDs := func(env envelope) string {
		return ids(data[[]sandbox.AccountUser](t, env), func(u sandbox.AccountUser) string { return u.ID })
	}
	for _, tc := range []struct {
		auth       http.Header
		path, want string
		users      bool
	}{
		{app1, "/api/v1/account/groups", "cld-1,cld-2", false},
		{app2, "/api/v1/account/groups", "cld-1", false},
		{app3, "/api/v1/account/groups", "cld-3", false},
		{app1, "/api/v1/account/groups?currency=EUR", "cld-2", false},
		{app1, "/api/v1/account/groups?has_credit_card=true", "cld-1", false},
		{app1, "/api/v1/account/groups?created_at_strictly_after=2029-03-01", "cld-2", false},
		{app1, "/api/v1/account/groups?group_id=cld-1", "", false},
		{app1, "/api/v1/account/resellers/rsl-1/groups", "cld-1", false},
		{app1, "/api/v1/account/users", "usr-1,usr-2", true},
		{app1, "/api/v1/account/users?group_id=cld-2", "usr-1", true},
		{app1, "/api/v1/account/users?group_id=cld-3", "", true},
		{app1, "/api/v1/account/users?surname=Roe", "usr-2", true},
		{app3, "/api/v1/account/users", "usr-3", true},
	} {
		status, env := e.call(t, "GET", tc.path, tc.auth, "", "")
		if !env.Success {
			t.Errorf("%s: %d %+v", tc.path, status, env)
			continue
		}
		got := ""
		if tc.users {
			got = userIDs(env)
		} else {
			got = groupIDs(env)
		}
		if status != 200 || got != tc.want {
			t.Errorf("%s: %d %q, want %q", tc.path, status, got, tc.want)
		}
	}
	_, env := e.call(t, "GET", "/api/v1/account/groups/cld-1", app1, "", "")
	g := data[sandbox.AccountGroup](t, env)
	if g.Object != "account_group" || g.Name != "Acme Corp" || !g.HasCreditCard || g.Status != "running" || *g.MainAccounting != "xero" ||
		g.Email != "cld-1@example.com" || g.Timezone != "America/Los_Angeles" || !g.FreeTrialEndAt.Equal(time.Date(2029, 2, 1, 0, 0, 0, 0, time.UTC)) ||
		*g.ResellerID != "rsl-1" {
		t.Errorf("group %+v", g)
	}
	_, env = e.call(t, "GET", "/api/v1/account/users/usr-1", app1, "", "")
	u := data[sandbox.AccountUser](t, env)
	if u.Object != "account_user" || u.Name != "John" || u.Surname != "Doe" || u.Email != "john.doe@example.com" || len(u.SSOSession) != 36 || u.CompanyName != "Acme Corp" {
		t.Errorf("user %+v", u)
	}
	for _, tc := range []struct {
		auth http.Header
		path string
	}{
		{app1, "/api/v1/account/groups/cld-3"},
		{app1, "/api/v1/account/users/usr-3"},
		{app3, "/api/v1/account/resellers/rsl-1"},
		{app3, "/api/v1/account/resellers/rsl-1/groups"},
		{app1, "/api/v1/account/resellers/rsl-404"},
	} {
		status, env := e.call(t, "GET", tc.path, tc.auth, "", "")
		if status != 200 || env.Success || env.Errors["id"][0] != "does not exist" {
			t.Errorf("%s: %d %+v", tc.path, status, env)
		}
	}
	_, env = e.call(t, "GET", "/api/v1/account/resellers", app1, "", "")
	rs := data[[]sandbox.AccountReseller](t, env)
	if len(rs) != 1 || rs[0] != (sandbox.AccountReseller{Object: "account_reseller", ID: "rsl-1", Name: "Blue Consulting", Code: "US-204512-BCL",
		Country: "AU", CreatedAt: testNow, UpdatedAt: testNow}) {
		t.Errorf("resellers %+v", rs)
	}
	if _, env = e.call(t, "GET", "/api/v1/account/resellers", app3, "", ""); string(env.Data) != "[]" {
		t.Errorf("app-3 resellers %s", env.Data)
	}
}

// encryptPassword encrypts like the SDKs: base64(iv) + "--" +
// base64(AES-256-CBC(PKCS#7)) keyed with the first 32 bytes of the API key.
func encryptPassword(t *testing.T, plain, apiKey string) string {
	t.Helper()
	block, err := aes.NewCipher([]byte(apiKey[:32]))
	if err != nil {
		t.Fatal(err)
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	msg := append([]byte(plain), bytes.Repeat([]byte{byte(pad)}, pad)...)
	iv := []byte("0123456789abcdef")
	out := make([]byte, len(msg))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, msg)
	// Ruby's Base64.encode64 adds line breaks; the server must not mind.
	return base64.StdEncoding.EncodeToString(iv) + "\n--" + base64.StdEncoding.EncodeToString(out) + "\n"
}

func TestAccountUsersAuthenticate(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	const key1 = "app1-key-0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		name, ct, body string
		ok             bool
	}{
		{"by id, seeded password", form, url.Values{"id": {"usr-1"}, "password": {encryptPassword(t, "correct horse", key1)}}.Encode(), true},
		{"by email, JSON", jsonType, fmt.Sprintf(`{"email":"JOHN.DOE@example.com","password":%q}`, encryptPassword(t, "correct horse", key1)), true},
		{"no seeded password: any", form, url.Values{"id": {"usr-2"}, "password": {encryptPassword(t, "anything", key1)}}.Encode(), true},
		{"wrong password", form, url.Values{"id": {"usr-1"}, "password": {encryptPassword(t, "wrong", key1)}}.Encode(), false},
		{"simulated failure", form, url.Values{"id": {"usr-2"}, "password": {encryptPassword(t, "invalid_password", key1)}}.Encode(), false},
		{"other app's key", form, url.Values{"id": {"usr-2"}, "password": {encryptPassword(t, "anything", "app2-key-0123456789abcdef0123456789abcdef")}}.Encode(), false},
		{"other app's user", form, url.Values{"id": {"usr-3"}, "password": {encryptPassword(t, "anything", key1)}}.Encode(), false},
		{"unknown email", form, url.Values{"email": {"x@example.com"}, "password": {encryptPassword(t, "anything", key1)}}.Encode(), false},
		{"plaintext password", form, "id=usr-2&password=anything", false},
		{"bad base64", form, "id=usr-2&password=" + url.QueryEscape("***--***"), false},
		{"short iv", form, "id=usr-2&password=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte("x"))+"--"+base64.StdEncoding.EncodeToString(make([]byte, 16))), false},
		{"bad padding", form, "id=usr-2&password=" + url.QueryEscape(base64.StdEncoding.EncodeToString(make([]byte, 16))+"--"+base64.StdEncoding.EncodeToString(make([]byte, 32))), false},
		{"nothing", form, "", false},
	} {
		status, env := e.call(t, "POST", "/api/v1/account/users/authenticate", app1, tc.ct, tc.body)
		if status != 200 || env.Success != tc.ok {
			t.Errorf("%s: %d %+v", tc.name, status, env)
			continue
		}
		if !tc.ok && env.Errors["password"][0] != "invalid password or non existing user" {
			t.Errorf("%s: errors %v", tc.name, env.Errors)
		}
		if tc.ok && data[sandbox.AccountUser](t, env).Object != "account_user" {
			t.Errorf("%s: data %s", tc.name, env.Data)
		}
	}
}

func TestAccountRoutingAndBadInput(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	for _, tc := range []struct {
		name, method, path, ct, body string
		status                       int
		field                        string
	}{
		{"PUT bill", "PUT", "/api/v1/account/bills/bill-1", jsonType, `{}`, 405, "method"},
		{"POST groups", "POST", "/api/v1/account/groups", form, "", 405, "method"},
		{"DELETE users", "DELETE", "/api/v1/account/users/usr-1", "", "", 405, "method"},
		{"unknown resource", "GET", "/api/v1/account/invoices", "", "", 404, "resource"},
		{"deep path", "GET", "/api/v1/account/bills/bill-1/extra", "", "", 404, "resource"},
		{"POST ping", "POST", "/api/v1/ping", "", "", 405, "method"},
		{"JSON array", "POST", "/api/v1/account/bills", jsonType, `[1,2]`, 400, "request"},
		{"JSON garbage", "POST", "/api/v1/account/bills", jsonType, `{"group_id":`, 400, "request"},
		{"JSON trailing", "POST", "/api/v1/account/bills", jsonType, `{} {}`, 400, "request"},
		{"JSON trailing bracket", "POST", "/api/v1/account/bills", jsonType, `{"group_id":"cld-1"}]`, 400, "request"},
		{"JSON trailing brace", "POST", "/api/v1/account/bills", jsonType, `{"group_id":"cld-1"}}`, 400, "request"},
		{"JSON nested twice", "POST", "/api/v1/account/bills", jsonType, `{"bill":{"x":{"y":1}}}`, 400, "request"},
		{"JSON array value", "POST", "/api/v1/account/bills", jsonType, `{"group_id":["cld-1"]}`, 400, "request"},
		{"XML body", "POST", "/api/v1/account/bills", "application/xml", `<bill/>`, 400, "request"},
		{"bad content type", "POST", "/api/v1/account/bills", "text/plain; charset=\"", `x`, 400, "request"},
		{"malformed form", "POST", "/api/v1/account/bills", form, "a=%zz", 400, "request"},
		{"malformed query", "GET", "/api/v1/account/bills?a=%zz", "", "", 400, "request"},
		{"too many params", "GET", "/api/v1/account/bills?" + manyParams(100), "", "", 400, "request"},
		{"body too large", "POST", "/api/v1/account/bills", form, "description=" + strings.Repeat("x", 70<<10), 400, "request"},
	} {
		status, env := e.call(t, tc.method, tc.path, app1, tc.ct, tc.body)
		if status != tc.status || env.Success || len(env.Errors[tc.field]) == 0 {
			t.Errorf("%s: %d %+v, want %d with %q", tc.name, status, env, tc.status, tc.field)
		}
	}
	// Allow lists what the path serves.
	_, hdr, _ := e.send(t, "PUT", "/api/v1/account/bills/bill-1", app1, "", "")
	if hdr.Get("Allow") != "GET, DELETE" {
		t.Errorf("Allow %q", hdr.Get("Allow"))
	}
	// CORS preflight.
	status, hdr, _ := e.send(t, "OPTIONS", "/api/v1/account/bills", nil, "", "")
	if status != 200 || hdr.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(hdr.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight %d %v", status, hdr)
	}
	// api.host + api.base + "/account/..." (a doubled slash) still works.
	if status, env := e.call(t, "GET", "/api/v1//account/groups/cld-1", app1, "", ""); status != 200 || !env.Success {
		t.Errorf("doubled slash: %d %+v", status, env)
	}
}

func manyParams(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "p%d=1&", i)
	}
	return b.String()
}

func TestAccountAdminBillStatus(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	envAuth := basic("acme-env-key-0001", "acme-env-secret-0001")
	status, _, body := e.send(t, "POST", "/api/sandbox/v1/bills/bill-1/invoice", envAuth, "", "")
	if status != 200 || decodeJSON[sandbox.AccountBill](t, body).Status != "invoiced" {
		t.Fatalf("invoice: %d %s", status, body)
	}
	if status, env := e.call(t, "DELETE", "/api/v1/account/bills/bill-1", app1, "", ""); status != 400 || env.Errors["status"] == nil {
		t.Errorf("cancel after invoice: %d %+v", status, env)
	}
	status, _, body = e.send(t, "POST", "/api/sandbox/v1/recurring_bills/rbill-1/activate", envAuth, "", "")
	rb := decodeJSON[sandbox.AccountRecurringBill](t, body)
	if status != 200 || rb.Status != "active" || rb.LastExecutionAt == nil || !rb.LastExecutionAt.Equal(testNow) {
		t.Errorf("activate: %d %s", status, body)
	}
	status, _, body = e.send(t, "POST", "/api/sandbox/v1/recurring_bills/rbill-1/expire", envAuth, "", "")
	rb = decodeJSON[sandbox.AccountRecurringBill](t, body)
	if status != 200 || rb.Status != "expired" || *rb.RemainingCycles != 0 || rb.NextExecutionAt != nil {
		t.Errorf("expire: %d %s", status, body)
	}
	for _, tc := range []struct {
		path   string
		auth   http.Header
		status int
	}{
		{"/api/sandbox/v1/bills/bill-1/invoice", nil, 401},
		{"/api/sandbox/v1/bills/bill-1/invoice", app1, 401},
		{"/api/sandbox/v1/bills/bill-99/invoice", envAuth, 404},
		{"/api/sandbox/v1/bills/bill-1/pay", envAuth, 404},
		{"/api/sandbox/v1/recurring_bills/rbill-1/invoice", envAuth, 404},
	} {
		status, _, body := e.send(t, "POST", tc.path, tc.auth, "", "")
		if status != tc.status || decodeJSON[sandbox.ErrorResponse](t, body).Error == "" {
			t.Errorf("%s: %d %s", tc.path, status, body)
		}
	}
}

// TestAccountDuplicateParams: a parameter given twice in the query, the
// form or the JSON body (also flat and under the resource wrapper) is
// refused with 400 naming it, and nothing is created; the body still
// overrides the query string.
func TestAccountDuplicateParams(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	_, env := e.call(t, "GET", "/api/v1/account/bills", app1, "", "")
	before := len(data[[]sandbox.AccountBill](t, env))
	ok := "group_id=cld-1&description=Setup&"
	for _, tc := range []struct {
		name, path, ct, body, field string
	}{
		{"form, same name", "/api/v1/account/bills", form, ok + "price_cents=1&price_cents=100000", "price_cents"},
		{"form, flat and nested", "/api/v1/account/bills", form, ok + "price_cents=1&bill[price_cents]=2", "price_cents"},
		{"form, nested twice", "/api/v1/account/bills", form, ok + "bill[currency]=USD&bill[currency]=EUR&price_cents=1", "currency"},
		{"query, same name", "/api/v1/account/bills?price_cents=1&price_cents=2", form, ok, "price_cents"},
		{"JSON, same key", "/api/v1/account/bills", jsonType, `{"group_id":"cld-1","description":"Setup","price_cents":1,"price_cents":100000}`, "price_cents"},
		{"JSON, same key in the wrapper", "/api/v1/account/bills", jsonType, `{"bill":{"group_id":"cld-1","description":"d","group_id":"cld-2","price_cents":1}}`, "group_id"},
		{"JSON, flat and wrapped", "/api/v1/account/bills", jsonType, `{"price_cents":1,"bill":{"group_id":"cld-1","description":"d","price_cents":2}}`, "price_cents"},
		{"JSON, recurring bill", "/api/v1/account/recurring_bills", jsonType, `{"group_id":"cld-1","description":"d","price_cents":1,"period":"month","period":"year"}`, "period"},
	} {
		status, env := e.call(t, "POST", tc.path, app1, tc.ct, tc.body)
		if status != http.StatusBadRequest || len(env.Errors) != 1 || len(env.Errors[tc.field]) != 1 || env.Errors[tc.field][0] != "is given more than once" {
			t.Errorf("%s: %d %+v", tc.name, status, env)
		}
	}
	_, env = e.call(t, "GET", "/api/v1/account/bills", app1, "", "")
	if n := len(data[[]sandbox.AccountBill](t, env)); n != before {
		t.Errorf("refused requests created %d bills", n-before)
	}
	// The body overrides the query string (they are two parts, not a duplicate).
	status, env := e.call(t, "POST", "/api/v1/account/bills?description=query", app1, jsonType,
		`{"group_id":"cld-1","description":"body","price_cents":5}`)
	if status != 200 || data[sandbox.AccountBill](t, env).Description != "body" {
		t.Errorf("JSON body over query: %d %+v", status, env)
	}
	status, env = e.call(t, "POST", "/api/v1/account/bills?description=query", app1, form, "group_id=cld-1&description=body&price_cents=5")
	if status != 200 || data[sandbox.AccountBill](t, env).Description != "body" {
		t.Errorf("body over query: %d %+v", status, env)
	}
}
