package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// MaxImport bounds the entities of one [Store.ImportConnecEntities] call.
const MaxImport = 1_000_000

// ImportConnecEntities creates one entity of the collection of the group
// per element of docs, in one transaction, and returns their new Connec!
// ids in order. Each document is stored as [Store.WriteConnecEntity]
// would store a create of it (store-managed keys set, the others kept),
// but without external ids and without logging changes: an import is
// seeding, not an app's write, so it fires no webhook. It is the fast way
// to fill a large collection (benchmarks, seed data): one prepared insert
// per entity. An unknown group returns [ErrNotFound].
func (s *Store) ImportConnecEntities(ctx context.Context, group, collection string, docs []map[string]json.RawMessage, now time.Time) ([]string, error) {
	if len(docs) > MaxImport {
		return nil, fmt.Errorf("store: import of %d entities; at most %d", len(docs), MaxImport)
	}
	if collection == "" {
		return nil, errors.New("store: import: empty collection")
	}
	ids := make([]string, 0, len(docs))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var orgUID string
		err := tx.QueryRowContext(ctx, `SELECT org_uid FROM groups WHERE uid = ?`, group).Scan(&orgUID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("group %s: %w", group, ErrNotFound)
		}
		if err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `
INSERT INTO connec_entities (group_uid, collection, id, doc, created_at, updated_at)
VALUES (?, ?, ?, jsonb(?), ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		ts := formatTime(now)
		managed := map[string]json.RawMessage{
			"group_id": jsonString(group), "channel_id": jsonString(orgUID), "resource_type": jsonString(collection),
			"created_at": jsonString(ts), "updated_at": jsonString(ts),
		}
		for _, fields := range docs {
			id := NewConnecID()
			doc := make(map[string]json.RawMessage, len(fields)+len(managed)+1)
			for k, v := range fields {
				if !storeManaged[k] {
					doc[k] = v
				}
			}
			for k, v := range managed {
				doc[k] = v
			}
			doc["id"] = jsonString(id)
			body, err := json.Marshal(doc)
			if err != nil {
				return fmt.Errorf("encode document %d: %w", len(ids), err)
			}
			if _, err := ins.ExecContext(ctx, group, collection, id, string(body), ts, ts); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("store: import connec entities: %w", err)
	}
	return ids, nil
}
