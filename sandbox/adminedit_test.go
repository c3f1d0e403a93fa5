package sandbox_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/maestrano-go/maestrano/sandbox"
)

// post sends an admin form as a same-origin browser would.
func (e *env) post(t *testing.T, path string, form url.Values) (int, http.Header, string) {
	t.Helper()
	hdr := http.Header{"Origin": {e.srv.URL}, "Sec-Fetch-Site": {"same-origin"}}
	req, _ := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header = hdr
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
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

func (e *env) page(t *testing.T, path string) string {
	t.Helper()
	status, hdr, body := e.do(t, "GET", path, nil)
	if status != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s: %d %s", path, status, body)
	}
	return body
}

func appForm(t *testing.T) url.Values {
	t.Helper()
	return url.Values{
		"marketplace": {"maestrano"}, "nid": {"acme-crm"}, "environment": {"acme"},
		"name": {"Acme CRM 2"}, "host": {"http://127.0.0.1:4000/"}, "sso_idm": {"http://127.0.0.1:4000"},
		"sso_init_path": {"/sso/init"}, "sso_consume_path": {"/sso/consume"}, "api_base": {"/api/v1/"},
		"sync_start_path": {"/s"}, "sync_toggle_path": {"/t"}, "sync_status_path": {"/st/:cld-uid"},
		"group_path": {"/g/:id"}, "group_user_path": {"/g/:group_id/u/:id"}, "notification_path": {"/n"},
		"initialization_path": {""}, "connec_base_path": {"/api/v2"}, "connec_timeout": {"30"},
		"subscriptions": {"organizations, invoices items"},
	}
}

func TestAdminEditPages(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	for path, wants := range map[string][]string{
		"/admin":            {`href="/admin/groups"`, `href="/admin/bills"`},
		"/admin/apps":       {`href="/admin/apps/app-2"`, "<code>maestrano-uat</code>", "<code>organizations</code> <code>people</code>"},
		"/admin/apps/app-1": {`value="acme-crm"`, `<option selected>acme</option>`, `value="organizations people"`},
		"/admin/groups":     {`href="/admin/groups/cld-3"`, "Initech", `action="/admin/groups"`},
		"/admin/groups/cld-1": {`value="xero" selected`, `value="rsl-1" selected`, `name="has_credit_card" value="1" checked`,
			`href="/admin/users/usr-2"`, "<option selected>Power User</option>"},
		"/admin/users":       {`href="/admin/users/usr-3"`, "peter@initech.example"},
		"/admin/users/usr-1": {`value="john.doe@example.com"`, `href="/admin/groups/cld-2"`, "<option selected>Member</option>"},
		"/admin/bills":       {"bill-3", "Setup fee", `action="/admin/bills/bill-1/invoice"`, `action="/admin/recurring_bills/rbill-1/activate"`, "1 month"},
	} {
		body := e.page(t, path)
		for _, w := range wants {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q", path, w)
			}
		}
		if strings.Contains(body, "<script") {
			t.Errorf("%s has a script: the admin pages work without JavaScript", path)
		}
		if strings.Contains(body, "correct horse") || strings.Contains(body, "app1-key-") || strings.Contains(body, "acme-env-secret") {
			t.Errorf("%s shows a secret", path)
		}
	}
	for _, path := range []string{"/admin/apps/app-9", "/admin/groups/cld-9", "/admin/users/usr-9"} {
		if status, _, _ := e.do(t, "GET", path, nil); status != 404 {
			t.Errorf("%s: %d", path, status)
		}
	}
}

func TestAdminEditApp(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	status, hdr, body := e.post(t, "/admin/apps/app-1", appForm(t))
	if status != 303 || hdr.Get("Location") != "/admin/apps/app-1" {
		t.Fatalf("save: %d %s", status, body)
	}
	// The developer platform publishes the change.
	_, _, body = e.do(t, "GET", "/api/config/v1/marketplaces", basic("acme-env-key-0001", "acme-env-secret-0001"))
	resp := decodeJSON[sandbox.MarketplacesResponse](t, body)
	m := resp.Marketplaces[0]
	if m.API.ID != "app-1" || m.App.Host != "http://127.0.0.1:4000" || m.SSO.InitPath != "/sso/init" || m.Connec.Timeout != 30 ||
		m.Webhooks.Connec.ExternalIDs || m.Webhooks.Account.GroupPath != "/g/:id" {
		t.Errorf("entry after edit %+v", m)
	}
	if !strings.Contains(e.page(t, "/admin/apps/app-1"), `value="invoices items organizations"`) {
		t.Error("subscriptions not saved")
	}
	// Move app-1 to another marketplace of its environment.
	f := appForm(t)
	f.Set("marketplace", "maestrano-eu")
	if status, _, body := e.post(t, "/admin/apps/app-1", f); status != 303 {
		t.Fatalf("move: %d %s", status, body)
	}
	for _, tc := range []struct {
		field, value, want string
	}{
		{"marketplace", "maestrano-uat", "already has an app on marketplace maestrano-uat"},
		{"marketplace", "Bad Name", "must be 1 to 64"},
		{"environment", "prod", "is not one of the environments"},
		{"host", "javascript:alert(1)", "absolute http or https"},
		{"sso_consume_path", "no-slash", "single /"},
		{"api_base", "/api/v1", "must end with /"},
		{"connec_timeout", "forever", "between 1 and 3600"},
		{"subscriptions", "people <script>", "is not a collection name"},
		{"name", "", "must be 1 to 200"},
		{"signature_algorithm", "rsa-md5", "must be empty (the sandbox default), rsa-sha256 or rsa-sha1"},
	} {
		f := appForm(t)
		f.Set(tc.field, tc.value)
		status, _, body := e.post(t, "/admin/apps/app-1", f)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) || strings.Contains(body, "<script>") {
			t.Errorf("%s=%q: %d, body lacks %q", tc.field, tc.value, status, tc.want)
		}
	}
	if strings.Contains(e.page(t, "/admin/apps/app-1"), "Bad Name") {
		t.Error("an invalid form was saved")
	}
	// The per-app signature algorithm: saved, shown selected.
	f = appForm(t)
	f.Set("signature_algorithm", "rsa-sha1")
	if status, _, body := e.post(t, "/admin/apps/app-1", f); status != 303 {
		t.Fatalf("signature algorithm: %d %s", status, body)
	}
	if !strings.Contains(e.page(t, "/admin/apps/app-1"), `<option value="rsa-sha1" selected>rsa-sha1</option>`) {
		t.Error("signature algorithm not saved")
	}
}

func TestAdminEditGroupsAndMembers(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	status, hdr, body := e.post(t, "/admin/groups", url.Values{"name": {"Umbrella <Corp>"}, "currency": {"gbp"}, "timezone": {"Europe/London"},
		"country": {"gb"}, "city": {"London"}, "app": {"app-1", "app-2"}})
	if status != 303 || hdr.Get("Location") != "/admin/groups/cld-4" {
		t.Fatalf("create: %d %v %s", status, hdr, body)
	}
	// The new group is visible to its apps through the account API.
	_, env := e.call(t, "GET", "/api/v1/account/groups/cld-4", app2, "", "")
	g := data[sandbox.AccountGroup](t, env)
	if g.Name != "Umbrella <Corp>" || g.Currency != "GBP" || g.Country != "GB" || g.Email != "cld-4@example.com" || g.Status != "running" {
		t.Errorf("new group %+v", g)
	}
	if !strings.Contains(e.page(t, "/admin/groups/cld-4"), "Umbrella &lt;Corp&gt;") {
		t.Error("group name not escaped")
	}
	// Edit: drop app-2, set a reseller and accounting.
	edit := url.Values{"name": {"Umbrella"}, "org_uid": {"org-4"}, "email": {"it@umbrella.example"}, "currency": {"GBP"},
		"timezone": {"Europe/London"}, "country": {"GB"}, "city": {"London"}, "status": {"suspended"},
		"free_trial_end": {"2031-01-01"}, "main_accounting": {"myob"}, "reseller": {"rsl-1"}, "app": {"app-1"}}
	if status, _, body := e.post(t, "/admin/groups/cld-4", edit); status != 303 {
		t.Fatalf("edit: %d %s", status, body)
	}
	if status, env := e.call(t, "GET", "/api/v1/account/groups/cld-4", app2, "", ""); status != 200 || env.Success {
		t.Errorf("app-2 still sees cld-4: %+v", env)
	}
	_, env = e.call(t, "GET", "/api/v1/account/resellers/rsl-1/groups", app1, "", "")
	if got := ids(data[[]sandbox.AccountGroup](t, env), func(g sandbox.AccountGroup) string { return g.ID + ":" + g.Status }); got != "cld-1:running,cld-4:suspended" {
		t.Errorf("reseller groups %s", got)
	}
	for _, tc := range []struct{ field, value, want string }{
		{"currency", "XYZ", "is not included in the list"},
		{"timezone", "Mars", "Olson"},
		{"free_trial_end", "someday", "not a valid date"},
		{"reseller", "rsl-9", "is not a reseller"},
		{"main_accounting", "sage", "is not included in the list"},
		{"org_uid", "cld-1", "must be org-"},
		{"app", "app-9", "unknown app"},
		{"name", "", "can&#39;t be blank"},
	} {
		f := url.Values{}
		for k, v := range edit {
			f[k] = v
		}
		f.Set(tc.field, tc.value)
		status, _, body := e.post(t, "/admin/groups/cld-4", f)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) {
			t.Errorf("%s=%q: %d, lacks %q", tc.field, tc.value, status, tc.want)
		}
	}
	if status, _, body := e.post(t, "/admin/groups", url.Values{"name": {""}, "currency": {"USD"}, "timezone": {"UTC"}, "country": {"US"}}); status != 422 || !strings.Contains(body, "can&#39;t be blank") {
		t.Errorf("create invalid: %d", status)
	}
	// Members: add, change role, from both sides.
	if status, _, _ := e.post(t, "/admin/groups/cld-4/members", url.Values{"user": {"usr-3"}, "role": {"Admin"}}); status != 303 {
		t.Fatalf("add member: %d", status)
	}
	if status, _, _ := e.post(t, "/admin/users/usr-3/memberships", url.Values{"group": {"cld-4"}, "role": {"Member"}}); status != 303 {
		t.Fatalf("change role: %d", status)
	}
	if !strings.Contains(e.page(t, "/admin/groups/cld-4"), "<option selected>Member</option>") {
		t.Error("role not changed")
	}
	_, env = e.call(t, "GET", "/api/v1/account/users?group_id=cld-4", app1, "", "")
	if got := ids(data[[]sandbox.AccountUser](t, env), func(u sandbox.AccountUser) string { return u.ID }); got != "usr-3" {
		t.Errorf("cld-4 members %s", got)
	}
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{"/admin/groups/cld-4/members", url.Values{"user": {"usr-3"}, "role": {"Owner"}}},
		{"/admin/groups/cld-4/members", url.Values{"user": {"usr-9"}, "role": {"Admin"}}},
		{"/admin/users/usr-3/memberships", url.Values{"group": {"cld-9"}, "role": {"Admin"}}},
	} {
		if status, _, _ := e.post(t, tc.path, tc.form); status != 422 {
			t.Errorf("%s %v: %d", tc.path, tc.form, status)
		}
	}
	if status, _, _ := e.post(t, "/admin/groups/cld-9/members", url.Values{"user": {"usr-1"}, "role": {"Admin"}}); status != 404 {
		t.Errorf("unknown group: %d", status)
	}
}

func TestAdminEditUsers(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	status, hdr, _ := e.post(t, "/admin/users", url.Values{"first_name": {"Milton"}, "last_name": {"Waddams"},
		"email": {"milton@initech.example"}, "country": {"us"}, "password": {"stapler"}})
	if status != 303 || hdr.Get("Location") != "/admin/users/usr-4" {
		t.Fatalf("create: %d %v", status, hdr)
	}
	if status, _, _ := e.post(t, "/admin/users/usr-4/memberships", url.Values{"group": {"cld-3"}, "role": {"Member"}}); status != 303 {
		t.Fatal("membership")
	}
	// The password set on the admin page is the one users/authenticate wants.
	const key3 = "app3-key-0123456789abcdef0123456789abcdef"
	for pw, ok := range map[string]bool{"stapler": true, "red": false} {
		_, env := e.call(t, "POST", "/api/v1/account/users/authenticate", app3, form,
			url.Values{"email": {"milton@initech.example"}, "password": {encryptPassword(t, pw, key3)}}.Encode())
		if env.Success != ok {
			t.Errorf("password %q: %+v", pw, env)
		}
	}
	if status, _, _ := e.post(t, "/admin/users/usr-4", url.Values{"first_name": {"Milton"}, "last_name": {"W."}, "email": {"m@initech.example"}, "country": {"US"}}); status != 303 {
		t.Fatalf("edit: %d", status)
	}
	_, env := e.call(t, "GET", "/api/v1/account/users/usr-4", app3, "", "")
	if u := data[sandbox.AccountUser](t, env); u.Surname != "W." || u.Email != "m@initech.example" {
		t.Errorf("user after edit %+v", u)
	}
	for _, tc := range []struct{ field, value, want string }{
		{"email", "not an email", "not a valid email"},
		{"country", "USA", "alpha-2"},
		{"first_name", "", "can&#39;t be blank"},
		{"last_name", "a\x01b", "control characters"},
	} {
		f := url.Values{"first_name": {"A"}, "email": {"a@b.example"}, "country": {"US"}}
		f.Set(tc.field, tc.value)
		for _, path := range []string{"/admin/users", "/admin/users/usr-4"} {
			status, _, body := e.post(t, path, f)
			if status != 422 || !strings.Contains(body, tc.want) {
				t.Errorf("%s %s=%q: %d lacks %q", path, tc.field, tc.value, status, tc.want)
			}
		}
	}
}

func TestAdminEditBills(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	if status, _, _ := e.post(t, "/admin/bills/bill-1/invoice", nil); status != 303 {
		t.Fatal("invoice")
	}
	_, env := e.call(t, "GET", "/api/v1/account/bills/bill-1", app1, "", "")
	if data[sandbox.AccountBill](t, env).Status != "invoiced" {
		t.Error("bill-1 not invoiced")
	}
	if status, _, _ := e.post(t, "/admin/recurring_bills/rbill-1/activate", nil); status != 303 {
		t.Fatal("activate")
	}
	_, env = e.call(t, "GET", "/api/v1/account/recurring_bills/rbill-1", app1, "", "")
	if data[sandbox.AccountRecurringBill](t, env).Status != "active" {
		t.Error("rbill-1 not active")
	}
	for path, want := range map[string]int{
		"/admin/bills/bill-9/invoice":            404,
		"/admin/bills/bill-1/pay":                404,
		"/admin/recurring_bills/rbill-9/expire":  404,
		"/admin/recurring_bills/rbill-1/invoice": 404,
	} {
		if status, _, _ := e.post(t, path, nil); status != want {
			t.Errorf("%s: %d, want %d", path, status, want)
		}
	}
}

// Every admin form refuses a cross-site post and changes nothing.
func TestAdminEditCrossSiteRefused(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	for _, path := range []string{"/admin/apps/app-1", "/admin/groups", "/admin/groups/cld-1", "/admin/groups/cld-1/members",
		"/admin/users", "/admin/users/usr-1", "/admin/users/usr-1/memberships", "/admin/bills/bill-1/invoice",
		"/admin/recurring_bills/rbill-1/cancel"} {
		for _, hdr := range []http.Header{{"Sec-Fetch-Site": {"cross-site"}}, {"Origin": {"https://evil.example"}}} {
			h := hdr.Clone()
			h.Set("Content-Type", "application/x-www-form-urlencoded")
			status, _, _ := e.send(t, "POST", path, h, "", "name=Evil&user=usr-3&role=Admin&group=cld-1&first_name=E&email=e@evil.example&country=US&currency=USD&timezone=UTC")
			if status != http.StatusForbidden {
				t.Errorf("%s %v: %d", path, hdr, status)
			}
		}
	}
	_, env := e.call(t, "GET", "/api/v1/account/bills/bill-1", app1, "", "")
	if data[sandbox.AccountBill](t, env).Status != "submitted" {
		t.Error("cross-site post invoiced a bill")
	}
	if strings.Contains(e.page(t, "/admin/groups"), "Evil") {
		t.Error("cross-site post created a group")
	}
}
