// Package retry runs an HTTP exchange again after transient failures, with
// capped exponential backoff and jitter, waiting in a way that honours ctx.
// It exists only to support the SDK packages.
package retry

import (
	"context"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Defaults: DefaultMaxRetries is what callers usually set; the delays apply
// when a Policy leaves them zero.
const (
	DefaultMaxRetries = 2
	DefaultBaseDelay  = 500 * time.Millisecond
	DefaultMaxDelay   = 5 * time.Second
)

// Policy says how often and how long to wait. The zero value makes one
// attempt and no retry.
type Policy struct {
	// MaxRetries is the number of retries after the first attempt; 0 (or
	// less) means none.
	MaxRetries int
	// BaseDelay is the wait before the first retry, doubled for each later
	// one (with 75–100 % jitter); <= 0 means DefaultBaseDelay.
	BaseDelay time.Duration
	// MaxDelay caps every wait; <= 0 means DefaultMaxDelay. An answer whose
	// Retry-After asks for longer is not retried but returned as it is.
	MaxDelay time.Duration
	// Sleep waits d or until ctx is done; nil uses a timer. Tests set it to
	// skip the wait.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Do calls send until it returns a response that should not be retried, the
// retries are used up, or ctx is done. send must build a fresh request each
// time (bodies are not re-wound here). A response that is retried has its
// body closed.
func (p Policy) Do(ctx context.Context, send func() (*http.Response, error)) (*http.Response, error) {
	return p.do(ctx, retryable, send)
}

// DoNonIdempotent is [Policy.Do] for a request that must not run twice (a
// POST that creates something): it is retried only when the server cannot
// have acted on it — the connection was never made, or the answer is 429
// with Retry-After. A timeout or a 5xx leaves the outcome unknown, so the
// error or response is returned as it is.
func (p Policy) DoNonIdempotent(ctx context.Context, send func() (*http.Response, error)) (*http.Response, error) {
	return p.do(ctx, retryableUnsent, send)
}

// do reads each answer's Retry-After once (ra, -1 when absent) and hands
// it to may and to the wait.
func (p Policy) do(ctx context.Context, may func(ctx context.Context, resp *http.Response, err error, ra time.Duration) bool, send func() (*http.Response, error)) (*http.Response, error) {
	max := max(p.MaxRetries, 0)
	maxd := p.MaxDelay
	if maxd <= 0 {
		maxd = DefaultMaxDelay
	}
	for attempt := 0; ; attempt++ {
		resp, err := send()
		ra := time.Duration(-1)
		if resp != nil {
			ra = retryAfter(resp)
		}
		// An answer whose Retry-After asks for longer than maxd is
		// returned rather than retried early: honouring Retry-After means
		// never calling back sooner.
		if attempt >= max || !may(ctx, resp, err, ra) || ra > maxd {
			if err != nil && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return resp, err
		}
		wait := ra // at most maxd, see above
		if wait < 0 {
			wait = p.backoff(attempt, maxd)
		}
		if resp != nil {
			resp.Body.Close()
		}
		if serr := p.sleep(ctx, wait); serr != nil {
			return nil, serr
		}
	}
}

// retryableUnsent reports whether a failed non-idempotent request certainly
// did not reach the server's application.
func retryableUnsent(ctx context.Context, resp *http.Response, err error, ra time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	if err != nil {
		var op *net.OpError
		return errors.As(err, &op) && op.Op == "dial"
	}
	return resp.StatusCode == http.StatusTooManyRequests && ra >= 0
}

// retryAfter returns the wait the Retry-After header asks for, or -1 when
// there is none or it is malformed.
func retryAfter(resp *http.Response) time.Duration {
	if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		return d
	}
	return -1
}

// ParseRetryAfter reads a Retry-After value, delta seconds or an HTTP date
// (a date in the past means no wait), relative to now. ok is false when v
// is empty or malformed. Every SDK client reads the header through it.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func retryable(ctx context.Context, resp *http.Response, err error, ra time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			var unknownAuthority x509.UnknownAuthorityError
			var hostnameErr x509.HostnameError
			var certInvalid x509.CertificateInvalidError
			if errors.As(err, &unknownAuthority) || errors.As(err, &hostnameErr) || errors.As(err, &certInvalid) {
				return false
			}
		}
		return true
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return ra >= 0
	case resp.StatusCode == http.StatusBadGateway, resp.StatusCode == http.StatusServiceUnavailable,
		resp.StatusCode == http.StatusGatewayTimeout, resp.StatusCode == http.StatusInternalServerError:
		return true
	}
	return false
}

// backoff is the wait before retry attempt+1 when the server named none:
// BaseDelay doubled per attempt, capped at maxd, with jitter.
func (p Policy) backoff(attempt int, maxd time.Duration) time.Duration {
	base := p.BaseDelay
	if base <= 0 {
		base = DefaultBaseDelay
	}
	d := base << attempt
	if d > maxd || d <= 0 {
		d = maxd
	}
	// 75–100 % jitter.
	return d - time.Duration(rand.Int64N(int64(d)/4+1))
}

func (p Policy) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
