package sandbox

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// SessionCheckResponse is the body of GET /api/v1/auth/saml/{uid}?session=.
type SessionCheckResponse struct {
	// Valid ("valid") is true iff the token is the user's current SSO
	// session.
	Valid bool `json:"valid"`
	// Recheck ("recheck") is when the app should check again, RFC 3339 UTC,
	// e.g. "2024-01-02T15:04:05Z".
	Recheck string `json:"recheck"`
}

// RotateSessionResponse is the body of POST
// /api/sandbox/v1/users/{uid}/rotate_session.
type RotateSessionResponse struct {
	// UID ("uid") is the user whose SSO session was replaced, e.g. "usr-1".
	UID string `json:"uid"`
	// Rotated ("rotated") is true once the old session token is invalid.
	Rotated bool `json:"rotated"`
}

// maxSessionParam bounds the uid and token of a session check.
const maxSessionParam = 512

// handleSessionCheck serves GET /api/v1/auth/saml/{uid}?session={token}.
// {uid} may be usr-x, usr-x.cld-y or the virtual email: the part before the
// first "." is the user uid. The session is valid iff both are non-blank and
// the token equals the user's current SSO session; unknown users are simply
// invalid.
func (s *Sandbox) handleSessionCheck(w http.ResponseWriter, r *http.Request) error {
	uid := realUserUID(r.PathValue("uid"))
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	token := strings.TrimSpace(q.Get("session"))
	if len(uid) > maxSessionParam || len(token) > maxSessionParam {
		return badRequest("uid or session too long")
	}
	valid := false
	if uid != "" && token != "" {
		user, err := s.store.User(r.Context(), uid)
		switch {
		case err == nil:
			valid = secretEqual(token, user.SSOSession)
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	writeJSON(w, http.StatusOK, SessionCheckResponse{
		Valid:   valid,
		Recheck: s.now().Add(s.sessionRecheck).UTC().Format(time.RFC3339),
	})
	return nil
}

// realUserUID reduces a user uid in any of the platform's forms (usr-x,
// the virtual uid usr-x.cld-y, the virtual email usr-x.cld-y@domain) to the
// user uid: the part before the first ".", trimmed.
func realUserUID(uid string) string {
	u, _, _ := strings.Cut(uid, ".")
	return strings.TrimSpace(u)
}

type logoutData struct{ UserUID string }

// handleLogout serves GET /app_logout?user_uid=: a confirmation page; the
// platform state does not change.
func (s *Sandbox) handleLogout(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	uid := q.Get("user_uid")
	if len(uid) > maxSessionParam {
		return badRequest("user_uid too long")
	}
	uid = realUserUID(uid)
	s.renderPage(w, http.StatusOK, "logout.html", logoutData{UserUID: uid})
	return nil
}

type unauthorizedData struct{ Err string }

// handleAccessUnauthorized serves GET /app_access_unauthorized?err=: where an
// app sends a user whose login it refused.
func (s *Sandbox) handleAccessUnauthorized(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	e := q.Get("err")
	if len(e) > maxSessionParam {
		return badRequest("err too long")
	}
	s.renderPage(w, http.StatusOK, "unauthorized.html", unauthorizedData{Err: e})
	return nil
}
