package redisstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/redisstore"
	"github.com/maestrano-go/maestrano/saml"
	"github.com/redis/go-redis/v9"
)

// The store has the shape of the SAML replay cache.
var _ saml.ReplayCache = (*redisstore.Store)(nil)

// startRedis starts a private redis-server on a free loopback port, with
// no persistence, in a temporary directory, and stops it when the test
// ends. Without the binary the test is skipped, unless CI is set.
func startRedis(t *testing.T) *redis.Client {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server is not installed (CI is set, so this is an error): %v", err)
		}
		t.Skip("SKIP: redis-server is not installed (Debian: apt-get install redis-server); the Redis store is untested")
	}
	dir := t.TempDir()
	for attempt := 0; ; attempt++ {
		port := freePort(t)
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", dir, "--daemonize", "no", "--loglevel", "warning", "--logfile", "")
		cmd.Dir = dir
		stderr, _ := cmd.StderrPipe()
		cmd.Stdout = cmd.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting redis-server: %v", err)
		}
		exited := make(chan error, 1)
		var out strings.Builder
		var outMu sync.Mutex
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				outMu.Lock()
				out.WriteString(sc.Text() + "\n")
				outMu.Unlock()
			}
			exited <- cmd.Wait()
		}()
		rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), MaxRetries: -1})
		ready, gone := waitReady(t, rdb, exited)
		if ready {
			t.Cleanup(func() {
				rdb.Close()
				cmd.Process.Kill()
				<-exited
			})
			return rdb
		}
		rdb.Close()
		if !gone {
			cmd.Process.Kill()
			<-exited
		}
		outMu.Lock()
		msg := out.String()
		outMu.Unlock()
		// Another process may have taken the port in between: try another.
		if attempt < 3 && strings.Contains(msg, "Address already in use") {
			continue
		}
		t.Fatalf("redis-server did not start:\n%s", msg)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitReady pings until the server answers, it exits, or 20 s pass.
func waitReady(t *testing.T, rdb *redis.Client, exited chan error) (ready, gone bool) {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			exited <- err
			return false, true
		default:
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return true, false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false, false
}

func TestConsume(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	ctx := t.Context()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s, err := redisstore.New(rdb, redisstore.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	ok, err := s.Consume(ctx, "_assertion-1", now.Add(5*time.Minute))
	if err != nil || !ok {
		t.Fatalf("first Consume = %v, %v; want true", ok, err)
	}
	ok, err = s.Consume(ctx, "_assertion-1", now.Add(5*time.Minute))
	if err != nil || ok {
		t.Fatalf("second Consume = %v, %v; want false", ok, err)
	}
	if ok, _ := s.Consume(ctx, "_assertion-2", now.Add(5*time.Minute)); !ok {
		t.Fatal("another id was refused")
	}
	// The key has the prefix and the time-to-live of the expiry.
	ttl, err := rdb.PTTL(ctx, redisstore.DefaultKeyPrefix+"_assertion-1").Result()
	if err != nil || ttl <= 4*time.Minute || ttl > 5*time.Minute {
		t.Fatalf("PTTL = %v, %v; want just under 5m", ttl, err)
	}
	// An expiry in the past still keeps the id for MinTTL.
	if ok, _ := s.Consume(ctx, "late", now.Add(-time.Hour)); !ok {
		t.Fatal("late id refused")
	}
	if ok, _ := s.Consume(ctx, "late", now.Add(-time.Hour)); ok {
		t.Fatal("late id accepted twice")
	}
	if ttl, _ := rdb.PTTL(ctx, redisstore.DefaultKeyPrefix+"late").Result(); ttl <= 0 || ttl > redisstore.MinTTL {
		t.Fatalf("PTTL of a past expiry = %v, want (0, MinTTL]", ttl)
	}
	// Ids are bounded and non-empty.
	if _, err := s.Consume(ctx, "", now.Add(time.Minute)); err == nil {
		t.Error("empty id accepted")
	}
	if _, err := s.Consume(ctx, strings.Repeat("x", redisstore.MaxIDLength+1), now.Add(time.Minute)); err == nil {
		t.Error("oversized id accepted")
	}
}

// TestExpiry lets Redis expire a record for real: once it is gone the id
// is new again.
func TestExpiry(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	ctx := t.Context()
	s, err := redisstore.New(rdb)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Consume(ctx, "short", time.Now()); !ok {
		t.Fatal("first Consume refused")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		n, err := rdb.Exists(ctx, s.Key("short")).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the record never expired")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if ok, err := s.Consume(ctx, "short", time.Now().Add(time.Minute)); err != nil || !ok {
		t.Fatalf("Consume after expiry = %v, %v; want true", ok, err)
	}
}

func TestConcurrentConsume(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	// Two stores on two connections pools play two app instances.
	other := redis.NewClient(&redis.Options{Addr: rdb.Options().Addr})
	defer other.Close()
	stores := make([]*redisstore.Store, 2)
	for i, c := range []*redis.Client{rdb, other} {
		s, err := redisstore.New(c, redisstore.WithKeyPrefix("test:concurrent:"))
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = s
	}
	const goroutines = 64
	for round := range 5 {
		id := fmt.Sprintf("delivery-%d", round)
		var wins, errs atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := range goroutines {
			wg.Go(func() {
				<-start
				ok, err := stores[g%2].Consume(t.Context(), id, time.Now().Add(time.Minute))
				if err != nil {
					errs.Add(1)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 || errs.Load() != 0 {
			t.Fatalf("round %d: %d goroutines got true, %d errors; want exactly one true", round, wins.Load(), errs.Load())
		}
	}
}

func TestKeyPrefix(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	ctx := t.Context()
	a, _ := redisstore.New(rdb, redisstore.WithKeyPrefix("app:saml:"))
	b, _ := redisstore.New(rdb, redisstore.WithKeyPrefix("app:hooks:"))
	exp := time.Now().Add(time.Minute)
	if ok, _ := a.Consume(ctx, "id-1", exp); !ok {
		t.Fatal("a refused id-1")
	}
	if ok, _ := b.Consume(ctx, "id-1", exp); !ok {
		t.Fatal("b refused id-1 that only a has seen")
	}
	keys, err := rdb.Keys(ctx, "app:*").Result()
	if err != nil || len(keys) != 2 || a.Key("id-1") != "app:saml:id-1" {
		t.Fatalf("keys = %v, %v", keys, err)
	}
	for _, bad := range []string{"a\nb", strings.Repeat("p", 300)} {
		if _, err := redisstore.New(rdb, redisstore.WithKeyPrefix(bad)); err == nil {
			t.Errorf("prefix %q accepted", bad)
		}
	}
	if _, err := redisstore.New(nil); err == nil {
		t.Error("nil client accepted")
	}
	if _, err := redisstore.New(rdb, redisstore.WithClock(nil)); err == nil {
		t.Error("nil clock accepted")
	}
}

// TestRedisDown: an unreachable Redis is an error and a refusal.
func TestRedisDown(t *testing.T) {
	t.Parallel()
	port := freePort(t) // nobody listens there now
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	s, err := redisstore.New(rdb)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := s.Consume(t.Context(), "id", time.Now().Add(time.Minute))
	var se *redisstore.Error
	if ok || !errors.As(err, &se) || se.Op != "consume" {
		t.Fatalf("Consume = %v, %v; want false and a *redisstore.Error", ok, err)
	}
}
