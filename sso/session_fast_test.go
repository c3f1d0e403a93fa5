package sso_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/sso"
)

// wireFields is the cookie payload as encoding/json reads it.
type wireFields struct {
	UID            string `json:"uid"`
	GroupUID       string `json:"group_uid"`
	Session        string `json:"session"`
	SessionRecheck string `json:"session_recheck"`
	Preset         string `json:"preset,omitempty"`
	Exp            int64  `json:"exp,omitempty"`
}

// checkFastAgrees fails t when the fast path takes b and reads it other
// than encoding/json does.
func checkFastAgrees(t *testing.T, b []byte) bool {
	t.Helper()
	ok, uid, group, session, recheck, preset, exp := sso.DecodeWireFast(b)
	if !ok {
		return false
	}
	var w wireFields
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatalf("fast path took %q, which encoding/json refuses: %v", b, err)
	}
	got := wireFields{uid, group, session, recheck, preset, exp}
	if got != w {
		t.Fatalf("fast path read %q as %+v, encoding/json as %+v", b, got, w)
	}
	return true
}

// What the cookie store writes takes the fast path and reads back the same;
// what it does not take still decodes through encoding/json.
func TestCookiePayloadFastPath(t *testing.T) {
	recheck := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, s := range []sso.Session{
		{Marketplace: "maestrano", UserUID: "usr-1", GroupUID: "cld-1", Token: "abc123", Recheck: recheck},
		{UserUID: "usr-2", GroupUID: "cld-2", Token: "t", Recheck: recheck}, // no preset
	} {
		for _, exp := range []int64{0, 1_900_000_000, -5} {
			if b := sso.EncodeWire(s, exp); !checkFastAgrees(t, b) {
				t.Errorf("fast path refused what Save writes: %s", b)
			}
		}
	}
	for _, b := range []string{
		`{"uid":"u\"x","group_uid":"g","session":"s","session_recheck":"r"}`,       // escape
		`{"uid":"é","group_uid":"g","session":"s","session_recheck":"r"}`,          // non-ASCII
		`{"group_uid":"g","uid":"u","session":"s","session_recheck":"r"}`,          // order
		`{"uid":"u","group_uid":"g","session":"s","session_recheck":"r","exp":01}`, // leading zero
		`{"uid":"u","group_uid":"g","session":"s","session_recheck":"r","exp":1e9}`,
		`{"uid":"u","group_uid":"g","session":"s","session_recheck":"r"} `,
		`{"uid":"u","group_uid":"g","session":"s","session_recheck":"r","exp":1234567890123456789}`,
		`{"UID":"u","group_uid":"g","session":"s","session_recheck":"r"}`,
	} {
		if checkFastAgrees(t, []byte(b)) {
			t.Errorf("fast path took %s", b)
		}
	}
}

func FuzzCookiePayloadFastPath(f *testing.F) {
	f.Add(sso.EncodeWire(sso.Session{Marketplace: "m", UserUID: "usr-1", GroupUID: "cld-1", Token: "x"}, 1_900_000_000))
	f.Add([]byte(`{"uid":"u","group_uid":"g","session":"s","session_recheck":"r","preset":"p","exp":-0}`))
	f.Add([]byte(`{"uid":"u","group_uid":"g","session":"s","session_recheck":"r","exp":0}`))
	f.Fuzz(func(t *testing.T, b []byte) { checkFastAgrees(t, b) })
}
