package account

import (
	"context"
	"time"
)

// WithRetrySleep replaces the backoff wait (tests).
func WithRetrySleep(f func(context.Context, time.Duration) error) Option { return withRetrySleep(f) }
