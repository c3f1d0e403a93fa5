package retry

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func resp(status int, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(""))}
}

func TestDo(t *testing.T) {
	t.Parallel()
	transport := &url.Error{Op: "Get", URL: "http://x", Err: errors.New("connection refused")}
	badCert := &url.Error{Op: "Get", URL: "https://x", Err: x509.UnknownAuthorityError{}}
	cases := []struct {
		name      string
		policy    Policy
		answers   []func() (*http.Response, error)
		wantCalls int
		wantWaits []time.Duration
		wantCode  int
		wantErr   bool
	}{
		{"ok at once", Policy{MaxRetries: DefaultMaxRetries}, []func() (*http.Response, error){ok(200)}, 1, nil, 200, false},
		{"400 is final", Policy{MaxRetries: DefaultMaxRetries}, []func() (*http.Response, error){ok(400)}, 1, nil, 400, false},
		{"503 then ok", Policy{MaxRetries: DefaultMaxRetries}, []func() (*http.Response, error){ok(503), ok(200)}, 2, []time.Duration{DefaultBaseDelay}, 200, false},
		{"transport error then ok", Policy{MaxRetries: DefaultMaxRetries}, []func() (*http.Response, error){fail(transport), ok(200)}, 2, []time.Duration{DefaultBaseDelay}, 200, false},
		{"retries used up", Policy{MaxRetries: DefaultMaxRetries}, []func() (*http.Response, error){ok(500), ok(502), ok(504)}, 3, []time.Duration{DefaultBaseDelay, 2 * DefaultBaseDelay}, 504, false},
		{"disabled", Policy{MaxRetries: 0}, []func() (*http.Response, error){ok(503)}, 1, nil, 503, false},
		{"TLS verification failure is final", Policy{MaxRetries: DefaultMaxRetries}, []func() (*http.Response, error){fail(badCert)}, 1, nil, 0, true},
		{"429 without Retry-After is final", Policy{MaxRetries: DefaultMaxRetries}, []func() (*http.Response, error){ok(429)}, 1, nil, 429, false},
		{"429 with Retry-After waits as told", Policy{MaxRetries: DefaultMaxRetries}, []func() (*http.Response, error){okH(429, "Retry-After", "2"), ok(200)}, 2, []time.Duration{2 * time.Second}, 200, false},
		// A server asking for more than MaxDelay gets its answer back to the
		// caller, not an early call.
		{"Retry-After beyond MaxDelay is not cut short", Policy{MaxRetries: DefaultMaxRetries, MaxDelay: time.Second}, []func() (*http.Response, error){okH(503, "Retry-After", "3600"), ok(200)}, 1, nil, 503, false},
		{"Retry-After within MaxDelay is honoured", Policy{MaxRetries: DefaultMaxRetries, MaxDelay: 5 * time.Second}, []func() (*http.Response, error){okH(429, "Retry-After", "3"), ok(200)}, 2, []time.Duration{3 * time.Second}, 200, false},
		{"backoff capped", Policy{MaxRetries: 4, BaseDelay: time.Second, MaxDelay: 3 * time.Second},
			[]func() (*http.Response, error){ok(503), ok(503), ok(503), ok(503), ok(200)}, 5,
			[]time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}, 200, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var waits []time.Duration
			p := c.policy
			p.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			calls := 0
			r, err := p.Do(t.Context(), func() (*http.Response, error) {
				calls++
				return c.answers[min(calls, len(c.answers))-1]()
			})
			if calls != c.wantCalls {
				t.Errorf("%d calls, want %d", calls, c.wantCalls)
			}
			if (err != nil) != c.wantErr {
				t.Fatalf("error %v", err)
			}
			if r != nil && r.StatusCode != c.wantCode {
				t.Errorf("status %d, want %d", r.StatusCode, c.wantCode)
			}
			if len(waits) != len(c.wantWaits) {
				t.Fatalf("waits %v, want %v", waits, c.wantWaits)
			}
			for i, w := range c.wantWaits {
				// Backoff has 75–100 % jitter; Retry-After is exact.
				if waits[i] > w || waits[i] < w*3/4 {
					t.Errorf("wait %d = %v, want within [%v, %v]", i, waits[i], w*3/4, w)
				}
			}
		})
	}
}

func TestDoStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err := Policy{MaxRetries: DefaultMaxRetries, BaseDelay: time.Hour, MaxDelay: time.Hour}.Do(ctx, func() (*http.Response, error) {
		calls++
		return resp(503), nil
	})
	// With an hour of backoff, returning at all means the wait honoured
	// the context (a wait that ignored it would hit the test timeout).
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("err %v after %d calls, want context.Canceled after 1", err, calls)
	}
}

func ok(status int) func() (*http.Response, error) {
	return func() (*http.Response, error) { return resp(status), nil }
}

func okH(status int, k, v string) func() (*http.Response, error) {
	return func() (*http.Response, error) { return resp(status, k, v), nil }
}

func fail(err error) func() (*http.Response, error) {
	return func() (*http.Response, error) { return nil, err }
}

func TestDoNonIdempotent(t *testing.T) {
	t.Parallel()
	dial := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	read := &url.Error{Op: "Post", URL: "http://x", Err: &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset")}}
	timeout := &url.Error{Op: "Post", URL: "http://x", Err: context.DeadlineExceeded}
	cases := []struct {
		name      string
		answers   []func() (*http.Response, error)
		wantCalls int
		wantCode  int
	}{
		{"dial error is retried", []func() (*http.Response, error){fail(dial), ok(201)}, 2, 201},
		{"429 with Retry-After is retried", []func() (*http.Response, error){okH(429, "Retry-After", "1"), ok(201)}, 2, 201},
		{"429 with an HTTP date is retried", []func() (*http.Response, error){okH(429, "Retry-After", time.Now().Add(time.Second).UTC().Format(http.TimeFormat)), ok(201)}, 2, 201},
		{"429 without Retry-After is final", []func() (*http.Response, error){ok(429)}, 1, 429},
		{"503 is final: the outcome is unknown", []func() (*http.Response, error){ok(503)}, 1, 503},
		{"500 is final", []func() (*http.Response, error){ok(500)}, 1, 500},
		{"reset after sending is final", []func() (*http.Response, error){fail(read)}, 1, 0},
		{"timeout is final", []func() (*http.Response, error){fail(timeout)}, 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			p := Policy{MaxRetries: 3, Sleep: func(context.Context, time.Duration) error { return nil }}
			r, err := p.DoNonIdempotent(context.Background(), func() (*http.Response, error) {
				a := tc.answers[calls]
				calls++
				return a()
			})
			if calls != tc.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tc.wantCalls)
			}
			if tc.wantCode == 0 {
				if err == nil {
					t.Fatalf("err = nil, want the transport error")
				}
				return
			}
			if err != nil || r.StatusCode != tc.wantCode {
				t.Fatalf("got %v, %v; want status %d", r, err, tc.wantCode)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{"-1", 0, false},
		{"soon", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true}, // past date: no wait
	}
	for _, c := range cases {
		got, ok := ParseRetryAfter(c.in, now)
		if got != c.want || ok != c.wantOK {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.wantOK)
		}
	}
}
