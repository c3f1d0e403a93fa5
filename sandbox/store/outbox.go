package store

import (
	"bytes"
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
	Entity       json.RawMessage // the entity in its REST (API) shape, after the change: a JSON object
	OriginAppUID string          // app that made the change; "" for the sandbox admin
	At           time.Time       // when the change happened; the coalescing window of its notification starts here
}

// changeTimeLayout stores change times to the millisecond: the coalescing
// window that starts there is shorter than a second.
const changeTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// validate checks the fields RecordConnecChange stores.
func (ch ConnecChange) validate() error {
	if ch.GroupUID == "" || ch.Collection == "" {
		return errors.New("store: connec change needs a group and a collection")
	}
	if !json.Valid(ch.Entity) {
		return errors.New("store: connec change entity is not valid JSON")
	}
	if t := bytes.TrimLeft(ch.Entity, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return errors.New("store: connec change entity is not a JSON object")
	}
	return nil
}

// RecordConnecChange appends ch to the change log inside tx, the transaction
// that writes the entity, so that a change is never lost nor announced
// without being stored. The webhook worker turns logged changes into
// deliveries ([Store.FanOutChanges]); the sandbox wakes it when the
// transaction has committed, or finds the change at its next poll.
func RecordConnecChange(ctx context.Context, tx *sql.Tx, ch ConnecChange) error {
	if err := ch.validate(); err != nil {
		return err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, ch.Entity); err != nil {
		return fmt.Errorf("store: connec change entity: %w", err)
	}
	_, err := tx.ExecContext(ctx, `
INSERT INTO connec_changes (group_uid, collection, entity, origin_app_uid, created_at)
VALUES (?, ?, ?, ?, ?)`, ch.GroupUID, ch.Collection, compact.String(), ch.OriginAppUID, ch.At.UTC().Format(changeTimeLayout))
	if err != nil {
		return fmt.Errorf("store: record connec change: %w", err)
	}
	return nil
}

// RecordConnecChanges records changes in one transaction of its own, for
// callers that do not write the entities themselves (tests, the admin's
// "announce" actions). Writers of entities call [RecordConnecChange] in
// their own transaction instead.
func (s *Store) RecordConnecChanges(ctx context.Context, changes ...ConnecChange) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, ch := range changes {
			if err := RecordConnecChange(ctx, tx, ch); err != nil {
				return err
			}
		}
		return nil
	})
}

func clipString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
