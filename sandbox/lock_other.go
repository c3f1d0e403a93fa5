//go:build !unix

package sandbox

import (
	"os"
	"path/filepath"
	"sync"
)

// Without flock(2), the lock only guards against a second sandbox in the same
// process: a table of the lock files held, by absolute path. Two processes on
// one data directory are not detected on these platforms.
var (
	heldMu sync.Mutex
	held   = map[string]bool{}
)

func tryLock(f *os.File) (release func(), err error) {
	key, err := filepath.Abs(f.Name())
	if err != nil {
		return nil, err
	}
	heldMu.Lock()
	defer heldMu.Unlock()
	if held[key] {
		return nil, errLocked
	}
	held[key] = true
	return func() {
		heldMu.Lock()
		delete(held, key)
		heldMu.Unlock()
	}, nil
}
