package sso

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// FuzzDecodeSession: any stored value decodes or fails cleanly, and what
// decodes encodes back to the same session.
func FuzzDecodeSession(f *testing.F) {
	f.Add(Session{Marketplace: "maestrano", UserUID: "usr-1", GroupUID: "cld-1", Token: "tok", Recheck: time.Unix(1900000000, 0).UTC()}.Encode())
	f.Add("eyJ1aWQiOiJ1c3ItMSJ9")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		s, err := DecodeSession(v)
		if err != nil {
			return
		}
		again, err := DecodeSession(s.Encode())
		if err != nil {
			t.Fatalf("re-decoding: %v", err)
		}
		if again.UserUID != s.UserUID || again.Token != s.Token || again.GroupUID != s.GroupUID || again.Marketplace != s.Marketplace {
			t.Fatalf("round trip changed the session: %+v -> %+v", s, again)
		}
	})
}

// FuzzCookies: a session or pending-login cookie from the browser is
// either refused or, when it verifies, decodes; never a panic. Seeds are
// genuine cookies, so the fuzzer mutates signed values.
func FuzzCookies(f *testing.F) {
	keys, err := NewKeyring([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1900000000, 0)
	store, _ := NewCookieStore(keys, WithCookieClock(func() time.Time { return now }))
	rec := httptest.NewRecorder()
	store.Save(rec, httptest.NewRequest("GET", "/", nil), &Session{Marketplace: "maestrano", UserUID: "usr-1", Token: "t", Recheck: now})
	f.Add(rec.Result().Cookies()[0].Value)
	h := &Handlers{keys: keys}
	rec = httptest.NewRecorder()
	h.writePending(rec, httptest.NewRequest("GET", "/", nil), []pendingLogin{{Marketplace: "m", ID: "_1", Exp: now.Unix()}}, now)
	f.Add(rec.Result().Cookies()[0].Value)
	f.Add("")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, v string) {
		if s, err := store.decode(v); err == nil && s == nil {
			t.Fatal("no error and no session")
		}
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(&http.Cookie{Name: DefaultPendingCookie, Value: v})
		if ps := h.readPending(req); len(ps) > MaxPending {
			t.Fatalf("%d pending logins", len(ps))
		}
	})
}
