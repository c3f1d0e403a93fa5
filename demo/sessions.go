package demo

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/maestrano-go/maestrano/sso"
)

// Limits of the in-memory session store.
const (
	sessionCookie   = "mno_demo_sid"
	sessionLifetime = 12 * time.Hour
	pendingLifetime = 10 * time.Minute
	maxPending      = 5
	maxSessions     = 10_000
)

// session is one browser's state.
type session struct {
	expires time.Time
	// pending are outstanding AuthnRequest IDs, by marketplace.
	pending []pendingRequest
	// identity is set once logged in.
	identity *sso.Identity
}

type pendingRequest struct {
	marketplace string
	id          string
	expires     time.Time
}

type sessionStore struct {
	mu   sync.Mutex
	now  func() time.Time
	byID map[string]*session
}

func newSessionStore(now func() time.Time) *sessionStore {
	return &sessionStore{now: now, byID: map[string]*session{}}
}

// get returns a copy of the request's session, or nil.
func (st *sessionStore) get(r *http.Request) (string, *session) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || len(c.Value) > 64 {
		return "", nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.byID[c.Value]
	if !ok || !st.now().Before(s.expires) {
		delete(st.byID, c.Value)
		return "", nil
	}
	cp := *s
	cp.pending = append([]pendingRequest(nil), s.pending...)
	return c.Value, &cp
}

// put stores s under id, or under a new id when id is "", and sets the cookie.
func (st *sessionStore) put(w http.ResponseWriter, id string, s *session) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	if id == "" {
		if len(st.byID) >= maxSessions {
			for k, v := range st.byID {
				if !now.Before(v.expires) {
					delete(st.byID, k)
				}
			}
		}
		if len(st.byID) >= maxSessions {
			return errTooManySessions
		}
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		id = base64.RawURLEncoding.EncodeToString(b)
	}
	s.expires = now.Add(sessionLifetime)
	st.byID[id] = s
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Expires: s.expires})
	return nil
}

// forget deletes the session without touching the cookie (put sets a new one).
func (st *sessionStore) forget(id string) {
	st.mu.Lock()
	delete(st.byID, id)
	st.mu.Unlock()
}

// drop deletes the session and clears the cookie.
func (st *sessionStore) drop(w http.ResponseWriter, id string) {
	st.mu.Lock()
	delete(st.byID, id)
	st.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

type storeError string

func (e storeError) Error() string { return string(e) }

const errTooManySessions = storeError("demo: too many sessions")
