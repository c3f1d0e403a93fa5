package demo

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

// csrfField is the form field of the synchronizer token.
const csrfField = "csrf_token"

// newToken returns 32 random bytes, base64url.
func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// checkCSRF reports whether the posted form carries the session's token
// (synchronizer token pattern: the token lives server-side in the session,
// so a cross-site form cannot know it). It compares in constant time.
func (a *App) checkCSRF(r *http.Request, s session) bool {
	got := r.PostFormValue(csrfField)
	return s.csrf != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}
