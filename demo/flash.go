package demo

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
)

// flashCookie carries a one-time notice from a POST to the page it
// redirects to ("Bill bill-3 submitted: ..."), so that reloading that page
// does not show it again and no notice text travels in a URL.
const flashCookie = "demo_flash"

// maxFlash bounds a notice.
const maxFlash = 512

// flashMAC signs a notice for one session: a cookie of another session, or
// an edited one, does not verify.
func (a *App) flashMAC(req *request, msg string) string {
	m := hmac.New(sha256.New, a.csrfKey)
	for _, part := range []string{"mno-demo-flash-v1", req.csrf, msg} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// setFlash keeps msg for the next page of the session.
func (a *App) setFlash(w http.ResponseWriter, r *http.Request, req *request, msg string) {
	msg = clipText(msg, maxFlash)
	http.SetCookie(w, &http.Cookie{
		Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(msg)) + "." + a.flashMAC(req, msg),
		Path: "/", MaxAge: 60, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}

// takeFlash returns the session's notice, if any, and clears it.
func (a *App) takeFlash(w http.ResponseWriter, r *http.Request, req *request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	if len(c.Value) > 2*maxFlash*4 {
		return ""
	}
	enc, mac, ok := strings.Cut(c.Value, ".")
	if !ok {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return ""
	}
	msg := string(b)
	if !hmac.Equal([]byte(mac), []byte(a.flashMAC(req, msg))) {
		return ""
	}
	return msg
}
