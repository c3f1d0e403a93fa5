package demo

import (
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/maestrano-go/maestrano/sso"
)

// Limits of the in-memory stores.
const (
	sessionCookie   = "mno_demo_sid"
	loginCookie     = "mno_demo_login"
	sessionLifetime = 12 * time.Hour
	loginLifetime   = 10 * time.Minute
	maxPending      = 5
	maxEntries      = 10_000
)

// session is a logged-in browser.
type session struct {
	identity *sso.Identity
	// csrf is the synchronizer token every state-changing form of the
	// session carries.
	csrf string
}

// login is a browser on its way through the IdP: the AuthnRequest IDs it
// has outstanding. It has its own cookie because the IdP posts the response
// back cross-site, and a cross-site POST only carries SameSite=None cookies;
// the logged-in session cookie stays SameSite=Lax.
type login struct {
	pending []pendingRequest
}

type pendingRequest struct {
	marketplace string
	id          string
	expires     time.Time
}

type entry[T any] struct {
	expires time.Time
	value   T
}

// store keeps values server-side under random ids carried by one cookie.
type store[T any] struct {
	mu        sync.Mutex
	now       func() time.Time
	cookie    string
	lifetime  time.Duration
	crossSite bool
	byID      map[string]entry[T]
}

func newStore[T any](now func() time.Time, cookie string, lifetime time.Duration, crossSite bool) *store[T] {
	return &store[T]{now: now, cookie: cookie, lifetime: lifetime, crossSite: crossSite, byID: map[string]entry[T]{}}
}

// get returns the request's id and value, or "" and false.
func (st *store[T]) get(r *http.Request) (string, T, bool) {
	var zero T
	c, err := r.Cookie(st.cookie)
	if err != nil || len(c.Value) > 64 {
		return "", zero, false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	e, ok := st.byID[c.Value]
	if !ok || !st.now().Before(e.expires) {
		delete(st.byID, c.Value)
		return "", zero, false
	}
	return c.Value, e.value, true
}

// put stores v under id, or under a new id when id is "", and sets the cookie.
func (st *store[T]) put(w http.ResponseWriter, r *http.Request, id string, v T) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.now()
	if id == "" {
		if len(st.byID) >= maxEntries {
			for k, e := range st.byID {
				if !now.Before(e.expires) {
					delete(st.byID, k)
				}
			}
		}
		if len(st.byID) >= maxEntries {
			return errTooManySessions
		}
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		id = base64.RawURLEncoding.EncodeToString(b)
	}
	exp := now.Add(st.lifetime)
	st.byID[id] = entry[T]{expires: exp, value: v}
	c := st.newCookie(r, id)
	c.Expires = exp
	http.SetCookie(w, c)
	return nil
}

// forget deletes id without touching the cookie.
func (st *store[T]) forget(id string) {
	st.mu.Lock()
	delete(st.byID, id)
	st.mu.Unlock()
}

// drop deletes id and clears the cookie.
func (st *store[T]) drop(w http.ResponseWriter, r *http.Request, id string) {
	st.forget(id)
	c := st.newCookie(r, "")
	c.MaxAge = -1
	http.SetCookie(w, c)
}

func (st *store[T]) newCookie(r *http.Request, value string) *http.Cookie {
	c := &http.Cookie{Name: st.cookie, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
	if r.TLS != nil {
		c.Secure = true
	}
	// SameSite=None requires Secure, which browsers accept over https and
	// on loopback hosts (localhost and 127.0.0.0/8 are "potentially
	// trustworthy"). Elsewhere over plain http the cookie stays Lax, and
	// the IdP must then be on the same site as the app.
	if st.crossSite && (r.TLS != nil || loopbackHost(r.Host)) {
		c.SameSite, c.Secure = http.SameSiteNoneMode, true
	}
	return c
}

func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

type storeError string

// Error returns the message.
func (e storeError) Error() string { return string(e) }

const errTooManySessions = storeError("demo: too many sessions")
