package sandbox_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maestrano-go/maestrano/sandbox"
	"github.com/maestrano-go/maestrano/sandbox/store"
)

// connecEnv is a sandbox with known app credentials: app-1 (key-1, groups
// cld-1 and cld-2) and app-2 (key-2, group cld-2 only), set through SQL on
// the sandbox's own database.
type connecEnv struct {
	*env
	db *sql.DB
}

func setupConnec(t testing.TB) *connecEnv {
	t.Helper()
	e := setup(t.(*testing.T), sandbox.Config{})
	return withConnecApps(t, e)
}

func withConnecApps(t testing.TB, e *env) *connecEnv {
	t.Helper()
	db, err := sql.Open(store.DriverName, filepath.Join(e.dir, "sandbox.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	for _, q := range []string{
		`UPDATE apps SET api_key = 'key-1' WHERE uid = 'app-1'`,
		`INSERT INTO apps SELECT 'app-2', 'Second App', 'key-2', host, sso_idm, sso_init_path, sso_consume_path,
			sync_start_path, sync_toggle_path, sync_status_path, group_path, group_user_path,
			connec_notification_path, connec_external_ids, connec_initialization_path, connec_base_path,
			connec_timeout, api_base, sso_signature_algorithm FROM apps WHERE uid = 'app-1'`,
		`INSERT INTO group_apps (group_uid, app_uid) VALUES ('cld-2', 'app-2')`,
	} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	return &connecEnv{env: e, db: db}
}

// call sends a Connec! request as app-1 (or with hdr's Authorization).
func (e *connecEnv) call(t testing.TB, method, path, body string, hdr http.Header) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	target := path
	if !strings.HasPrefix(path, "http") {
		target = e.srv.URL + path
	}
	req, err := http.NewRequestWithContext(t.Context(), method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/vnd.api+json")
	req.Header.Set("Accept", "application/vnd.api+json")
	req.SetBasicAuth("app-1", "key-1")
	for k, v := range hdr {
		req.Header[k] = v
	}
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

func (e *connecEnv) mustCall(t testing.TB, want int, method, path, body string, hdr http.Header) map[string]any {
	t.Helper()
	status, _, b := e.call(t, method, path, body, hdr)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, b)
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(b), &out); err != nil {
		t.Fatalf("%s %s: not a JSON object: %q", method, path, b)
	}
	return out
}

func (e *connecEnv) changes(t testing.TB) int {
	t.Helper()
	var n int
	if err := e.db.QueryRowContext(t.Context(), `SELECT count(*) FROM connec_changes`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// entity returns the object under key coll of a single-entity answer.
func entity(t testing.TB, body map[string]any, coll string) map[string]any {
	t.Helper()
	m, ok := body[coll].(map[string]any)
	if !ok {
		t.Fatalf("no %q object in %v", coll, body)
	}
	return m
}

// checkConnecError checks the {"errors":[...]} shape of an error answer.
func checkConnecError(t *testing.T, what string, status int, body string, wantStatus int, wantTitle string) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("%s: status %d, want %d: %s", what, status, wantStatus, body)
		return
	}
	var er sandbox.ConnecErrorResponse
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&er); err != nil || len(er.Errors) != 1 {
		t.Errorf("%s: not a Connec! error answer: %q", what, body)
		return
	}
	ce := er.Errors[0]
	if ce.Status != fmt.Sprint(wantStatus) || ce.Title != wantTitle || ce.Detail == "" || len(ce.ID) != 36 ||
		!strings.HasPrefix(ce.Href, "http://maestrano.github.io/connec/#") || ce.Code == "" {
		t.Errorf("%s: error %+v, want status %d title %q", what, ce, wantStatus, wantTitle)
	}
}

func TestConnecCRUD(t *testing.T) {
	t.Parallel()
	e := setupConnec(t)
	for _, prefix := range []string{sandbox.ConnecBasePath, sandbox.ConnecLegacyBasePath} {
		status, hdr, body := e.call(t, "POST", prefix+"/cld-1/people",
			`{"people":{"first_name":"Ada","last_name":"Lovelace","address_work":{"billing":{"city":"London"}}},"resource":"people"}`, nil)
		if status != http.StatusCreated {
			t.Fatalf("create: %d %s", status, body)
		}
		var created map[string]map[string]any
		if err := json.Unmarshal([]byte(body), &created); err != nil {
			t.Fatal(err)
		}
		p := created["people"]
		id, _ := p["id"].(string)
		if len(id) != 36 || p["group_id"] != "cld-1" || p["channel_id"] != "org-1" || p["resource_type"] != "people" ||
			p["first_name"] != "Ada" || p["created_at"] != "2030-01-02T03:04:05Z" {
			t.Errorf("created entity: %v", p)
		}
		if loc := hdr.Get("Location"); loc != e.srv.URL+prefix+"/cld-1/people/"+id {
			t.Errorf("Location %q", loc)
		}

		got := entity(t, e.mustCall(t, 200, "GET", prefix+"/cld-1/people/"+id, "", nil), "people")
		if got["last_name"] != "Lovelace" {
			t.Errorf("get: %v", got)
		}
		got = entity(t, e.mustCall(t, 200, "GET", prefix+"/cld-1/people/"+id+".json", "", nil), "people")
		if got["id"] != id {
			t.Errorf("get .json: %v", got)
		}
		// Update merges top-level keys.
		upd := entity(t, e.mustCall(t, 200, "PUT", prefix+"/cld-1/people/"+id, `{"people":{"last_name":"King","job_title":"Countess"}}`, nil), "people")
		if upd["first_name"] != "Ada" || upd["last_name"] != "King" || upd["job_title"] != "Countess" || upd["id"] != id {
			t.Errorf("update: %v", upd)
		}
		list := e.mustCall(t, 200, "GET", prefix+"/cld-1/people", "", nil)
		people, _ := list["people"].([]any)
		if len(people) != 1 || people[0].(map[string]any)["last_name"] != "King" {
			t.Errorf("list: %v", list)
		}
		// The other group does not see it.
		if other := e.mustCall(t, 200, "GET", prefix+"/cld-2/people", "", nil); len(other["people"].([]any)) != 0 {
			t.Errorf("cld-2 sees cld-1's people: %v", other)
		}
		status, _, body = e.call(t, "DELETE", prefix+"/cld-1/people/"+id, "", nil)
		if status != http.StatusNoContent {
			t.Errorf("delete: %d %s", status, body)
		}
		status, _, body = e.call(t, "GET", prefix+"/cld-1/people/"+id, "", nil)
		checkConnecError(t, "get after delete", status, body, 404, "Resource not found")
		status, _, body = e.call(t, "PUT", prefix+"/cld-1/people/"+id, `{"people":{"x":1}}`, nil)
		checkConnecError(t, "update after delete", status, body, 404, "Resource not found")
	}
}

func TestConnecCompany(t *testing.T) {
	t.Parallel()
	e := setupConnec(t)
	c := entity(t, e.mustCall(t, 200, "GET", "/api/v2/cld-1/company", "", nil), "company")
	if c["name"] != "Acme Corp" || c["currency"] != "USD" {
		t.Errorf("default company: %v", c)
	}
	first := entity(t, e.mustCall(t, 201, "PUT", "/api/v2/cld-1/company", `{"company":{"name":"Acme Inc","timezone":"UTC"}}`, nil), "company")
	second := entity(t, e.mustCall(t, 200, "PUT", "/api/v2/cld-1/company", `{"company":{"email":{"address":"a@acme.test"}}}`, nil), "company")
	if first["id"] != second["id"] || second["name"] != "Acme Inc" || second["timezone"] != "UTC" {
		t.Errorf("company after two PUTs: %v then %v", first, second)
	}
	got := entity(t, e.mustCall(t, 200, "GET", "/connec/api/v2/cld-1/company", "", nil), "company")
	if got["id"] != first["id"] || got["email"].(map[string]any)["address"] != "a@acme.test" {
		t.Errorf("company: %v", got)
	}
	status, _, body := e.call(t, "POST", "/api/v2/cld-1/company", `{"company":{}}`, nil)
	checkConnecError(t, "POST company", status, body, 405, "Method not allowed")
	links := e.mustCall(t, 200, "GET", "/api/v2/cld-1", "", nil)
	if l, _ := links["_links"].([]any); len(l) < 30 {
		t.Errorf("discovery: %v", links)
	}
}

func TestConnecAuth(t *testing.T) {
	t.Parallel()
	e := setupConnec(t)
	tests := []struct {
		name, user, pass, path string
	}{
		{"no credentials", "", "", "/api/v2/cld-1/people"},
		{"wrong key", "app-1", "key-2", "/api/v2/cld-1/people"},
		{"unknown app", "app-9", "key-1", "/api/v2/cld-1/people"},
		{"app without the group", "app-2", "key-2", "/api/v2/cld-1/people"},
		{"unknown group", "app-1", "key-1", "/api/v2/cld-404/people"},
		{"report of a foreign group", "app-2", "key-2", "/api/reports/cld-1/profit_and_loss"},
	}
	for _, tt := range tests {
		hdr := http.Header{"Authorization": {""}}
		if tt.user != "" {
			hdr = basic(tt.user, tt.pass)
		}
		status, h, body := e.call(t, "GET", tt.path, "", hdr)
		checkConnecError(t, tt.name, status, body, 401, "Unauthorized Access")
		if !strings.HasPrefix(h.Get("Www-Authenticate"), "Basic ") {
			t.Errorf("%s: Www-Authenticate %q", tt.name, h.Get("Www-Authenticate"))
		}
		if strings.Contains(body, "key-1") || strings.Contains(body, "key-2") {
			t.Errorf("%s: the answer shows a key: %s", tt.name, body)
		}
	}
	// app-2 has cld-2.
	e.mustCall(t, 200, "GET", "/api/v2/cld-2/people", "", basic("app-2", "key-2"))
}

func TestConnecBadInput(t *testing.T) {
	t.Parallel()
	e := setupConnec(t)
	big := `{"people":{"notes":"` + strings.Repeat("x", 5<<20) + `"}}`
	tests := []struct {
		name, method, path, body string
		status                   int
		title                    string
	}{
		{"malformed JSON", "POST", "/api/v2/cld-1/people", `{"people":`, 400, "Bad request"},
		{"trailing data", "POST", "/api/v2/cld-1/people", `{"people":{}} {}`, 400, "Bad request"},
		{"trailing bracket", "POST", "/api/v2/cld-1/people", `{"people":{}}]`, 400, "Bad request"},
		{"trailing brace", "POST", "/api/v2/cld-1/people", `{"people":{}}}`, 400, "Bad request"},
		{"batch trailing bracket", "POST", "/batch", `{"ops":[{"method":"post","url":"/api/v2/cld-1/people/","params":{"people":{}}}]}]`, 400, "Bad request"},
		{"wrong envelope", "POST", "/api/v2/cld-1/people", `{"person":{"first_name":"A"}}`, 400, "Bad request"},
		{"entity not an object", "POST", "/api/v2/cld-1/people", `{"people":[1,2]}`, 400, "Bad request"},
		{"null entity", "POST", "/api/v2/cld-1/people", `{"people":null}`, 400, "Bad request"},
		{"body not an object", "POST", "/api/v2/cld-1/people", `"x"`, 400, "Bad request"},
		{"empty body", "POST", "/api/v2/cld-1/people", ``, 400, "Bad request"},
		{"create with id", "POST", "/api/v2/cld-1/people", `{"people":{"id":"abc"}}`, 409, "Creation of resource with id"},
		{"bad id type", "POST", "/api/v2/cld-1/people", `{"people":{"id":42}}`, 400, "Bad request"},
		{"bad id array entry", "POST", "/api/v2/cld-1/people", `{"people":{"id":[{"realm":"r"}]}}`, 400, "Bad request"},
		{"id array with two connec ids", "POST", "/api/v2/cld-1/people", `{"people":{"id":[{"provider":"connec","id":"a"},{"provider":"connec","id":"b"}]}}`, 400, "Bad request"},
		{"unknown collection", "GET", "/api/v2/cld-1/unicorns", "", 400, "Unknown Resource"},
		{"unknown collection write", "POST", "/api/v2/cld-1/unicorns", `{"unicorns":{}}`, 400, "Unknown Resource"},
		{"too deep a path", "GET", "/api/v2/cld-1/people/a/b", "", 404, "Resource not found"},
		{"empty path", "GET", "/api/v2/", "", 404, "Resource not found"},
		{"method not allowed", "PATCH", "/api/v2/cld-1/people/abc", `{}`, 405, "Method not allowed"},
		{"post on an id", "POST", "/api/v2/cld-1/people/abc", `{}`, 405, "Method not allowed"},
		{"unknown id", "GET", "/api/v2/cld-1/people/nope", "", 404, "Resource not found"},
		{"too long an id", "GET", "/api/v2/cld-1/people/" + strings.Repeat("a", 200), "", 404, "Resource not found"},
		{"body too large", "POST", "/api/v2/cld-1/people", big, 413, "Request too large"},
		{"bad $top", "GET", "/api/v2/cld-1/people?%24top=-1", "", 400, "Bad request"},
		{"bad $skip", "GET", "/api/v2/cld-1/people?%24skip=x", "", 400, "Bad request"},
		{"bad _after", "GET", "/api/v2/cld-1/people?_after=0", "", 400, "Bad request"},
		{"bad $filter", "GET", "/api/v2/cld-1/people?%24filter=" + url.QueryEscape("name eq"), "", 400, "Bad request"},
		{"long $filter", "GET", "/api/v2/cld-1/people?%24filter=" + strings.Repeat("a", 5000), "", 400, "Bad request"},
		{"bad $orderby", "GET", "/api/v2/cld-1/people?%24orderby=" + url.QueryEscape("name sideways"), "", 400, "Bad request"},
		{"malformed query", "GET", "/api/v2/cld-1/people?%zz", "", 400, "Bad request"},
		{"unknown report", "GET", "/api/reports/cld-1/balance_sheet", "", 400, "Unknown Resource"},
		{"bad report date", "GET", "/api/reports/cld-1/profit_and_loss?from=2015-13-01", "", 400, "Bad request"},
		{"bad report period", "GET", "/api/reports/cld-1/profit_and_loss?period=DAILY", "", 400, "Bad request"},
		{"report range too long", "GET", "/api/reports/cld-1/profit_and_loss?from=1900-01-01&to=2030-01-01", "", 400, "Bad request"},
		{"report from after to", "GET", "/api/reports/cld-1/profit_and_loss?from=2030-01-01&to=2020-01-01", "", 400, "Bad request"},
		{"report path", "GET", "/api/reports/cld-1", "", 404, "Resource not found"},
		{"batch GET", "GET", "/batch", "", 405, "Method not allowed"},
		{"batch malformed", "POST", "/batch", `{"ops":`, 400, "Bad request"},
		{"batch empty", "POST", "/batch", `{"ops":[]}`, 400, "Bad request"},
		{"batch too many", "POST", "/batch", `{"ops":[` + strings.TrimSuffix(strings.Repeat(`{"method":"post","url":"/api/v2/cld-1/people/","params":{"people":{}}},`, 101), ",") + `]}`, 400, "Bad request"},
	}
	before := e.changes(t)
	for _, tt := range tests {
		status, _, body := e.call(t, tt.method, tt.path, tt.body, nil)
		checkConnecError(t, tt.name, status, body, tt.status, tt.title)
	}
	if n := e.changes(t); n != before {
		t.Errorf("refused requests recorded %d changes", n-before)
	}
}

func TestConnecListPagination(t *testing.T) {
	t.Parallel()
	e := setupConnec(t)
	var ops []string
	for i := range 25 {
		ops = append(ops, fmt.Sprintf(`{"method":"post","url":"/api/v2/cld-1/organizations/","params":{"organizations":
			{"name":"Org %02d","number_of_employees":%d,"status":%q,"address":{"billing":{"city":%q}},"founded":"2016-10-%02dT12:00:00Z"}}}`,
			i, i*10, []string{"ACTIVE", "ARCHIVED"}[i%2], []string{"Paris", "London", "Lyon"}[i%3], i+1))
	}
	batch := e.mustCall(t, 200, "POST", "/batch", `{"sequential":true,"ops":[`+strings.Join(ops, ",")+`]}`, nil)
	for i, r := range batch["results"].([]any) {
		if r.(map[string]any)["status"] != float64(201) {
			t.Fatalf("batch op %d: %v", i, r)
		}
	}

	// Follow pagination.next to the end.
	next := "/api/v2/cld-1/organizations?%24top=10"
	var names []string
	var pages []sandbox.ConnecPagination
	for next != "" {
		status, _, body := e.call(t, "GET", next, "", nil)
		if status != 200 {
			t.Fatalf("GET %s: %d %s", next, status, body)
		}
		var page struct {
			Organizations []map[string]any         `json:"organizations"`
			Pagination    sandbox.ConnecPagination `json:"pagination"`
		}
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Organizations {
			names = append(names, o["name"].(string))
		}
		pages = append(pages, page.Pagination)
		next = page.Pagination.Next
		if next != "" && !strings.HasPrefix(next, e.srv.URL+"/api/v2/cld-1/organizations?") {
			t.Fatalf("next is not absolute: %q", next)
		}
		if len(pages) > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if len(names) != 25 || names[0] != "Org 00" || names[24] != "Org 24" {
		t.Errorf("walked %d entities: %v", len(names), names)
	}
	want := []sandbox.ConnecPagination{{Skip: 0, Top: 10, Total: 25}, {Skip: 10, Top: 10, Total: 25}, {Skip: 20, Top: 10, Total: 25}}
	for i := range want {
		pages[i].Next = ""
		if i >= len(pages) || pages[i] != want[i] {
			t.Errorf("page %d: %+v, want %+v", i, pages, want[i])
		}
	}
	// The spec's $skip works without the cursor too, and the default page is 100.
	p := e.mustCall(t, 200, "GET", "/api/v2/cld-1/organizations?%24skip=23", "", nil)
	if len(p["organizations"].([]any)) != 2 || p["pagination"].(map[string]any)["top"] != float64(100) {
		t.Errorf("skip 23: %v", p["pagination"])
	}
	if _, has := p["pagination"].(map[string]any)["next"]; has {
		t.Errorf("last page has next: %v", p["pagination"])
	}
	p = e.mustCall(t, 200, "GET", "/api/v2/cld-1/organizations?%24top=100000", "", nil)
	if p["pagination"].(map[string]any)["top"] != float64(sandbox.ConnecMaxTop) {
		t.Errorf("$top not capped: %v", p["pagination"])
	}

	filters := []struct {
		filter, orderby string
		want            []string
		total           int
	}{
		{"name eq 'Org 03'", "", []string{"Org 03"}, 1},
		{"address.billing.city eq 'Lyon' and status eq 'ACTIVE'", "", []string{"Org 02", "Org 08", "Org 14", "Org 20"}, 4},
		{"number_of_employees ge 200 and (address/billing/city eq 'Paris' or address.billing.city eq 'London')", "name desc",
			[]string{"Org 24", "Org 22", "Org 21"}, 3},
		{"founded lt '2016-10-03' or founded gt 2016-10-24T00:00:00+02:00", "", []string{"Org 00", "Org 01", "Org 23", "Org 24"}, 4},
		{"status ne 'ACTIVE' and number_of_employees lt 40", "number_of_employees desc", []string{"Org 03", "Org 01"}, 2},
	}
	for _, f := range filters {
		q := url.Values{"$filter": {f.filter}}
		if f.orderby != "" {
			q.Set("$orderby", f.orderby)
		}
		q.Set("$top", "4")
		res := e.mustCall(t, 200, "GET", "/api/v2/cld-1/organizations?"+q.Encode(), "", nil)
		var got []string
		for _, o := range res["organizations"].([]any) {
			got = append(got, o.(map[string]any)["name"].(string))
		}
		if strings.Join(got, ",") != strings.Join(f.want, ",") {
			t.Errorf("%s: %v, want %v", f.filter, got, f.want)
		}
		if f.total != 0 && res["pagination"].(map[string]any)["total"] != float64(f.total) {
			t.Errorf("%s: %v", f.filter, res["pagination"])
		}
	}
	// next keeps $filter and $orderby.
	q := url.Values{"$filter": {"status eq 'ACTIVE'"}, "$orderby": {"name desc"}, "$top": {"5"}}
	res := e.mustCall(t, 200, "GET", "/api/v2/cld-1/organizations?"+q.Encode(), "", nil)
	nextURL, _ := url.Parse(res["pagination"].(map[string]any)["next"].(string))
	nq := nextURL.Query()
	if nq.Get("$filter") != "status eq 'ACTIVE'" || nq.Get("$orderby") != "name desc" || nq.Get("$skip") != "5" || nq.Get("_after") != "" {
		t.Errorf("next %s", nextURL)
	}
	res = e.mustCall(t, 200, "GET", nextURL.String(), "", nil)
	if first := res["organizations"].([]any)[0].(map[string]any)["name"]; first != "Org 14" {
		t.Errorf("second page of ACTIVE by name desc starts with %v", first)
	}
}

func TestConnecExternalIDs(t *testing.T) {
	t.Parallel()
	e := setupConnec(t)
	ext := http.Header{"Connec-External-Ids": {"true"}}
	// Upsert by external id: the first POST creates, the second updates.
	org := `{"organizations":{"id":[{"realm":"crm-1","provider":"my-crm","id":"ORG-7"}],"name":"Acme"}}`
	status, hdr, body := e.call(t, "POST", "/api/v2/cld-1/organizations", org, ext)
	if status != 201 || hdr.Get("Location") == "" {
		t.Fatalf("create: %d %s", status, body)
	}
	var created map[string]map[string]any
	_ = json.Unmarshal([]byte(body), &created)
	ids := created["organizations"]["id"].([]any)
	if len(ids) != 2 {
		t.Fatalf("id array: %v", ids)
	}
	connecID := ids[0].(map[string]any)
	if connecID["provider"] != "connec" || connecID["realm"] != "org-1" || ids[1].(map[string]any)["id"] != "ORG-7" {
		t.Errorf("id array: %v", ids)
	}
	uuid := connecID["id"].(string)
	again := entity(t, e.mustCall(t, 200, "POST", "/api/v2/cld-1/organizations",
		`{"organizations":{"id":[{"realm":"crm-1","provider":"my-crm","id":"ORG-7"}],"industry":"Anvils"}}`, nil), "organizations")
	if again["id"] != uuid || again["name"] != "Acme" || again["industry"] != "Anvils" {
		t.Errorf("upsert: %v", again)
	}

	// A reference given as an id array is stored as the Connec! id; the
	// answer unfolds it again on request.
	inv := `{"invoices":{"title":"INV-1","organization_id":[{"realm":"crm-1","provider":"my-crm","id":"ORG-7"}],
		"lines":[{"item_id":[{"realm":"org-1","provider":"connec","id":"` + uuid + `"}],"quantity":1},{"item_id":[{"realm":"x","provider":"y","id":"unknown"}]}]}}`
	plain := entity(t, e.mustCall(t, 201, "POST", "/api/v2/cld-1/invoices", inv, nil), "invoices")
	if plain["organization_id"] != uuid {
		t.Errorf("reference not folded: %v", plain["organization_id"])
	}
	lines := plain["lines"].([]any)
	if lines[0].(map[string]any)["item_id"] != uuid {
		t.Errorf("line reference not folded: %v", lines[0])
	}
	if _, kept := lines[1].(map[string]any)["item_id"].([]any); !kept {
		t.Errorf("unknown reference not kept as given: %v", lines[1])
	}
	invID := plain["id"].(string)
	unfolded := entity(t, e.mustCall(t, 200, "GET", "/api/v2/cld-1/invoices/"+invID, "", ext), "invoices")
	ref, ok := unfolded["organization_id"].([]any)
	if !ok || len(ref) != 2 || ref[1].(map[string]any)["id"] != "ORG-7" || ref[0].(map[string]any)["id"] != uuid {
		t.Errorf("reference not unfolded: %v", unfolded["organization_id"])
	}
	if id, ok := unfolded["id"].([]any); !ok || len(id) != 1 || id[0].(map[string]any)["id"] != invID {
		t.Errorf("own id not unfolded: %v", unfolded["id"])
	}
	// Linking back: PUT an external id onto an entity by its Connec! id.
	e.mustCall(t, 200, "PUT", "/api/v2/cld-1/invoices/"+invID, `{"invoices":{"id":[{"id":"77","provider":"my-erp","realm":"erp"}]}}`, nil)
	list := e.mustCall(t, 200, "GET", "/api/v2/cld-1/invoices", "", ext)
	id := list["invoices"].([]any)[0].(map[string]any)["id"].([]any)
	if len(id) != 2 || id[1].(map[string]any)["provider"] != "my-erp" {
		t.Errorf("linked id: %v", id)
	}
	// Filters use the Connec! id.
	f := e.mustCall(t, 200, "GET", "/api/v2/cld-1/invoices?%24filter="+url.QueryEscape("organization_id eq '"+uuid+"'"), "", nil)
	if len(f["invoices"].([]any)) != 1 {
		t.Errorf("filter by reference: %v", f)
	}
	// An external id cannot name two entities.
	other := entity(t, e.mustCall(t, 201, "POST", "/api/v2/cld-1/organizations", `{"organizations":{"name":"Other"}}`, nil), "organizations")
	status, _, body = e.call(t, "PUT", "/api/v2/cld-1/organizations/"+other["id"].(string),
		`{"organizations":{"id":[{"realm":"crm-1","provider":"my-crm","id":"ORG-7"}]}}`, nil)
	checkConnecError(t, "steal an external id", status, body, 409, "Conflict")
	// The same external id in another group is another entity.
	e.mustCall(t, 201, "POST", "/api/v2/cld-2/organizations", org, nil)
}

func TestConnecBatch(t *testing.T) {
	t.Parallel()
	e := setupConnec(t)
	p := entity(t, e.mustCall(t, 201, "POST", "/api/v2/cld-1/people", `{"people":{"first_name":"Ada"}}`, nil), "people")
	body := `{"sequential":true,"ops":[
		{"method":"post","url":"/api/v2/cld-1/people/","params":{"people":{"first_name":"Bob"}}},
		{"method":"put","url":"/api/v2/cld-1/people/` + p["id"].(string) + `","params":{"people":{"last_name":"Lovelace"}}},
		{"method":"put","url":"/connec/api/v2/cld-1/people/nope","params":{"people":{"last_name":"X"}}},
		{"method":"post","url":"/api/v2/cld-2/people/","params":{"people":{"first_name":"Cy"}}},
		{"method":"delete","url":"/api/v2/cld-1/people/x","params":{}},
		{"method":"post","url":"/api/v2/cld-1/unicorns/","params":{"unicorns":{}}},
		{"method":"post","url":"https://elsewhere.example/api/v1/cld-1/people/","params":{"people":{}}},
		{"method":"post","url":"/api/v2/cld-1/people/","params":{"persons":{}}},
		{"method":"put","url":"/api/v2/cld-1/company","params":{"company":{"name":"Acme"}}}
	]}`
	res := e.mustCall(t, 200, "POST", "/batch", body, nil)
	results := res["results"].([]any)
	wantStatus := []float64{201, 200, 404, 201, 400, 400, 400, 400, 201}
	if len(results) != len(wantStatus) {
		t.Fatalf("%d results: %v", len(results), results)
	}
	for i, r := range results {
		m := r.(map[string]any)
		if m["status"] != wantStatus[i] {
			t.Errorf("op %d: status %v, want %v: %v", i, m["status"], wantStatus[i], m["body"])
		}
		b := m["body"].(map[string]any)
		if wantStatus[i] >= 400 {
			if errs, _ := b["errors"].([]any); len(errs) != 1 {
				t.Errorf("op %d: body %v", i, b)
			}
		}
	}
	if got := results[1].(map[string]any)["body"].(map[string]any)["people"].(map[string]any); got["first_name"] != "Ada" || got["last_name"] != "Lovelace" {
		t.Errorf("batch update: %v", got)
	}
	// app-2 may only write cld-2.
	res = e.mustCall(t, 200, "POST", "/batch", `{"ops":[{"method":"post","url":"/api/v2/cld-1/people/","params":{"people":{}}},
		{"method":"post","url":"/api/v2/cld-2/people/","params":{"people":{}}}]}`, basic("app-2", "key-2"))
	r := res["results"].([]any)
	if r[0].(map[string]any)["status"] != float64(401) || r[1].(map[string]any)["status"] != float64(201) {
		t.Errorf("app-2 batch: %v", r)
	}
	status, _, b := e.call(t, "POST", "/batch", `{"ops":[]}`, basic("app-1", "wrong"))
	checkConnecError(t, "batch with a wrong key", status, b, 401, "Unauthorized Access")
}

func TestConnecRecordsOneChange(t *testing.T) {
	t.Parallel()
	e := setupConnec(t)
	last := func() (origin, coll, group string, ent map[string]any) {
		var raw string
		if err := e.db.QueryRowContext(t.Context(), `SELECT origin_app_uid, collection, group_uid, entity FROM connec_changes ORDER BY id DESC LIMIT 1`).
			Scan(&origin, &coll, &group, &raw); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(raw), &ent); err != nil {
			t.Fatal(err)
		}
		return
	}
	before := e.changes(t)
	created := entity(t, e.mustCall(t, 201, "POST", "/api/v2/cld-2/items", `{"items":{"name":"Anvil","sale_price":{"net_amount":12.5}}}`, basic("app-2", "key-2")), "items")
	if n := e.changes(t); n != before+1 {
		t.Fatalf("a create recorded %d changes", n-before)
	}
	origin, coll, group, ent := last()
	if origin != "app-2" || coll != "items" || group != "cld-2" || ent["id"] != created["id"] || ent["name"] != "Anvil" || ent["group_id"] != "cld-2" {
		t.Errorf("change: %s %s %s %v", origin, coll, group, ent)
	}
	e.mustCall(t, 200, "PUT", "/api/v2/cld-2/items/"+created["id"].(string), `{"items":{"code":"A1"}}`, nil)
	if n := e.changes(t); n != before+2 {
		t.Fatalf("an update recorded %d changes", n-before-1)
	}
	origin, _, _, ent = last()
	if origin != "app-1" || ent["code"] != "A1" || ent["name"] != "Anvil" {
		t.Errorf("update change: %s %v", origin, ent)
	}
	// Reads, refused writes and deletes record nothing.
	e.mustCall(t, 200, "GET", "/api/v2/cld-2/items", "", nil)
	e.call(t, "PUT", "/api/v2/cld-2/items/nope", `{"items":{}}`, nil)
	e.call(t, "POST", "/api/v2/cld-1/items", `{"items":{}}`, basic("app-2", "key-2"))
	if n := e.changes(t); n != before+2 {
		t.Errorf("reads and refused writes recorded %d changes", n-before-2)
	}
}

func TestConnecReports(t *testing.T) {
	t.Parallel()
	e := setupConnec(t)
	for _, inv := range []string{
		// customer, by lines: 2 × 100 less 10 % = 180 net, 10 % tax = 18
		`{"type":"CUSTOMER","status":"AUTHORISED","transaction_date":"2015-01-10T00:00:00Z",
		  "lines":[{"quantity":2,"unit_price":{"net_amount":100,"tax_rate":10},"reduction_percent":10}]}`,
		// customer, explicit amounts: 50 net + 5 tax
		`{"type":"CUSTOMER","status":"PAID","transaction_date":"2015-02-28","amount":{"net_amount":50,"tax_amount":5,"total_amount":55}}`,
		// supplier, total minus tax: 30 net
		`{"type":"SUPPLIER","status":"AUTHORISED","transaction_date":"2015-02-01","amount":{"total_amount":33,"tax_amount":3}}`,
		// left out: a draft, a voided one, one out of range
		`{"type":"CUSTOMER","status":"DRAFT","transaction_date":"2015-01-15","amount":{"net_amount":1000}}`,
		`{"type":"CUSTOMER","status":"VOIDED","transaction_date":"2015-01-15","amount":{"net_amount":1000}}`,
		`{"type":"CUSTOMER","status":"AUTHORISED","transaction_date":"2015-05-01","amount":{"net_amount":0.1,"tax_amount":0.02}}`,
	} {
		e.mustCall(t, 201, "POST", "/api/v2/cld-1/invoices", `{"invoices":`+inv+`}`, nil)
	}
	for _, pay := range []string{
		`{"type":"CUSTOMER","status":"ACTIVE","transaction_date":"2015-03-01","amount":{"total_amount":55,"currency":"USD"}}`,
		`{"type":"SUPPLIER","transaction_date":"2015-03-02","payment_lines":[{"amount":20},{"amount":13}]}`,
		`{"type":"CUSTOMER","status":"VOIDED","transaction_date":"2015-03-01","amount":{"total_amount":999}}`,
	} {
		e.mustCall(t, 201, "POST", "/api/v2/cld-1/payments", `{"payments":`+pay+`}`, nil)
	}
	// Another group's invoices never count.
	e.mustCall(t, 201, "POST", "/api/v2/cld-2/invoices", `{"invoices":{"type":"CUSTOMER","status":"PAID","transaction_date":"2015-01-10","amount":{"net_amount":777}}}`, nil)

	status, _, body := e.call(t, "GET", "/api/reports/cld-1/profit_and_loss?from=2015-01-01&to=2015-03-31&period=MONTHLY", "", nil)
	if status != 200 {
		t.Fatalf("profit_and_loss: %d %s", status, body)
	}
	pl := decodeJSON[sandbox.ConnecProfitAndLoss](t, body)
	if pl.Income != "230.00" || pl.Expenses != "30.00" || pl.NetProfit != "200.00" || pl.Invoices != 3 || pl.Currency != "USD" || len(pl.Periods) != 3 {
		t.Errorf("profit and loss: %+v", pl)
	}
	wantPeriods := []sandbox.ConnecReportPeriod{
		{From: "2015-01-01", To: "2015-01-31", Income: "180.00", Expenses: "0.00", NetProfit: "180.00"},
		{From: "2015-02-01", To: "2015-02-28", Income: "50.00", Expenses: "30.00", NetProfit: "20.00"},
		{From: "2015-03-01", To: "2015-03-31", Income: "0.00", Expenses: "0.00", NetProfit: "0.00"},
	}
	for i := range wantPeriods {
		if i < len(pl.Periods) && pl.Periods[i] != wantPeriods[i] {
			t.Errorf("period %d: %+v, want %+v", i, pl.Periods[i], wantPeriods[i])
		}
	}
	q := e.mustCall(t, 200, "GET", "/api/reports/cld-1/profit_and_loss?from=2015-02-15&to=2015-12-31&period=quarterly", "", nil)
	periods := q["periods"].([]any)
	if len(periods) != 4 || periods[0].(map[string]any)["from"] != "2015-02-15" || periods[0].(map[string]any)["to"] != "2015-03-31" ||
		periods[0].(map[string]any)["net_profit"] != 50.0 || periods[1].(map[string]any)["income"] != 0.1 || q["net_profit"] != 50.1 {
		t.Errorf("quarterly: %v", q)
	}

	status, _, body = e.call(t, "GET", "/api/reports/cld-1/accounts_summary?to=2015-03-31", "", nil)
	if status != 200 {
		t.Fatalf("accounts_summary: %d %s", status, body)
	}
	as := decodeJSON[sandbox.ConnecAccountsSummary](t, body)
	want := map[string]string{
		"Cash": "22.00", "Accounts Receivable": "198.00", "Accounts Payable": "0.00",
		"Sales Tax": "20.00", "Sales": "230.00", "Purchases": "30.00",
	}
	if as.To != "2015-03-31" || as.Period != "MONTHLY" || len(as.Accounts) != len(want) {
		t.Errorf("accounts summary: %+v", as)
	}
	for _, a := range as.Accounts {
		if string(a.Balance) != want[a.Name] {
			t.Errorf("account %s: %s, want %s", a.Name, a.Balance, want[a.Name])
		}
	}
	// Before the payments, nothing is paid.
	as = decodeJSON[sandbox.ConnecAccountsSummary](t, func() string {
		_, _, b := e.call(t, "GET", "/api/reports/cld-1/accounts_summary?to=2015-02-28", "", nil)
		return b
	}())
	for _, a := range as.Accounts {
		if a.Name == "Cash" && a.Balance != "0.00" || a.Name == "Accounts Receivable" && a.Balance != "253.00" || a.Name == "Accounts Payable" && a.Balance != "33.00" {
			t.Errorf("on 2015-02-28, %s: %s", a.Name, a.Balance)
		}
	}
	// Default range: this year until today (the pinned clock: 2030-01-02).
	d := e.mustCall(t, 200, "GET", "/api/reports/cld-1/profit_and_loss", "", nil)
	if d["from"] != "2030-01-01" || d["to"] != "2030-01-02" || d["income"] != 0.0 {
		t.Errorf("default range: %v", d)
	}
}
