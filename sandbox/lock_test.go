package sandbox_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maestrano-go/maestrano/sandbox"
)

func openDir(ctx context.Context, dir string) (*sandbox.Sandbox, error) {
	return sandbox.Open(ctx, sandbox.Config{DataDir: dir, BaseURL: "http://127.0.0.1:7000"})
}

// TestOpenLocksDataDir checks that a data directory serves one sandbox at a
// time: a second Open fails, naming the directory and the holder's pid, and
// works again once the first is closed.
func TestOpenLocksDataDir(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "data")
	first, err := openDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.SetAppHost(ctx, sandbox.DemoAppUID, "http://127.0.0.1:9001"); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("sandbox: data directory %q is in use by another sandbox (pid %d)", dir, os.Getpid())
	for _, d := range []string{dir, dir + string(filepath.Separator), filepath.Join(dir, ".")} {
		second, err := openDir(ctx, d)
		if err == nil {
			second.Close()
			t.Fatalf("second Open(%q) succeeded", d)
		}
		if d == dir && err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		} else if !strings.Contains(err.Error(), "is in use by another sandbox") {
			t.Errorf("Open(%q): error %q", d, err)
		}
	}
	// The refused Open changed nothing: the first keeps its state.
	if got := first.DevPlatform(); got.Host != "http://127.0.0.1:7000" {
		t.Errorf("host %q", got.Host)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	again, err := openDir(ctx, dir)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestOpenFailureReleasesLock checks that an Open that fails after taking
// the lock releases it.
func TestOpenFailureReleasesLock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "idp.key"), []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		sb, err := openDir(t.Context(), dir)
		if err == nil {
			sb.Close()
			t.Fatal("Open with a corrupt key succeeded")
		}
		if strings.Contains(err.Error(), "in use") {
			t.Fatalf("attempt %d: lock left behind: %v", i, err)
		}
	}
}
