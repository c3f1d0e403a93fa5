package demo_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/connec"
	"github.com/maestrano-go/maestrano/internal/flowtest"
	"github.com/maestrano-go/maestrano/sandbox"
	"github.com/maestrano-go/maestrano/sandbox/store"
)

var (
	entityRow       = regexp.MustCompile(`<tr class="entity" data-id="([^"]+)"><td class="name">([^<]*)<`)
	notificationRow = regexp.MustCompile(`<li class="notification" data-id="([^"]+)">.*?<span class="name">([^<]*)</span>`)
	alertBlock      = regexp.MustCompile(`(?s)<div class="alert" role="alert" id="data-error">(.*?)</div>`)
)

// rows returns the names of the entities a data page lists.
func rows(body string) []string {
	var out []string
	for _, m := range entityRow.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[2]))
	}
	return out
}

func notified(body string) []string {
	var out []string
	for _, m := range notificationRow.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[2]))
	}
	return out
}

func alertText(body string) string {
	m := alertBlock.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], " "))
}

// connecClient is the Connec! client of the app for group: what another
// process of the same app would use.
func (p *platform) connecClient(t *testing.T, group string) *connec.Client {
	t.Helper()
	mp, err := p.reg.Get(sandbox.DefaultMarketplace)
	if err != nil {
		t.Fatal(err)
	}
	c, err := connec.New(mp, group)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// adminWrite creates an entity on the platform through the sandbox admin
// page, as origin ("" for the admin, or another app's id).
func (p *platform) adminWrite(t *testing.T, group, collection, origin, doc string) {
	t.Helper()
	resp, err := http.PostForm(p.sbURL+"/admin/connec", url.Values{
		"group": {group}, "collection": {collection}, "origin": {origin}, "json": {doc},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		t.Fatalf("admin write: %s", resp.Status)
	}
}

// deliverUntil moves the clock past the coalescing window and runs the
// sandbox's webhook worker until ok says the app has what it should; the
// background loop may deliver first, which is fine.
func (p *platform) deliverUntil(t *testing.T, ok func() bool) {
	t.Helper()
	p.clock.Advance(sandbox.DefaultCoalesceWindow + time.Second)
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("the notification did not reach the app")
		}
		if _, err := p.sb.DeliverPending(t.Context()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDataPagination(t *testing.T) {
	t.Parallel()
	p := start(t)
	b := flowtest.NewBrowser(t)
	b.Login(p.initURL, "usr-1", "cld-1")
	orgs := p.connecClient(t, "cld-1").Organizations()
	for i := range 23 {
		if _, err := orgs.Create(t.Context(), connec.Organization{Name: fmt.Sprintf("Org %02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Another group's data never shows.
	if _, err := p.connecClient(t, "cld-2").Organizations().Create(t.Context(), connec.Organization{Name: "Globex only"}); err != nil {
		t.Fatal(err)
	}

	page := b.Get(p.appURL + "/data")
	if page.Status != http.StatusOK {
		t.Fatalf("data page: status %d: %.500s", page.Status, page.Body)
	}
	got := rows(page.Body)
	if len(got) != 10 || got[0] != "Org 00" || got[9] != "Org 09" {
		t.Fatalf("first page lists %q", got)
	}
	if strings.Contains(page.Body, `rel="prev"`) || !strings.Contains(page.Body, "1–10 of 23") {
		t.Errorf("first page pager: %s", regexp.MustCompile(`(?s)<nav aria-label="Pages".*?</nav>`).FindString(page.Body))
	}
	var pages [][]string
	next := p.appURL + "/data"
	for next != "" {
		page := b.Get(next)
		pages = append(pages, rows(page.Body))
		m := regexp.MustCompile(`<a href="([^"]+)" rel="next"`).FindStringSubmatch(page.Body)
		next = ""
		if m != nil {
			next = p.appURL + html.UnescapeString(m[1])
		}
		if len(pages) > 5 {
			t.Fatal("the next links do not end")
		}
	}
	if len(pages) != 3 || len(pages[2]) != 3 || pages[2][2] != "Org 22" {
		t.Fatalf("pages %q", pages)
	}
	last := b.Get(p.appURL + "/data?collection=organizations&skip=20")
	if !strings.Contains(last.Body, `href="/data?collection=organizations&amp;skip=10" rel="prev"`) || !strings.Contains(last.Body, "21–23 of 23") {
		t.Errorf("last page pager: %s", regexp.MustCompile(`(?s)<nav aria-label="Pages".*?</nav>`).FindString(last.Body))
	}

	people := b.Get(p.appURL + "/data?collection=people")
	if people.Status != http.StatusOK || !strings.Contains(people.Body, `id="no-entities"`) {
		t.Fatalf("people page: status %d", people.Status)
	}
	for _, bad := range []string{"skip=-1", "skip=x", "skip=99999999999", "collection=invoices"} {
		if page := b.Get(p.appURL + "/data?" + bad); page.Status != http.StatusBadRequest && page.Status != http.StatusNotFound {
			t.Errorf("%s: status %d, want 400 or 404", bad, page.Status)
		}
	}
}

// TestDataBadRecordCostsOnlyItself stores, behind the sandbox's back, an
// organization whose name is not a string (another app's bug): the data page
// still lists the others and says one was left out.
func TestDataBadRecordCostsOnlyItself(t *testing.T) {
	t.Parallel()
	p := start(t)
	b := flowtest.NewBrowser(t)
	b.Login(p.initURL, "usr-1", "cld-1")
	for _, name := range []string{"Good One", "Good Two"} {
		if _, err := p.connecClient(t, "cld-1").Organizations().Create(t.Context(), connec.Organization{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	st, err := store.Open(t.Context(), filepath.Join(p.sbDir, "sandbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	bad := map[string]json.RawMessage{"name": json.RawMessage(`{"deep":[1]}`)}
	if _, err := st.ImportConnecEntities(t.Context(), "cld-1", "organizations", []map[string]json.RawMessage{bad}, time.Now()); err != nil {
		t.Fatal(err)
	}
	page := b.Get(p.appURL + "/data")
	if page.Status != http.StatusOK {
		t.Fatalf("data page: status %d: %.500s", page.Status, page.Body)
	}
	if got := rows(page.Body); len(got) != 2 || got[0] != "Good One" || got[1] != "Good Two" {
		t.Errorf("rows %q, want the two good organizations", got)
	}
	if !strings.Contains(page.Body, "1 record(s) of this page could not be read") || strings.Contains(page.Body, "the app's copy") {
		t.Errorf("the page should list Connec!'s records and say one was left out: %.800s", page.Body)
	}
}

func TestDataCreate(t *testing.T) {
	t.Parallel()
	p := start(t)
	b := flowtest.NewBrowser(t)
	home := b.Login(p.initURL, "usr-2", "")
	token := flowtest.Field(home.Body, "csrf_token")

	created := b.PostForm(p.appURL+"/data/organizations", url.Values{"csrf_token": {token}, "name": {"O'Hara & Daughters"}, "email": {"hi@ohara.example"}})
	if created.Status != http.StatusSeeOther || created.Location != p.appURL+"/data?collection=organizations" {
		t.Fatalf("create: status %d location %q: %.500s", created.Status, created.Location, created.Body)
	}
	page := b.Get(created.Location)
	if notice := flowtest.Text(page.Body, "data-notice"); !strings.HasPrefix(notice, "Added O'Hara & Daughters to Connec!") {
		t.Fatalf("notice %q", notice)
	}
	if got := rows(page.Body); len(got) != 1 || got[0] != "O'Hara & Daughters" {
		t.Fatalf("rows %q", got)
	}
	if again := b.Get(created.Location); flowtest.Text(again.Body, "data-notice") != "" {
		t.Error("the notice shows twice")
	}
	// It is in Connec!, in the user's group.
	list, err := p.connecClient(t, "cld-1").Organizations().List(t.Context(), connec.Where("name", connec.Eq, "O'Hara & Daughters"))
	if err != nil || len(list.Items) != 1 || list.Items[0].Email == nil || list.Items[0].Email.Address != "hi@ohara.example" {
		t.Fatalf("in Connec!: %+v, %v", list, err)
	}

	person := b.PostForm(p.appURL+"/data/people", url.Values{"csrf_token": {token}, "first_name": {"Ada"}, "last_name": {"Lovelace"}})
	if person.Status != http.StatusSeeOther {
		t.Fatalf("create person: status %d", person.Status)
	}
	if got := rows(b.Get(person.Location).Body); len(got) != 1 || got[0] != "Ada Lovelace" {
		t.Fatalf("people rows %q", got)
	}

	cases := []struct {
		name   string
		path   string
		form   url.Values
		status int
		want   []string
	}{
		{"no CSRF token", "/data/organizations", url.Values{"name": {"X"}}, http.StatusForbidden, []string{"CSRF"}},
		{"empty name", "/data/organizations", url.Values{"csrf_token": {token}, "name": {"  "}}, http.StatusUnprocessableEntity, []string{"Name is required."}},
		{"long name", "/data/organizations", url.Values{"csrf_token": {token}, "name": {strings.Repeat("n", 201)}}, http.StatusUnprocessableEntity, []string{"at most 200 characters"}},
		{"control character", "/data/organizations", url.Values{"csrf_token": {token}, "name": {"a\x00b"}}, http.StatusUnprocessableEntity, []string{"not allowed"}},
		{"bad email", "/data/people", url.Values{"csrf_token": {token}, "first_name": {"Bo"}, "last_name": {"Li"}, "email": {"Bo <bo@x.example>"}}, http.StatusUnprocessableEntity, []string{"not an email address"}},
		{"missing last name", "/data/people", url.Values{"csrf_token": {token}, "first_name": {"Bo"}}, http.StatusUnprocessableEntity, []string{"Last name is required."}},
		{"unknown collection", "/data/invoices", url.Values{"csrf_token": {token}}, http.StatusNotFound, nil},
		{"body too large", "/data/organizations", url.Values{"csrf_token": {token}, "name": {strings.Repeat("n", 70<<10)}}, http.StatusForbidden, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page := b.PostForm(p.appURL+c.path, c.form)
			if page.Status != c.status {
				t.Fatalf("status %d, want %d: %.600s", page.Status, c.status, page.Body)
			}
			msg := alertText(page.Body) + flowtest.Text(page.Body, "error-message")
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
		})
	}
	// The refused form keeps what the user typed.
	page = b.PostForm(p.appURL+"/data/people", url.Values{"csrf_token": {token}, "first_name": {"Grace <3"}, "email": {"nope"}})
	if flowtest.Field(page.Body, "first_name") != "Grace <3" || flowtest.Field(page.Body, "email") != "nope" {
		t.Errorf("form not kept: %q %q", flowtest.Field(page.Body, "first_name"), flowtest.Field(page.Body, "email"))
	}
	// Nothing refused reached Connec!.
	all, err := p.connecClient(t, "cld-1").People().List(t.Context(), connec.Query{})
	if err != nil || all.Pagination.Total != 1 {
		t.Fatalf("people in Connec!: %+v, %v", all, err)
	}
}

// TestDataNotifications: an entity written on the platform reaches the
// app as a Connec! notification through the sandbox's webhook worker; the
// data page lists it, the live fragment too, the app keeps a copy it shows
// when Connec! cannot be reached, and a redelivery is dropped.
func TestDataNotifications(t *testing.T) {
	t.Parallel()
	p := start(t)
	john, jane := flowtest.NewBrowser(t), flowtest.NewBrowser(t)
	john.Login(p.initURL, "usr-1", "cld-1")
	jane.Login(p.initURL, "usr-2", "cld-1")
	globex := flowtest.NewBrowser(t)
	globex.Login(p.initURL, "usr-3", "cld-2")

	if got := notified(john.Get(p.appURL + "/data").Body); len(got) != 0 {
		t.Fatalf("notifications before any: %q", got)
	}
	p.adminWrite(t, "cld-1", "organizations", "", `{"name":"Platform <Corp>","email":{"address":"p@corp.example"}}`)
	p.adminWrite(t, "cld-1", "people", "", `{"first_name":"Grace","last_name":"Hopper"}`)
	p.deliverUntil(t, func() bool { return len(notified(john.Get(p.appURL+"/data/notifications").Body)) == 2 })

	frag := jane.Get(p.appURL + "/data/notifications")
	if frag.Status != http.StatusOK || strings.Contains(frag.Body, "<html") {
		t.Fatalf("fragment: status %d: %.300s", frag.Status, frag.Body)
	}
	got := notified(frag.Body)
	if len(got) != 2 || got[0] != "Grace Hopper" || got[1] != "Platform <Corp>" {
		t.Fatalf("notifications (newest first) %q", got)
	}
	if n := notified(globex.Get(p.appURL + "/data").Body); len(n) != 0 {
		t.Fatalf("another group sees %q", n)
	}

	// A redelivery of the same delivery is dropped: the list does not grow.
	deliveries := webhookDeliveries(t, p)
	if len(deliveries) == 0 {
		t.Fatal("no delivery listed on /admin/webhooks")
	}
	for _, id := range deliveries {
		if err := p.sb.Redeliver(t.Context(), id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.sb.DeliverPending(t.Context()); err != nil {
		t.Fatal(err)
	}
	p.deliverUntil(t, func() bool { return p.redelivered(t, deliveries) })
	if got := notified(john.Get(p.appURL + "/data/notifications").Body); len(got) != 2 {
		t.Fatalf("after redelivery: %q", got)
	}

	// Connec! down: the page shows the app's own copy and says so.
	p.sbSrv.Close()
	page := john.Get(p.appURL + "/data")
	if page.Status != http.StatusOK {
		t.Fatalf("status %d", page.Status)
	}
	if msg := alertText(page.Body); !strings.Contains(msg, "Connec! could not be reached.") || !strings.Contains(msg, "app's own copy") {
		t.Errorf("alert %q", msg)
	}
	if got := rows(page.Body); len(got) != 1 || got[0] != "Platform <Corp>" {
		t.Errorf("local copy %q", got)
	}
	for _, detail := range []string{"dial", "refused", p.sbSrv.Listener.Addr().String()} {
		if strings.Contains(page.Body, detail) {
			t.Errorf("the page shows the connection error's detail %q", detail)
		}
	}
}

// adminWebhooks returns the sandbox admin's webhooks page.
func (p *platform) adminWebhooks(t *testing.T) string {
	t.Helper()
	resp, err := http.Get(p.sbURL + "/admin/webhooks?limit=1000")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("admin webhooks: %s, %v", resp.Status, err)
	}
	return string(body)
}

var deliveryRow = regexp.MustCompile(`(?s)<tr id="d-([^"]+)">(.*?)</tr>`)

// webhookDeliveries returns the ids of the deliveries the sandbox admin
// lists.
func webhookDeliveries(t *testing.T, p *platform) []string {
	t.Helper()
	var ids []string
	for _, m := range deliveryRow.FindAllStringSubmatch(p.adminWebhooks(t), -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// redelivered reports whether each delivery has had its second attempt
// answered.
func (p *platform) redelivered(t *testing.T, ids []string) bool {
	t.Helper()
	done := map[string]bool{}
	for _, m := range deliveryRow.FindAllStringSubmatch(p.adminWebhooks(t), -1) {
		done[m[1]] = strings.Contains(m[2], "#2 ") && strings.Contains(m[2], "<strong>200</strong>")
	}
	for _, id := range ids {
		if !done[id] {
			return false
		}
	}
	return true
}

// A notice travels in a cookie signed for the session: an edited cookie,
// or one taken from another session, shows nothing.
func TestFlashIsBoundToSession(t *testing.T) {
	t.Parallel()
	p := start(t)
	john, jane := flowtest.NewBrowser(t), flowtest.NewBrowser(t)
	token := flowtest.Field(john.Login(p.initURL, "usr-1", "cld-1").Body, "csrf_token")
	jane.Login(p.initURL, "usr-2", "cld-1")
	created := john.PostForm(p.appURL+"/data/organizations", url.Values{"csrf_token": {token}, "name": {"Flash Ltd"}})
	u, _ := url.Parse(p.appURL)
	var flash *http.Cookie
	for _, c := range john.Client.Jar.Cookies(u) {
		if c.Name == "demo_flash" {
			flash = c
		}
	}
	if created.Status != http.StatusSeeOther || flash == nil {
		t.Fatalf("create: status %d, flash cookie %v", created.Status, flash)
	}
	enc, mac, _ := strings.Cut(flash.Value, ".")
	forged := base64.RawURLEncoding.EncodeToString([]byte("You won a prize")) + "." + mac
	for name, v := range map[string]string{"another session's": flash.Value, "edited": forged, "garbage": "%%%", "unsigned": enc} {
		jane.Client.Jar.SetCookies(u, []*http.Cookie{{Name: "demo_flash", Value: v, Path: "/"}})
		if n := flowtest.Text(jane.Get(p.appURL+"/data").Body, "data-notice"); n != "" {
			t.Errorf("%s cookie shows %q", name, n)
		}
	}
	if n := flowtest.Text(john.Get(created.Location).Body, "data-notice"); n != "Added Flash Ltd to Connec!; the group's other apps are notified." {
		t.Errorf("own notice %q", n)
	}
}
