// Package store keeps the state of the local Maestrano platform sandbox in
// SQLite, through the cgo-free modernc.org/sqlite driver.
//
// The schema is versioned with PRAGMA user_version and migrated forward by
// [Open]. The database runs in WAL mode with a busy timeout so that the HTTP
// handlers of the sandbox can read while a write is in progress. Every query
// takes a context.
//
// [Store.Seed] fills an empty database with the demo marketplace, app, groups
// and users; it is idempotent.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DriverName is the database/sql driver name registered by modernc.org/sqlite.
const DriverName = "sqlite"

// DefaultBusyTimeout is how long a connection waits for a lock held by
// another connection before a query fails with SQLITE_BUSY.
const DefaultBusyTimeout = 5 * time.Second

// SchemaVersion is the PRAGMA user_version of a fully migrated database.
// It equals the number of entries in the migration list.
const SchemaVersion = 5

// ErrNotFound is returned when the requested row does not exist.
var ErrNotFound = errors.New("store: not found")

// timeLayout is how timestamps are stored (UTC, second precision).
const timeLayout = time.RFC3339

// Store is the sandbox state held in one SQLite database. It is safe for
// concurrent use.
type Store struct {
	db *sql.DB
}

// Open opens (creating it if needed) the SQLite database at path and
// migrates its schema to [SchemaVersion].
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("store: empty database path")
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", DefaultBusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	if strings.ContainsRune(path, '?') {
		return nil, errors.New("store: database path must not contain '?'")
	}
	dsn := path + "?" + q.Encode()
	db, err := sql.Open(DriverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	s := &Store{db: db}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	return s.db.Close()
}

// migrate applies the migrations newer than the database's user_version, each
// in its own transaction.
func (s *Store) migrate(ctx context.Context) error {
	var version int
	if err := s.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	if len(migrations) != SchemaVersion {
		return fmt.Errorf("store: internal error: %d migrations for schema version %d", len(migrations), SchemaVersion)
	}
	if version > SchemaVersion {
		return fmt.Errorf("store: database schema version %d is newer than this program (%d)", version, SchemaVersion)
	}
	for v := version; v < len(migrations); v++ {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return err
			}
			// PRAGMA does not take bound parameters; v+1 is an int we control.
			_, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, v+1))
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migrate to schema version %d: %w", v+1, err)
		}
	}
	return nil
}

// inTx runs fn in a transaction, committing if it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// randomString returns n characters drawn uniformly from alphabet
// (at most 256 characters) using crypto/rand.
func randomString(n int, alphabet string) string {
	out := make([]byte, 0, n)
	limit := 256 - 256%len(alphabet)
	buf := make([]byte, n+n/2+8)
	for len(out) < n {
		_, _ = rand.Read(buf) // crypto/rand.Read never fails (Go 1.24+)
		for _, b := range buf {
			if int(b) < limit {
				out = append(out, alphabet[int(b)%len(alphabet)])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}

const lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"

// NewSSOSession returns a fresh random SSO session token: 36 characters from
// [a-z0-9], the shape the original platform used.
func NewSSOSession() string { return randomString(36, lowerAlnum) }

// newAPIKey returns a random 48-character [a-z0-9] app API key.
func newAPIKey() string { return randomString(48, lowerAlnum) }

// newEnvKey returns a random UUID-like (version 4) environment key.
func newEnvKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newEnvSecret returns a random 43-character URL-safe environment secret.
func newEnvSecret() string {
	return randomString(43, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
}

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: bad timestamp %q: %w", s, err)
	}
	return t.UTC(), nil
}
