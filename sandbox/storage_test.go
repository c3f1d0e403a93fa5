package sandbox_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/maestrano-go/maestrano/sandbox"
	"github.com/maestrano-go/maestrano/sandbox/store"
)

// recordingStorage is another Storage: the SQLite store behind a decorator
// that counts the reads of apps and the Connec! writes going through it.
type recordingStorage struct {
	sandbox.Storage
	apps, writes atomic.Int64
}

func (r *recordingStorage) App(ctx context.Context, uid string) (store.App, error) {
	r.apps.Add(1)
	return r.Storage.App(ctx, uid)
}

func (r *recordingStorage) WriteConnecEntity(ctx context.Context, w store.ConnecWrite) (store.ConnecEntity, bool, error) {
	r.writes.Add(1)
	return r.Storage.WriteConnecEntity(ctx, w)
}

// TestConfigStorage: a sandbox opened with Config.Storage keeps its state
// there (it is seeded, serves logins and Connec! writes through it) and
// leaves it open on Close, for its owner to close.
func TestConfigStorage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, err := store.Open(t.Context(), filepath.Join(dir, "elsewhere.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs := &recordingStorage{Storage: db}
	srv := httptest.NewUnstartedServer(nil)
	sb, err := sandbox.Open(t.Context(), sandbox.Config{DataDir: filepath.Join(dir, "data"), BaseURL: "http://" + srv.Listener.Addr().String(), Storage: rs})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = sb
	srv.Start()
	defer srv.Close()
	e := &env{sb: sb, srv: srv, dir: filepath.Join(dir, "data")}
	if !sb.Seeded() {
		t.Error("the empty storage was not seeded")
	}
	status, _, body := e.do(t, "GET", ssoPath(encodeRequest(t, []byte(authnRequestXML("_r", "app-1", defaultACS))), "user_uid", "usr-1"), nil)
	if status != http.StatusOK {
		t.Fatalf("login: %d %s", status, body)
	}
	postedResponse(t, body)
	key := func() string {
		a, err := db.App(t.Context(), "app-1")
		if err != nil {
			t.Fatal(err)
		}
		return a.APIKey
	}()
	c := &connecEnv{env: e}
	hdr := basic("app-1", key)
	if status, _, body := c.call(t, "POST", "/api/v2/cld-1/organizations", `{"organizations":{"name":"Kept"}}`, http.Header{"Authorization": hdr["Authorization"]}); status != http.StatusCreated {
		t.Fatalf("connec write: %d %s", status, body)
	}
	if rs.apps.Load() == 0 || rs.writes.Load() != 1 {
		t.Errorf("calls through the storage: %d app reads, %d writes", rs.apps.Load(), rs.writes.Load())
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	page, err := db.ListConnecEntities(t.Context(), "cld-1", "organizations", store.ConnecQuery{Top: 10})
	if err != nil || page.Total != 1 || len(page.Entities) != 1 {
		t.Fatalf("storage after Close: %d entities, %v", len(page.Entities), err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "data", "sandbox.db*")); len(m) != 0 {
		t.Errorf("the sandbox created its own database too: %v", m)
	}
}
