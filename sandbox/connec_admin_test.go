package sandbox_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func (e *connecEnv) postForm(t *testing.T, path string, form url.Values, hdr http.Header) (int, http.Header, string) {
	t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {""}}
	for k, v := range hdr {
		h[k] = v
	}
	return e.call(t, "POST", path, form.Encode(), h)
}

func TestAdminConnec(t *testing.T) {
	t.Parallel()
	e := setupConnec(t)
	status, _, page := e.do(t, "GET", "/admin/connec?group=cld-2&collection=people", nil)
	if status != 200 {
		t.Fatalf("page: %d %s", status, page)
	}
	for _, want := range []string{`<form method="post" action="/admin/connec">`, `<option value="app-2">`, `<option value="">the admin</option>`,
		`people of cld-2: 0`, `<a href="/admin/connec">Connec! entities</a>`, `<h2>Create an entity in people</h2>`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if _, _, page := e.do(t, "GET", "/admin/connec?group=cld-2&collection=company", nil); !strings.Contains(page, `<h2>Set the company</h2>`) {
		t.Error("the company page's heading is not \"Set the company\"")
	}
	_, _, admin := e.do(t, "GET", "/admin", nil)
	if !strings.Contains(admin, `href="/admin/connec"`) {
		t.Error("the admin page has no link to the Connec! page")
	}

	before := e.changes(t)
	// Create as app-2.
	status, hdr, body := e.postForm(t, "/admin/connec", url.Values{
		"group": {"cld-2"}, "collection": {"people"}, "origin": {"app-2"}, "json": {`{"first_name":"Grace","last_name":"Hopper"}`},
	}, http.Header{"Origin": {e.srv.URL}, "Sec-Fetch-Site": {"same-origin"}})
	if status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", status, body)
	}
	loc, _ := url.Parse(hdr.Get("Location"))
	id := loc.Query().Get("id")
	var origin string
	if err := e.db.QueryRowContext(t.Context(), `SELECT origin_app_uid FROM connec_changes ORDER BY id DESC LIMIT 1`).Scan(&origin); err != nil {
		t.Fatal(err)
	}
	if e.changes(t) != before+1 || origin != "app-2" || len(id) != 36 {
		t.Errorf("after create: %d changes, origin %q, id %q", e.changes(t)-before, origin, id)
	}
	// The entity is visible through the API and on the page.
	p := entity(t, e.mustCall(t, 200, "GET", "/api/v2/cld-2/people/"+id, "", nil), "people")
	if p["first_name"] != "Grace" {
		t.Errorf("API sees %v", p)
	}
	_, _, page = e.do(t, "GET", loc.String(), nil)
	if !strings.Contains(page, "Change people <code>"+id+"</code>") || !strings.Contains(page, "&#34;Hopper&#34;") ||
		!strings.Contains(page, "Saved people "+id+" as app-2.") {
		t.Errorf("page after create:\n%s", page)
	}
	// Change it as the admin.
	status, _, body = e.postForm(t, "/admin/connec", url.Values{
		"group": {"cld-2"}, "collection": {"people"}, "id": {id}, "origin": {""}, "json": {`{"job_title":"Rear Admiral"}`},
	}, nil)
	if status != http.StatusSeeOther {
		t.Fatalf("update: %d %s", status, body)
	}
	if err := e.db.QueryRowContext(t.Context(), `SELECT origin_app_uid FROM connec_changes ORDER BY id DESC LIMIT 1`).Scan(&origin); err != nil {
		t.Fatal(err)
	}
	p = entity(t, e.mustCall(t, 200, "GET", "/api/v2/cld-2/people/"+id, "", nil), "people")
	if origin != "" || p["job_title"] != "Rear Admiral" || p["last_name"] != "Hopper" {
		t.Errorf("after admin update: origin %q, %v", origin, p)
	}

	n := e.changes(t)
	for _, tt := range []struct {
		name   string
		form   url.Values
		hdr    http.Header
		status int
		want   string
	}{
		{"cross-site", url.Values{"group": {"cld-2"}, "collection": {"people"}, "json": {"{}"}}, http.Header{"Sec-Fetch-Site": {"cross-site"}}, 403, "cross-site"},
		{"foreign origin", url.Values{"group": {"cld-2"}, "collection": {"people"}, "json": {"{}"}}, http.Header{"Origin": {"https://evil.example"}}, 403, "cross-origin"},
		{"app without the group", url.Values{"group": {"cld-1"}, "collection": {"people"}, "origin": {"app-2"}, "json": {"{}"}}, nil, 400, "has no access"},
		{"not JSON", url.Values{"group": {"cld-2"}, "collection": {"people"}, "json": {"{"}}, nil, 400, "must be a JSON object"},
		{"unknown id", url.Values{"group": {"cld-2"}, "collection": {"people"}, "id": {"nope"}, "json": {"{}"}}, nil, 400, "There is no people"},
		{"unknown group", url.Values{"group": {"cld-9"}, "collection": {"people"}, "json": {"{}"}}, nil, 404, "no group"},
		{"unknown collection", url.Values{"group": {"cld-2"}, "collection": {"unicorns"}, "json": {"{}"}}, nil, 400, "no Connec! collection"},
	} {
		status, _, body := e.postForm(t, "/admin/connec", tt.form, tt.hdr)
		if status != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d, want %d with %q:\n%s", tt.name, status, tt.status, tt.want, body)
		}
	}
	if e.changes(t) != n {
		t.Errorf("refused forms recorded %d changes", e.changes(t)-n)
	}
	for _, bad := range []string{"/admin/connec?group=cld-9", "/admin/connec?collection=unicorns", "/admin/connec?skip=-1"} {
		if status, _, _ := e.do(t, "GET", bad, nil); status < 400 || status >= 500 {
			t.Errorf("GET %s: %d", bad, status)
		}
	}
}
