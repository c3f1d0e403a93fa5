package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
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
