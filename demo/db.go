package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/maestrano-go/maestrano/sso"
)

// dbFile is the demo app's database inside its data directory.
const dbFile = "demo.db"

// migrations take the database from PRAGMA user_version i to i+1. Never
// edit a released entry; append.
var migrations = []string{
	// 1: local users, groups and memberships, found or created at SSO.
	// One app serves several marketplaces, so a platform uid is only unique
	// within its marketplace.
	`
CREATE TABLE users (
	id          INTEGER PRIMARY KEY,
	marketplace TEXT NOT NULL,
	uid         TEXT NOT NULL,
	first_name  TEXT NOT NULL,
	last_name   TEXT NOT NULL,
	email       TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL,
	UNIQUE (marketplace, uid)
) STRICT;
CREATE TABLE groups (
	id             INTEGER PRIMARY KEY,
	marketplace    TEXT NOT NULL,
	uid            TEXT NOT NULL,
	name           TEXT NOT NULL,
	currency       TEXT NOT NULL,
	timezone       TEXT NOT NULL,
	free_trial_end TEXT NOT NULL,
	disabled_at    TEXT NOT NULL DEFAULT '',
	created_at     TEXT NOT NULL,
	updated_at     TEXT NOT NULL,
	UNIQUE (marketplace, uid)
) STRICT;
CREATE TABLE memberships (
	user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
	role     TEXT NOT NULL,
	PRIMARY KEY (user_id, group_id)
) STRICT;
`,
	// 2: what the platform told the app (account webhooks) and what the app
	// did about it; Connec! notifications and the local copy of the
	// entities they carry.
	`
CREATE TABLE events (
	id          INTEGER PRIMARY KEY,
	marketplace TEXT NOT NULL,
	group_uid   TEXT NOT NULL,
	kind        TEXT NOT NULL,
	subject     TEXT NOT NULL,
	outcome     TEXT NOT NULL,
	at          TEXT NOT NULL
) STRICT;
CREATE INDEX events_by_group ON events (marketplace, group_uid, id);
CREATE TABLE notifications (
	id          INTEGER PRIMARY KEY,
	marketplace TEXT NOT NULL,
	group_uid   TEXT NOT NULL,
	collection  TEXT NOT NULL,
	entity_id   TEXT NOT NULL,
	name        TEXT NOT NULL,
	received_at TEXT NOT NULL
) STRICT;
CREATE INDEX notifications_by_group ON notifications (marketplace, group_uid, id);
CREATE TABLE entities (
	marketplace TEXT NOT NULL,
	group_uid   TEXT NOT NULL,
	collection  TEXT NOT NULL,
	entity_id   TEXT NOT NULL,
	name        TEXT NOT NULL,
	document    TEXT NOT NULL,
	updated_at  TEXT NOT NULL,
	PRIMARY KEY (marketplace, group_uid, collection, entity_id)
) STRICT;
`,
}

// db is the demo app's own state in SQLite.
type db struct {
	sql *sql.DB
	now func() time.Time
}

// openDB opens (creating it) the database at path and migrates it. An
// empty path is a private in-memory database.
func openDB(ctx context.Context, path string, now func() time.Time) (*db, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	if strings.ContainsRune(path, '?') {
		return nil, errors.New("demo: database path must not contain '?'")
	}
	memory := path == ""
	if memory {
		path = ":memory:"
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
	}
	sdb, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("demo: open database: %w", err)
	}
	if memory {
		// Every connection to ":memory:" is its own database: keep one.
		sdb.SetMaxOpenConns(1)
	}
	d := &db{sql: sdb, now: now}
	if err := d.migrate(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	return d, nil
}

func (d *db) close() error { return d.sql.Close() }

func (d *db) migrate(ctx context.Context) error {
	var version int
	if err := d.sql.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return fmt.Errorf("demo: read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("demo: database schema version %d is newer than this program (%d)", version, len(migrations))
	}
	for v := version; v < len(migrations); v++ {
		err := d.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v+1))
			return err
		})
		if err != nil {
			return fmt.Errorf("demo: migrate to schema version %d: %w", v+1, err)
		}
	}
	return nil
}

func (d *db) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

// localUser is the app's own record of a user, group and role: what the
// pages show and what access is decided on.
type localUser struct {
	UserID                   int64
	Marketplace              string
	UID, FirstName, LastName string
	Email                    string
	GroupID                  int64
	GroupUID, GroupName      string
	Currency, Timezone       string
	FreeTrialEnd             time.Time
	Role                     string
}

// findOrCreateForMaestrano is the pattern of the original SDK READMEs: the
// user, the group and the membership of a login are looked up by
// marketplace and platform uid, created when new and refreshed from the
// assertion otherwise. A login through a group the platform had removed
// brings it back: the IdP only lets a user in through a group that has the
// app.
func (d *db) findOrCreateForMaestrano(ctx context.Context, id *sso.Identity) (*localUser, error) {
	now := formatTime(d.now())
	var userID, groupID int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `
INSERT INTO users (marketplace, uid, first_name, last_name, email, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (marketplace, uid) DO UPDATE SET
	first_name = excluded.first_name, last_name = excluded.last_name,
	email = excluded.email, updated_at = excluded.updated_at
RETURNING id`, id.Marketplace, id.User.UID, id.User.FirstName, id.User.LastName, id.User.Email, now, now).Scan(&userID)
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `
INSERT INTO groups (marketplace, uid, name, currency, timezone, free_trial_end, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (marketplace, uid) DO UPDATE SET
	name = excluded.name, currency = excluded.currency, timezone = excluded.timezone,
	free_trial_end = excluded.free_trial_end, disabled_at = '', updated_at = excluded.updated_at
RETURNING id`, id.Marketplace, id.Group.UID, id.Group.Name, id.Group.Currency, id.Group.Timezone,
			formatTime(id.Group.FreeTrialEndAt), now, now).Scan(&groupID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `
INSERT INTO memberships (user_id, group_id, role) VALUES (?, ?, ?)
ON CONFLICT (user_id, group_id) DO UPDATE SET role = excluded.role`, userID, groupID, id.Membership.Role)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("demo: find or create user: %w", err)
	}
	lu, ok, err := d.access(ctx, id.Marketplace, id.User.UID, id.Group.UID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("demo: user vanished right after login")
	}
	return lu, nil
}

// access returns the user as a member of the group, and false when the
// membership is gone or the group is disabled.
func (d *db) access(ctx context.Context, marketplace, userUID, groupUID string) (*localUser, bool, error) {
	lu := &localUser{Marketplace: marketplace}
	var trial, disabled string
	err := d.sql.QueryRowContext(ctx, `
SELECT u.id, u.uid, u.first_name, u.last_name, u.email,
       g.id, g.uid, g.name, g.currency, g.timezone, g.free_trial_end, g.disabled_at, m.role
FROM users u
JOIN memberships m ON m.user_id = u.id
JOIN groups g ON g.id = m.group_id
WHERE u.marketplace = ? AND u.uid = ? AND g.uid = ?`, marketplace, userUID, groupUID).Scan(
		&lu.UserID, &lu.UID, &lu.FirstName, &lu.LastName, &lu.Email,
		&lu.GroupID, &lu.GroupUID, &lu.GroupName, &lu.Currency, &lu.Timezone, &trial, &disabled, &lu.Role)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("demo: read access: %w", err)
	}
	lu.FreeTrialEnd = parseTime(trial)
	if disabled != "" {
		return lu, false, nil
	}
	return lu, true, nil
}

// disableGroup marks the group disabled; it reports whether the group was
// known and enabled.
func (d *db) disableGroup(ctx context.Context, marketplace, groupUID string) (bool, error) {
	res, err := d.sql.ExecContext(ctx, `UPDATE groups SET disabled_at = ?, updated_at = ? WHERE marketplace = ? AND uid = ? AND disabled_at = ''`,
		formatTime(d.now()), formatTime(d.now()), marketplace, groupUID)
	if err != nil {
		return false, fmt.Errorf("demo: disable group: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// removeMember deletes the user's membership of the group; it reports
// whether there was one.
func (d *db) removeMember(ctx context.Context, marketplace, groupUID, userUID string) (bool, error) {
	res, err := d.sql.ExecContext(ctx, `
DELETE FROM memberships WHERE
	user_id = (SELECT id FROM users WHERE marketplace = ? AND uid = ?) AND
	group_id = (SELECT id FROM groups WHERE marketplace = ? AND uid = ?)`, marketplace, userUID, marketplace, groupUID)
	if err != nil {
		return false, fmt.Errorf("demo: remove member: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// event is one account webhook and what the app did about it.
type event struct {
	Kind, Subject, Outcome string
	At                     time.Time
}

func (d *db) addEvent(ctx context.Context, marketplace, groupUID string, e event) error {
	_, err := d.sql.ExecContext(ctx, `INSERT INTO events (marketplace, group_uid, kind, subject, outcome, at) VALUES (?, ?, ?, ?, ?, ?)`,
		marketplace, groupUID, e.Kind, e.Subject, e.Outcome, formatTime(d.now()))
	if err != nil {
		return fmt.Errorf("demo: record event: %w", err)
	}
	return nil
}

// maxListed bounds the lists of events, notifications and entities a page
// shows.
const maxListed = 50

// keptNotifications is how many notifications of a group are kept.
const keptNotifications = 500

func (d *db) events(ctx context.Context, marketplace, groupUID string) ([]event, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT kind, subject, outcome, at FROM events WHERE marketplace = ? AND group_uid = ? ORDER BY id DESC LIMIT ?`,
		marketplace, groupUID, maxListed)
	if err != nil {
		return nil, fmt.Errorf("demo: list events: %w", err)
	}
	defer rows.Close()
	var out []event
	for rows.Next() {
		var e event
		var at string
		if err := rows.Scan(&e.Kind, &e.Subject, &e.Outcome, &at); err != nil {
			return nil, err
		}
		e.At = parseTime(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// notification is one entity a Connec! notification carried.
type notification struct {
	Collection, EntityID, Name string
	ReceivedAt                 time.Time
}

// applyNotification records the notification and updates the local copy
// of the entity, in one transaction.
func (d *db) applyNotification(ctx context.Context, marketplace, groupUID string, n notification, document []byte) error {
	now := formatTime(d.now())
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (marketplace, group_uid, collection, entity_id, name, received_at) VALUES (?, ?, ?, ?, ?, ?)`,
			marketplace, groupUID, n.Collection, n.EntityID, n.Name, now); err != nil {
			return err
		}
		// Keep the latest keptNotifications of the group: the list is a
		// log for people, not an archive.
		if _, err := tx.ExecContext(ctx, `
DELETE FROM notifications WHERE marketplace = ? AND group_uid = ? AND id <= (
	SELECT id FROM notifications WHERE marketplace = ? AND group_uid = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
			marketplace, groupUID, marketplace, groupUID, keptNotifications); err != nil {
			return err
		}
		return upsertEntity(ctx, tx, marketplace, groupUID, n.Collection, n.EntityID, n.Name, document, now)
	})
	if err != nil {
		return fmt.Errorf("demo: record notification: %w", err)
	}
	return nil
}

// saveEntity updates the local copy of an entity the app wrote itself.
func (d *db) saveEntity(ctx context.Context, marketplace, groupUID, collection, id, name string, document []byte) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		return upsertEntity(ctx, tx, marketplace, groupUID, collection, id, name, document, formatTime(d.now()))
	})
}

func upsertEntity(ctx context.Context, tx *sql.Tx, marketplace, groupUID, collection, id, name string, document []byte, now string) error {
	_, err := tx.ExecContext(ctx, `
INSERT INTO entities (marketplace, group_uid, collection, entity_id, name, document, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (marketplace, group_uid, collection, entity_id) DO UPDATE SET
	name = excluded.name, document = excluded.document, updated_at = excluded.updated_at`,
		marketplace, groupUID, collection, id, name, string(document), now)
	return err
}

func (d *db) notifications(ctx context.Context, marketplace, groupUID string) ([]notification, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT collection, entity_id, name, received_at FROM notifications WHERE marketplace = ? AND group_uid = ? ORDER BY id DESC LIMIT ?`,
		marketplace, groupUID, maxListed)
	if err != nil {
		return nil, fmt.Errorf("demo: list notifications: %w", err)
	}
	defer rows.Close()
	var out []notification
	for rows.Next() {
		var n notification
		var at string
		if err := rows.Scan(&n.Collection, &n.EntityID, &n.Name, &at); err != nil {
			return nil, err
		}
		n.ReceivedAt = parseTime(at)
		out = append(out, n)
	}
	return out, rows.Err()
}

// localEntity is the app's copy of a Connec! entity.
type localEntity struct {
	Collection, ID, Name string
	UpdatedAt            time.Time
}

// entities returns the app's copy of a collection of the group, most
// recently updated first.
func (d *db) entities(ctx context.Context, marketplace, groupUID, collection string) ([]localEntity, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT collection, entity_id, name, updated_at FROM entities
WHERE marketplace = ? AND group_uid = ? AND collection = ? ORDER BY updated_at DESC, name LIMIT ?`,
		marketplace, groupUID, collection, maxListed)
	if err != nil {
		return nil, fmt.Errorf("demo: list entities: %w", err)
	}
	defer rows.Close()
	var out []localEntity
	for rows.Next() {
		var e localEntity
		var at string
		if err := rows.Scan(&e.Collection, &e.ID, &e.Name, &at); err != nil {
			return nil, err
		}
		e.UpdatedAt = parseTime(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// groupName returns the group's local name, or its uid when unknown.
func (d *db) groupName(ctx context.Context, marketplace, uid string) string {
	var name string
	if err := d.sql.QueryRowContext(ctx, `SELECT name FROM groups WHERE marketplace = ? AND uid = ?`, marketplace, uid).Scan(&name); err != nil {
		return uid
	}
	return name
}
