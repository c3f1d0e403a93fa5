package sso

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/maestrano-go/maestrano/internal/httpclient"
)

// SessionKey is the session key under which the PHP, Ruby and Java SDKs keep
// the SSO session; [ValueStore] uses it.
const SessionKey = "maestrano"

// ErrNoSession is returned (possibly wrapped) by [SessionStore.Load] when the
// request carries no usable session: none at all, or one that is expired,
// tampered with or unreadable.
var ErrNoSession = errors.New("sso: no session")

// SessionStore keeps the platform [Session] of a browser between requests.
// Implementations must be safe for concurrent use.
type SessionStore interface {
	// Load returns the request's session, or an error wrapping ErrNoSession
	// when there is none.
	Load(r *http.Request) (*Session, error)
	// Save stores s for the browser (for a cookie store: sets the cookie).
	// It is called before the response is written.
	Save(w http.ResponseWriter, r *http.Request, s *Session) error
	// Clear removes the browser's session.
	Clear(w http.ResponseWriter, r *http.Request) error
}

// Defaults of [CookieStore].
const (
	DefaultSessionCookie   = "mno_sso_session"
	DefaultSessionLifetime = 12 * time.Hour
	// maxCookieValue bounds a cookie value read or written.
	maxCookieValue = 4000
)

const sessionPurpose = "mno-sso-session-v1"

// CookieStore keeps the session in one cookie signed with HMAC-SHA256
// (see [Keyring]): the browser cannot forge or alter it, and the value
// expires after its lifetime (renewed at each Save). The cookie is
// HttpOnly, SameSite=Lax, and Secure when the request came over TLS or
// [WithSecureCookie] says so. The value is signed, not encrypted: the
// browser's owner can read their own platform session token.
type CookieStore struct {
	keys     *Keyring
	name     string
	path     string
	domain   string
	lifetime time.Duration
	secure   bool
	now      func() time.Time
}

// CookieOption configures a [CookieStore].
type CookieOption func(*CookieStore) error

// WithCookieName sets the cookie name (default DefaultSessionCookie).
func WithCookieName(name string) CookieOption {
	return func(c *CookieStore) error {
		if !isToken(name) {
			return fmt.Errorf("sso: WithCookieName: %q is not a cookie name", name)
		}
		c.name = name
		return nil
	}
}

// WithCookiePath sets the cookie path (default "/").
func WithCookiePath(path string) CookieOption {
	return func(c *CookieStore) error {
		if !strings.HasPrefix(path, "/") {
			return fmt.Errorf("sso: WithCookiePath: %q does not start with /", path)
		}
		c.path = path
		return nil
	}
}

// WithCookieDomain sets the cookie domain (default: host-only).
func WithCookieDomain(domain string) CookieOption {
	return func(c *CookieStore) error { c.domain = domain; return nil }
}

// WithSessionLifetime sets how long a saved session cookie is accepted
// (default DefaultSessionLifetime).
func WithSessionLifetime(d time.Duration) CookieOption {
	return func(c *CookieStore) error {
		if d <= 0 {
			return errors.New("sso: WithSessionLifetime: lifetime must be positive")
		}
		c.lifetime = d
		return nil
	}
}

// WithSecureCookie marks the cookie Secure even when the request did not
// come over TLS (an app behind a TLS-terminating proxy).
func WithSecureCookie() CookieOption {
	return func(c *CookieStore) error { c.secure = true; return nil }
}

// WithCookieClock sets the clock of cookie expiry (default time.Now).
func WithCookieClock(now func() time.Time) CookieOption {
	return func(c *CookieStore) error {
		if now == nil {
			return errors.New("sso: WithCookieClock: nil clock")
		}
		c.now = now
		return nil
	}
}

// NewCookieStore returns a cookie store signing with keys.
func NewCookieStore(keys *Keyring, opts ...CookieOption) (*CookieStore, error) {
	if keys == nil {
		return nil, errors.New("sso: NewCookieStore: nil keyring")
	}
	c := &CookieStore{keys: keys, name: DefaultSessionCookie, path: "/", lifetime: DefaultSessionLifetime, now: time.Now}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Load verifies and decodes the session cookie.
func (c *CookieStore) Load(r *http.Request) (*Session, error) {
	v, ok := cookieValue(r.Header, c.name)
	if !ok {
		return nil, ErrNoSession
	}
	s, err := c.decode(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoSession, err)
	}
	return s, nil
}

// decode reads "<base64url payload>.<base64url MAC>".
func (c *CookieStore) decode(v string) (*Session, error) {
	if len(v) > maxCookieValue {
		return nil, errors.New("cookie too large")
	}
	dot := strings.IndexByte(v, '.')
	if dot < 0 {
		return nil, errors.New("cookie not signed")
	}
	enc := base64.RawURLEncoding
	if enc.DecodedLen(len(v)-dot-1) != 32 {
		return nil, errors.New("bad signature")
	}
	// One buffer: the cookie's bytes, then the MAC, then the payload.
	buf := make([]byte, len(v)+32+enc.DecodedLen(dot))
	copy(buf, v)
	payload, mac, raw := buf[:dot], buf[len(v):len(v)+32], buf[len(v)+32:]
	if _, err := enc.Decode(mac, buf[dot+1:len(v)]); err != nil {
		return nil, errors.New("bad signature")
	}
	if !c.keys.verify(sessionPurpose, payload, mac) {
		return nil, errors.New("bad signature")
	}
	n, err := enc.Decode(raw, payload)
	if err != nil {
		return nil, errors.New("payload not base64")
	}
	var w sessionWire
	if !w.decodeFast(raw[:n]) {
		if err := json.Unmarshal(raw[:n], &w); err != nil {
			return nil, errors.New("payload not JSON")
		}
	}
	if w.Exp == 0 || !c.now().Before(time.Unix(w.Exp, 0)) {
		return nil, errors.New("cookie expired")
	}
	s := w.session()
	return &s, nil
}

// Save sets the signed cookie, replacing one set earlier in this response.
func (c *CookieStore) Save(w http.ResponseWriter, r *http.Request, s *Session) error {
	if s == nil {
		return errors.New("sso: CookieStore.Save: nil session")
	}
	exp := c.now().Add(c.lifetime)
	wire := s.wire()
	wire.Exp = exp.Unix()
	b, err := json.Marshal(wire)
	if err != nil {
		return err
	}
	v := make([]byte, 0, base64.RawURLEncoding.EncodedLen(len(b))+1+44)
	v = base64.RawURLEncoding.AppendEncode(v, b)
	mac := c.keys.sign(nil, sessionPurpose, v)
	v = append(v, '.')
	v = base64.RawURLEncoding.AppendEncode(v, mac)
	if len(v) > maxCookieValue {
		return fmt.Errorf("sso: session cookie would be %d bytes, limit %d", len(v), maxCookieValue)
	}
	setCookie(w, c.cookie(r, string(v), exp))
	return nil
}

// Clear expires the cookie, replacing one set earlier in this response.
func (c *CookieStore) Clear(w http.ResponseWriter, r *http.Request) error {
	ck := c.cookie(r, "", time.Time{})
	ck.MaxAge = -1
	setCookie(w, ck)
	return nil
}

func (c *CookieStore) cookie(r *http.Request, value string, exp time.Time) *http.Cookie {
	return &http.Cookie{Name: c.name, Value: value, Path: c.path, Domain: c.domain, Expires: exp,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.secure || r.TLS != nil}
}

// setCookie sets c, dropping a Set-Cookie of the same name set earlier in
// the same response (a login that is refused after its session was saved
// must not leave the session cookie behind).
func setCookie(w http.ResponseWriter, c *http.Cookie) {
	h := w.Header()
	prefix := c.Name + "="
	kept := h["Set-Cookie"][:0]
	for _, line := range h["Set-Cookie"] {
		if !strings.HasPrefix(line, prefix) {
			kept = append(kept, line)
		}
	}
	if len(kept) == 0 {
		h.Del("Set-Cookie")
	} else {
		h["Set-Cookie"] = kept
	}
	http.SetCookie(w, c)
}

// ValueStore keeps the session in the app's own server-side session (a
// session library, a database row) under the key "maestrano", in the
// encoding of the PHP, Ruby and Java SDKs ([Session.Encode]), so that a
// session written by one of them is read here and the other way round.
// The three functions reach the app's session for the request.
type ValueStore struct {
	// Get returns the value stored under key, and whether there is one.
	Get func(r *http.Request, key string) (string, bool, error)
	// Set stores value under key.
	Set func(w http.ResponseWriter, r *http.Request, key, value string) error
	// Delete removes key.
	Delete func(w http.ResponseWriter, r *http.Request, key string) error
}

// Load decodes the value under "maestrano".
func (v ValueStore) Load(r *http.Request) (*Session, error) {
	if v.Get == nil {
		return nil, errors.New("sso: ValueStore without Get")
	}
	s, ok, err := v.Get(r, SessionKey)
	if err != nil {
		return nil, err
	}
	if !ok || s == "" {
		return nil, ErrNoSession
	}
	sess, err := DecodeSession(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoSession, err)
	}
	return &sess, nil
}

// Save stores the encoded session under "maestrano".
func (v ValueStore) Save(w http.ResponseWriter, r *http.Request, s *Session) error {
	if v.Set == nil || s == nil {
		return errors.New("sso: ValueStore without Set, or nil session")
	}
	return v.Set(w, r, SessionKey, s.Encode())
}

// Clear deletes "maestrano".
func (v ValueStore) Clear(w http.ResponseWriter, r *http.Request) error {
	if v.Delete == nil {
		return errors.New("sso: ValueStore without Delete")
	}
	return v.Delete(w, r, SessionKey)
}

// secureContext reports whether a browser treats the request's origin as
// secure: https, or a loopback host (localhost and 127.0.0.0/8 are
// "potentially trustworthy"), where SameSite=None; Secure cookies work.
func secureContext(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	return httpclient.IsLoopbackHost(host)
}
