package sso

import (
	"net/http"
	"strings"
	"testing"
)

// checkCookieValue holds cookieValue to (*http.Request).Cookie on the
// Cookie header lines and the name.
func checkCookieValue(t *testing.T, lines []string, name string) {
	t.Helper()
	h := http.Header{}
	for _, l := range lines {
		h.Add("Cookie", l)
	}
	got, ok := cookieValue(h, name)
	ck, err := (&http.Request{Header: h}).Cookie(name)
	if ok != (err == nil) || ok && got != ck.Value {
		t.Fatalf("cookieValue(%q, %q) = %q, %v; net/http: %+v, %v", lines, name, got, ok, ck, err)
	}
}

var cookieSeeds = [][2]string{
	{"sso=abc.def", ""},
	{" a=1; sso = x ; sso=y", "sso=z"},
	{`sso="quoted"`, ""},
	{`sso="`, `sso=ok`},
	{"sso=bad\\;sso=good", ""},
	{"sso=a b; sso=c", ""},
	{"ssox=1;xsso=2;sso", "sso="},
	{";;; ;sso=é", "sso=\x7f;sso=last"},
	{"sso=1=2", ""},
	{"\tsso=v\t", "\r\n"},
	{strings.Repeat("a=1;", 3000) + "sso=v", ""},
	{strings.Repeat("a=1;", 2998) + "sso=v", ""},
}

var cookieNames = []string{"sso", "a", "s so", "é", "sso="}

func TestCookieValueAgreesWithNetHTTP(t *testing.T) {
	for _, s := range cookieSeeds {
		for _, name := range cookieNames {
			checkCookieValue(t, []string{s[0]}, name)
			checkCookieValue(t, []string{s[0], s[1]}, name)
		}
	}
	checkCookieValue(t, nil, "sso")
	checkCookieValue(t, []string{"sso=v"}, "")
}

// FuzzCookieValue: on any header lines and names, the session cookie is
// found exactly when net/http finds it, with the same value.
func FuzzCookieValue(f *testing.F) {
	for _, s := range cookieSeeds {
		f.Add(s[0], s[1], uint8(0))
	}
	f.Fuzz(func(t *testing.T, line1, line2 string, pick uint8) {
		name := cookieNames[int(pick)%len(cookieNames)]
		checkCookieValue(t, []string{line1}, name)
		checkCookieValue(t, []string{line1, line2}, name)
	})
}
