package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// lockFile is the name, inside [Config.DataDir], of the file a running
// sandbox holds locked; it contains the pid of its holder.
const lockFile = "lock"

// errLocked is returned by tryLock when another holder has the lock.
var errLocked = errors.New("locked")

// dirLock is the exclusive hold of one sandbox on its data directory.
type dirLock struct {
	f       *os.File
	release func() // undoes the platform lock; called once, before f is closed
}

// lockDataDir takes the exclusive lock of dir, so that two sandboxes never
// share (and corrupt) one state: the database, the key pair, the app hosts.
// The lock is advisory and dies with the process, so a crashed sandbox leaves
// no stale lock behind; the pid written into the file is only there for the
// error message.
func lockDataDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sandbox: open lock file: %w", err)
	}
	release, err := tryLock(f)
	if errors.Is(err, errLocked) {
		holder := readPID(f)
		_ = f.Close()
		return nil, fmt.Errorf("sandbox: data directory %q is in use by another sandbox (%s)", dir, holder)
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("sandbox: lock data directory %q: %w", dir, err)
	}
	l := &dirLock{f: f, release: release}
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt(pid, 0)
	}
	if err != nil {
		l.unlock()
		return nil, fmt.Errorf("sandbox: write lock file: %w", err)
	}
	return l, nil
}

// readPID describes the holder recorded in the lock file.
func readPID(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	if pid, err := strconv.Atoi(string(bytes.TrimSpace(buf[:n]))); err == nil && pid > 0 {
		return "pid " + strconv.Itoa(pid)
	}
	return "pid unknown"
}

// unlock releases the lock; it is safe to call more than once. The pid is
// left in the file: the next holder overwrites it, and a reader only trusts
// it while the file is locked.
func (l *dirLock) unlock() {
	if l == nil || l.f == nil {
		return
	}
	l.release()
	_ = l.f.Close()
	l.f = nil
}
