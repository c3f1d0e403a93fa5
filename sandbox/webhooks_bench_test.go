package sandbox_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/sandbox"
	"github.com/maestrano-go/maestrano/sandbox/store"
)

// BenchmarkWebhookDelivery measures rounds of the outbox: 100 Connec!
// changes of one group logged, fanned out to the subscribed app, coalesced
// into one notification and delivered to a real loopback receiver, and one
// account webhook. It reports changes/s and deliveries/s.
func BenchmarkWebhookDelivery(b *testing.B) {
	var got atomic.Int64
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got.Add(1)
	}))
	defer rc.Close()
	c := &clock{t: testNow}
	dir := b.TempDir()
	sb, err := sandbox.Open(b.Context(), sandbox.Config{DataDir: dir, BaseURL: "http://127.0.0.1:1", Now: c.Now,
		Webhooks: sandbox.WebhookConfig{Manual: true}})
	if err != nil {
		b.Fatal(err)
	}
	defer sb.Close()
	if err := sb.SetAppHost(b.Context(), "app-1", rc.URL); err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(b.Context(), filepath.Join(dir, "sandbox.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.SetAppSubscriptions(b.Context(), "app-1", []string{"organizations"}); err != nil {
		b.Fatal(err)
	}
	deliveries := 0
	b.ResetTimer()
	for i := range b.N {
		changes := make([]store.ConnecChange, 0, 100)
		for j := range 100 {
			changes = append(changes, store.ConnecChange{GroupUID: "cld-1", Collection: "organizations", OriginAppUID: "app-9",
				Entity: fmt.Appendf(nil, `{"id":"o-%d-%d","name":"Org %d"}`, i, j, j), At: c.Now()})
		}
		if err := st.RecordConnecChanges(b.Context(), changes...); err != nil {
			b.Fatal(err)
		}
		// Member usr-1 of cld-2 is removed once; later rounds re-add it.
		if _, err := sb.RemoveMember(b.Context(), "cld-2", "usr-1"); err != nil {
			b.Fatal(err)
		}
		c.Advance(time.Second)
		n, err := sb.DeliverPending(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		deliveries += n
		b.StopTimer()
		if err := readdMember(b, dir); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	if int(got.Load()) != deliveries || deliveries != 2*b.N {
		b.Fatalf("%d attempts, %d received, want %d", deliveries, got.Load(), 2*b.N)
	}
	b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "changes/s")
	b.ReportMetric(float64(deliveries)/b.Elapsed().Seconds(), "deliveries/s")
}
