package connec

import (
	"context"
	"time"
)

// WithNoRetrySleep makes retries immediate.
func WithNoRetrySleep() Option {
	return clientOption(func(cf *clientConfig) error {
		cf.sleep = func(context.Context, time.Duration) error { return nil }
		return nil
	})
}

// WithRetrySleep replaces the backoff wait.
func WithRetrySleep(f func(context.Context, time.Duration) error) Option {
	return clientOption(func(cf *clientConfig) error { cf.sleep = f; return nil })
}

// SetPageHook lets a test see every decoded page.
func (c *Client) SetPageHook(f func(any)) { c.pageLoaded = f }
