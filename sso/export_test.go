package sso

// WithRetrySleep exposes the backoff hook to the external tests.
var WithRetrySleep = withRetrySleep

// Waiting is how many requests wait on a session check of m.
func Waiting(m *Middleware) int {
	m.checks.mu.Lock()
	defer m.checks.mu.Unlock()
	return m.checks.waiting
}
