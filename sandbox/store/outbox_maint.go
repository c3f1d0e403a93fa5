package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// NextDeliveryDue returns when the earliest open delivery (collecting or
// pending) becomes due: its next attempt time, or the end of its lease if
// later. ok is false when no delivery is open. The worker sleeps until then
// (or its poll interval, if sooner), so that a notification goes out when
// its coalescing window ends.
func (s *Store) NextDeliveryDue(ctx context.Context) (at time.Time, ok bool, err error) {
	var ms sql.NullInt64
	err = s.db.QueryRowContext(ctx, `
SELECT min(max(next_attempt_at, lease_until)) FROM webhook_deliveries WHERE state IN (?, ?)`,
		DeliveryCollecting, DeliveryPending).Scan(&ms)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: next delivery due: %w", err)
	}
	if !ms.Valid {
		return time.Time{}, false, nil
	}
	return fromMS(ms.Int64), true, nil
}

// Pruned counts what [Store.PruneOutbox] deleted.
type Pruned struct {
	Deliveries int64 // delivered deliveries (with their attempts)
	Changes    int64 // fanned-out Connec! changes
}

// PruneOutbox deletes the deliveries delivered before cutoff, with their
// attempts, then the Connec! changes fanned out before cutoff that no
// remaining delivery refers to. Pending, collecting and dead deliveries are
// kept whatever their age (a dead one may be redelivered), and so are the
// changes they carry. It runs in one transaction.
func (s *Store) PruneOutbox(ctx context.Context, cutoff time.Time) (Pruned, error) {
	var p Pruned
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE state = ? AND delivered_at < ?`,
			DeliveryDelivered, toMS(cutoff))
		if err != nil {
			return err
		}
		if p.Deliveries, err = res.RowsAffected(); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, `
DELETE FROM connec_changes WHERE fanned_out = 1 AND created_at < ?
	AND NOT EXISTS (SELECT 1 FROM webhook_delivery_changes dc WHERE dc.change_id = connec_changes.id)`,
			cutoff.UTC().Format(changeTimeLayout))
		if err != nil {
			return err
		}
		p.Changes, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return Pruned{}, fmt.Errorf("store: prune outbox: %w", err)
	}
	return p, nil
}
