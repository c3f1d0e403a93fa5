//go:build unix

package sandbox

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes a non-blocking exclusive flock(2) on f. flock locks belong to
// the open file description, so a second Open in the same process conflicts
// too, not only one in another process.
func tryLock(f *os.File) (release func(), err error) {
	fd := int(f.Fd())
	for {
		err = syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EAGAIN) {
		return nil, errLocked
	}
	if err != nil {
		return nil, err
	}
	return func() { _ = syscall.Flock(fd, syscall.LOCK_UN) }, nil
}
