// Package httpclient builds the SDK's default HTTP clients. It exists only
// to support the SDK packages.
package httpclient

import (
	"net/http"
	"strings"
	"time"
)

// New returns a client with the given timeout that follows no redirect: a
// redirect answer comes back as the response itself. Following one could
// carry credentials (Basic auth, the SSO session token in the query) to
// another origin or from https to plain http.
func New(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// IsRedirect reports whether status is a redirect.
func IsRedirect(status int) bool {
	return status >= 300 && status < 400
}

// ValidUserAgent reports whether ua can be sent as a User-Agent: not blank,
// and free of the control characters (CR, LF, …; a tab is allowed) that
// net/http refuses in a header value. A value it refuses would make every
// request fail at send time, which looks like a platform outage.
func ValidUserAgent(ua string) bool {
	if strings.TrimSpace(ua) == "" {
		return false
	}
	for i := 0; i < len(ua); i++ {
		if c := ua[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
