package demo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"

	"github.com/maestrano-go/maestrano/sso"
)

// csrfField is the form field of the CSRF token.
const csrfField = "csrf_token"

// csrfToken is the token every state-changing form of the session carries:
// an HMAC, under the app's key, of the session's marketplace, user, group
// and platform session token. It is bound to the session (a new login, a
// new token) and a cross-site page cannot compute it.
func (a *App) csrfToken(s sso.Session) string {
	m := hmac.New(sha256.New, a.csrfKey)
	for _, part := range []string{"mno-demo-csrf-v1", s.Marketplace, s.UserUID, s.GroupUID, s.Token.Reveal()} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF reports whether the posted form carries the session's token.
// It compares in constant time.
func (a *App) checkCSRF(r *http.Request, req *request) bool {
	got := r.PostFormValue(csrfField)
	return got != "" && hmac.Equal([]byte(got), []byte(req.csrf))
}
