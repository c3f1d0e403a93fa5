package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

func TestImportConnecEntities(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	ctx := t.Context()
	if _, err := s.Seed(ctx, seedTime); err != nil {
		t.Fatal(err)
	}
	var docs []map[string]json.RawMessage
	for i := range 250 {
		docs = append(docs, fields(t, fmt.Sprintf(`{"first_name":"P%d","id":"ignored","group_id":"cld-9","address":{"city":"Lyon"}}`, i)))
	}
	ids, err := s.ImportConnecEntities(ctx, "cld-1", "people", docs, seedTime)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != len(docs) {
		t.Fatalf("%d ids for %d documents", len(ids), len(docs))
	}
	// Stored as a create through WriteConnecEntity would store it.
	e, err := s.ConnecEntity(ctx, "cld-1", "people", ids[7])
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"id": `"` + ids[7] + `"`, "first_name": `"P7"`, "group_id": `"cld-1"`, "channel_id": `"org-1"`,
		"resource_type": `"people"`, "created_at": `"` + formatTime(seedTime) + `"`, "updated_at": `"` + formatTime(seedTime) + `"`,
		"address": `{"city":"Lyon"}`}
	if len(e.Doc) != len(want) {
		t.Fatalf("document %v", e.JSON())
	}
	for k, v := range want {
		if string(e.Doc[k]) != v {
			t.Errorf("%s = %s, want %s", k, e.Doc[k], v)
		}
	}
	// In creation order, counted, and no change logged.
	page, err := s.ListConnecEntities(ctx, "cld-1", "people", ConnecQuery{Top: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != len(docs) || len(page.Entities) != len(docs) || page.Entities[0].ID != ids[0] || page.Entities[249].ID != ids[249] {
		t.Fatalf("listed %d of total %d", len(page.Entities), page.Total)
	}
	if n := countChanges(t, s); n != 0 {
		t.Fatalf("%d changes logged by an import", n)
	}
	if _, err := s.ImportConnecEntities(ctx, "cld-404", "people", docs[:1], seedTime); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown group: %v", err)
	}
}
