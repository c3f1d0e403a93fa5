// Package clip shortens text that comes from the other side of a connection
// (a server's error body, an attribute of a SAML response) before it goes
// into an error message or a log line. It exists only to support the SDK
// packages.
package clip

import (
	"strings"
	"unicode/utf8"
)

// String returns s as valid UTF-8 (invalid bytes become U+FFFD) and at most
// n bytes long plus "…" when it was cut; the cut falls on a rune boundary.
func String(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:max(n, 0)] + "…"
}
