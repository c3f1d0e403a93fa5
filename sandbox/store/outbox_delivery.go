package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Delivery kinds: what a webhook delivery tells the app.
const (
	// KindConnecNotification is a Connec! notification: POST to the app's
	// notification path with the changed entities.
	KindConnecNotification = "connec.notification"
	// KindGroupRemoved is the account webhook for a removed group: DELETE
	// the app's group path.
	KindGroupRemoved = "account.group.removed"
	// KindMemberRemoved is the account webhook for a removed membership:
	// DELETE the app's group-user path.
	KindMemberRemoved = "account.group_user.removed"
)

// Delivery states.
const (
	// DeliveryCollecting is a Connec! notification that still gathers
	// changes until its coalescing window ends.
	DeliveryCollecting = "collecting"
	// DeliveryPending is due at NextAttemptAt.
	DeliveryPending = "pending"
	// DeliveryDelivered was answered with a 2xx status.
	DeliveryDelivered = "delivered"
	// DeliveryDead failed as many times in a row as the worker allows (dead
	// letter); only [Store.Redeliver] makes it pending again.
	DeliveryDead = "dead"
)

// Delivery is one webhook request to one app, made until the app accepts it.
type Delivery struct {
	ID            string    // stable delivery id, the same on every attempt (sent as a header)
	Kind          string    // one of the Kind constants
	AppUID        string    // app the request goes to
	GroupUID      string    // group concerned
	UserUID       string    // user concerned ([KindMemberRemoved] only)
	Method        string    // HTTP method: POST or DELETE
	Path          string    // path (and query) on the app's host, placeholders substituted
	Body          []byte    // request body (JSON); empty for DELETE and while collecting
	ChangeCount   int       // Connec! changes gathered ([KindConnecNotification] only)
	State         string    // one of the Delivery state constants
	Attempts      int       // attempts made, in total
	Failures      int       // failed attempts since the delivery was (re)enqueued
	NextAttemptAt time.Time // when it is due (collecting: end of the coalescing window)
	CreatedAt     time.Time // when it was enqueued
	UpdatedAt     time.Time // last change of state
	DeliveredAt   time.Time // zero until delivered
	leaseUntil    int64
}

// Attempt is one HTTP request made for a delivery and what came of it.
type Attempt struct {
	Number    int           // 1 for the first attempt of the delivery
	StartedAt time.Time     // when the request was sent
	Duration  time.Duration // until the response (or error)
	URL       string        // the full request URL
	Status    int           // HTTP status; 0 when no response came
	Response  string        // bounded excerpt of the response body
	Error     string        // why it failed without a status, or ""
}

// AttemptOutcome says what becomes of a delivery after an attempt.
type AttemptOutcome struct {
	Delivered bool      // the app accepted it (2xx)
	RetryAt   time.Time // when not delivered: the next attempt; zero makes it dead
}

// DeliveryFilter selects deliveries for [Store.Deliveries].
type DeliveryFilter struct {
	State string // one state, or "" for every state
	Limit int    // at most this many, newest first; <= 0 or > 1000 means 1000
}

// Input bounds of the outbox.
const (
	maxAttemptText = 2 << 10 // response excerpt and error of an attempt
	// fanOutBatch is how many changes one fan-out transaction takes: it
	// holds the write lock, so a smaller batch lets Connec! writes in
	// between (500 kept writers waiting tens of milliseconds).
	fanOutBatch      = 64
	maxDeliveryLimit = 1000
)

func toMS(t time.Time) int64 { return t.UnixMilli() }

func fromMS(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// newDeliveryID returns a fresh random delivery id (UUID version 4 form): a
// receiver may keep the ids it has processed across sandbox restarts and
// fresh data directories without collisions.
func newDeliveryID() string { return newEnvKey() }

// substitutePath fills the :group_id and :id placeholders of an account
// webhook path in one pass (a value is never substituted again), escaping
// the values.
func substitutePath(path string, pairs ...string) string {
	for i := 1; i < len(pairs); i += 2 {
		pairs[i] = url.PathEscape(pairs[i])
	}
	return strings.NewReplacer(pairs...).Replace(path)
}

const deliveryColumns = `delivery_id, kind, app_uid, group_uid, user_uid, method, path, body,
	change_count, state, attempts, failures, next_attempt_at, created_at, updated_at, delivered_at, lease_until`

func scanDelivery(row scanner) (deliveryRow, error) {
	var d deliveryRow
	var body string
	var next, created, updated int64
	var delivered sql.NullInt64
	err := row.Scan(&d.rowID, &d.ID, &d.Kind, &d.AppUID, &d.GroupUID, &d.UserUID, &d.Method, &d.Path, &body,
		&d.ChangeCount, &d.State, &d.Attempts, &d.Failures, &next, &created, &updated, &delivered, &d.leaseUntil)
	if err != nil {
		return deliveryRow{}, err
	}
	if body != "" {
		d.Body = []byte(body)
	}
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromMS(next), fromMS(created), fromMS(updated)
	if delivered.Valid {
		d.DeliveredAt = fromMS(delivered.Int64)
	}
	return d, nil
}

// deliveryRow is a Delivery with its row id.
type deliveryRow struct {
	Delivery
	rowID int64
}

// insertDelivery enqueues a delivery inside tx and returns its row id and
// its delivery id.
func insertDelivery(ctx context.Context, tx *sql.Tx, d Delivery, now time.Time) (rowID int64, deliveryID string, err error) {
	deliveryID = newDeliveryID()
	err = tx.QueryRowContext(ctx, `
INSERT INTO webhook_deliveries (delivery_id, kind, app_uid, group_uid, user_uid, method, path, state,
	next_attempt_at, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		deliveryID, d.Kind, d.AppUID, d.GroupUID, d.UserUID, d.Method, d.Path, d.State,
		toMS(d.NextAttemptAt), toMS(now), toMS(now)).Scan(&rowID)
	if err != nil {
		return 0, "", fmt.Errorf("store: enqueue delivery: %w", err)
	}
	return rowID, deliveryID, nil
}

// FanOutChanges turns the logged Connec! changes not yet fanned out into
// deliveries: one per app that is subscribed to the change's collection, has
// access to its group (group_apps) and did not make the change. A change
// joins the app's collecting delivery for that group, if one has fewer than
// maxChanges changes, or starts one whose coalescing window ends at
// now+window. It returns the number of changes fanned out.
func (s *Store) FanOutChanges(ctx context.Context, now time.Time, window time.Duration, maxChanges int) (int, error) {
	if maxChanges <= 0 {
		maxChanges = 1
	}
	total := 0
	for {
		n := 0
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			n, err = fanOutBatchTx(ctx, tx, now, window, maxChanges)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("store: fan out connec changes: %w", err)
		}
		total += n
		if n < fanOutBatch {
			return total, nil
		}
	}
}

type pendingChange struct {
	id                           int64
	group, collection, originApp string
	at                           string
}

func fanOutBatchTx(ctx context.Context, tx *sql.Tx, now time.Time, window time.Duration, maxChanges int) (int, error) {
	changes, err := queryRows(ctx, tx, func(row scanner) (pendingChange, error) {
		var c pendingChange
		err := row.Scan(&c.id, &c.group, &c.collection, &c.originApp, &c.at)
		return c, err
	}, `SELECT id, group_uid, collection, origin_app_uid, created_at FROM connec_changes WHERE fanned_out = 0 ORDER BY id LIMIT ?`, fanOutBatch)
	if err != nil || len(changes) == 0 {
		return 0, err
	}
	// The statements run once or more per change: prepared once per batch
	// (parsing them was most of the fan-out's time).
	st, err := prepareFanOut(ctx, tx)
	if err != nil {
		return 0, err
	}
	defer st.close()
	type target struct{ app, path string }
	for _, c := range changes {
		rows, err := st.targets.QueryContext(ctx, c.group, c.collection, c.originApp)
		if err != nil {
			return 0, err
		}
		var targets []target
		for rows.Next() {
			var t target
			if err := rows.Scan(&t.app, &t.path); err != nil {
				rows.Close()
				return 0, err
			}
			targets = append(targets, t)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return 0, err
		}
		for _, t := range targets {
			var id int64
			err := st.collecting.QueryRowContext(ctx, t.app, c.group, DeliveryCollecting, KindConnecNotification, maxChanges).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				// The window starts with the change, or now if the change
				// claims to be from the future; an old change (logged
				// before a restart) is due at once.
				start := now
				if at, perr := parseTime(c.at); perr == nil && at.Before(now) {
					start = at
				}
				id, _, err = insertDelivery(ctx, tx, Delivery{
					Kind: KindConnecNotification, AppUID: t.app, GroupUID: c.group,
					Method: "POST", Path: t.path, State: DeliveryCollecting, NextAttemptAt: start.Add(window),
				}, now)
			}
			if err != nil {
				return 0, err
			}
			if _, err := st.link.ExecContext(ctx, id, c.id); err != nil {
				return 0, err
			}
			if _, err := st.count.ExecContext(ctx, toMS(now), id); err != nil {
				return 0, err
			}
		}
		if _, err := st.done.ExecContext(ctx, c.id); err != nil {
			return 0, err
		}
	}
	return len(changes), nil
}

// fanOutStmts are the per-change statements of a fan-out batch.
type fanOutStmts struct {
	targets, collecting, link, count, done *sql.Stmt
}

func prepareFanOut(ctx context.Context, tx *sql.Tx) (*fanOutStmts, error) {
	st := &fanOutStmts{}
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&st.targets, `
SELECT a.uid, a.connec_notification_path
FROM app_connec_subscriptions s
JOIN group_apps ga ON ga.app_uid = s.app_uid AND ga.group_uid = ?
JOIN apps a ON a.uid = s.app_uid
WHERE s.collection = ? AND s.app_uid <> ? AND a.connec_notification_path <> ''
ORDER BY a.uid`},
		{&st.collecting, `
SELECT id FROM webhook_deliveries
WHERE app_uid = ? AND group_uid = ? AND state = ? AND kind = ? AND change_count < ?
ORDER BY id DESC LIMIT 1`},
		{&st.link, `INSERT OR IGNORE INTO webhook_delivery_changes (delivery_id, change_id) VALUES (?, ?)`},
		{&st.count, `UPDATE webhook_deliveries SET change_count = change_count + 1, updated_at = ? WHERE id = ?`},
		{&st.done, `UPDATE connec_changes SET fanned_out = 1 WHERE id = ?`},
	} {
		stmt, err := tx.PrepareContext(ctx, p.query)
		if err != nil {
			st.close()
			return nil, err
		}
		*p.dst = stmt
	}
	return st, nil
}

func (st *fanOutStmts) close() {
	for _, s := range []*sql.Stmt{st.targets, st.collecting, st.link, st.count, st.done} {
		if s != nil {
			_ = s.Close()
		}
	}
}

// ClaimDeliveries leases up to limit deliveries that are due at now (pending,
// or collecting past their window, and not leased by a live claim) until
// now+lease, oldest due first, and returns them. A collecting delivery gets
// its body here and becomes pending. Each claimed delivery must be finished
// with [Store.FinishAttempt] or given back with [Store.ReleaseLease]; a
// lease that is neither (the process died) expires.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []Delivery
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := queryRows(ctx, tx, scanDelivery, `
SELECT id, `+deliveryColumns+` FROM webhook_deliveries
WHERE state IN (?, ?) AND next_attempt_at <= ? AND lease_until <= ?
ORDER BY next_attempt_at, id LIMIT ?`, DeliveryCollecting, DeliveryPending, toMS(now), toMS(now), limit)
		if err != nil {
			return err
		}
		for _, d := range rows {
			if d.State == DeliveryCollecting {
				body, err := notificationBody(ctx, tx, d.rowID, d.AppUID)
				if err != nil {
					return err
				}
				d.Body, d.State = body, DeliveryPending
				if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = ?, body = ? WHERE id = ?`,
					DeliveryPending, string(body), d.rowID); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET lease_until = ? WHERE id = ?`,
				toMS(now.Add(lease)), d.rowID); err != nil {
				return err
			}
			out = append(out, d.Delivery)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim deliveries: %w", err)
	}
	return out, nil
}

// notificationBody builds the body of a Connec! notification to app from
// the changes of delivery rowID: {"<collection>": [entity, ...], ...} in
// change order, each entity once (its latest version, at the place of its
// first change) and carrying "group_id". For an app configured for external
// ids (connec_external_ids) the entities' known ids are id arrays, as the
// Connec! API answers with CONNEC-EXTERNAL-IDS: true.
func notificationBody(ctx context.Context, tx *sql.Tx, rowID int64, app string) ([]byte, error) {
	type change struct{ group, collection, entity string }
	changes, err := queryRows(ctx, tx, func(row scanner) (change, error) {
		var c change
		err := row.Scan(&c.group, &c.collection, &c.entity)
		return c, err
	}, `
SELECT c.group_uid, c.collection, c.entity
FROM webhook_delivery_changes dc JOIN connec_changes c ON c.id = dc.change_id
WHERE dc.delivery_id = ? ORDER BY c.id`, rowID)
	if err != nil {
		return nil, err
	}
	byCollection := map[string][]json.RawMessage{}
	index := map[string]int{} // collection + "\x00" + id → position
	for _, c := range changes {
		entity, id := withGroupID([]byte(c.entity), c.group)
		list := byCollection[c.collection]
		if id != "" {
			key := c.collection + "\x00" + id
			if i, ok := index[key]; ok {
				list[i] = entity
				continue
			}
			index[key] = len(list)
		}
		byCollection[c.collection] = append(list, entity)
	}
	var externalIDs bool
	if err := tx.QueryRowContext(ctx, `SELECT connec_external_ids FROM apps WHERE uid = ?`, app).Scan(&externalIDs); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if externalIDs && len(changes) > 0 {
		group := changes[0].group // a delivery is for one group
		for coll, list := range byCollection {
			unfolded, err := unfoldEntities(ctx, tx, group, list)
			if err != nil {
				return nil, err
			}
			byCollection[coll] = unfolded
		}
	}
	return marshalVerbatim(byCollection)
}

// marshalVerbatim is json.Marshal without HTML escaping: the entities go out
// with the characters the app stored.
func marshalVerbatim(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// withGroupID returns entity with a "group_id" member (added if missing) and
// the compact JSON of its "id", "" if it has none.
func withGroupID(entity []byte, group string) (json.RawMessage, string) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(entity, &fields); err != nil {
		return entity, "" // RecordConnecChange only stores objects
	}
	var id string
	if raw, ok := fields["id"]; ok {
		var b bytes.Buffer
		if json.Compact(&b, raw) == nil && b.String() != "null" {
			id = b.String()
		}
	}
	if _, ok := fields["group_id"]; ok {
		return entity, id
	}
	fields["group_id"], _ = marshalVerbatim(group)
	out, err := marshalVerbatim(fields)
	if err != nil {
		return entity, id
	}
	return out, id
}

// FinishAttempt records attempt a of the delivery with the given id and
// moves it to the outcome: delivered, pending until out.RetryAt, or dead.
// It releases the lease. It returns [ErrNotFound] for an unknown delivery.
func (s *Store) FinishAttempt(ctx context.Context, id string, a Attempt, out AttemptOutcome, now time.Time) error {
	state, failures, next := DeliveryDelivered, "0", toMS(now)
	var delivered any = toMS(now)
	if !out.Delivered {
		state, failures, delivered = DeliveryDead, "failures + 1", nil
		if !out.RetryAt.IsZero() {
			state, next = DeliveryPending, toMS(out.RetryAt)
		}
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var rowID int64
		var attempts int
		err := tx.QueryRowContext(ctx, `
UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, failures = `+failures+`,
	next_attempt_at = ?, lease_until = 0, updated_at = ?, delivered_at = coalesce(?, delivered_at)
WHERE delivery_id = ? RETURNING id, attempts`, state, next, toMS(now), delivered, id).Scan(&rowID, &attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: finish attempt: %w", err)
		}
		_, err = tx.ExecContext(ctx, `
INSERT INTO webhook_attempts (delivery_id, number, started_at, duration_ms, url, status, response, error)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, rowID, attempts, toMS(a.StartedAt), a.Duration.Milliseconds(),
			clipString(a.URL, maxAttemptText), a.Status,
			clipString(strings.ToValidUTF8(a.Response, "\uFFFD"), maxAttemptText),
			clipString(strings.ToValidUTF8(a.Error, "\uFFFD"), maxAttemptText))
		if err != nil {
			return fmt.Errorf("store: finish attempt: %w", err)
		}
		return nil
	})
}

// ReleaseLease gives back a claimed delivery without recording an attempt
// (the attempt was cancelled), so that it is due again at once.
func (s *Store) ReleaseLease(ctx context.Context, id string) error {
	if _, err := s.exec(ctx, `UPDATE webhook_deliveries SET lease_until = 0 WHERE delivery_id = ?`, id); err != nil {
		return fmt.Errorf("store: release lease: %w", err)
	}
	return nil
}

// ReleaseAllLeases gives back every claimed delivery. The sandbox calls it
// when it opens its data directory: it holds the directory's lock, so no
// other process is delivering, and the leases left are those of a process
// that died in the middle of its attempts.
func (s *Store) ReleaseAllLeases(ctx context.Context) (int64, error) {
	res, err := s.exec(ctx, `UPDATE webhook_deliveries SET lease_until = 0 WHERE lease_until <> 0`)
	if err != nil {
		return 0, fmt.Errorf("store: release leases: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Redeliver makes the delivery due at now with a fresh budget of attempts,
// whatever its state (a collecting one just ends its window). Its id and
// body stay the same, so a receiver that did process it can drop the
// repeat. It returns [ErrNotFound] for an unknown delivery.
func (s *Store) Redeliver(ctx context.Context, id string, now time.Time) error {
	res, err := s.exec(ctx, `
UPDATE webhook_deliveries
SET state = CASE state WHEN ? THEN state ELSE ? END, failures = 0, next_attempt_at = ?, updated_at = ?
WHERE delivery_id = ?`, DeliveryCollecting, DeliveryPending, toMS(now), toMS(now), id)
	if err != nil {
		return fmt.Errorf("store: redeliver: %w", err)
	}
	return requireOneRow(res)
}

// Delivery returns the delivery with the given id, or [ErrNotFound].
func (s *Store) Delivery(ctx context.Context, id string) (Delivery, error) {
	d, err := queryOne(ctx, s.db, "delivery", scanDelivery, `SELECT id, `+deliveryColumns+` FROM webhook_deliveries WHERE delivery_id = ?`, id)
	return d.Delivery, err
}

// Deliveries returns the deliveries f selects, newest first.
func (s *Store) Deliveries(ctx context.Context, f DeliveryFilter) ([]Delivery, error) {
	limit := f.Limit
	if limit <= 0 || limit > maxDeliveryLimit {
		limit = maxDeliveryLimit
	}
	rows, err := queryAll(ctx, s.db, "deliveries", scanDelivery, `
SELECT id, `+deliveryColumns+` FROM webhook_deliveries
WHERE ? = '' OR state = ? ORDER BY id DESC LIMIT ?`, f.State, f.State, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Delivery, len(rows))
	for i, d := range rows {
		out[i] = d.Delivery
	}
	return out, nil
}

// Attempts returns the attempts of the given deliveries, keyed by delivery
// id, in attempt order.
func (s *Store) Attempts(ctx context.Context, ids ...string) (map[string][]Attempt, error) {
	out := make(map[string][]Attempt, len(ids))
	const chunk = 200
	for len(ids) > 0 {
		n := min(len(ids), chunk)
		args := make([]any, n)
		for i, id := range ids[:n] {
			args[i] = id
		}
		ids = ids[n:]
		type row struct {
			id string
			a  Attempt
		}
		rows, err := queryAll(ctx, s.db, "attempts", func(sc scanner) (row, error) {
			var r row
			var started, dur int64
			err := sc.Scan(&r.id, &r.a.Number, &started, &dur, &r.a.URL, &r.a.Status, &r.a.Response, &r.a.Error)
			r.a.StartedAt, r.a.Duration = fromMS(started), time.Duration(dur)*time.Millisecond
			return r, err
		}, `
SELECT d.delivery_id, a.number, a.started_at, a.duration_ms, a.url, a.status, a.response, a.error
FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
WHERE d.delivery_id IN (?`+strings.Repeat(",?", n-1)+`) ORDER BY a.delivery_id, a.number`, args...)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out[r.id] = append(out[r.id], r.a)
		}
	}
	return out, nil
}

// FanOut are the parameters of the fan-out of Connec! changes (see
// [Store.FanOutChanges]).
type FanOut struct {
	Window     time.Duration // coalescing window of a notification
	MaxChanges int           // changes per notification at most
}

// RemoveGroup deletes the group, its memberships and its apps' access to
// it, and enqueues in the same transaction, for every app that had access,
// the account webhook DELETE {group_path} (due at now). Connec! changes
// logged before are fanned out first (with fo), while the apps still have
// access to the group. It returns the enqueued account webhooks, or
// [ErrNotFound] for an unknown group.
func (s *Store) RemoveGroup(ctx context.Context, groupUID string, now time.Time, fo FanOut) ([]Delivery, error) {
	var out []Delivery
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := requireGroup(ctx, tx, groupUID); err != nil {
			return err
		}
		for {
			n, err := fanOutBatchTx(ctx, tx, now, fo.Window, max(fo.MaxChanges, 1))
			if err != nil {
				return err
			}
			if n < fanOutBatch {
				break
			}
		}
		var err error
		out, err = enqueueAccountWebhooks(ctx, tx, groupUID, "", now)
		if err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM memberships WHERE group_uid = ?`,
			`DELETE FROM group_apps WHERE group_uid = ?`,
			`DELETE FROM groups WHERE uid = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, groupUID); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("store: remove group: %w", err)
	}
	return out, nil
}

// RemoveMembership deletes the user's membership of the group and enqueues
// in the same transaction, for every app with access to the group, the
// account webhook DELETE {group_user_path} (due at now). It returns the
// enqueued deliveries, or [ErrNotFound] when there is no such membership.
func (s *Store) RemoveMembership(ctx context.Context, groupUID, userUID string, now time.Time) ([]Delivery, error) {
	var out []Delivery
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM memberships WHERE group_uid = ? AND user_uid = ?`, groupUID, userUID)
		if err != nil {
			return err
		}
		if err := requireOneRow(res); err != nil {
			return err
		}
		out, err = enqueueAccountWebhooks(ctx, tx, groupUID, userUID, now)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("store: remove membership: %w", err)
	}
	return out, nil
}

func requireGroup(ctx context.Context, tx *sql.Tx, uid string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM groups WHERE uid = ?`, uid).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// enqueueAccountWebhooks enqueues the group webhook (userUID == "") or the
// group-user webhook for every app with access to the group and a non-empty
// path for it.
func enqueueAccountWebhooks(ctx context.Context, tx *sql.Tx, groupUID, userUID string, now time.Time) ([]Delivery, error) {
	type app struct{ uid, groupPath, groupUserPath string }
	apps, err := queryRows(ctx, tx, func(row scanner) (app, error) {
		var a app
		err := row.Scan(&a.uid, &a.groupPath, &a.groupUserPath)
		return a, err
	}, `
SELECT a.uid, a.group_path, a.group_user_path FROM apps a JOIN group_apps ga ON ga.app_uid = a.uid
WHERE ga.group_uid = ? ORDER BY length(a.uid), a.uid`, groupUID)
	if err != nil {
		return nil, err
	}
	var out []Delivery
	for _, a := range apps {
		d := Delivery{AppUID: a.uid, GroupUID: groupUID, UserUID: userUID, Method: "DELETE",
			State: DeliveryPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
		if userUID == "" {
			d.Kind, d.Path = KindGroupRemoved, substitutePath(a.groupPath, ":id", groupUID)
		} else {
			d.Kind, d.Path = KindMemberRemoved, substitutePath(a.groupUserPath, ":group_id", groupUID, ":id", userUID)
		}
		if d.Path == "" {
			continue
		}
		var err error
		if _, d.ID, err = insertDelivery(ctx, tx, d, now); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}
