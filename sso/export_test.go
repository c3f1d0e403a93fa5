package sso

import "encoding/json"

// WithRetrySleep exposes the backoff hook to the external tests.
var WithRetrySleep = withRetrySleep

// Waiting is how many requests wait on a session check of m.
func Waiting(m *Middleware) int {
	m.checks.mu.Lock()
	defer m.checks.mu.Unlock()
	return m.checks.waiting
}

// DecodeWireFast runs the cookie payload fast path; ok reports whether it
// took the input, and the fields are what it read.
func DecodeWireFast(b []byte) (ok bool, uid, group, session, recheck, preset string, exp int64) {
	var w sessionWire
	ok = w.decodeFast(b)
	return ok, w.UID, w.GroupUID, w.Session, w.SessionRecheck, w.Preset, w.Exp
}

// EncodeWire is the JSON a CookieStore signs for s with expiry exp.
func EncodeWire(s Session, exp int64) []byte {
	w := s.wire()
	w.Exp = exp
	b, _ := json.Marshal(w)
	return b
}
