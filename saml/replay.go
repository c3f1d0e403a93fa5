package saml

import (
	"context"
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
	set expiringSet
}

// NewMemoryReplayCache returns an empty cache holding at most size IDs
// (0 means DefaultReplayCacheSize). now may be nil (time.Now).
func NewMemoryReplayCache(size int, now func() time.Time) *MemoryReplayCache {
	return &MemoryReplayCache{set: newExpiringSet(size, DefaultReplayCacheSize, now, errReplayCacheFull)}
}

// Consume implements [ReplayCache].
func (c *MemoryReplayCache) Consume(_ context.Context, id string, expiry time.Time) (bool, error) {
	return c.set.add(id, expiry, true)
}

type replayCacheFullError struct{}

// Error says the cache is full.
func (replayCacheFullError) Error() string { return "saml: replay cache is full" }

var errReplayCacheFull error = replayCacheFullError{}
