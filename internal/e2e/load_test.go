package e2e_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/internal/loadgen"
)

// 50 concurrent clients each log in through the SDK's handlers (IdP sign,
// SP verify, session cookie, middleware) and create Connec! entities, with
// the webhook worker running. Afterwards every write is read back, over the
// API and from the store, and was notified to the subscribed app.
func TestLoadLoginsAndWrites(t *testing.T) {
	const (
		clients = 50
		rounds  = 2 // per client: a login and two writes
		writes  = 2
	)
	w, err := loadgen.Start(t.Context(), filepath.Join(t.TempDir(), "data"), loadgen.Options{Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)

	cs := make([]*loadgen.Client, clients)
	for i := range cs {
		cs[i] = w.NewClient()
	}
	var mu sync.Mutex
	written := map[string]string{} // id -> first_name
	res := loadgen.Run(t.Context(), clients, clients*rounds, func(ctx context.Context, worker, i int) error {
		u := loadgen.Users[i%len(loadgen.Users)]
		if err := cs[worker].Login(ctx, u[0], u[1]); err != nil {
			return fmt.Errorf("login %s/%s: %w", u[0], u[1], err)
		}
		for j := range writes {
			name := fmt.Sprintf("w-%d-%d", i, j)
			id, err := cs[worker].Write(ctx, name)
			if err != nil {
				return fmt.Errorf("write %s: %w", name, err)
			}
			mu.Lock()
			written[id] = name
			mu.Unlock()
		}
		return nil
	})
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if got, want := len(written), clients*rounds*writes; got != want {
		t.Fatalf("%d distinct entities written, want %d", got, want)
	}
	if got := w.Logins(); got != clients*rounds {
		t.Fatalf("%d logins reached the app, want %d", got, clients*rounds)
	}

	// Every write reads back, over the API (concurrently too) and from the store.
	ids := make([]string, 0, len(written))
	for id := range written {
		ids = append(ids, id)
	}
	read := loadgen.Run(t.Context(), clients, len(ids), func(ctx context.Context, worker, i int) error {
		name, err := cs[worker].Read(ctx, ids[i])
		if err != nil {
			return err
		}
		if name != written[ids[i]] {
			return fmt.Errorf("%s reads back as %q, want %q", ids[i], name, written[ids[i]])
		}
		return nil
	})
	if err := read.Err(); err != nil {
		t.Fatal(err)
	}
	counts, err := w.Store.ConnecCollectionCounts(t.Context(), loadgen.Group)
	if err != nil {
		t.Fatal(err)
	}
	if counts[loadgen.Collection] != len(written) {
		t.Fatalf("store holds %d %s, want %d", counts[loadgen.Collection], loadgen.Collection, len(written))
	}
	for id, name := range written {
		e, err := w.Store.ConnecEntity(t.Context(), loadgen.Group, loadgen.Collection, id)
		if err != nil {
			t.Fatalf("store: %s: %v", id, err)
		}
		if string(e.Doc["first_name"]) != fmt.Sprintf("%q", name) {
			t.Fatalf("store: %s has first_name %s, want %q", id, e.Doc["first_name"], name)
		}
	}

	// The subscribed app was told about every write. The deadline only
	// bounds a failure; a pass does not depend on it.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if missing := w.WaitNotified(ctx, ids); len(missing) > 0 {
		ok, bad := w.Notifications()
		t.Fatalf("%d of %d writes never notified (%d notifications, %d refused)", len(missing), len(ids), ok, bad)
	}
	if _, bad := w.Notifications(); bad != 0 {
		t.Fatalf("the receiver refused %d notifications", bad)
	}
}
