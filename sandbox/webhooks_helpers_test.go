package sandbox_test

import (
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/sandbox"
	"github.com/maestrano-go/maestrano/sandbox/store"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// received is one request a receiver got.
type received struct {
	Method, Path, User, Pass, ID, Attempt, ContentType string
	Body                                               []byte
}

// receiver is an app's webhook endpoint: a real HTTP server that records
// every request and answers with respond(n) for the n-th request (from 0).
type receiver struct {
	srv     *httptest.Server
	mu      sync.Mutex
	got     []received
	respond func(n int, w http.ResponseWriter, r *http.Request)
	arrived chan struct{} // one value per request, never blocks the handler
}

func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{respond: respond, arrived: make(chan struct{}, 1000)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		user, pass, _ := r.BasicAuth()
		rc.mu.Lock()
		n := len(rc.got)
		rc.got = append(rc.got, received{
			Method: r.Method, Path: r.URL.RequestURI(), User: user, Pass: pass,
			ID: r.Header.Get(sandbox.DeliveryIDHeader), Attempt: r.Header.Get(sandbox.DeliveryAttemptHeader),
			ContentType: r.Header.Get("Content-Type"), Body: body,
		})
		respond := rc.respond
		rc.mu.Unlock()
		select {
		case rc.arrived <- struct{}{}:
		default:
		}
		if respond == nil {
			_, _ = io.WriteString(w, `{"success":true}`)
			return
		}
		respond(n, w, r)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func (rc *receiver) setRespond(f func(n int, w http.ResponseWriter, r *http.Request)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.respond = f
}

func status(code int) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(code)
		_, _ = io.WriteString(w, `{"status":`+http.StatusText(code)+`}`)
	}
}

// whEnv is a sandbox with a manual webhook worker and a settable clock, plus
// direct access to its database for what the store has no API for yet
// (adding apps).
type whEnv struct {
	*env
	clock *clock
	db    *sql.DB
	st    *store.Store
}

func setupWebhooks(t *testing.T, wc sandbox.WebhookConfig) *whEnv {
	t.Helper()
	c := &clock{t: testNow}
	wc.Manual = true
	e := setup(t, sandbox.Config{Now: c.Now, Webhooks: wc})
	w := &whEnv{env: e, clock: c}
	w.db, w.st = openDB(t, e.dir)
	return w
}

// openDB opens the sandbox's database a second time, as another process
// would (SQLite in WAL mode allows it).
func openDB(t *testing.T, dir string) (*sql.DB, *store.Store) {
	t.Helper()
	path := filepath.Join(dir, "sandbox.db")
	db, err := sql.Open(store.DriverName, path+"?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	st, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return db, st
}

// addApp copies app-1 as a new app uid with its own key and host, with
// access to the given groups.
func addApp(t *testing.T, db *sql.DB, uid, host string, groups ...string) {
	t.Helper()
	ctx := t.Context()
	_, err := db.ExecContext(ctx, `
INSERT INTO apps (uid, name, api_key, host, sso_idm, sso_init_path, sso_consume_path, sync_start_path,
	sync_toggle_path, sync_status_path, group_path, group_user_path, connec_notification_path,
	connec_external_ids, connec_initialization_path, connec_base_path, connec_timeout, api_base)
SELECT ?, 'App ' || ?, 'key-of-' || ?, ?, ?, sso_init_path, sso_consume_path, sync_start_path,
	sync_toggle_path, sync_status_path, '/hooks/' || ? || '/groups/:id', '/hooks/' || ? || '/groups/:group_id/users/:id',
	'/hooks/' || ? || '/connec', connec_external_ids, connec_initialization_path, connec_base_path, connec_timeout, api_base
FROM apps WHERE uid = 'app-1'`, uid, uid, uid, host, host, uid, uid, uid)
	if err != nil {
		t.Fatalf("add app %s: %v", uid, err)
	}
	for _, g := range groups {
		if _, err := db.ExecContext(ctx, `INSERT INTO group_apps (group_uid, app_uid) VALUES (?, ?)`, g, uid); err != nil {
			t.Fatal(err)
		}
	}
}

func apiKey(t *testing.T, db *sql.DB, uid string) string {
	t.Helper()
	var key string
	if err := db.QueryRowContext(t.Context(), `SELECT api_key FROM apps WHERE uid = ?`, uid).Scan(&key); err != nil {
		t.Fatal(err)
	}
	return key
}

func subscribe(t *testing.T, st *store.Store, app string, collections ...string) {
	t.Helper()
	if err := st.SetAppSubscriptions(t.Context(), app, collections); err != nil {
		t.Fatal(err)
	}
}

func change(group, collection, origin, entity string) store.ConnecChange {
	return store.ConnecChange{GroupUID: group, Collection: collection, OriginAppUID: origin, Entity: json.RawMessage(entity), At: testNow}
}

func (w *whEnv) record(t *testing.T, changes ...store.ConnecChange) {
	t.Helper()
	if err := w.st.RecordConnecChanges(t.Context(), changes...); err != nil {
		t.Fatal(err)
	}
}

func (w *whEnv) deliver(t *testing.T) int {
	t.Helper()
	n, err := w.sb.DeliverPending(t.Context())
	if err != nil {
		t.Fatalf("DeliverPending: %v", err)
	}
	return n
}

// deliveries lists the deliveries through the admin JSON API.
func (w *whEnv) deliveries(t *testing.T, query string) []sandbox.WebhookDelivery {
	t.Helper()
	code, _, body := w.do(t, "GET", "/api/sandbox/v1/webhooks"+query, w.authHeader())
	if code != http.StatusOK {
		t.Fatalf("list deliveries: %d %s", code, body)
	}
	return decodeJSON[sandbox.WebhookDeliveriesResponse](t, body).Deliveries
}

func (w *whEnv) delivery(t *testing.T, id string) sandbox.WebhookDelivery {
	t.Helper()
	code, _, body := w.do(t, "GET", "/api/sandbox/v1/webhooks/"+id, w.authHeader())
	if code != http.StatusOK {
		t.Fatalf("get delivery %s: %d %s", id, code, body)
	}
	return decodeJSON[sandbox.WebhookDelivery](t, body)
}

// decodeBody decodes a notification body into collection → entities.
func decodeBody(t *testing.T, b []byte) map[string][]map[string]any {
	t.Helper()
	var m map[string][]map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("notification body %q: %v", b, err)
	}
	return m
}

// readdMember puts usr-1 back into cld-2 (benchmark rounds remove it).
func readdMember(tb testing.TB, dir string) error {
	db, err := sql.Open(store.DriverName, filepath.Join(dir, "sandbox.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(tb.Context(), `INSERT INTO memberships (user_uid, group_uid, role) VALUES ('usr-1', 'cld-2', 'Member')`)
	return err
}
