package maestrano_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano"
)

// TestCacheRefusesFilesOthersCanWrite: the cache holds the IdP certificate
// the SSO verifier trusts, so a cache file (or directory) that another user
// can write could swap in a certificate of theirs. Such a copy is not used,
// not even as the stale copy when the developer platform is down.
func TestCacheRefusesFilesOthersCanWrite(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix permissions")
	}
	t.Parallel()
	for name, loosen := range map[string]func(dir, file string) error{
		"world-writable file": func(dir, file string) error { return os.Chmod(file, 0o666) },
		"group-writable file": func(dir, file string) error { return os.Chmod(file, 0o620) },
		"world-writable dir":  func(dir, file string) error { return os.Chmod(dir, 0o777) },
	} {
		d := newDevPlatform(t, goodBody(t, "app-1"))
		dir := filepath.Join(t.TempDir(), "cache")
		if _, err := maestrano.AutoConfigure(t.Context(), d.dp(), maestrano.WithCache(dir)); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, maestrano.CacheFileName(d.dp()))
		if err := loosen(dir, file); err != nil {
			t.Fatal(err)
		}
		d.set(jsonAnswer(http.StatusServiceUnavailable, `{"error":"down"}`))
		var logs bytes.Buffer
		_, err := maestrano.AutoConfigure(t.Context(), d.dp(), maestrano.WithCache(dir),
			maestrano.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		if err == nil {
			t.Errorf("%s: the copy was used", name)
		}
		if !strings.Contains(logs.String(), "writable") {
			t.Errorf("%s: no warning naming the permissions: %s", name, logs.String())
		}
	}
}

// TestCacheConcurrentWriters: many app instances (here goroutines) sharing a
// cache directory fetch and write at once; every reader sees a whole file,
// no temporary file is left behind, and the final copy is valid.
func TestCacheConcurrentWriters(t *testing.T) {
	t.Parallel()
	d := newDevPlatform(t, goodBody(t, "app-1", "app-2"))
	dir := t.TempDir()
	clock := &fakeClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			// A TTL of 1ns makes every call fetch and write.
			opts := []maestrano.Option{maestrano.WithCache(dir), maestrano.WithCacheTTL(time.Nanosecond), maestrano.WithClock(clock.Now)}
			if i%2 == 0 {
				opts = opts[:1] // fresh copies answer from the file
			}
			reg, err := maestrano.AutoConfigure(t.Context(), d.dp(), opts...)
			if err == nil && len(reg.Names()) != 2 {
				t.Errorf("registry %v", reg.Names())
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	files := cacheFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("files %v, want the one cache file", files)
	}
	data, err := os.ReadFile(filepath.Join(dir, files[0]))
	if err != nil || !json.Valid(data) {
		t.Fatalf("cache file not valid JSON: %v", err)
	}
}
