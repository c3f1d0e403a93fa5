package maestrano

import "path/filepath"

// WithRetrySleep exposes the backoff hook to the external tests.
var WithRetrySleep = withRetrySleep

// CacheFileName is the cache file name of dp.
func CacheFileName(dp DevPlatform) string {
	u, _ := dp.MarketplacesURL()
	c := &diskCache{url: u, envKey: dp.EnvKey}
	return filepath.Base(c.path())
}
