package sandbox_test

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/sandbox"
	"github.com/maestrano-go/maestrano/sandbox/store"
)

const window = 500 * time.Millisecond

func TestConnecNotificationsFanOut(t *testing.T) {
	t.Parallel()
	w := setupWebhooks(t, sandbox.WebhookConfig{CoalesceWindow: window})
	r1, r2, r3 := newReceiver(t, nil), newReceiver(t, nil), newReceiver(t, nil)
	if err := w.sb.SetAppHost(t.Context(), "app-1", r1.srv.URL); err != nil {
		t.Fatal(err)
	}
	addApp(t, w.db, "app-2", r2.srv.URL, "cld-1")
	addApp(t, w.db, "app-3", r3.srv.URL, "cld-2") // no access to cld-1
	addApp(t, w.db, "app-4", r3.srv.URL, "cld-1") // not subscribed
	subscribe(t, w.st, "app-1", "organizations", "people")
	subscribe(t, w.st, "app-2", "organizations")
	subscribe(t, w.st, "app-3", "organizations", "people")

	w.record(t,
		change("cld-1", "organizations", "app-2", `{"id":"org-a","name":"A v1"}`),
		change("cld-1", "people", "", `{"id":"per-b","first_name":"B","group_id":"cld-1"}`),
		change("cld-1", "organizations", "app-1", `{"id":"org-c","name":"C"}`),
		change("cld-1", "organizations", "app-2", `{"id":"org-a","name":"A v2"}`),
		change("cld-2", "organizations", "app-1", `{"id":"org-d","name":"D"}`),
	)
	if n := w.deliver(t); n != 0 {
		t.Fatalf("%d attempts inside the coalescing window", n)
	}
	for _, d := range w.deliveries(t, "") {
		if d.State != store.DeliveryCollecting {
			t.Errorf("delivery %s is %s inside the window", d.ID, d.State)
		}
	}
	w.clock.Advance(window)
	if n := w.deliver(t); n != 3 {
		t.Fatalf("%d attempts, want 3 (app-1 cld-1, app-2 cld-1, app-3 cld-2)", n)
	}

	check := func(name string, rc *receiver, app, path string, want map[string][]string) string {
		t.Helper()
		got := rc.requests()
		if len(got) != 1 {
			t.Fatalf("%s: %d requests, want 1: %+v", name, len(got), got)
		}
		g := got[0]
		if g.Method != "POST" || g.Path != path || g.ContentType != "application/json" {
			t.Errorf("%s: %s %s (%s)", name, g.Method, g.Path, g.ContentType)
		}
		if g.User != app || g.Pass != apiKey(t, w.db, app) {
			t.Errorf("%s: Basic auth %q:%q, want the app's api id and key", name, g.User, g.Pass)
		}
		if g.ID == "" || g.Attempt != "1" {
			t.Errorf("%s: delivery id %q, attempt %q", name, g.ID, g.Attempt)
		}
		body := decodeBody(t, g.Body)
		gotNames := map[string][]string{}
		for coll, entities := range body {
			for _, e := range entities {
				if e["group_id"] == nil {
					t.Errorf("%s: entity without group_id: %v", name, e)
				}
				gotNames[coll] = append(gotNames[coll], e["id"].(string)+"="+strings.TrimSpace(firstString(e, "name", "first_name")))
			}
		}
		if !reflect.DeepEqual(gotNames, want) {
			t.Errorf("%s: body %s\ngot  %v\nwant %v", name, g.Body, gotNames, want)
		}
		return g.ID
	}
	id1 := check("app-1", r1, "app-1", "/maestrano/connec/notifications/maestrano", map[string][]string{
		"organizations": {"org-a=A v2"}, // latest version once; org-c was app-1's own change
		"people":        {"per-b=B"},
	})
	check("app-2", r2, "app-2", "/hooks/app-2/connec", map[string][]string{
		"organizations": {"org-c=C"}, // not org-a (its own), not people (not subscribed)
	})
	reqs := r3.requests() // app-3 (cld-2) and app-4 (unsubscribed) share r3
	if len(reqs) != 1 || reqs[0].User != "app-3" {
		t.Fatalf("r3 got %+v, want one request for app-3", reqs)
	}
	if b := decodeBody(t, reqs[0].Body); len(b["organizations"]) != 1 || b["organizations"][0]["group_id"] != "cld-2" {
		t.Errorf("app-3 body %s", reqs[0].Body)
	}

	d := w.delivery(t, id1)
	if d.State != store.DeliveryDelivered || d.Kind != store.KindConnecNotification || d.ChangeCount != 3 ||
		d.AppUID != "app-1" || d.GroupUID != "cld-1" || len(d.AttemptLog) != 1 || d.AttemptLog[0].Status != 200 ||
		d.AttemptLog[0].Response != `{"success":true}` || d.DeliveredAt == "" {
		t.Errorf("delivery %+v", d)
	}
	if !json.Valid(d.Body) {
		t.Errorf("delivery body %q", d.Body)
	}
	if n := w.deliver(t); n != 0 {
		t.Errorf("%d more attempts after everything was delivered", n)
	}

	// A change after the window closed starts a new notification.
	w.record(t, change("cld-1", "people", "app-2", `{"id":"per-e","first_name":"E"}`))
	w.clock.Advance(window)
	if n := w.deliver(t); n != 1 {
		t.Fatalf("%d attempts for a later change", n)
	}
	if got := r1.requests(); len(got) != 2 || got[1].ID == id1 {
		t.Errorf("later change: %d requests; ids %v", len(got), got)
	}
}

func firstString(m map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := m[k].(string); ok {
			return s
		}
	}
	return ""
}

func TestWebhookRetryThenSuccess(t *testing.T) {
	t.Parallel()
	w := setupWebhooks(t, sandbox.WebhookConfig{CoalesceWindow: window, RetryBaseDelay: time.Second, RetryMaxDelay: 8 * time.Second})
	rc := newReceiver(t, func(n int, wr http.ResponseWriter, _ *http.Request) {
		if n < 2 {
			wr.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(wr, "boom "+strings.Repeat("x", 5000))
			return
		}
		wr.WriteHeader(http.StatusNoContent)
	})
	if err := w.sb.SetAppHost(t.Context(), "app-1", rc.srv.URL); err != nil {
		t.Fatal(err)
	}
	subscribe(t, w.st, "app-1", "items")
	w.record(t, change("cld-1", "items", "app-9", `{"id":"itm-1","name":"Widget"}`))
	w.clock.Advance(window)

	if n := w.deliver(t); n != 1 {
		t.Fatalf("first round: %d attempts", n)
	}
	if n := w.deliver(t); n != 0 {
		t.Fatalf("retried before its backoff: %d attempts", n)
	}
	ds := w.deliveries(t, "?state=pending")
	if len(ds) != 1 || ds[0].Failures != 1 || ds[0].NextAttemptAt == "" {
		t.Fatalf("after one failure: %+v", ds)
	}
	next, err := time.Parse(time.RFC3339, ds[0].NextAttemptAt)
	if err != nil {
		t.Fatal(err)
	}
	// Backoff with jitter: between half the base delay and the base delay.
	if wait := next.Sub(w.clock.Now()); wait < 500*time.Millisecond || wait > time.Second {
		t.Errorf("first retry in %v, want 0.5s..1s", wait)
	}
	w.clock.Advance(time.Second)
	if n := w.deliver(t); n != 1 {
		t.Fatalf("second round: %d attempts", n)
	}
	w.clock.Advance(2 * time.Second)
	if n := w.deliver(t); n != 1 {
		t.Fatalf("third round: %d attempts", n)
	}

	got := rc.requests()
	if len(got) != 3 {
		t.Fatalf("%d requests", len(got))
	}
	for i, g := range got {
		if g.ID != got[0].ID || g.Attempt != []string{"1", "2", "3"}[i] || string(g.Body) != string(got[0].Body) {
			t.Errorf("request %d: id %q attempt %q body %s; want the first's id and body", i, g.ID, g.Attempt, g.Body)
		}
	}
	d := w.delivery(t, got[0].ID)
	if d.State != store.DeliveryDelivered || d.Attempts != 3 || d.Failures != 0 || len(d.AttemptLog) != 3 {
		t.Fatalf("delivery %+v", d)
	}
	for i, wantStatus := range []int{500, 500, 204} {
		a := d.AttemptLog[i]
		if a.Number != i+1 || a.Status != wantStatus || a.URL != rc.srv.URL+"/maestrano/connec/notifications/maestrano" {
			t.Errorf("attempt %d: %+v", i, a)
		}
		if wantStatus == 500 && (!strings.HasPrefix(a.Response, "boom x") || len(a.Response) > 1024 || a.Error != "status 500") {
			t.Errorf("attempt %d: response %d bytes %q, error %q", i, len(a.Response), a.Response[:min(20, len(a.Response))], a.Error)
		}
	}
}

func TestWebhookDeadLetterAndRedeliver(t *testing.T) {
	t.Parallel()
	w := setupWebhooks(t, sandbox.WebhookConfig{MaxAttempts: 3, RetryBaseDelay: time.Second, RetryMaxDelay: time.Second})
	rc := newReceiver(t, status(http.StatusServiceUnavailable))
	if err := w.sb.SetAppHost(t.Context(), "app-1", rc.srv.URL); err != nil {
		t.Fatal(err)
	}
	ids, err := w.sb.RemoveMember(t.Context(), "cld-1", "usr-2")
	if err != nil || len(ids) != 1 {
		t.Fatalf("RemoveMember: %v %v", ids, err)
	}
	for i := range 5 {
		w.deliver(t)
		w.clock.Advance(time.Second)
		_ = i
	}
	if got := rc.requests(); len(got) != 3 {
		t.Fatalf("%d attempts, want the cap of 3", len(got))
	}
	d := w.delivery(t, ids[0])
	if d.State != store.DeliveryDead || d.Attempts != 3 || d.NextAttemptAt != "" {
		t.Fatalf("after the cap: %+v", d)
	}
	if dead := w.deliveries(t, "?state=dead"); len(dead) != 1 || dead[0].ID != ids[0] {
		t.Fatalf("dead letters: %+v", dead)
	}

	// Redelivery from the admin page: refused cross-site, then done.
	if code, _, _ := w.do(t, "POST", "/admin/webhooks/"+ids[0]+"/redeliver", http.Header{"Sec-Fetch-Site": {"cross-site"}}); code != http.StatusForbidden {
		t.Errorf("cross-site redeliver: %d", code)
	}
	if code, _, _ := w.do(t, "POST", "/admin/webhooks/no-such-id/redeliver", nil); code != http.StatusNotFound {
		t.Errorf("redeliver unknown: %d", code)
	}
	code, hdr, _ := w.do(t, "POST", "/admin/webhooks/"+ids[0]+"/redeliver", http.Header{"Origin": {w.srv.URL}, "Sec-Fetch-Site": {"same-origin"}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/admin/webhooks" {
		t.Fatalf("redeliver: %d %q", code, hdr.Get("Location"))
	}
	rc.setRespond(nil)
	if n := w.deliver(t); n != 1 {
		t.Fatalf("after redeliver: %d attempts", n)
	}
	got := rc.requests()
	if last := got[len(got)-1]; last.ID != ids[0] || last.Attempt != "4" {
		t.Errorf("redelivered with id %q attempt %q", last.ID, last.Attempt)
	}
	if d := w.delivery(t, ids[0]); d.State != store.DeliveryDelivered || d.Failures != 0 || len(d.AttemptLog) != 4 {
		t.Errorf("after redelivery: %+v", d)
	}

	// A delivered one can be sent again through the JSON API (at least once:
	// same id).
	code, _, body := w.do(t, "POST", "/api/sandbox/v1/webhooks/"+ids[0]+"/redeliver", w.authHeader())
	if code != http.StatusOK {
		t.Fatalf("API redeliver: %d %s", code, body)
	}
	if d := decodeJSON[sandbox.WebhookDelivery](t, body); d.State != store.DeliveryPending || d.ID != ids[0] {
		t.Errorf("API redeliver answered %+v", d)
	}
	w.deliver(t)
	if got := rc.requests(); len(got) != 5 || got[4].ID != ids[0] {
		t.Errorf("API redelivery: %d requests", len(got))
	}
	if code, _, _ := w.do(t, "POST", "/api/sandbox/v1/webhooks/"+ids[0]+"/redeliver", nil); code != http.StatusUnauthorized {
		t.Errorf("API redeliver without credentials: %d", code)
	}
}

func TestAccountWebhooksOnRemoval(t *testing.T) {
	t.Parallel()
	w := setupWebhooks(t, sandbox.WebhookConfig{})
	r1, r2 := newReceiver(t, nil), newReceiver(t, nil)
	if err := w.sb.SetAppHost(t.Context(), "app-1", r1.srv.URL); err != nil {
		t.Fatal(err)
	}
	addApp(t, w.db, "app-2", r2.srv.URL+"/", "cld-2")

	// Remove a member from the admin page, a group through the JSON API.
	code, _, body := w.do(t, "POST", "/admin/groups/cld-1/users/usr-2/remove", http.Header{"Origin": {w.srv.URL}})
	if code != http.StatusSeeOther {
		t.Fatalf("remove member: %d %s", code, body)
	}
	code, _, body = w.do(t, "DELETE", "/api/sandbox/v1/groups/cld-2", w.authHeader())
	if code != http.StatusOK {
		t.Fatalf("remove group: %d %s", code, body)
	}
	rm := decodeJSON[sandbox.RemovalResponse](t, body)
	if rm.GroupUID != "cld-2" || !rm.Removed || len(rm.Webhooks) != 2 {
		t.Errorf("remove group answered %+v, want 2 webhooks (app-1, app-2)", rm)
	}
	if n := w.deliver(t); n != 3 {
		t.Fatalf("%d attempts, want 3", n)
	}
	var got1 []string
	for _, g := range r1.requests() {
		if g.User != "app-1" || g.Pass != apiKey(t, w.db, "app-1") || g.ID == "" || len(g.Body) != 0 {
			t.Errorf("app-1 request %+v", g)
		}
		got1 = append(got1, g.Method+" "+g.Path)
	}
	slices.Sort(got1)
	want1 := []string{
		"DELETE /maestrano/account/groups/cld-1/users/usr-2/maestrano",
		"DELETE /maestrano/account/groups/cld-2/maestrano",
	}
	if !slices.Equal(got1, want1) {
		t.Errorf("app-1 got %v, want %v", got1, want1)
	}
	if g := r2.requests(); len(g) != 1 || g[0].Method != "DELETE" || g[0].Path != "/hooks/app-2/groups/cld-2" || g[0].User != "app-2" || g[0].Pass != "key-of-app-2" {
		t.Errorf("app-2 got %+v", g)
	}

	// The store no longer has them; removing again is a 404.
	var n int
	if err := w.db.QueryRowContext(t.Context(), `SELECT (SELECT count(*) FROM groups WHERE uid = 'cld-2') + (SELECT count(*) FROM memberships WHERE group_uid = 'cld-2' OR (group_uid = 'cld-1' AND user_uid = 'usr-2')) + (SELECT count(*) FROM group_apps WHERE group_uid = 'cld-2')`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows of removed group/membership left (%v)", n, err)
	}
	for _, tt := range []struct{ method, path string }{
		{"DELETE", "/api/sandbox/v1/groups/cld-2"},
		{"DELETE", "/api/sandbox/v1/groups/cld-1/users/usr-2"},
		{"DELETE", "/api/sandbox/v1/groups/cld-404/users/usr-1"},
	} {
		code, _, body := w.do(t, tt.method, tt.path, w.authHeader())
		if code != http.StatusNotFound || !strings.Contains(body, `"error"`) {
			t.Errorf("%s %s again: %d %s", tt.method, tt.path, code, body)
		}
	}
	for _, p := range []string{"/admin/groups/cld-2/remove", "/admin/groups/cld-1/users/usr-2/remove"} {
		if code, _, _ := w.do(t, "POST", p, nil); code != http.StatusNotFound {
			t.Errorf("POST %s again: %d", p, code)
		}
		if code, _, _ := w.do(t, "POST", p, http.Header{"Origin": {"https://evil.example"}}); code != http.StatusForbidden {
			t.Errorf("POST %s cross-origin: %d", p, code)
		}
	}
	if code, _, _ := w.do(t, "DELETE", "/api/sandbox/v1/groups/cld-1", nil); code != http.StatusUnauthorized {
		t.Errorf("remove group without credentials: %d", code)
	}
	if _, err := w.st.Group(t.Context(), "cld-1"); err != nil {
		t.Errorf("cld-1 removed by an unauthenticated request: %v", err)
	}
}

func TestWebhookHTTPBounds(t *testing.T) {
	t.Parallel()
	// The timeout must cut the hanging receiver short, yet leave the others
	// time to answer on a loaded machine (it bounds the whole exchange).
	w := setupWebhooks(t, sandbox.WebhookConfig{Timeout: 2 * time.Second, MaxAttempts: 1})
	elsewhere := newReceiver(t, nil)
	rc := newReceiver(t, func(n int, wr http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.Path, "cld-1/users/usr-1"): // redirect
			http.Redirect(wr, r, elsewhere.srv.URL+"/steal", http.StatusTemporaryRedirect)
		case strings.Contains(r.URL.Path, "cld-1/users/usr-2"): // hangs past the timeout
			<-r.Context().Done()
		default: // huge answer
			wr.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(wr, strings.Repeat("y", 4<<20))
		}
	})
	if err := w.sb.SetAppHost(t.Context(), "app-1", rc.srv.URL); err != nil {
		t.Fatal(err)
	}
	idRedirect, err1 := w.sb.RemoveMember(t.Context(), "cld-1", "usr-1")
	idHang, err2 := w.sb.RemoveMember(t.Context(), "cld-1", "usr-2")
	idHuge, err3 := w.sb.RemoveGroup(t.Context(), "cld-2")
	if err1 != nil || err2 != nil || err3 != nil {
		t.Fatal(err1, err2, err3)
	}
	w.deliver(t)
	if got := elsewhere.requests(); len(got) != 0 {
		t.Errorf("redirect followed: %+v", got)
	}
	d := w.delivery(t, idRedirect[0])
	if d.State != store.DeliveryDead || d.AttemptLog[0].Status != 307 || !strings.Contains(d.AttemptLog[0].Error, "redirects are not followed") {
		t.Errorf("redirect: %+v", d)
	}
	d = w.delivery(t, idHang[0])
	if a := d.AttemptLog[0]; d.State != store.DeliveryDead || a.Status != 0 || !strings.Contains(a.Error, "deadline") && !strings.Contains(a.Error, "Timeout") {
		t.Errorf("hang: %+v", d)
	}
	d = w.delivery(t, idHuge[0])
	if a := d.AttemptLog[0]; a.Status != 400 || len(a.Response) != 1024 {
		t.Errorf("huge answer: status %d, excerpt %d bytes", a.Status, len(a.Response))
	}
	for _, a := range d.AttemptLog {
		if strings.Contains(a.Error+a.URL+a.Response, apiKey(t, w.db, "app-1")) {
			t.Error("attempt log shows the app's api key")
		}
	}
}

func TestWebhookAppGoneOrBadHost(t *testing.T) {
	t.Parallel()
	w := setupWebhooks(t, sandbox.WebhookConfig{MaxAttempts: 1})
	addApp(t, w.db, "app-2", "http://127.0.0.1:1", "cld-1")
	ids, err := w.sb.RemoveGroup(t.Context(), "cld-1")
	if err != nil || len(ids) != 2 {
		t.Fatal(ids, err)
	}
	if _, err := w.db.ExecContext(t.Context(), `UPDATE apps SET host = 'not a url' WHERE uid = 'app-1'`); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.ExecContext(t.Context(), `DELETE FROM apps WHERE uid = 'app-2'`); err != nil {
		t.Fatal(err)
	}
	if n := w.deliver(t); n != 2 {
		t.Fatalf("%d attempts", n)
	}
	for _, id := range ids {
		d := w.delivery(t, id)
		if d.State != store.DeliveryDead || d.AttemptLog[0].Error == "" {
			t.Errorf("%s: %+v", d.AppUID, d)
		}
	}
}

func TestWebhookAdminPage(t *testing.T) {
	t.Parallel()
	w := setupWebhooks(t, sandbox.WebhookConfig{})
	rc := newReceiver(t, status(http.StatusTeapot))
	if err := w.sb.SetAppHost(t.Context(), "app-1", rc.srv.URL); err != nil {
		t.Fatal(err)
	}
	subscribe(t, w.st, "app-1", "organizations")
	w.record(t, change("cld-1", "organizations", "", `{"id":"o1","name":"<script>alert(1)</script>"}`))
	ids, err := w.sb.RemoveMember(t.Context(), "cld-1", "usr-2")
	if err != nil {
		t.Fatal(err)
	}
	w.deliver(t)

	code, hdr, body := w.do(t, "GET", "/admin/webhooks", nil)
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", code, hdr.Get("Content-Type"))
	}
	for _, want := range []string{
		sandbox.DeliveryIDHeader, "<code>" + ids[0] + "</code>", `action="/admin/webhooks/` + ids[0] + `/redeliver"`,
		"DELETE /maestrano/account/groups/cld-1/users/usr-2/maestrano", "<strong>418</strong>", "status 418",
		"collecting", // the Connec! notification, still in its window
		`action="/admin/groups/cld-1/remove"`, `action="/admin/groups/cld-2/users/usr-3/remove"`,
		`<a href="/admin/webhooks">Webhooks</a>`, // the admin nav
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, `action="/admin/groups/cld-1/users/usr-2/remove"`) {
		t.Error("page still offers to remove the removed membership")
	}
	if strings.Contains(body, apiKey(t, w.db, "app-1")) {
		t.Error("page shows the app's api key")
	}
	w.clock.Advance(time.Hour)
	w.deliver(t)
	_, _, body = w.do(t, "GET", "/admin/webhooks?state=pending", nil)
	if strings.Contains(body, "<script>alert(1)") || !strings.Contains(body, "&lt;script&gt;") {
		t.Error("entity body not escaped on the page")
	}
	if _, _, admin := w.do(t, "GET", "/admin", nil); !strings.Contains(admin, `href="/admin/webhooks"`) {
		t.Error("/admin has no link to /admin/webhooks")
	}
	for _, q := range []string{"?state=bogus", "?limit=0", "?limit=100000", "?limit=x", "?state=%zz"} {
		if code, _, _ := w.do(t, "GET", "/admin/webhooks"+q, nil); code != http.StatusBadRequest {
			t.Errorf("page %s: %d", q, code)
		}
		if code, _, body := w.do(t, "GET", "/api/sandbox/v1/webhooks"+q, w.authHeader()); code != http.StatusBadRequest || !strings.Contains(body, `"error"`) {
			t.Errorf("API %s: %d %s", q, code, body)
		}
	}
	if got := w.deliveries(t, "?limit=1"); len(got) != 1 {
		t.Errorf("limit=1 gave %d", len(got))
	}
	if code, _, _ := w.do(t, "GET", "/api/sandbox/v1/webhooks", nil); code != http.StatusUnauthorized {
		t.Errorf("API without credentials: %d", code)
	}
	if code, _, _ := w.do(t, "GET", "/api/sandbox/v1/webhooks/nope", w.authHeader()); code != http.StatusNotFound {
		t.Errorf("API unknown delivery: %d", code)
	}
}

func TestWebhookBackgroundLoop(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	e := setup(t, sandbox.Config{Now: time.Now, Webhooks: sandbox.WebhookConfig{CoalesceWindow: time.Millisecond, PollInterval: 10 * time.Millisecond}})
	if err := e.sb.SetAppHost(t.Context(), "app-1", rc.srv.URL); err != nil {
		t.Fatal(err)
	}
	_, st := openDB(t, e.dir)
	subscribe(t, st, "app-1", "people")
	if err := st.RecordConnecChanges(t.Context(), store.ConnecChange{GroupUID: "cld-1", Collection: "people", Entity: json.RawMessage(`{"id":"p"}`), At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sb.RemoveGroup(t.Context(), "cld-2"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		select {
		case <-rc.arrived:
		case <-time.After(30 * time.Second):
			t.Fatalf("background loop delivered %d of 2", len(rc.requests()))
		}
	}
}

func TestWebhookConfigValidation(t *testing.T) {
	t.Parallel()
	for _, wc := range []sandbox.WebhookConfig{
		{CoalesceWindow: -1}, {MaxAttempts: -1}, {RetryBaseDelay: -1}, {RetryMaxDelay: -1}, {Timeout: -1}, {PollInterval: -1},
	} {
		_, err := sandbox.Open(t.Context(), sandbox.Config{DataDir: t.TempDir(), BaseURL: "http://127.0.0.1:1", Webhooks: wc})
		if err == nil || !strings.Contains(err.Error(), "Config.Webhooks.") {
			t.Errorf("%+v: %v", wc, err)
		}
	}
}
