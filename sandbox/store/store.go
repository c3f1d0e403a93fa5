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
	"sync"
	"sync/atomic"
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
	// writes admits one write transaction of this Store at a time (a
	// token in a channel of one). SQLite has one writer anyway; without the
	// gate, concurrent writers wait in SQLite's busy handler, which polls
	// with sleeps growing to 100 ms and gives up at the busy timeout: under
	// 50 concurrent Connec! writers some waited past it and failed with
	// SQLITE_BUSY, and the rest had a long latency tail. Here waiters queue
	// in order and honour ctx. Another Store or process on the same file
	// still meets the busy handler.
	writes chan struct{}
	// commits counts committed writes; checkpointLoop checkpoints the WAL
	// when it moved.
	commits   atomic.Int64
	stopCkpt  chan struct{}
	ckptDone  chan struct{}
	closeOnce sync.Once
}

// checkpointEvery is how often the background checkpoint looks for new
// commits. SQLite's automatic checkpoint (every 1000 WAL pages) ran inside
// the commit that crossed the threshold: about one Connec! write in a
// hundred waited for it, which was the whole p99 of a single writer
// (10-12x its p50; 5x without).
const checkpointEvery = 100 * time.Millisecond

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
	// Checkpoints run in the background (checkpointLoop), not in the
	// commit that crosses SQLite's threshold.
	q.Add("_pragma", "wal_autocheckpoint(0)")
	q.Set("_txlock", "immediate")
	if strings.ContainsRune(path, '?') {
		return nil, errors.New("store: database path must not contain '?'")
	}
	dsn := path + "?" + q.Encode()
	db, err := sql.Open(DriverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	s := newStore(db)
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	s.stopCkpt, s.ckptDone = make(chan struct{}), make(chan struct{})
	go s.checkpointLoop()
	return s, nil
}

// newStore wraps db, without the background checkpoint ([Open] starts it).
func newStore(db *sql.DB) *Store {
	return &Store{db: db, writes: make(chan struct{}, 1)}
}

// checkpointLoop copies committed WAL frames into the database file,
// PASSIVE (it waits for no reader or writer), every checkpointEvery when
// there were commits, until Close.
func (s *Store) checkpointLoop() {
	defer close(s.ckptDone)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	seen := s.commits.Load()
	for {
		select {
		case <-s.stopCkpt:
			return
		case <-t.C:
		}
		if n := s.commits.Load(); n != seen {
			seen = n
			_, _ = s.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`) // best effort; the next round retries
		}
	}
}

// Close stops the background checkpoint and closes the database (the
// last connection checkpoints the WAL).
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.stopCkpt != nil {
			close(s.stopCkpt)
			<-s.ckptDone
		}
	})
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

// lockWrites waits for this Store's write token (see [Store.writes]) and
// returns the function that gives it back.
func (s *Store) lockWrites(ctx context.Context) (unlock func(), err error) {
	select {
	case s.writes <- struct{}{}:
		return func() { <-s.writes }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// exec runs one writing statement outside a transaction, holding the write
// token.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	unlock, err := s.lockWrites(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	res, err := s.db.ExecContext(ctx, query, args...)
	if err == nil {
		s.commits.Add(1)
	}
	return res, err
}

// inTx runs fn in a write transaction, committing if it returns nil, while
// holding the write token.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	unlock, err := s.lockWrites(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.commits.Add(1)
	return nil
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
