//go:build unix

package maestrano

import (
	"fmt"
	"os"
	"syscall"
)

// checkCacheTrust refuses a cache file that someone else could have written:
// the file holds the IdP certificate the SSO verifier trusts. The file must
// belong to this process's user and be writable by no one else, and its
// directory must not let others replace it (writable by others without the
// sticky bit).
func checkCacheTrust(dir string, fi os.FileInfo) error {
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("cache file %s is writable by other users (mode %v); not used", fi.Name(), fi.Mode().Perm())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("cache file %s belongs to user %d, not to this process; not used", fi.Name(), st.Uid)
	}
	di, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if di.Mode().Perm()&0o022 != 0 && di.Mode()&os.ModeSticky == 0 {
		return fmt.Errorf("cache directory %s is writable by other users (mode %v); not used", dir, di.Mode().Perm())
	}
	return nil
}
