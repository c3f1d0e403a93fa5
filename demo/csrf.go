package demo

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"

	"github.com/maestrano-go/maestrano/sso"
)

// csrfField is the form field of the CSRF token.
const csrfField = "csrf_token"

// csrfCookie holds the random nonce of one login session. A login sets a
// new one, so the tokens of two logins differ, even for the same user and
// platform session token (the platform keeps one per user), and the token
// of an earlier session no longer verifies. The nonce is not a secret: the
// token is an HMAC under the app's key, which no other site can compute.
const csrfCookie = "demo_csrf"

// csrfNonceBytes is the size of a nonce (base64 in the cookie).
const csrfNonceBytes = 32

// newCSRFNonce starts the CSRF nonce of a new session in w and returns it.
func newCSRFNonce(w http.ResponseWriter, r *http.Request) string {
	b := make([]byte, csrfNonceBytes)
	_, _ = rand.Read(b)
	nonce := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: nonce, Path: "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	return nonce
}

// clearCSRFNonce ends the nonce of the session (at logout).
func clearCSRFNonce(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// csrfNonce returns the session's nonce, "" when the request has none (or
// one of the wrong size).
func csrfNonce(r *http.Request) string {
	c, err := r.Cookie(csrfCookie)
	if err != nil {
		return ""
	}
	if b, err := base64.RawURLEncoding.DecodeString(c.Value); err != nil || len(b) != csrfNonceBytes {
		return ""
	}
	return c.Value
}

// csrfToken is the token every state-changing form of the session carries:
// an HMAC, under the app's key, of the session's nonce, marketplace, user,
// group and platform session token. It is bound to the login session (a
// new login, a new nonce and a new token) and a cross-site page cannot
// compute it.
func (a *App) csrfToken(nonce string, s sso.Session) string {
	m := hmac.New(sha256.New, a.csrfKey)
	for _, part := range []string{"mno-demo-csrf-v2", nonce, s.Marketplace, s.UserUID, s.GroupUID, s.Token.Reveal()} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF reports whether the posted form carries the session's token.
// A request without the session's nonce cookie never passes. It compares
// in constant time.
func (a *App) checkCSRF(r *http.Request, req *request) bool {
	got := r.PostFormValue(csrfField)
	return req.nonce != "" && got != "" && hmac.Equal([]byte(got), []byte(req.csrf))
}
