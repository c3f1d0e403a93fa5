//go:build unix

package sandbox_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

const lockHelperEnv = "SANDBOX_TEST_LOCK_HELPER_DIR"

// TestLockHelperProcess is not a test: run by TestOpenLockedByOtherProcess
// as a child, it holds a sandbox open until its stdin closes.
func TestLockHelperProcess(t *testing.T) {
	dir := os.Getenv(lockHelperEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	sb, err := openDir(t.Context(), dir)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	sb.Close()
	os.Exit(0)
}

// TestOpenLockedByOtherProcess checks the lock across processes.
func TestOpenLockedByOtherProcess(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("helper: %q, %v", line, err)
	}
	sb, err := openDir(t.Context(), dir)
	want := fmt.Sprintf("sandbox: data directory %q is in use by another sandbox (pid %d)", dir, cmd.Process.Pid)
	if err == nil {
		sb.Close()
		t.Error("Open succeeded while another process holds the directory")
	} else if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	_ = stdin.Close()
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	sb, err = openDir(t.Context(), dir)
	if err != nil {
		t.Fatalf("Open after the other process exited: %v", err)
	}
	sb.Close()
}
