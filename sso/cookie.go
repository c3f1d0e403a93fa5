package sso

import (
	"net/http"
	"net/textproto"
	"strings"
)

// maxRequestCookies is net/http's default bound on the cookies of a
// request (GODEBUG httpcookiemaxnum): a request with more has none.
const maxRequestCookies = 3000

// cookieValue returns the value of the first cookie called name in h, as
// (*http.Request).Cookie does (the same parsing and the same refusals), but
// without parsing the other cookies into a slice of *http.Cookie: that was
// a quarter of the cost of a request that needs no session re-check.
func cookieValue(h http.Header, name string) (string, bool) {
	lines := h["Cookie"]
	if len(lines) == 0 || !isToken(name) {
		return "", false
	}
	count := 0
	for _, line := range lines {
		count += strings.Count(line, ";") + 1
	}
	if count > maxRequestCookies {
		return "", false
	}
	for _, line := range lines {
		line = textproto.TrimString(line)
		var part string
		for len(line) > 0 {
			part, line, _ = strings.Cut(line, ";")
			part = textproto.TrimString(part)
			k, v, _ := strings.Cut(part, "=")
			if textproto.TrimString(k) != name {
				continue
			}
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if validCookieValue(v) {
				return v, true
			}
		}
	}
	return "", false
}

// isToken reports whether s is an RFC 7230 token, as a cookie name must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// cookieValueBytes marks the bytes net/http allows in a cookie value:
// printable ASCII but '"', ';' and '\\'. Read only.
var cookieValueBytes = func() (t [256]bool) {
	for b := 0x20; b < 0x7f; b++ {
		t[b] = b != '"' && b != ';' && b != '\\'
	}
	return t
}()

// validCookieValue reports whether every byte of v may stand in a cookie
// value. A table, because the session cookie is a few hundred bytes and
// the comparisons were a tenth of a request's cost.
func validCookieValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if !cookieValueBytes[v[i]] {
			return false
		}
	}
	return true
}
