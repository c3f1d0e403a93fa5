package sso

import (
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
