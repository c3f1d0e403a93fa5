package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/connec"
	"github.com/maestrano-go/maestrano/internal/loadgen"
	"github.com/maestrano-go/maestrano/sandbox"
	"github.com/maestrano-go/maestrano/sandbox/store"
)

// bulkSizes are the collection sizes read; cld-1 holds the large one and
// cld-2 the small one, so that the memory of both reads can be compared.
var bulkSizes = []struct {
	name  string
	group string
	n     int
}{{"10k", "cld-2", 10_000}, {"100k", "cld-1", 100_000}}

// bulkTop is the page size of every bulk read: the sandbox's maximum.
const bulkTop = sandbox.ConnecMaxTop

// person is a seeded entity: about 430 bytes of JSON in the REST shape.
func person(i int) map[string]json.RawMessage {
	f := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	return map[string]json.RawMessage{
		"first_name": f(fmt.Sprintf("First%06d", i)), "last_name": f("Last"), "title": f("Ms"),
		"job_title": f("Engineer"), "description": f("A seeded person for the bulk read benchmark."),
		"is_customer": f(i%2 == 0), "lead_status": f("open"),
		"email":      f(map[string]string{"address": fmt.Sprintf("p%d@example.com", i)}),
		"phone_work": f(map[string]string{"landline": "+1 555 0100"}),
		"address_work": f(map[string]any{"billing": map[string]string{
			"line1": "1 Main Street", "city": []string{"Paris", "London", "Lyon"}[i%3], "postal_code": "75001", "country": "FR"}}),
	}
}

// bulkWorld is a sandbox seeded with the bulk collections (webhooks
// manual: the import logs no change anyway, and no worker runs).
func bulkWorld(b *testing.B) *loadgen.World {
	b.Helper()
	w, err := loadgen.Start(b.Context(), filepath.Join(b.TempDir(), "data"), loadgen.Options{Webhooks: sandbox.WebhookConfig{Manual: true}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Close)
	for _, s := range bulkSizes {
		docs := make([]map[string]json.RawMessage, s.n)
		for i := range docs {
			docs[i] = person(i)
		}
		if _, err := w.Store.ImportConnecEntities(b.Context(), s.group, loadgen.Collection, docs, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	return w
}

// heapPeak samples the heap in use (live and not yet swept objects) every
// 200 µs until stopped and returns the peak above the level at the start,
// after a GC. The sandbox runs in the same process, so its pages count too.
type heapPeak struct {
	stop chan struct{}
	done chan struct{}
	base uint64
	peak atomic.Uint64
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapPeak() *heapPeak {
	runtime.GC()
	h := &heapPeak{stop: make(chan struct{}), done: make(chan struct{}), base: heapObjects()}
	go func() {
		defer close(h.done)
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			if v := heapObjects(); v > h.peak.Load() {
				h.peak.Store(v)
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapPeak) end() uint64 {
	close(h.stop)
	<-h.done
	if p := h.peak.Load(); p > h.base {
		return p - h.base
	}
	return 0
}

// bulkRead runs read (which returns the entities it saw) b.N times and
// reports entities/s and the largest heap peak.
func bulkRead(b *testing.B, want int, read func(ctx context.Context) (int, error)) {
	b.Helper()
	var peak uint64
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		h := startHeapPeak()
		b.StartTimer()
		t0 := time.Now()
		n, err := read(b.Context())
		total += time.Since(t0)
		b.StopTimer()
		peak = max(peak, h.end())
		b.StartTimer()
		if err != nil {
			b.Fatal(err)
		}
		if n != want {
			b.Fatalf("read %d entities, want %d", n, want)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(want*b.N)/total.Seconds(), "entities/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkConnecBulkRead reads a whole collection over loopback, one op
// per walk, with $top=1000:
//   - client/typed and client/raw: the SDK's iterator, Collection.All, into
//     connec.Person records or raw JSON;
//   - baseline/typed and baseline/raw: a minimal loop of net/http and
//     encoding/json following pagination.next over the same pages, into
//     the same record types;
//   - store: the same entities straight from the sandbox's store, paged the
//     way the sandbox pages them (no HTTP, no JSON encoding of answers).
func BenchmarkConnecBulkRead(b *testing.B) {
	w := bulkWorld(b)
	hc := &http.Client{Transport: w.Transport}
	for _, size := range bulkSizes {
		c, err := connec.New(w.Marketplace, size.group, connec.WithHTTPClient(hc))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(size.name+"/client/typed", func(b *testing.B) {
			bulkRead(b, size.n, func(ctx context.Context) (int, error) {
				n := 0
				for p, err := range c.People().All(ctx, connec.Query{}.Top(bulkTop)) {
					if err != nil {
						return n, err
					}
					if p.ID.Plain == "" {
						return n, fmt.Errorf("entity %d has no id", n)
					}
					n++
				}
				return n, nil
			})
		})
		b.Run(size.name+"/client/raw", func(b *testing.B) {
			bulkRead(b, size.n, func(ctx context.Context) (int, error) {
				n := 0
				for r, err := range c.Collection(loadgen.Collection).All(ctx, connec.Query{}.Top(bulkTop)) {
					if err != nil {
						return n, err
					}
					if len(r) == 0 {
						return n, fmt.Errorf("entity %d is empty", n)
					}
					n++
				}
				return n, nil
			})
		})
		first := w.SandboxURL + sandbox.ConnecBasePath + "/" + size.group + "/" + loadgen.Collection + fmt.Sprintf("?%%24top=%d", bulkTop)
		b.Run(size.name+"/baseline/typed", func(b *testing.B) {
			bulkRead(b, size.n, func(ctx context.Context) (int, error) {
				return baselineWalk(ctx, hc, w, first, func(p *connec.Person) error {
					if p.ID.Plain == "" {
						return fmt.Errorf("entity has no id")
					}
					return nil
				})
			})
		})
		b.Run(size.name+"/baseline/raw", func(b *testing.B) {
			bulkRead(b, size.n, func(ctx context.Context) (int, error) {
				return baselineWalk(ctx, hc, w, first, func(r *json.RawMessage) error {
					if len(*r) == 0 {
						return fmt.Errorf("entity is empty")
					}
					return nil
				})
			})
		})
		b.Run(size.name+"/store", func(b *testing.B) {
			bulkRead(b, size.n, func(ctx context.Context) (int, error) {
				n := 0
				q := store.ConnecQuery{Top: bulkTop}
				for {
					page, err := w.Store.ListConnecEntities(ctx, size.group, loadgen.Collection, q)
					if err != nil {
						return n, err
					}
					n += len(page.Entities)
					if len(page.Entities) < bulkTop {
						return n, nil
					}
					q.Skip += len(page.Entities)
					q.AfterSeq = page.Entities[len(page.Entities)-1].Seq
				}
			})
		})
	}
}

// baselineWalk is the minimal client: GET, decode the page, follow
// pagination.next; the headers are the ones the SDK sends.
func baselineWalk[T any](ctx context.Context, hc *http.Client, w *loadgen.World, next string, check func(*T) error) (int, error) {
	n := 0
	for next != "" {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, next, nil)
		if err != nil {
			return n, err
		}
		req.SetBasicAuth(w.APIID, w.APIKey)
		req.Header.Set("Accept", connec.MediaType)
		req.Header.Set(connec.HeaderExternalIDs, "false")
		req.Header.Set(connec.HeaderCountryFormat, "alpha2")
		resp, err := hc.Do(req)
		if err != nil {
			return n, err
		}
		var page struct {
			People     []T `json:"people"`
			Pagination struct {
				Next string `json:"next"`
			} `json:"pagination"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return n, err
		}
		if resp.StatusCode != http.StatusOK {
			return n, fmt.Errorf("GET %s: status %d", next, resp.StatusCode)
		}
		for i := range page.People {
			if err := check(&page.People[i]); err != nil {
				return n, err
			}
			n++
		}
		next = page.Pagination.Next
	}
	return n, nil
}

// BenchmarkConnecBulkReadPaired reads the 100k collection with the SDK's
// iterator and with the baseline back to back in every op (typed records,
// then raw), so that the ratios compare runs made under the same machine
// load: client/baseline is the SDK's throughput as a fraction of the
// baseline's (1 = as fast).
func BenchmarkConnecBulkReadPaired(b *testing.B) {
	w := bulkWorld(b)
	hc := &http.Client{Transport: w.Transport}
	size := bulkSizes[1]
	c, err := connec.New(w.Marketplace, size.group, connec.WithHTTPClient(hc))
	if err != nil {
		b.Fatal(err)
	}
	first := w.SandboxURL + sandbox.ConnecBasePath + "/" + size.group + "/" + loadgen.Collection + fmt.Sprintf("?%%24top=%d", bulkTop)
	type variant struct {
		name string
		read func(ctx context.Context) (int, error)
	}
	variants := []variant{
		{"client-typed", func(ctx context.Context) (int, error) {
			n := 0
			for _, err := range c.People().All(ctx, connec.Query{}.Top(bulkTop)) {
				if err != nil {
					return n, err
				}
				n++
			}
			return n, nil
		}},
		{"baseline-typed", func(ctx context.Context) (int, error) {
			return baselineWalk(ctx, hc, w, first, func(*connec.Person) error { return nil })
		}},
		{"client-raw", func(ctx context.Context) (int, error) {
			n := 0
			for _, err := range c.Collection(loadgen.Collection).All(ctx, connec.Query{}.Top(bulkTop)) {
				if err != nil {
					return n, err
				}
				n++
			}
			return n, nil
		}},
		{"baseline-raw", func(ctx context.Context) (int, error) {
			return baselineWalk(ctx, hc, w, first, func(*json.RawMessage) error { return nil })
		}},
	}
	spent := make([]time.Duration, len(variants))
	b.ResetTimer()
	for range b.N {
		for i, v := range variants {
			t0 := time.Now()
			n, err := v.read(b.Context())
			spent[i] += time.Since(t0)
			if err != nil || n != size.n {
				b.Fatalf("%s: %d entities, %v", v.name, n, err)
			}
		}
	}
	b.StopTimer()
	for i, v := range variants {
		b.ReportMetric(float64(size.n*b.N)/spent[i].Seconds(), v.name+"-entities/s")
	}
	b.ReportMetric(spent[1].Seconds()/spent[0].Seconds(), "client/baseline-typed")
	b.ReportMetric(spent[3].Seconds()/spent[2].Seconds(), "client/baseline-raw")
}
