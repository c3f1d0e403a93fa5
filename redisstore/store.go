package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultKeyPrefix is put before every id unless [WithKeyPrefix] says
// otherwise.
const DefaultKeyPrefix = "maestrano:once:"

// MaxIDLength bounds an id (in bytes); a longer one is refused.
const MaxIDLength = 1024

// MinTTL is the shortest time an id is kept, even when its expiry is
// already (or almost) past: a duplicate arriving at once is still caught.
const MinTTL = time.Second

// Store records ids once, in Redis. It is safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	now    func() time.Time
}

// Option configures a [Store].
type Option func(*Store) error

// WithKeyPrefix sets the key prefix (default DefaultKeyPrefix). Give each
// use its own (e.g. "myapp:saml:" and "myapp:webhooks:") when they share
// a Redis database.
func WithKeyPrefix(p string) Option {
	return func(s *Store) error {
		if strings.ContainsAny(p, "\r\n") || len(p) > 256 {
			return errors.New("redisstore: WithKeyPrefix: prefix must be one line of at most 256 bytes")
		}
		s.prefix = p
		return nil
	}
}

// WithClock sets the clock that turns an expiry into a time-to-live
// (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(s *Store) error {
		if now == nil {
			return errors.New("redisstore: WithClock: nil clock")
		}
		s.now = now
		return nil
	}
}

// New returns a store on rdb (a *redis.Client, *redis.ClusterClient or
// *redis.Ring). The store does not close rdb.
func New(rdb redis.UniversalClient, opts ...Option) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("redisstore: nil Redis client")
	}
	s := &Store{rdb: rdb, prefix: DefaultKeyPrefix, now: time.Now}
	for _, opt := range opts {
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Error reports a failed Redis call.
type Error struct {
	// Op is the operation, e.g. "consume".
	Op string
	// Err is the Redis client's error.
	Err error
}

// Error describes the failure.
func (e *Error) Error() string { return "redisstore: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the Redis client's error.
func (e *Error) Unwrap() error { return e.Err }

// Key returns the Redis key that records id.
func (s *Store) Key(id string) string { return s.prefix + id }

// Consume records id as used until expiry and reports whether it was new:
// true the first time, false while an earlier record lives. The record
// lives at least MinTTL. On a Redis error it returns false (fail closed).
func (s *Store) Consume(ctx context.Context, id string, expiry time.Time) (bool, error) {
	if id == "" {
		return false, errors.New("redisstore: empty id")
	}
	if len(id) > MaxIDLength {
		return false, fmt.Errorf("redisstore: id of %d bytes is longer than %d", len(id), MaxIDLength)
	}
	ttl := expiry.Sub(s.now())
	// Round up to whole milliseconds (PX), never below MinTTL.
	ttl = max((ttl + time.Millisecond - 1).Truncate(time.Millisecond), MinTTL)
	ok, err := s.rdb.SetNX(ctx, s.Key(id), 1, ttl).Result()
	if err != nil {
		return false, &Error{Op: "consume", Err: err}
	}
	return ok, nil
}
