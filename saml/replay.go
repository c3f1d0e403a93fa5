package saml

import (
	"context"
	"sync"
	"time"
)

// ReplayCache remembers consumed assertion IDs until they expire, so that a
// captured response cannot be posted twice. Implementations must be safe for
// concurrent use; apps that run several instances share one (a database or
// cache) behind this interface.
type ReplayCache interface {
	// Consume records id as used until expiry. It returns false if id was
	// already recorded and has not expired.
	Consume(ctx context.Context, id string, expiry time.Time) (bool, error)
}

// DefaultReplayCacheSize bounds a [MemoryReplayCache] made by
// [NewMemoryReplayCache] with size 0.
const DefaultReplayCacheSize = 100_000

// MemoryReplayCache is an in-process [ReplayCache] with a size bound. When
// full, expired entries are dropped first; if none are expired, new IDs are
// refused (fail closed) rather than forgetting live ones.
type MemoryReplayCache struct {
	mu      sync.Mutex
	now     func() time.Time
	max     int
	entries map[string]time.Time
}

// NewMemoryReplayCache returns an empty cache holding at most size IDs
// (0 means DefaultReplayCacheSize). now may be nil (time.Now).
func NewMemoryReplayCache(size int, now func() time.Time) *MemoryReplayCache {
	if size <= 0 {
		size = DefaultReplayCacheSize
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryReplayCache{now: now, max: size, entries: make(map[string]time.Time)}
}

// Consume implements [ReplayCache].
func (c *MemoryReplayCache) Consume(_ context.Context, id string, expiry time.Time) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if exp, ok := c.entries[id]; ok && now.Before(exp) {
		return false, nil
	}
	if len(c.entries) >= c.max {
		for k, exp := range c.entries {
			if !now.Before(exp) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max {
			return false, errReplayCacheFull
		}
	}
	c.entries[id] = expiry
	return true, nil
}

type replayCacheFullError struct{}

// Error says the cache is full.
func (replayCacheFullError) Error() string { return "saml: replay cache is full" }

var errReplayCacheFull error = replayCacheFullError{}
