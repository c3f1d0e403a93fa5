package sso

// WithRetrySleep exposes the backoff hook to the external tests.
var WithRetrySleep = withRetrySleep
