package saml

import (
	"context"
	"time"
)

// RequestTracker remembers the IDs of AuthnRequests this service provider
// sent, until they are answered or expire, so that a response's
// InResponseTo can be checked without the app keeping the ID itself.
// Implementations must be safe for concurrent use; apps that run several
// instances share one (a database or cache) behind this interface.
//
// Keeping the ID in the user's session (and passing it to
// [ServiceProvider.ParseResponse]) is stronger: it also binds the response
// to the browser that started the login. A tracker only proves that this
// service provider asked.
type RequestTracker interface {
	// Track records id as outstanding until expiry.
	Track(ctx context.Context, id string, expiry time.Time) error
	// Redeem removes id and reports whether it was outstanding and had
	// not expired.
	Redeem(ctx context.Context, id string) (bool, error)
}

// DefaultRequestLifetime is how long a tracked AuthnRequest stays
// outstanding: a user who takes longer to log in starts again.
const DefaultRequestLifetime = 10 * time.Minute

// DefaultRequestTrackerSize bounds a [MemoryRequestTracker] made by
// [NewMemoryRequestTracker] with size 0.
const DefaultRequestTrackerSize = 100_000

// MemoryRequestTracker is an in-process [RequestTracker] with a size bound.
// When full, expired entries are dropped first; if none are expired, new
// requests are refused (fail closed) rather than forgetting live ones.
type MemoryRequestTracker struct {
	set expiringSet
}

// NewMemoryRequestTracker returns an empty tracker holding at most size
// IDs (0 means DefaultRequestTrackerSize). now may be nil (time.Now).
func NewMemoryRequestTracker(size int, now func() time.Time) *MemoryRequestTracker {
	return &MemoryRequestTracker{set: newExpiringSet(size, DefaultRequestTrackerSize, now, errTrackerFull)}
}

// Track implements [RequestTracker].
func (t *MemoryRequestTracker) Track(_ context.Context, id string, expiry time.Time) error {
	_, err := t.set.add(id, expiry, false)
	return err
}

// Redeem implements [RequestTracker].
func (t *MemoryRequestTracker) Redeem(_ context.Context, id string) (bool, error) {
	return t.set.take(id), nil
}

type trackerFullError struct{}

// Error says the tracker is full.
func (trackerFullError) Error() string { return "saml: request tracker is full" }

var errTrackerFull error = trackerFullError{}
