package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// Many concurrent writers of one Store all succeed, transactions and
// single-statement writes sharing the write token. (The fault the token
// fixes, SQLITE_BUSY after the busy timeout, showed in the load test of
// internal/e2e under -race, with the webhook worker writing too; this test
// alone does not reach the timeout without the token.)
func TestConcurrentWritersQueue(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	ctx := t.Context()
	if _, err := s.Seed(ctx, seedTime); err != nil {
		t.Fatal(err)
	}
	const writers, each = 64, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				_, _, err := s.WriteConnecEntity(ctx, ConnecWrite{GroupUID: "cld-1", Collection: "people", Create: true,
					OriginAppUID: "app-1", Now: seedTime, Fields: fields(t, fmt.Sprintf(`{"first_name":"w%d-%d"}`, w, i))})
				if err != nil {
					errs <- err
				}
				// Single-statement writes share the token.
				if err := s.SetSSOSession(ctx, "usr-1", NewSSOSession()); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	counts, err := s.ConnecCollectionCounts(ctx, "cld-1")
	if err != nil {
		t.Fatal(err)
	}
	if counts["people"] != writers*each {
		t.Fatalf("%d people, want %d", counts["people"], writers*each)
	}
}

// A writer waiting for the token gives up when its context ends.
func TestWriteWaitHonoursContext(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	unlock, err := s.lockWrites(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.SetSSOSession(ctx, "usr-1", "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("write while the token is held, ctx cancelled: %v", err)
	}
}

// Commits do not checkpoint the WAL themselves (automatic checkpoints are
// off); the background loop copies them into the database file.
func TestBackgroundCheckpoint(t *testing.T) {
	t.Parallel()
	s, path := openTest(t)
	ctx := t.Context()
	var auto int
	if err := s.db.QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("wal_autocheckpoint = %d (%v), want 0", auto, err)
	}
	if _, err := s.Seed(ctx, seedTime); err != nil {
		t.Fatal(err)
	}
	// Wait for the seed to reach the file, then grow the WAL well past it.
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	waitGrown := func(than int64) int64 {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second) // bounds a failure only
		for time.Now().Before(deadline) {
			if n := size(); n > than {
				return n
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("database file still %d bytes: the WAL was not checkpointed", size())
		return 0
	}
	before := waitGrown(0)
	docs := make([]map[string]json.RawMessage, 3000)
	for i := range docs {
		docs[i] = fields(t, fmt.Sprintf(`{"first_name":"P%d","description":"%s"}`, i, strings.Repeat("x", 200)))
	}
	if _, err := s.ImportConnecEntities(ctx, "cld-1", "people", docs, seedTime); err != nil {
		t.Fatal(err)
	}
	waitGrown(before + 500<<10)
}

// A read-only Store refuses writes (it does not wait for a token forever)
// and closes without a checkpoint loop.
func TestReadOnlyStoreWritesAndClose(t *testing.T) {
	t.Parallel()
	s, path := openTest(t)
	if _, err := s.Seed(t.Context(), seedTime); err != nil {
		t.Fatal(err)
	}
	ro, err := OpenReadOnly(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := ro.SetSSOSession(t.Context(), "usr-1", "x"); err == nil {
		t.Fatal("a read-only store accepted a write")
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
}
