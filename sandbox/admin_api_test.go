package sandbox_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	dsig "github.com/russellhaering/goxmldsig"

	"github.com/maestrano-go/maestrano/sandbox"
	"github.com/maestrano-go/maestrano/sandbox/store"
)

// api sends an admin API request with the environment credentials (or
// hdr's) and a JSON body.
func (e *env) api(t *testing.T, method, path, body string, hdr http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	dp := e.sb.DevPlatform()
	req.SetBasicAuth(dp.EnvKey, dp.EnvSecret)
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return resp.StatusCode, string(b)
}

func (e *env) mustAPI(t *testing.T, want int, method, path, body string) string {
	t.Helper()
	status, b := e.api(t, method, path, body, nil)
	if status != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, status, want, b)
	}
	return b
}

// TestAdminAPIBrowse: every collection of the admin API lists the seeded
// world; single objects are found by uid (users by virtual uid too).
func TestAdminAPIBrowse(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	var mps struct{ Marketplaces []sandbox.AdminMarketplace }
	json.Unmarshal([]byte(e.mustAPI(t, 200, "GET", "/api/sandbox/v1/marketplaces", "")), &mps)
	if len(mps.Marketplaces) != 1 || mps.Marketplaces[0] != (sandbox.AdminMarketplace{Name: "maestrano", NID: "demo-app", Environment: "sandbox", AppUID: "app-1"}) {
		t.Errorf("marketplaces %+v", mps)
	}
	var apps struct{ Apps []sandbox.AdminApp }
	body := e.mustAPI(t, 200, "GET", "/api/sandbox/v1/apps", "")
	json.Unmarshal([]byte(body), &apps)
	if len(apps.Apps) != 1 || apps.Apps[0].UID != "app-1" || !apps.Apps[0].ExternalIDs || len(apps.Apps[0].Subscriptions) != 5 {
		t.Errorf("apps %s", body)
	}
	if strings.Contains(body, "api_key") {
		t.Error("the app list shows API keys")
	}
	var groups struct{ Groups []sandbox.AdminGroup }
	json.Unmarshal([]byte(e.mustAPI(t, 200, "GET", "/api/sandbox/v1/groups", "")), &groups)
	if len(groups.Groups) != 2 || groups.Groups[0].ID != "cld-1" || len(groups.Groups[0].Members) != 2 || groups.Groups[0].Apps[0] != "app-1" {
		t.Errorf("groups %+v", groups)
	}
	var g sandbox.AdminGroup
	json.Unmarshal([]byte(e.mustAPI(t, 200, "GET", "/api/sandbox/v1/groups/cld-2", "")), &g)
	if g.Name != "Globex Ltd" || g.OrgUID != "org-2" || len(g.Members) != 2 {
		t.Errorf("group %+v", g)
	}
	var users struct{ Users []sandbox.AdminUser }
	json.Unmarshal([]byte(e.mustAPI(t, 200, "GET", "/api/sandbox/v1/users", "")), &users)
	if len(users.Users) != 3 || len(users.Users[0].Memberships) != 2 {
		t.Errorf("users %+v", users)
	}
	var u sandbox.AdminUser
	json.Unmarshal([]byte(e.mustAPI(t, 200, "GET", "/api/sandbox/v1/users/usr-2.cld-1", "")), &u)
	if u.ID != "usr-2" || u.Name != "Jane" || u.Memberships[0].Role != "Power User" {
		t.Errorf("user %+v", u)
	}
	var mems struct{ Memberships []sandbox.AdminMembership }
	json.Unmarshal([]byte(e.mustAPI(t, 200, "GET", "/api/sandbox/v1/memberships", "")), &mems)
	if len(mems.Memberships) != 4 {
		t.Errorf("memberships %+v", mems)
	}
	if b := e.mustAPI(t, 200, "GET", "/api/sandbox/v1/bills", ""); strings.TrimSpace(b) != `{"bills":[]}` {
		t.Errorf("bills %s", b)
	}
	if b := e.mustAPI(t, 200, "GET", "/api/sandbox/v1/recurring_bills", ""); strings.TrimSpace(b) != `{"recurring_bills":[]}` {
		t.Errorf("recurring bills %s", b)
	}
	for _, p := range []string{"/api/sandbox/v1/apps/app-9", "/api/sandbox/v1/groups/cld-9", "/api/sandbox/v1/users/usr-9"} {
		if status, b := e.api(t, "GET", p, "", nil); status != 404 || !strings.Contains(b, `"error":"unknown `) {
			t.Errorf("GET %s: %d %s", p, status, b)
		}
	}
}

// TestAdminAPIEdit: edit an app, create a group and a user, make the user a
// member; the IdP and the session follow the changes.
func TestAdminAPIEdit(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{Seed: worldWith(func(w *store.World) {
		w.Resellers = []store.ResellerSeed{{Name: "Blue"}}
	})})
	var a sandbox.AdminApp
	json.Unmarshal([]byte(e.mustAPI(t, 200, "PATCH", "/api/sandbox/v1/apps/app-1", `{"signature_algorithm":"rsa-sha1","external_ids":false,"subscriptions":["people"],"name":"Renamed"}`)), &a)
	if a.SignatureAlgorithm != "rsa-sha1" || a.ExternalIDs || len(a.Subscriptions) != 1 || a.Name != "Renamed" || a.Host != "http://127.0.0.1:8081" {
		t.Errorf("patched app %+v", a)
	}

	var g sandbox.AdminGroup
	json.Unmarshal([]byte(e.mustAPI(t, 201, "POST", "/api/sandbox/v1/groups", `{"name":"Initech","country":"fr","currency":"eur","timezone":"Europe/Paris","reseller_id":"rsl-1"}`)), &g)
	if g.ID != "cld-3" || g.Country != "FR" || g.Currency != "EUR" || g.OrgUID != "org-3" || len(g.Apps) != 1 || g.ResellerID == nil || *g.ResellerID != "rsl-1" {
		t.Errorf("created group %+v", g)
	}
	json.Unmarshal([]byte(e.mustAPI(t, 200, "PATCH", "/api/sandbox/v1/groups/cld-3", `{"city":"Paris","free_trial_end_at":"2031-01-01"}`)), &g)
	if g.City != "Paris" || g.Name != "Initech" || g.FreeTrialEndAt.Year() != 2031 {
		t.Errorf("patched group %+v", g)
	}
	var u sandbox.AdminUser
	json.Unmarshal([]byte(e.mustAPI(t, 201, "POST", "/api/sandbox/v1/users", `{"name":"Peter","surname":"Gibbons","email":"peter@initech.example"}`)), &u)
	if u.ID != "usr-4" || u.Country != "US" || len(u.SSOSession) != 36 {
		t.Errorf("created user %+v", u)
	}
	json.Unmarshal([]byte(e.mustAPI(t, 200, "PATCH", "/api/sandbox/v1/users/usr-4", `{"company_name":"Initech"}`)), &u)
	if u.CompanyName != "Initech" || u.Name != "Peter" {
		t.Errorf("patched user %+v", u)
	}
	if b := e.mustAPI(t, 200, "PUT", "/api/sandbox/v1/groups/cld-3/users/usr-4", `{"role":"Super Admin"}`); !strings.Contains(b, `"role":"Super Admin"`) {
		t.Errorf("membership %s", b)
	}
	as := e.login(t, "usr-4", "cld-3")
	attrs := attributes(as)
	if attrs["group_role"] != "Super Admin" || attrs["group_name"] != "Initech" || attrs["group_reseller_id"] != "rsl-1" || attrs["company_name"] != "Initech" {
		t.Errorf("login attributes %v", attrs)
	}
	status, _, body := e.do(t, "GET", ssoPath(encodeRequest(t, []byte(authnRequestXML("_r", "app-1", defaultACS))), "user_uid", "usr-4"), nil)
	if status != 200 {
		t.Fatal(status)
	}
	_, doc := postedResponse(t, body)
	if got := doc.FindElement("/Response/Assertion/Signature/SignedInfo/SignatureMethod").SelectAttrValue("Algorithm", ""); got != dsig.RSASHA1SignatureMethod {
		t.Errorf("signature %q after PATCH", got)
	}
	// Change the role; remove through the existing DELETE.
	e.mustAPI(t, 200, "PUT", "/api/sandbox/v1/groups/cld-3/users/usr-4.cld-3", `{"role":"Member"}`)
	if attributes(e.login(t, "usr-4", "cld-3"))["group_role"] != "Member" {
		t.Error("role not changed")
	}
	e.mustAPI(t, 200, "DELETE", "/api/sandbox/v1/groups/cld-3/users/usr-4", "")
	if status, _, _ := e.do(t, "GET", ssoPath(encodeRequest(t, []byte(authnRequestXML("_r", "app-1", defaultACS))), "user_uid", "usr-4"), nil); status != 403 {
		t.Errorf("login after removal: %d", status)
	}
}

// TestAdminAPIConnecAsApp: the admin writes Connec! entities as another
// app (which is then not notified) or as itself; PUT merges.
func TestAdminAPIConnecAsApp(t *testing.T) {
	t.Parallel()
	w := setupWebhooks(t, sandbox.WebhookConfig{})
	rc := newReceiver(t, nil)
	addApp(t, w.db, "app-2", rc.srv.URL, "cld-1")
	subscribe(t, w.st, "app-1")
	subscribe(t, w.st, "app-2", "organizations")
	body := w.mustAPI(t, 201, "POST", "/api/sandbox/v1/connec/cld-1/organizations", `{"origin_app":"app-2","entity":{"name":"Acme","tags":["a"]}}`)
	var out map[string]map[string]any
	json.Unmarshal([]byte(body), &out)
	id, _ := out["organizations"]["id"].(string)
	if id == "" {
		t.Fatalf("answer %s", body)
	}
	body = w.mustAPI(t, 200, "PUT", "/api/sandbox/v1/connec/cld-1/organizations/"+id, `{"entity":{"industry":"Tools"}}`)
	json.Unmarshal([]byte(body), &out)
	if out["organizations"]["name"] != "Acme" || out["organizations"]["industry"] != "Tools" {
		t.Errorf("merged %s", body)
	}
	var origins []string
	rows, err := w.db.QueryContext(t.Context(), `SELECT origin_app_uid FROM connec_changes ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var o string
		rows.Scan(&o)
		origins = append(origins, o)
	}
	rows.Close()
	if strings.Join(origins, ",") != "app-2," {
		t.Errorf("change origins %q", origins)
	}
	w.clock.Advance(sandbox.DefaultCoalesceWindow)
	w.deliver(t)
	got := rc.requests()
	if len(got) != 1 || !strings.Contains(string(got[0].Body), `"industry":"Tools"`) {
		t.Errorf("app-2 got %+v (only the admin's change, not its own)", got)
	}
	if status, b := w.api(t, "POST", "/api/sandbox/v1/connec/cld-2/organizations", `{"origin_app":"app-2","entity":{"name":"X"}}`, nil); status != 403 || !strings.Contains(b, "has no access to group cld-2") {
		t.Errorf("foreign group: %d %s", status, b)
	}
}

// TestAdminAPIBadInput: every write refuses bad bodies and ids with a JSON
// error in the admin envelope, and nothing answers 500; no credentials is
// 401 everywhere.
func TestAdminAPIBadInput(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	huge := `{"name":"` + strings.Repeat("a", 70<<10) + `"}`
	type tc struct {
		method, path, body string
		status             int
		want               string
	}
	var tests []tc
	writes := []struct{ method, path string }{
		{"PATCH", "/api/sandbox/v1/apps/app-1"},
		{"POST", "/api/sandbox/v1/groups"},
		{"PATCH", "/api/sandbox/v1/groups/cld-1"},
		{"POST", "/api/sandbox/v1/users"},
		{"PATCH", "/api/sandbox/v1/users/usr-1"},
		{"PUT", "/api/sandbox/v1/groups/cld-1/users/usr-1"},
		{"POST", "/api/sandbox/v1/connec/cld-1/organizations"},
		{"PUT", "/api/sandbox/v1/connec/cld-1/organizations/x"},
	}
	for _, wr := range writes {
		tests = append(tests,
			tc{wr.method, wr.path, "", 400, "body must be a JSON object"},
			tc{wr.method, wr.path, "not json", 400, "body must be a JSON object"},
			tc{wr.method, wr.path, "[1,2]", 400, "body must be a JSON object"},
			tc{wr.method, wr.path, `{"nope":1}`, 400, `unknown field \"nope\"`},
			tc{wr.method, wr.path, `{"name":1, "role":1, "entity":1}`, 400, "invalid JSON body"},
			tc{wr.method, wr.path, `{} {}`, 400, "data after the object"},
			tc{wr.method, wr.path, `{}]`, 400, "data after the object"},
			tc{wr.method, wr.path, `{"name":"x"`, 400, "invalid JSON body"},
			tc{wr.method, wr.path, huge, 413, "body larger than the limit"},
		)
	}
	tests = append(tests,
		tc{"PATCH", "/api/sandbox/v1/apps/app-1", `{"host":"javascript:alert(1)","sso_consume_path":"x","signature_algorithm":"rsa-md5","subscriptions":["<b>"],"name":""}`, 422, `"fields":{`},
		tc{"PATCH", "/api/sandbox/v1/apps/app-9", `{}`, 404, "unknown app app-9"},
		tc{"POST", "/api/sandbox/v1/groups", `{}`, 422, `"name":["can't be blank"]`},
		tc{"POST", "/api/sandbox/v1/groups", `{"name":"X","currency":"XXX","timezone":"nowhere","country":"usa","email":"no","apps":["app-9"],"reseller_id":"rsl-9","free_trial_end_at":"soon","main_accounting":"sage"}`, 422, `"free_trial_end_at":["is not a valid time`},
		tc{"POST", "/api/sandbox/v1/groups", `{"name":"X\u0000"}`, 422, "control characters"},
		tc{"PATCH", "/api/sandbox/v1/groups/cld-9", `{}`, 404, "unknown group cld-9"},
		tc{"POST", "/api/sandbox/v1/users", `{}`, 422, `"name":["can't be blank"]`},
		tc{"POST", "/api/sandbox/v1/users", `{"name":"A","email":"a@b.example","country":"France"}`, 422, `"country":[`},
		tc{"PATCH", "/api/sandbox/v1/users/usr-1", `{"email":"not an email"}`, 422, `"email":[`},
		tc{"PATCH", "/api/sandbox/v1/users/usr-9", `{}`, 404, "unknown user usr-9"},
		tc{"PUT", "/api/sandbox/v1/groups/cld-1/users/usr-1", `{"role":"Owner"}`, 422, "must be one of Member, Power User, Admin, Super Admin"},
		tc{"PUT", "/api/sandbox/v1/groups/cld-9/users/usr-1", `{"role":"Admin"}`, 404, "unknown user usr-1 or group cld-9"},
		tc{"PUT", "/api/sandbox/v1/groups/cld-1/users/usr-9", `{"role":"Admin"}`, 404, "unknown user usr-9 or group cld-1"},
		tc{"POST", "/api/sandbox/v1/connec/cld-9/organizations", `{"entity":{}}`, 404, "unknown group cld-9"},
		tc{"POST", "/api/sandbox/v1/connec/cld-1/widgets", `{"entity":{}}`, 404, "unknown Connec! collection widgets"},
		tc{"POST", "/api/sandbox/v1/connec/cld-1/organizations", `{"origin_app":"app-1"}`, 400, `\"entity\" must be a JSON object`},
		tc{"POST", "/api/sandbox/v1/connec/cld-1/organizations", `{"origin_app":"app-9","entity":{}}`, 400, "unknown origin_app app-9"},
		tc{"POST", "/api/sandbox/v1/connec/cld-1/organizations", `{"entity":{"id":"given"}}`, 409, "Creation of resource with id"},
		tc{"PUT", "/api/sandbox/v1/connec/cld-1/organizations/missing", `{"entity":{"name":"x"}}`, 404, "Resource not found"},
		tc{"POST", "/api/sandbox/v1/connec/cld-1/organizations", `{"entity":{"id":[{"provider":1}]}}`, 400, ""},
		tc{"DELETE", "/api/sandbox/v1/apps/app-1", "", 405, "method DELETE not allowed"},
		tc{"GET", "/api/sandbox/v1/nothing", "", 404, "not found"},
	)
	for _, tt := range tests {
		status, b := e.api(t, tt.method, tt.path, tt.body, nil)
		if status != tt.status || !strings.Contains(b, tt.want) || !strings.Contains(b, `"error":`) {
			t.Errorf("%s %s %.60q: %d %.300s, want %d with %q", tt.method, tt.path, tt.body, status, b, tt.status, tt.want)
		}
	}
	// A JSON body must say so: any other Content-Type, or none, is 415.
	for _, wr := range writes {
		for _, ct := range [][]string{{"text/plain"}, {"application/x-www-form-urlencoded"}, {"application/jsonp"}, {"application/json;;"}, {}} {
			status, b := e.api(t, wr.method, wr.path, `{}`, http.Header{"Content-Type": ct})
			if status != http.StatusUnsupportedMediaType || !strings.Contains(b, "Content-Type: application/json") {
				t.Errorf("%s %s with Content-Type %q: %d %s", wr.method, wr.path, ct, status, b)
			}
		}
		if status, b := e.api(t, wr.method, wr.path, `{}`, http.Header{"Content-Type": {"Application/JSON; charset=utf-8"}}); status == http.StatusUnsupportedMediaType {
			t.Errorf("%s %s with a charset: %d %s", wr.method, wr.path, status, b)
		}
	}
	// No credentials: 401 on every admin route, before reading the body.
	others := []struct{ method, path string }{
		{"GET", "/api/sandbox/v1/users"},
		{"GET", "/api/sandbox/v1/webhooks"},
		{"GET", "/api/sandbox/v1/webhooks/x"},
		{"POST", "/api/sandbox/v1/webhooks/x/redeliver"},
		{"DELETE", "/api/sandbox/v1/groups/cld-1"},
		{"DELETE", "/api/sandbox/v1/groups/cld-1/users/usr-1"},
		{"POST", "/api/sandbox/v1/bills/bill-1/invoice"},
		{"POST", "/api/sandbox/v1/recurring_bills/x/cancel"},
		{"POST", "/api/sandbox/v1/users/usr-1/rotate_session"},
	}
	for _, wr := range append(writes, others...) {
		if status, b := e.api(t, wr.method, wr.path, `{}`, basic("nobody", "wrong")); status != 401 || !strings.Contains(b, "invalid environment credentials") {
			t.Errorf("%s %s without credentials: %d %s", wr.method, wr.path, status, b)
		}
	}
	// The seeded world is unchanged by all of the above.
	var u sandbox.AdminUser
	json.Unmarshal([]byte(e.mustAPI(t, 200, "GET", "/api/sandbox/v1/users/usr-1", "")), &u)
	if u.Email != "john.doe@example.com" || len(u.Memberships) != 2 || u.Memberships[0].Role != "Admin" {
		t.Errorf("usr-1 changed: %+v", u)
	}
}
