package sandbox_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/sandbox"
	"github.com/maestrano-go/maestrano/sandbox/store"
)

// connecPost writes an entity through the Connec! API as app uid (key
// "key-of-<uid>", see addApp) and returns the answer's entity.
func (w *whEnv) connecPost(t *testing.T, app, path, body string) map[string]any {
	t.Helper()
	c := &connecEnv{env: w.env}
	hdr := basic(app, "key-of-"+app)
	status, _, b := c.call(t, "POST", path, body, http.Header{"Authorization": hdr["Authorization"]})
	if status != http.StatusCreated {
		t.Fatalf("POST %s as %s: %d %s", path, app, status, b)
	}
	var out map[string]map[string]any
	if err := json.Unmarshal([]byte(b), &out); err != nil {
		t.Fatal(err)
	}
	for _, e := range out {
		return e
	}
	t.Fatalf("empty answer %s", b)
	return nil
}

// TestWebhookConnecExternalIDsShape: an app configured for external ids
// gets the entities of its notifications with id arrays (its own id and its
// references, with the external ids attached), as the Connec! API answers
// with CONNEC-EXTERNAL-IDS: true; an app that is not gets plain ids.
func TestWebhookConnecExternalIDsShape(t *testing.T) {
	t.Parallel()
	window := time.Second
	w := setupWebhooks(t, sandbox.WebhookConfig{CoalesceWindow: window})
	rExt, rPlain := newReceiver(t, nil), newReceiver(t, nil)
	addApp(t, w.db, "app-2", rExt.srv.URL, "cld-1")
	addApp(t, w.db, "app-3", rPlain.srv.URL, "cld-1")
	addApp(t, w.db, "app-4", "http://127.0.0.1:1", "cld-1") // the writer
	if _, err := w.db.ExecContext(t.Context(), `UPDATE apps SET connec_external_ids = (uid = 'app-2') WHERE uid IN ('app-2', 'app-3')`); err != nil {
		t.Fatal(err)
	}
	subscribe(t, w.st, "app-1")
	subscribe(t, w.st, "app-2", "organizations", "people")
	subscribe(t, w.st, "app-3", "organizations", "people")

	org := w.connecPost(t, "app-4", "/api/v2/cld-1/organizations",
		`{"organizations":{"name":"Acme","id":[{"realm":"crm-1","provider":"crm","id":"42"}]}}`)
	orgID, _ := org["id"].(string)
	if orgID == "" {
		t.Fatalf("organization %v", org)
	}
	per := w.connecPost(t, "app-4", "/api/v2/cld-1/people", `{"people":{"first_name":"Pat","organization_id":"`+orgID+`"}}`)
	perID := per["id"].(string)
	w.clock.Advance(window)
	if n := w.deliver(t); n != 2 {
		t.Fatalf("%d attempts, want 2", n)
	}

	ext := rExt.requests()
	if len(ext) != 1 {
		t.Fatalf("external-ids app got %d requests", len(ext))
	}
	var body struct {
		Organizations []struct {
			ID      []store.ExternalID `json:"id"`
			Name    string             `json:"name"`
			GroupID string             `json:"group_id"`
		} `json:"organizations"`
		People []struct {
			ID             []store.ExternalID `json:"id"`
			OrganizationID []store.ExternalID `json:"organization_id"`
			GroupID        string             `json:"group_id"`
		} `json:"people"`
	}
	if err := json.Unmarshal(ext[0].Body, &body); err != nil {
		t.Fatalf("body %s: %v", ext[0].Body, err)
	}
	wantOrg := []store.ExternalID{{Realm: "org-1", Provider: "connec", ID: orgID}, {Realm: "crm-1", Provider: "crm", ID: "42"}}
	if len(body.Organizations) != 1 || !equalIDs(body.Organizations[0].ID, wantOrg) || body.Organizations[0].GroupID != "cld-1" || body.Organizations[0].Name != "Acme" {
		t.Errorf("organizations %s", ext[0].Body)
	}
	if len(body.People) != 1 || !equalIDs(body.People[0].ID, []store.ExternalID{{Realm: "org-1", Provider: "connec", ID: perID}}) ||
		!equalIDs(body.People[0].OrganizationID, wantOrg) || body.People[0].GroupID != "cld-1" {
		t.Errorf("people %s", ext[0].Body)
	}

	plain := rPlain.requests()
	if len(plain) != 1 {
		t.Fatalf("plain app got %d requests", len(plain))
	}
	b := decodeBody(t, plain[0].Body)
	if b["organizations"][0]["id"] != orgID || b["people"][0]["organization_id"] != orgID || b["people"][0]["id"] != perID {
		t.Errorf("plain body %s", plain[0].Body)
	}
	if strings.Contains(string(plain[0].Body), `"provider"`) {
		t.Errorf("plain body has id arrays: %s", plain[0].Body)
	}
}

func equalIDs(a, b []store.ExternalID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestWebhookWakeAfterConnecWrite: with a poll interval of an hour, a
// Connec! write still reaches the subscribed app: the write wakes the
// worker, which then sleeps only until the coalescing window ends.
func TestWebhookWakeAfterConnecWrite(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	e := setup(t, sandbox.Config{Now: time.Now, Webhooks: sandbox.WebhookConfig{PollInterval: time.Hour, CoalesceWindow: 20 * time.Millisecond}})
	w := &whEnv{env: e}
	w.db, w.st = openDB(t, e.dir)
	addApp(t, w.db, "app-2", rc.srv.URL, "cld-1")
	addApp(t, w.db, "app-4", "http://127.0.0.1:1", "cld-1")
	subscribe(t, w.st, "app-2", "organizations")
	// The loop's first pass (at Open) is over once it sleeps; let it pass.
	for i := 0; i < 3; i++ {
		if _, err := e.sb.DeliverPending(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"One", "Two"} {
		w.connecPost(t, "app-4", "/api/v2/cld-1/organizations", `{"organizations":{"name":"`+name+`"}}`)
		select {
		case <-rc.arrived:
		case <-time.After(time.Minute): // the poll would take an hour
			t.Fatalf("%s: the write did not wake the worker", name)
		}
	}
	got := rc.requests()
	if len(got) != 2 || !strings.Contains(string(got[1].Body), `"Two"`) {
		t.Errorf("requests %+v", got)
	}
}

// TestWebhookPrune: delivered deliveries and fanned-out changes older than
// the retention go; recent ones, dead and pending deliveries (and the
// changes they carry) stay; a dead delivery can still be redelivered.
func TestWebhookPrune(t *testing.T) {
	t.Parallel()
	retention := 48 * time.Hour
	w := setupWebhooks(t, sandbox.WebhookConfig{CoalesceWindow: time.Second, MaxAttempts: 1, Retention: retention})
	ok, bad := newReceiver(t, nil), newReceiver(t, status(500))
	addApp(t, w.db, "app-2", ok.srv.URL, "cld-1")
	addApp(t, w.db, "app-3", bad.srv.URL, "cld-1")
	subscribe(t, w.st, "app-1")
	subscribe(t, w.st, "app-2", "organizations")
	subscribe(t, w.st, "app-3", "organizations")
	count := func(q string) int {
		t.Helper()
		var n int
		if err := w.db.QueryRowContext(t.Context(), q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Old: one delivered (app-2), one dead (app-3); plus a change nobody
	// is subscribed to.
	old := change("cld-1", "organizations", "", `{"id":"o-old","name":"Old"}`)
	old.At = w.clock.Now()
	unsub := change("cld-1", "people", "", `{"id":"p-old"}`)
	unsub.At = w.clock.Now()
	w.record(t, old, unsub)
	w.clock.Advance(time.Second)
	if n := w.deliver(t); n != 2 {
		t.Fatalf("%d attempts", n)
	}
	w.clock.Advance(retention + time.Hour)
	// Recent: delivered and dead too.
	recent := change("cld-1", "organizations", "", `{"id":"o-new","name":"New"}`)
	recent.At = w.clock.Now()
	w.record(t, recent)
	w.clock.Advance(time.Second)
	if n := w.deliver(t); n != 2 {
		t.Fatalf("%d attempts", n)
	}
	// Open: fanned out, window not over; its change then dated long ago.
	pending := change("cld-1", "organizations", "", `{"id":"o-pending"}`)
	pending.At = w.clock.Now()
	w.record(t, pending)
	if n := w.deliver(t); n != 0 {
		t.Fatalf("%d attempts inside the window", n)
	}
	if _, err := w.db.ExecContext(t.Context(), `UPDATE connec_changes SET created_at = '2000-01-01T00:00:00.000Z' WHERE entity LIKE '%o-pending%'`); err != nil {
		t.Fatal(err)
	}
	before := map[string]int{
		"delivered": count(`SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'`),
		"changes":   count(`SELECT count(*) FROM connec_changes`),
	}
	p, err := w.sb.PruneWebhooks(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if p.Deliveries != 1 || p.Changes != 1 {
		t.Errorf("pruned %+v (before %v), want 1 delivery and 1 change (the unsubscribed one)", p, before)
	}
	if n := count(`SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'`); n != 1 {
		t.Errorf("%d delivered left, want the recent one", n)
	}
	if n := count(`SELECT count(*) FROM webhook_deliveries WHERE state = 'dead'`); n != 2 {
		t.Errorf("%d dead left, want 2", n)
	}
	if n := count(`SELECT count(*) FROM webhook_attempts a WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.id = a.delivery_id)`); n != 0 {
		t.Errorf("%d orphan attempts", n)
	}
	// The old change stays while the dead delivery carries it.
	if n := count(`SELECT count(*) FROM connec_changes WHERE entity LIKE '%o-old%'`); n != 1 {
		t.Errorf("old change carried by a dead delivery: %d rows", n)
	}
	if n := count(`SELECT count(*) FROM connec_changes WHERE entity LIKE '%o-pending%'`); n != 1 {
		t.Errorf("change of an open delivery pruned")
	}
	if n := count(`SELECT count(*) FROM webhook_deliveries WHERE state = 'collecting'`); n != 2 {
		t.Errorf("%d collecting deliveries, want 2", n)
	}
	// The old dead delivery can still be redelivered, with its body.
	var deadID string
	for _, d := range w.deliveries(t, "?state=dead") {
		if d := w.delivery(t, d.ID); strings.Contains(string(d.Body), "o-old") {
			deadID = d.ID
		}
	}
	if deadID == "" {
		t.Fatal("old dead delivery not listed")
	}
	bad.setRespond(nil)
	if err := w.sb.Redeliver(t.Context(), deadID); err != nil {
		t.Fatal(err)
	}
	w.deliver(t)
	if d := w.delivery(t, deadID); d.State != store.DeliveryDelivered || !strings.Contains(string(d.Body), "o-old") {
		t.Errorf("redelivered %+v", d)
	}
	// Nothing more to prune right now; a second run is a no-op.
	if p, err := w.sb.PruneWebhooks(t.Context()); err != nil || p.Deliveries != 0 || p.Changes != 0 {
		t.Errorf("second prune %+v %v", p, err)
	}
}
