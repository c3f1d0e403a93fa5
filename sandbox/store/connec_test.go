package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

func fields(t testing.TB, s string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func countChanges(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.db.QueryRowContext(t.Context(), `SELECT count(*) FROM connec_changes`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWriteConnecEntity(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	ctx := t.Context()
	if _, err := s.Seed(ctx, seedTime); err != nil {
		t.Fatal(err)
	}
	e, created, err := s.WriteConnecEntity(ctx, ConnecWrite{
		GroupUID: "cld-1", Collection: "people", Create: true, OriginAppUID: "app-1", Now: seedTime,
		Fields:      fields(t, `{"first_name":"Ada","last_name":"Lovelace","id":"ignored","group_id":"cld-9","address":{"city":"London"}}`),
		ExternalIDs: []ExternalID{{Realm: "crm", Provider: "app-x", ID: "42"}, {Realm: "org-1", Provider: ConnecProvider, ID: "ignored"}},
	})
	if err != nil || !created {
		t.Fatalf("create: %v, created %v", err, created)
	}
	if string(e.Doc["group_id"]) != `"cld-1"` || string(e.Doc["channel_id"]) != `"org-1"` ||
		string(e.Doc["resource_type"]) != `"people"` || string(e.Doc["id"]) != `"`+e.ID+`"` {
		t.Errorf("managed fields: %s", e.JSON())
	}
	if len(e.ExternalIDs) != 1 || e.ExternalIDs[0].Provider != "app-x" {
		t.Errorf("external ids: %+v", e.ExternalIDs)
	}
	if n := countChanges(t, s); n != 1 {
		t.Fatalf("%d changes after one create", n)
	}

	later := seedTime.Add(time.Hour)
	// Upsert by external id merges (top-level keys replace).
	u, created, err := s.WriteConnecEntity(ctx, ConnecWrite{
		GroupUID: "cld-1", Collection: "people", Upsert: true, OriginAppUID: "app-2", Now: later,
		Fields:      fields(t, `{"last_name":"King","address":{"town":"Ockham"}}`),
		ExternalIDs: []ExternalID{{Realm: "crm", Provider: "app-x", ID: "42"}},
	})
	if err != nil || created || u.ID != e.ID {
		t.Fatalf("upsert: %v, created %v, id %s want %s", err, created, u.ID, e.ID)
	}
	if string(u.Doc["first_name"]) != `"Ada"` || string(u.Doc["last_name"]) != `"King"` || string(u.Doc["address"]) != `{"town":"Ockham"}` {
		t.Errorf("merge: %s", u.JSON())
	}
	if !u.UpdatedAt.Equal(later) || !u.CreatedAt.Equal(seedTime) {
		t.Errorf("times: created %v updated %v", u.CreatedAt, u.UpdatedAt)
	}
	var origin string
	var entity string
	if err := s.db.QueryRowContext(ctx, `SELECT origin_app_uid, entity FROM connec_changes ORDER BY id DESC LIMIT 1`).Scan(&origin, &entity); err != nil {
		t.Fatal(err)
	}
	if origin != "app-2" || entity != string(u.JSON()) {
		t.Errorf("change: origin %q entity %s", origin, entity)
	}

	// Create refuses an existing external id; an update by unknown id fails.
	if _, _, err := s.WriteConnecEntity(ctx, ConnecWrite{GroupUID: "cld-1", Collection: "people", Create: true, Now: later,
		ExternalIDs: []ExternalID{{Realm: "crm", Provider: "app-x", ID: "42"}}}); !errors.Is(err, ErrConflict) {
		t.Errorf("create over an external id: %v", err)
	}
	if _, _, err := s.WriteConnecEntity(ctx, ConnecWrite{GroupUID: "cld-1", Collection: "people", ID: "nope", Now: later}); !errors.Is(err, ErrNotFound) {
		t.Errorf("update of unknown id: %v", err)
	}
	if _, _, err := s.WriteConnecEntity(ctx, ConnecWrite{GroupUID: "cld-404", Collection: "people", Now: later}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown group: %v", err)
	}
	// An external id of another entity cannot be attached.
	other, _, err := s.WriteConnecEntity(ctx, ConnecWrite{GroupUID: "cld-1", Collection: "people", Now: later, Fields: fields(t, `{"first_name":"Bob"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.WriteConnecEntity(ctx, ConnecWrite{GroupUID: "cld-1", Collection: "people", ID: other.ID, Now: later,
		ExternalIDs: []ExternalID{{Realm: "crm", Provider: "app-x", ID: "42"}}}); !errors.Is(err, ErrConflict) {
		t.Errorf("stealing an external id: %v", err)
	}
	if n := countChanges(t, s); n != 3 {
		t.Errorf("%d changes after three successful writes", n)
	}
	id, coll, err := s.ResolveConnecExternalID(ctx, "cld-1", ExternalID{Realm: "crm", Provider: "app-x", ID: "42"})
	if err != nil || id != e.ID || coll != "people" {
		t.Errorf("resolve: %s %s %v", id, coll, err)
	}
	xs, err := s.ConnecKnownIDs(ctx, "cld-1", []string{e.ID, other.ID, "nope"})
	if _, nope := xs["nope"]; err != nil || len(xs[e.ID]) != 1 || xs[other.ID] == nil || len(xs[other.ID]) != 0 || nope {
		t.Errorf("external ids: %v %v", xs, err)
	}
	if err := s.DeleteConnecEntity(ctx, "cld-1", "people", e.ID); err != nil {
		t.Fatal(err)
	}
	page, err := s.ListConnecEntities(ctx, "cld-1", "people", ConnecQuery{Top: 10})
	if err != nil || page.Total != 1 || len(page.Entities) != 1 || page.Entities[0].ID != other.ID {
		t.Errorf("after delete: %+v %v", page, err)
	}
	if _, _, err := s.ResolveConnecExternalID(ctx, "cld-1", ExternalID{Realm: "crm", Provider: "app-x", ID: "42"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("external id survives its entity: %v", err)
	}
	if err := s.DeleteConnecEntity(ctx, "cld-1", "people", e.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if counts, err := s.ConnecCollectionCounts(ctx, "cld-1"); err != nil || len(counts) != 1 || counts["people"] != 1 {
		t.Errorf("counts after delete: %v %v", counts, err)
	}
	if err := s.DeleteConnecEntity(ctx, "cld-1", "people", other.ID); err != nil {
		t.Fatal(err)
	}
	// An emptied collection is not listed.
	if counts, err := s.ConnecCollectionCounts(ctx, "cld-1"); err != nil || len(counts) != 0 {
		t.Errorf("counts of an emptied group: %v %v", counts, err)
	}
}

// BenchmarkListConnecPages lists a collection of 100 000 entities page by
// page, as a client following pagination.next does; one op is the whole
// walk.
func BenchmarkListConnecPages(b *testing.B) {
	s, err := Open(b.Context(), filepath.Join(b.TempDir(), "sandbox.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	ctx := b.Context()
	if _, err := s.Seed(ctx, seedTime); err != nil {
		b.Fatal(err)
	}
	const n = 100_000
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	now := formatTime(seedTime)
	for i := range n {
		id := NewConnecID()
		doc := fmt.Sprintf(`{"id":%q,"name":"Org %06d","status":%q,"number_of_employees":%d,"address":{"billing":{"city":%q}}}`,
			id, i, []string{"ACTIVE", "ARCHIVED"}[i%2], i%500, []string{"Paris", "London", "Lyon"}[i%3])
		if _, err := tx.ExecContext(ctx, `INSERT INTO connec_entities (group_uid, collection, id, doc, created_at, updated_at) VALUES ('cld-1', 'organizations', ?, jsonb(?), ?, ?)`,
			id, doc, now, now); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	active, _ := ParseFilter("status eq 'ACTIVE' and address.billing.city ne 'Lyon'")
	for _, bc := range []struct {
		name   string
		q      ConnecQuery
		keyset bool
		want   int
	}{
		{"skip/top100", ConnecQuery{Top: 100}, false, n},
		{"keyset/top100", ConnecQuery{Top: 100}, true, n},
		{"keyset/top1000", ConnecQuery{Top: 1000}, true, n},
		{"skip/filtered_top1000", ConnecQuery{Top: 1000, Filter: active}, false, 33_333},
		{"keyset/filtered_top1000", ConnecQuery{Top: 1000, Filter: active}, true, 33_333},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				seen := 0
				q := bc.q
				for {
					page, err := s.ListConnecEntities(ctx, "cld-1", "organizations", q)
					if err != nil {
						b.Fatal(err)
					}
					seen += len(page.Entities)
					if q.Skip+len(page.Entities) >= page.Total {
						break
					}
					q.Skip += len(page.Entities)
					if bc.keyset {
						q.AfterSeq = page.Entities[len(page.Entities)-1].Seq
					}
				}
				if seen != bc.want {
					b.Fatalf("saw %d entities, want %d", seen, bc.want)
				}
			}
		})
	}
}
