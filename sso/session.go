package sso

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/maestrano-go/maestrano"
)

// Session is the SSO session an app keeps for a logged-in user, so that it
// can ask the IdP whether the platform session is still alive.
type Session struct {
	// Marketplace names the marketplace the user came from.
	Marketplace string
	// UserUID is the user's uid (real or virtual).
	UserUID string
	// GroupUID is the group the user logged in through.
	GroupUID string
	// Token is the platform's SSO session token (attribute mno_session).
	Token maestrano.Secret
	// Recheck is when the IdP must be asked again.
	Recheck time.Time
}

// LogValue keeps the session token out of structured logs.
func (s Session) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("marketplace", s.Marketplace),
		slog.String("user_uid", s.UserUID),
		slog.String("group_uid", s.GroupUID),
		slog.Time("recheck", s.Recheck),
	)
}

// sessionWire is the value the other Maestrano SDKs keep under the session
// key "maestrano": base64 of this JSON.
type sessionWire struct {
	UID            string `json:"uid"`
	GroupUID       string `json:"group_uid"`
	Session        string `json:"session"`
	SessionRecheck string `json:"session_recheck"`
	Preset         string `json:"preset,omitempty"`
	// Exp is the expiry of a signed cookie (CookieStore only), Unix seconds.
	Exp int64 `json:"exp,omitempty"`
}

func (s Session) wire() sessionWire {
	return sessionWire{
		UID: s.UserUID, GroupUID: s.GroupUID, Session: s.Token.Reveal(),
		SessionRecheck: s.Recheck.UTC().Format(time.RFC3339), Preset: s.Marketplace,
	}
}

func (w sessionWire) session() Session {
	s := Session{Marketplace: w.Preset, UserUID: w.UID, GroupUID: w.GroupUID, Token: maestrano.Secret(w.Session)}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05-0700"} {
		if t, err := time.Parse(layout, w.SessionRecheck); err == nil {
			s.Recheck = t.UTC()
			break
		}
	}
	return s
}

// maxEncodedSession bounds [DecodeSession]'s input.
const maxEncodedSession = 8 << 10

// Encode returns the session in the wire form of the other SDKs (base64 of
// {"uid","group_uid","session","session_recheck","preset"}), so that apps
// migrating from them keep their users logged in. The value carries the
// session token: store it server-side or in an encrypted cookie, never in a
// plain cookie.
func (s Session) Encode() string {
	b, _ := json.Marshal(s.wire())
	return base64.StdEncoding.EncodeToString(b)
}

// DecodeSession reads a value written by [Session.Encode] or by the PHP,
// Ruby or Java SDKs. A recheck time it cannot read is taken as already
// passed, so that the next check asks the IdP.
func DecodeSession(v string) (Session, error) {
	if len(v) > maxEncodedSession {
		return Session{}, fmt.Errorf("sso: encoded session is %d bytes, limit %d", len(v), maxEncodedSession)
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return Session{}, fmt.Errorf("sso: encoded session is not base64")
	}
	var w sessionWire
	if err := json.Unmarshal(raw, &w); err != nil {
		return Session{}, fmt.Errorf("sso: encoded session is not the session JSON: %v", err)
	}
	return w.session(), nil
}
