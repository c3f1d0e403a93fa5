package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/internal/loadgen"
)

// clientCounts are the concurrency levels of the sandbox benchmarks.
var clientCounts = []int{1, 10, 50}

// report adds the run's rate, p50, p99, their ratio and the error count to
// the benchmark's output, and fails it on any error.
func report(b *testing.B, res loadgen.Result, unit string) {
	b.Helper()
	p50, p99 := res.Percentile(0.50), res.Percentile(0.99)
	b.ReportMetric(res.PerSecond(), unit+"/s")
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	if p50 > 0 {
		b.ReportMetric(float64(p99)/float64(p50), "p99/p50")
	}
	b.ReportMetric(float64(res.ErrCount), "errors")
	if err := res.Err(); err != nil {
		b.Fatal(err)
	}
}

func startWorld(b *testing.B) *loadgen.World {
	b.Helper()
	w, err := loadgen.Start(b.Context(), filepath.Join(b.TempDir(), "data"), loadgen.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Close)
	return w
}

// BenchmarkSandboxLogin: one op is one SSO login over loopback HTTP, as a
// browser does it: the app's init path (the SDK's AuthnRequest), the IdP
// (user and group chosen, assertion signed with RSA-2048/SHA-256), the
// app's consume path (the SDK verifies the response and sets the session
// cookie) and the app's home page behind the SDK's middleware. b.N logins
// are shared by the clients; run with -benchtime Nx for a bounded count.
func BenchmarkSandboxLogin(b *testing.B) {
	w := startWorld(b)
	for _, n := range clientCounts {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			cs := make([]*loadgen.Client, n)
			for i := range cs {
				cs[i] = w.NewClient()
			}
			b.ResetTimer()
			res := loadgen.Run(b.Context(), n, b.N, func(ctx context.Context, worker, i int) error {
				u := loadgen.Users[i%len(loadgen.Users)]
				return cs[worker].Login(ctx, u[0], u[1])
			})
			b.StopTimer()
			report(b, res, "logins")
		})
	}
}

// BenchmarkSandboxConnecWrite: one op is one Connec! create (POST, 201)
// over loopback HTTP, with the webhook worker running and a second app
// subscribed to the collection, so that every write is logged in the
// outbox, fanned out and delivered to a loopback receiver. After the timed
// part, every write must have been notified.
func BenchmarkSandboxConnecWrite(b *testing.B) {
	w := startWorld(b)
	for _, n := range clientCounts {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			cs := make([]*loadgen.Client, n)
			for i := range cs {
				cs[i] = w.NewClient()
			}
			var mu sync.Mutex
			ids := make([]string, 0, b.N)
			b.ResetTimer()
			res := loadgen.Run(b.Context(), n, b.N, func(ctx context.Context, worker, i int) error {
				id, err := cs[worker].Write(ctx, fmt.Sprintf("bench-%d-%d", n, i))
				if err == nil {
					mu.Lock()
					ids = append(ids, id)
					mu.Unlock()
				}
				return err
			})
			b.StopTimer()
			report(b, res, "writes")
			ctx, cancel := context.WithTimeout(b.Context(), 2*time.Minute)
			defer cancel()
			if missing := w.WaitNotified(ctx, ids); len(missing) > 0 {
				b.Fatalf("%d of %d writes not notified", len(missing), len(ids))
			}
		})
	}
}

// BenchmarkLoopbackFloor is the noise floor of the two benchmarks above:
// one GET over the same kind of loopback connection to a handler that does
// nothing. Its p99/p50 is what the machine (scheduling, other processes)
// adds to any request's tail.
func BenchmarkLoopbackFloor(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	b.Cleanup(srv.Close)
	tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	for _, n := range clientCounts {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			res := loadgen.Run(b.Context(), n, b.N, func(ctx context.Context, worker, i int) error {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
				resp, err := client.Do(req)
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusNoContent {
					return fmt.Errorf("status %d", resp.StatusCode)
				}
				return nil
			})
			report(b, res, "requests")
		})
	}
}
