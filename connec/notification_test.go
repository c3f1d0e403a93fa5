package connec_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/connec"
	"github.com/maestrano-go/maestrano/saml"
)

// recorder collects the notifications the callback sees.
type recorder struct {
	mu  sync.Mutex
	got []*connec.Notification
	err error
}

func (r *recorder) callback(_ context.Context, n *connec.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, n)
	return r.err
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

func testRegistry(t *testing.T) *maestrano.Registry {
	t.Helper()
	reg, err := maestrano.NewRegistry(
		testMarketplace(t, "maestrano", "app-1", "key-one"),
		testMarketplace(t, "other", "app-2", "key-two"),
	)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func readFixture(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type delivery struct {
	path, user, pass, id string
	body                 []byte
	method               string
}

func deliver(t *testing.T, srv *httptest.Server, d delivery) (int, string) {
	t.Helper()
	if d.method == "" {
		d.method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(t.Context(), d.method, srv.URL+d.path, bytes.NewReader(d.body))
	if err != nil {
		t.Fatal(err)
	}
	if d.user != "" || d.pass != "" {
		req.SetBasicAuth(d.user, d.pass)
	}
	if d.id != "" {
		req.Header.Set(connec.HeaderDeliveryID, d.id)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

func TestNotificationHandler(t *testing.T) {
	t.Parallel()
	reg := testRegistry(t)
	rec := &recorder{}
	var logs bytes.Buffer
	h, err := connec.NewNotificationHandler(reg, rec.callback,
		connec.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		connec.WithDeliveryStore(saml.NewMemoryReplayCache(0, nil)),
		connec.WithMaxNotificationBytes(64<<10))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/maestrano/connec/notifications/{marketplace}", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	body := readFixture(t, "notifications/two-groups.json")
	const path = "/maestrano/connec/notifications/maestrano"

	cases := []struct {
		name       string
		d          delivery
		wantStatus int
		wantCalls  int
	}{
		{"no credentials", delivery{path: path, body: body}, 401, 0},
		{"wrong key", delivery{path: path, user: "app-1", pass: "key-two", body: body}, 401, 0},
		{"other marketplace's credentials", delivery{path: path, user: "app-2", pass: "key-two", body: body}, 401, 0},
		{"unknown marketplace", delivery{path: "/maestrano/connec/notifications/nope", user: "app-1", pass: "key-one", body: body}, 401, 0},
		{"GET", delivery{path: path, user: "app-1", pass: "key-one", method: "GET"}, 405, 0},
		{"malformed JSON", delivery{path: path, user: "app-1", pass: "key-one", body: []byte(`{"people": [`)}, 400, 0},
		{"not arrays", delivery{path: path, user: "app-1", pass: "key-one", body: []byte(`{"people": {"id": "x"}}`)}, 400, 0},
		{"not objects", delivery{path: path, user: "app-1", pass: "key-one", body: []byte(`{"people": [1]}`)}, 400, 0},
		{"bad member name", delivery{path: path, user: "app-1", pass: "key-one", body: []byte(`{"../x": []}`)}, 400, 0},
		{"too large", delivery{path: path, user: "app-1", pass: "key-one", body: append([]byte(`{"people":[{"description":"`), bytes.Repeat([]byte("x"), 70<<10)...)}, 413, 0},
		{"id too long", delivery{path: path, user: "app-1", pass: "key-one", id: strings.Repeat("d", 300), body: body}, 400, 0},
		{"ok", delivery{path: path, user: "app-1", pass: "key-one", id: "dlv-1", body: body}, 200, 1},
		{"redelivery dropped", delivery{path: path, user: "app-1", pass: "key-one", id: "dlv-1", body: body}, 200, 1},
		{"same id, other marketplace", delivery{path: "/maestrano/connec/notifications/other", user: "app-2", pass: "key-two", id: "dlv-1", body: body}, 200, 2},
		{"no delivery id", delivery{path: path, user: "app-1", pass: "key-one", body: body}, 200, 3},
		{"no delivery id again", delivery{path: path, user: "app-1", pass: "key-one", body: body}, 200, 4},
	}
	for _, tc := range cases {
		status, resp := deliver(t, srv, tc.d)
		if status != tc.wantStatus || rec.count() != tc.wantCalls {
			t.Errorf("%s: status %d (%s), calls %d; want %d, %d", tc.name, status, resp, rec.count(), tc.wantStatus, tc.wantCalls)
		}
		if status >= 400 && !strings.Contains(resp, `"errors":[`) {
			t.Errorf("%s: error body %q", tc.name, resp)
		}
	}

	n := rec.got[0]
	if n.Marketplace != "maestrano" || n.DeliveryID != "dlv-1" || n.Len() != 3 {
		t.Fatalf("notification = %+v", n)
	}
	if got := strings.Join(n.Collections(), ","); got != "organizations,people,sales_orders" {
		t.Errorf("collections = %s", got)
	}
	if n.Organizations[0].Name != "DoeCorp Inc." || n.Organizations[0].GroupID != "cld-1234" {
		t.Errorf("organization = %+v", n.Organizations[0])
	}
	p := n.People[0]
	if p.GroupID != "cld-5678" || p.FirstName != "John" || p.OrganizationID.Connec() != "8e8c9e10-ecea-0132-e5f2-600308937d74" {
		t.Errorf("person = %+v", p)
	}
	if ext, ok := p.ID.For("myapp", "acct-1"); !ok || ext != "C-42" {
		t.Errorf("person id = %+v", p.ID)
	}
	if string(p.Extra["custom"]) != `{"x":1}` {
		t.Errorf("unknown member lost: %v", p.Extra)
	}
	if len(n.Other["sales_orders"]) != 1 {
		t.Errorf("other = %v", n.Other)
	}
	if strings.Contains(logs.String(), "key-one") {
		t.Errorf("log carries a key: %s", logs.String())
	}
}

func TestNotificationCallbackFailure(t *testing.T) {
	t.Parallel()
	rec := &recorder{err: errors.New("database is down")}
	var logs bytes.Buffer
	h, err := connec.NewNotificationHandler(testRegistry(t), rec.callback, connec.WithMarketplace("other"),
		connec.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	status, _ := deliver(t, srv, delivery{path: "/hook", user: "app-2", pass: "key-two", id: "d-9", body: []byte(`{"invoices":[{"id":"i-1","group_id":"cld-1"}]}`)})
	if status != 200 || rec.count() != 1 {
		t.Fatalf("status %d calls %d; want 200 after the callback ran", status, rec.count())
	}
	if l := logs.String(); !strings.Contains(l, "level=ERROR") || !strings.Contains(l, "database is down") || !strings.Contains(l, "delivery_id=d-9") {
		t.Errorf("log = %q", l)
	}
	// The fixed marketplace ignores the path; another's credentials fail.
	if status, _ := deliver(t, srv, delivery{path: "/hook", user: "app-1", pass: "key-one", body: []byte(`{}`)}); status != 401 {
		t.Errorf("wrong marketplace's credentials: %d", status)
	}
}

type failingStore struct{}

func (failingStore) Consume(context.Context, string, time.Time) (bool, error) {
	return false, errors.New("redis: connection refused")
}

func TestNotificationStoreFailure(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	reg, _ := maestrano.NewRegistry(testMarketplace(t, "solo", "app-1", "key-one"))
	h, err := connec.NewNotificationHandler(reg, rec.callback, connec.WithDeliveryStore(failingStore{}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h) // one marketplace: no path value needed
	defer srv.Close()
	status, _ := deliver(t, srv, delivery{path: "/", user: "app-1", pass: "key-one", id: "d-1", body: []byte(`{}`)})
	if status != 503 || rec.count() != 0 {
		t.Fatalf("status %d calls %d; want 503 and no callback", status, rec.count())
	}
}

func TestNotificationExpiry(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	rec := &recorder{}
	reg, _ := maestrano.NewRegistry(testMarketplace(t, "solo", "app-1", "key-one"))
	h, err := connec.NewNotificationHandler(reg, rec.callback, connec.WithClock(clock),
		connec.WithDeliveryTTL(time.Hour), connec.WithDeliveryStore(saml.NewMemoryReplayCache(0, clock)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	d := delivery{path: "/", user: "app-1", pass: "key-one", id: "d-1", body: []byte(`{}`)}
	deliver(t, srv, d)
	deliver(t, srv, d)
	now = now.Add(2 * time.Hour) // the handler's requests are done; no race
	deliver(t, srv, d)
	if rec.count() != 2 {
		t.Errorf("calls = %d; want 2 (the id expires after the TTL)", rec.count())
	}
}

func TestNotificationMount(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	h, err := connec.NewNotificationHandler(testRegistry(t), rec.callback)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	if err := h.Mount(mux); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, d := range []delivery{
		{path: "/maestrano/connec/notifications/maestrano", user: "app-1", pass: "key-one", body: []byte(`{}`)},
		{path: "/maestrano/connec/notifications/other", user: "app-2", pass: "key-two", body: []byte(`{}`)},
	} {
		if status, body := deliver(t, srv, d); status != 200 {
			t.Errorf("%s: %d %s", d.path, status, body)
		}
	}
	if status, _ := deliver(t, srv, delivery{path: "/maestrano/connec/notifications/other", user: "app-1", pass: "key-one", body: []byte(`{}`)}); status != 401 {
		t.Errorf("cross-marketplace credentials: %d", status)
	}
	if rec.got[1].Marketplace != "other" {
		t.Errorf("marketplace = %q", rec.got[1].Marketplace)
	}

	// Two marketplaces on one path cannot be told apart.
	a, b := testMarketplace(t, "a", "app-a", "k"), testMarketplace(t, "b", "app-b", "k")
	a.Webhooks.Connec.NotificationPath = "/hook"
	b.Webhooks.Connec.NotificationPath = "/hook?x=1"
	reg, _ := maestrano.NewRegistry(a, b)
	h2, _ := connec.NewNotificationHandler(reg, rec.callback)
	if err := h2.Mount(http.NewServeMux()); err == nil || !strings.Contains(err.Error(), "share") {
		t.Errorf("shared path: %v", err)
	}
}

func TestNewNotificationHandlerChecks(t *testing.T) {
	t.Parallel()
	reg := testRegistry(t)
	cb := func(context.Context, *connec.Notification) error { return nil }
	for name, fn := range map[string]func() error{
		"nil registry": func() error { _, err := connec.NewNotificationHandler(nil, cb); return err },
		"nil callback": func() error { _, err := connec.NewNotificationHandler(reg, nil); return err },
		"unknown market": func() error {
			_, err := connec.NewNotificationHandler(reg, cb, connec.WithMarketplace("x"))
			return err
		},
		"nil store": func() error {
			_, err := connec.NewNotificationHandler(reg, cb, connec.WithDeliveryStore(nil))
			return err
		},
		"zero ttl": func() error { _, err := connec.NewNotificationHandler(reg, cb, connec.WithDeliveryTTL(0)); return err },
		"zero max": func() error {
			_, err := connec.NewNotificationHandler(reg, cb, connec.WithMaxNotificationBytes(0))
			return err
		},
	} {
		if fn() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestNotificationHandlerNilBody calls the handler directly, as a router or
// a test may, with a request that has no body at all: 400, never a panic.
func TestNotificationHandlerNilBody(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	h, err := connec.NewNotificationHandler(testRegistry(t), rec.callback, connec.WithMarketplace("maestrano"))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/maestrano/connec/notifications/maestrano", nil)
	r.Body = nil
	r.SetBasicAuth("app-1", "key-one")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusBadRequest || rec.count() != 0 {
		t.Fatalf("status %d, calls %d; want 400 and no call", w.Code, rec.count())
	}
}

// TestNotificationKeepsRecordsThatDecode: a record with a known field of
// the wrong type goes to Undecoded; the others reach the callback and the
// platform gets 200, so it does not redeliver the good records forever.
func TestNotificationKeepsRecordsThatDecode(t *testing.T) {
	t.Parallel()
	reg := testRegistry(t)
	rec := &recorder{}
	var logs bytes.Buffer
	h, err := connec.NewNotificationHandler(reg, rec.callback, connec.WithMarketplace("maestrano"), connec.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	body := []byte(`{"people":[{"id":"p-0","first_name":"Ann"},{"id":"p-1","first_name":{"secret":"deep"}},{"id":"p-2","first_name":"Bo"}],
		"organizations":[{"id":[{"id":"o-1","provider":"connec","realm":"r"}],"is_customer":"yes"}],"sales_orders":[{"id":"s-1"}]}`)
	status, resp := deliver(t, srv, delivery{path: "/", user: "app-1", pass: "key-one", body: body})
	if status != 200 || rec.count() != 1 {
		t.Fatalf("status %d (%s), calls %d; want 200 and one call", status, resp, rec.count())
	}
	n := rec.got[0]
	if len(n.People) != 2 || n.People[0].FirstName != "Ann" || n.People[1].FirstName != "Bo" || len(n.Organizations) != 0 || len(n.Other["sales_orders"]) != 1 {
		t.Fatalf("records: %+v", n)
	}
	if len(n.Undecoded) != 2 {
		t.Fatalf("undecoded = %v; want 2", n.Undecoded)
	}
	o, p := n.Undecoded[0], n.Undecoded[1] // sorted by collection, then index
	if o.Collection != "organizations" || o.Index != 0 || o.ID != "o-1" || o.Field != "is_customer" ||
		p.Collection != "people" || p.Index != 1 || p.ID != "p-1" || p.Field != "first_name" || !strings.Contains(string(p.Record), `"secret"`) {
		t.Fatalf("undecoded: %+v %+v", o, p)
	}
	if got := p.Error(); got != `connec: people record 1 (id "p-1"): field "first_name" is a JSON object, not a string` {
		t.Errorf("message %q", got)
	}
	if !strings.Contains(logs.String(), "do not decode") || strings.Contains(logs.String(), "secret") {
		t.Errorf("log: %s", logs.String())
	}
}
