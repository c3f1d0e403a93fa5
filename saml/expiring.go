package saml

import (
	"sync"
	"time"
)

// expiringSet is a bounded set of IDs, each with an expiry: the store of
// [MemoryRequestTracker] and [MemoryReplayCache]. When full, expired
// entries are dropped first; if none are expired, a new ID is refused with
// the set's full error (fail closed) rather than forgetting live ones. It
// is safe for concurrent use.
type expiringSet struct {
	mu      sync.Mutex
	now     func() time.Time
	max     int
	full    error
	entries map[string]time.Time
}

// newExpiringSet returns an empty set of at most size IDs (def when size
// is 0 or less); now may be nil (time.Now); full is the error of a full set.
func newExpiringSet(size, def int, now func() time.Time, full error) expiringSet {
	if size <= 0 {
		size = def
	}
	if now == nil {
		now = time.Now
	}
	return expiringSet{now: now, max: size, full: full, entries: make(map[string]time.Time)}
}

// add records id until expiry. With onlyNew, an id that is there and has
// not expired is left as it is, and add reports false.
func (s *expiringSet) add(id string, expiry time.Time, onlyNew bool) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if exp, ok := s.entries[id]; ok && onlyNew && now.Before(exp) {
		return false, nil
	}
	if len(s.entries) >= s.max {
		for k, exp := range s.entries {
			if !now.Before(exp) {
				delete(s.entries, k)
			}
		}
		if len(s.entries) >= s.max {
			return false, s.full
		}
	}
	s.entries[id] = expiry
	return true, nil
}

// take removes id and reports whether it was there and had not expired.
func (s *expiringSet) take(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.entries[id]
	if !ok {
		return false
	}
	delete(s.entries, id)
	return s.now().Before(exp)
}
