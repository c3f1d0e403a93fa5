package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/sandbox"
	"github.com/maestrano-go/maestrano/sandbox/store"
)

// BenchmarkConnecListPages walks a collection of 100 000 entities over HTTP
// by following pagination.next, as the connectors do; one op is the whole
// walk. The entities are inserted with SQL, in the shape the API stores.
func BenchmarkConnecListPages(b *testing.B) {
	srv := httptest.NewUnstartedServer(nil)
	dir := filepath.Join(b.TempDir(), "data")
	sb, err := sandbox.Open(b.Context(), sandbox.Config{
		DataDir: dir, BaseURL: "http://" + srv.Listener.Addr().String(),
		Now: func() time.Time { return testNow },
	})
	if err != nil {
		b.Fatal(err)
	}
	srv.Config.Handler = sb
	srv.Start()
	b.Cleanup(func() { srv.Close(); _ = sb.Close() })
	e := withConnecApps(b, &env{sb: sb, srv: srv, dir: dir})

	const n = 100_000
	tx, err := e.db.BeginTx(b.Context(), nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		id := store.NewConnecID()
		doc := fmt.Sprintf(`{"id":%q,"group_id":"cld-1","channel_id":"org-1","resource_type":"people","first_name":"P%06d",`+
			`"status":%q,"address_work":{"billing":{"city":%q}},"created_at":"2030-01-02T03:04:05Z","updated_at":"2030-01-02T03:04:05Z"}`,
			id, i, []string{"ACTIVE", "ARCHIVED"}[i%2], []string{"Paris", "London", "Lyon"}[i%3])
		if _, err := tx.ExecContext(b.Context(), `INSERT INTO connec_entities (group_uid, collection, id, doc, created_at, updated_at)
			VALUES ('cld-1', 'people', ?, jsonb(?), '2030-01-02T03:04:05Z', '2030-01-02T03:04:05Z')`, id, doc); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name, first string
		want        int
	}{
		{"top100", "/api/v2/cld-1/people", n},
		{"top1000", "/api/v2/cld-1/people?%24top=1000", n},
		{"filtered_top1000", "/api/v2/cld-1/people?%24top=1000&%24filter=status+eq+%27ACTIVE%27+and+address_work.billing.city+ne+%27Lyon%27", 33_333},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				seen, next := 0, bc.first
				for next != "" {
					status, _, body := e.call(b, "GET", next, "", nil)
					if status != 200 {
						b.Fatalf("GET %s: %d %s", next, status, body)
					}
					var page struct {
						People     []json.RawMessage        `json:"people"`
						Pagination sandbox.ConnecPagination `json:"pagination"`
					}
					if err := json.Unmarshal([]byte(body), &page); err != nil {
						b.Fatal(err)
					}
					seen += len(page.People)
					next = page.Pagination.Next
				}
				if seen != bc.want {
					b.Fatalf("saw %d entities, want %d", seen, bc.want)
				}
			}
		})
	}
}
