package maestrano

import (
	"fmt"
	"strings"
)

// ConfigError reports missing or invalid configuration.
type ConfigError struct {
	// Marketplace names the marketplace, when the problem is in one.
	Marketplace string
	// Problems lists what is wrong, one short sentence each.
	Problems []string
}

// Error lists the problems.
func (e *ConfigError) Error() string {
	where := "maestrano: configuration"
	if e.Marketplace != "" {
		where = fmt.Sprintf("maestrano: marketplace %q", e.Marketplace)
	}
	return where + ": " + strings.Join(e.Problems, "; ")
}

// APIError is an error answer of a platform API (here: the developer
// platform). Message is the platform's own message, without secrets.
type APIError struct {
	// Op names the call, e.g. "fetch marketplaces".
	Op string
	// URL is the URL called (it never carries credentials).
	URL string
	// StatusCode is the HTTP status (0 when the body, not the status, said error).
	StatusCode int
	// Message is the platform's error message, truncated to 512 bytes.
	Message string

	// transient says the platform could not answer (5xx, 429, a redirect,
	// an answer that is not JSON), as opposed to a refusal.
	transient bool
}

// Error describes the failed call, with the platform's message.
func (e *APIError) Error() string {
	op := e.Op
	if e.URL != "" {
		op += " from " + e.URL
	}
	if e.StatusCode != 0 {
		return fmt.Sprintf("maestrano: %s: HTTP %d: %s", op, e.StatusCode, e.Message)
	}
	return fmt.Sprintf("maestrano: %s: %s", op, e.Message)
}

// UnknownMarketplaceError is returned by [Registry.Get] for a name the
// registry does not hold.
type UnknownMarketplaceError struct {
	// Name is the marketplace asked for.
	Name string
	// Known are the marketplaces the registry holds.
	Known []string
}

// Error names the marketplace and the known ones.
func (e *UnknownMarketplaceError) Error() string {
	return fmt.Sprintf("maestrano: unknown marketplace %q (known: %s)", e.Name, strings.Join(e.Known, ", "))
}

// ConnectionError reports that a platform API could not be reached or did
// not answer in full: DNS, connect, TLS, timeout, or a body cut short. Every
// SDK client (account, Connec!) returns it, wrapped in its own error where
// that has more to say, so one errors.As finds it.
type ConnectionError struct {
	// Op names the call, e.g. "GET /api/v1/account/bills".
	Op string
	// URL is the URL called, without credentials or query secrets.
	URL string
	// Err is the underlying error (a *url.Error, context error, ...).
	Err error
}

// Error describes the failed call.
func (e *ConnectionError) Error() string {
	return fmt.Sprintf("maestrano: %s %s: connection failed: %v", e.Op, e.URL, e.Err)
}

// Unwrap returns the underlying error.
func (e *ConnectionError) Unwrap() error { return e.Err }
