package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ConnecChange is one change of a Connec! entity that the apps subscribed to
// its collection must hear about (except the app that made it).
type ConnecChange struct {
	GroupUID     string          // group (customer) the entity belongs to, e.g. "cld-1"
	Collection   string          // REST collection name, e.g. "organizations"
	Entity       json.RawMessage // the entity in its REST (API) shape, after the change
	OriginAppUID string          // app that made the change; "" for the sandbox admin
	At           time.Time       // when the change happened (UTC)
}

// RecordConnecChange appends ch to the change log inside tx, the transaction
// that writes the entity, so that a change is never lost nor announced
// without being stored. The webhook worker turns logged changes into
// deliveries.
func RecordConnecChange(ctx context.Context, tx *sql.Tx, ch ConnecChange) error {
	if ch.GroupUID == "" || ch.Collection == "" {
		return errors.New("store: connec change needs a group and a collection")
	}
	if !json.Valid(ch.Entity) {
		return errors.New("store: connec change entity is not valid JSON")
	}
	_, err := tx.ExecContext(ctx, `
INSERT INTO connec_changes (group_uid, collection, entity, origin_app_uid, created_at)
VALUES (?, ?, ?, ?, ?)`, ch.GroupUID, ch.Collection, string(ch.Entity), ch.OriginAppUID, formatTime(ch.At))
	if err != nil {
		return fmt.Errorf("store: record connec change: %w", err)
	}
	return nil
}
