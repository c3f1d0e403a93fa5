package connec

import (
	"context"
	"time"

	"github.com/maestrano-go/maestrano/internal/transport"
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

// DecodeTypedPage runs the page decoder of List and All on body and counts
// the records that decoded and those that did not.
func DecodeTypedPage[T any](body []byte, name string) (good, bad int, err error) {
	p, errs, err := decodePage[T](&transport.Response{Body: body, URL: "http://x/"}, name)
	if err != nil {
		return 0, 0, err
	}
	return len(p.Items), len(errs), nil
}
