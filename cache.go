package maestrano

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// cacheEntry is the file written by [WithCache].
type cacheEntry struct {
	// Version is the file format, 1.
	Version int `json:"version"`
	// URL is the configuration URL the body came from.
	URL string `json:"url"`
	// EnvKey is the environment key the body was fetched with.
	EnvKey string `json:"env_key"`
	// FetchedAt is when the developer platform sent the body.
	FetchedAt time.Time `json:"fetched_at"`
	// Body is the developer platform's answer, {"marketplaces":[...]}.
	Body json.RawMessage `json:"body"`
}

const cacheVersion = 1

// diskCache is one environment's cache file.
type diskCache struct {
	dir    string
	url    string
	envKey string
}

// path is dir/maestrano-config-<hash>.json, the hash of URL and key: one
// file per environment, and nothing secret in the name.
func (c *diskCache) path() string {
	sum := sha256.Sum256([]byte(c.url + "\n" + c.envKey))
	return filepath.Join(c.dir, "maestrano-config-"+hex.EncodeToString(sum[:16])+".json")
}

// read returns the cached entry, nil when there is none.
func (c *diskCache) read() (*cacheEntry, error) {
	f, err := os.Open(c.path())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkCacheTrust(c.dir, fi); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBodySize+64<<10+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxConfigBodySize+64<<10 {
		return nil, fmt.Errorf("cache file %s is too large", c.path())
	}
	var e cacheEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("cache file %s: %v", c.path(), err)
	}
	if e.Version != cacheVersion || e.URL != c.url || e.EnvKey != c.envKey || e.FetchedAt.IsZero() || len(e.Body) == 0 {
		return nil, fmt.Errorf("cache file %s belongs to another environment or format", c.path())
	}
	return &e, nil
}

// write replaces the cache file atomically: a temporary file in the same
// directory, synced, renamed over the old one.
func (c *diskCache) write(body []byte, now time.Time) (err error) {
	data, err := json.Marshal(cacheEntry{Version: cacheVersion, URL: c.url, EnvKey: c.envKey, FetchedAt: now.UTC(), Body: body})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	final := c.path()
	tmp, err := os.CreateTemp(c.dir, filepath.Base(final)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), final)
}
