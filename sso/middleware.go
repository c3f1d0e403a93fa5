package sso

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Middleware guards an app's pages with the platform session: it loads the
// session from the store, puts it in the request context ([FromContext]),
// and when its recheck time has passed asks the IdP whether it is still
// alive ([Service.CheckSession]) before the page runs.
//
// Concurrent requests of one session that is due share one IdP call, and
// the answer is remembered until the next recheck, so that requests still
// carrying the old cookie do not ask again. A request whose session is not
// due costs the cookie decode and no network call.
//
// When the IdP says the session has ended, the local session is cleared and
// the browser sent through login again. When the IdP cannot be reached
// (timeout, 5xx), the default is to fail closed: the session is cleared and
// a 503 page explains it. [WithGracePeriod] lets a session through for a
// while instead.
type Middleware struct {
	set           *Set
	store         SessionStore
	timeout       time.Duration
	grace         time.Duration
	failBackoff   time.Duration
	logger        *slog.Logger
	onAnonymous   http.Handler
	onEnded       func(w http.ResponseWriter, r *http.Request, svc *Service)
	onUnavailable func(w http.ResponseWriter, r *http.Request, svc *Service, err error)
	checks        checker
}

// MiddlewareOption configures a [Middleware].
type MiddlewareOption func(*Middleware) error

// Defaults of the middleware.
const (
	// DefaultFailureBackoff is how long after a failed check further due
	// checks of the marketplace fail at once instead of waiting for the IdP
	// again.
	DefaultFailureBackoff = 5 * time.Second
	// maxRemembered bounds the remembered check answers.
	maxRemembered = 10_000
)

// WithCheckTimeout bounds one session check, retries included (default
// DefaultCheckTimeout plus the retry).
func WithCheckTimeout(d time.Duration) MiddlewareOption {
	return func(m *Middleware) error {
		if d <= 0 {
			return errors.New("sso: WithCheckTimeout: timeout must be positive")
		}
		m.timeout = d
		return nil
	}
}

// WithGracePeriod lets a session through while the IdP cannot be reached,
// for up to d after its recheck time; after that it fails closed. The
// session is not extended, so the IdP is asked again once it is back (at
// most every DefaultFailureBackoff meanwhile). Default 0: fail closed at
// once.
func WithGracePeriod(d time.Duration) MiddlewareOption {
	return func(m *Middleware) error {
		if d < 0 {
			return errors.New("sso: WithGracePeriod: negative period")
		}
		m.grace = d
		return nil
	}
}

// WithFailureBackoff sets how long after a failed check the marketplace's
// due checks fail without asking the IdP (default DefaultFailureBackoff; 0
// asks every time).
func WithFailureBackoff(d time.Duration) MiddlewareOption {
	return func(m *Middleware) error {
		if d < 0 {
			return errors.New("sso: WithFailureBackoff: negative duration")
		}
		m.failBackoff = d
		return nil
	}
}

// WithLoginRequired sets what [Middleware.Require] answers a request
// without a session. The default redirects (303) to the init URL when the
// app has one marketplace, and answers 401 otherwise.
func WithLoginRequired(h http.Handler) MiddlewareOption {
	return func(m *Middleware) error {
		if h == nil {
			return errors.New("sso: WithLoginRequired: nil handler")
		}
		m.onAnonymous = h
		return nil
	}
}

// WithSessionEnded sets what answers a request whose platform session has
// ended (the local session is already cleared). The default redirects (303)
// to the marketplace's init URL, to log in again.
func WithSessionEnded(f func(w http.ResponseWriter, r *http.Request, svc *Service)) MiddlewareOption {
	return func(m *Middleware) error {
		if f == nil {
			return errors.New("sso: WithSessionEnded: nil handler")
		}
		m.onEnded = f
		return nil
	}
}

// WithIdPUnavailable sets what answers a request whose session could not be
// confirmed (the local session is already cleared). The default is a 503
// plain-text page with a link to log in again.
func WithIdPUnavailable(f func(w http.ResponseWriter, r *http.Request, svc *Service, err error)) MiddlewareOption {
	return func(m *Middleware) error {
		if f == nil {
			return errors.New("sso: WithIdPUnavailable: nil handler")
		}
		m.onUnavailable = f
		return nil
	}
}

// WithMiddlewareLogger sets the logger (default: discard).
func WithMiddlewareLogger(l *slog.Logger) MiddlewareOption {
	return func(m *Middleware) error {
		if l == nil {
			return errors.New("sso: WithMiddlewareLogger: nil logger")
		}
		m.logger = l
		return nil
	}
}

// NewMiddleware returns the session middleware of the marketplaces in set,
// reading sessions from store.
func NewMiddleware(set *Set, store SessionStore, opts ...MiddlewareOption) (*Middleware, error) {
	if set == nil || store == nil {
		return nil, errors.New("sso: NewMiddleware: set and store are required")
	}
	m := &Middleware{set: set, store: store, timeout: 2*DefaultCheckTimeout + time.Second, failBackoff: DefaultFailureBackoff,
		logger: slog.New(slog.DiscardHandler)}
	m.checks.init()
	m.onEnded = func(w http.ResponseWriter, r *http.Request, svc *Service) {
		http.Redirect(w, r, svc.InitURL(), http.StatusSeeOther)
	}
	m.onUnavailable = func(w http.ResponseWriter, r *http.Request, svc *Service, err error) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "The marketplace could not confirm your session, so you were logged out.\nLog in again in a moment: %s\n", svc.InitURL())
	}
	m.onAnonymous = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(set.names) == 1 {
			http.Redirect(w, r, set.services[set.names[0]].InitURL(), http.StatusSeeOther)
			return
		}
		http.Error(w, "login required", http.StatusUnauthorized)
	})
	for _, o := range opts {
		if err := o(m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

type ctxKey struct{}

// FromContext returns the session the middleware put in ctx.
func FromContext(ctx context.Context) (Session, bool) {
	s, ok := ctx.Value(ctxKey{}).(*Session)
	if !ok {
		return Session{}, false
	}
	return *s, true
}

// NewContext returns ctx carrying s (tests, and apps that load sessions
// themselves).
func NewContext(ctx context.Context, s Session) context.Context {
	return context.WithValue(ctx, ctxKey{}, &s)
}

// Require runs next only for a request with a live session.
func (m *Middleware) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { m.serve(w, r, next, true) })
}

// Optional runs next for every request; a request with a session gets it
// checked (and in its context) as with Require, one without runs as is.
func (m *Middleware) Optional(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { m.serve(w, r, next, false) })
}

func (m *Middleware) serve(w http.ResponseWriter, r *http.Request, next http.Handler, required bool) {
	sess, err := m.store.Load(r)
	if err != nil {
		if !errors.Is(err, ErrNoSession) {
			m.logger.LogAttrs(r.Context(), slog.LevelError, "sso: session store", slog.String("error", err.Error()))
		}
		m.anonymous(w, r, next, required)
		return
	}
	svc, ok := m.set.services[sess.Marketplace]
	if !ok || sess.UserUID == "" || sess.Token == "" {
		m.clear(w, r)
		m.anonymous(w, r, next, required)
		return
	}
	now := svc.now()
	if now.Before(sess.Recheck) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess)))
		return
	}
	res := m.checks.do(r.Context(), m, svc, sess, now)
	switch {
	case res.ctxErr != nil:
		// The browser went away: nothing is known about the session.
		return
	case res.err == nil && res.valid:
		sess.Recheck = res.recheck
		if err := m.store.Save(w, r, sess); err != nil {
			m.logger.LogAttrs(r.Context(), slog.LevelError, "sso: saving the re-checked session", slog.String("error", err.Error()))
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess)))
	case res.err == nil:
		m.logger.LogAttrs(r.Context(), slog.LevelInfo, "sso: platform session ended", slog.String("marketplace", svc.Marketplace()), slog.String("user", sess.UserUID))
		m.clear(w, r)
		m.onEnded(w, r, svc)
	case m.grace > 0 && now.Before(sess.Recheck.Add(m.grace)):
		m.logger.LogAttrs(r.Context(), slog.LevelWarn, "sso: session not confirmed; within the grace period", slog.String("marketplace", svc.Marketplace()), slog.String("user", sess.UserUID), slog.String("error", res.err.Error()))
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess)))
	default:
		m.logger.LogAttrs(r.Context(), slog.LevelWarn, "sso: session not confirmed; logged out (fail closed)", slog.String("marketplace", svc.Marketplace()), slog.String("user", sess.UserUID), slog.String("error", res.err.Error()))
		m.clear(w, r)
		m.onUnavailable(w, r, svc, res.err)
	}
}

func (m *Middleware) anonymous(w http.ResponseWriter, r *http.Request, next http.Handler, required bool) {
	if required {
		m.onAnonymous.ServeHTTP(w, r)
		return
	}
	next.ServeHTTP(w, r)
}

func (m *Middleware) clear(w http.ResponseWriter, r *http.Request) {
	if err := m.store.Clear(w, r); err != nil {
		m.logger.LogAttrs(r.Context(), slog.LevelError, "sso: clearing the session", slog.String("error", err.Error()))
	}
}

// Logout returns the logout handler: on POST from the app's own pages it
// clears the session and redirects (303) to the marketplace's logout page.
// A cross-site request (by Sec-Fetch-Site or Origin) gets 403, so that
// another site cannot log the user out; other methods get 405.
func (m *Middleware) Logout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if !sameOrigin(r) {
			http.Error(w, "cross-site logout refused", http.StatusForbidden)
			return
		}
		sess, err := m.store.Load(r)
		m.clear(w, r)
		if err != nil {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		svc, ok := m.set.services[sess.Marketplace]
		if !ok {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, svc.LogoutURL(sess.UserUID), http.StatusSeeOther)
	})
}

// sameOrigin refuses a request a browser marks as cross-site, by
// Sec-Fetch-Site or by an Origin that is not this host.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	return true
}

// checker coalesces session checks: one flight per marketplace, uid and
// token at a time, and the answer remembered until the next recheck.
type checker struct {
	mu         sync.Mutex
	flights    map[string]*flight
	remembered map[string]answer
	downUntil  map[string]downMark
	waiting    int // requests waiting on a flight (tests)
}

type flight struct {
	done chan struct{}
	res  answer
}

type answer struct {
	valid   bool
	recheck time.Time
	err     error
	until   time.Time // remembered until
	ctxErr  error
}

type downMark struct {
	until time.Time
	err   error
}

func (c *checker) init() {
	c.flights = map[string]*flight{}
	c.remembered = map[string]answer{}
	c.downUntil = map[string]downMark{}
}

func (c *checker) do(ctx context.Context, m *Middleware, svc *Service, sess *Session, now time.Time) answer {
	key := svc.Marketplace() + "\x00" + sess.UserUID + "\x00" + sess.Token.Reveal()
	c.mu.Lock()
	if a, ok := c.remembered[key]; ok {
		if now.Before(a.until) {
			c.mu.Unlock()
			return a
		}
		delete(c.remembered, key)
	}
	if d, ok := c.downUntil[svc.Marketplace()]; ok && now.Before(d.until) {
		c.mu.Unlock()
		return answer{err: d.err}
	}
	f, ok := c.flights[key]
	if !ok {
		f = &flight{done: make(chan struct{})}
		c.flights[key] = f
		// The check belongs to no single request: one that goes away must
		// not fail the others, so it runs on its own bounded context.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.timeout)
		s := *sess
		go func() {
			defer cancel()
			valid, err := svc.CheckSession(fctx, &s)
			c.finish(key, svc, f, answer{valid: valid, recheck: s.Recheck, err: err}, m.failBackoff)
		}()
	}
	c.waiting++
	c.mu.Unlock()
	defer func() { c.mu.Lock(); c.waiting--; c.mu.Unlock() }()
	select {
	case <-f.done:
		return f.res
	case <-ctx.Done():
		return answer{ctxErr: ctx.Err()}
	}
}

func (c *checker) finish(key string, svc *Service, f *flight, a answer, failBackoff time.Duration) {
	now := svc.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.flights, key)
	switch {
	case a.err != nil:
		if failBackoff > 0 {
			c.downUntil[svc.Marketplace()] = downMark{until: now.Add(failBackoff), err: a.err}
		}
	default:
		delete(c.downUntil, svc.Marketplace())
		a.until = a.recheck
		if !a.valid {
			// An ended session stays ended; keep the answer a while so
			// that a burst of requests with the dead cookie asks once.
			a.until = now.Add(DefaultRecheck)
		}
		c.remember(key, a, now)
	}
	f.res = a
	close(f.done)
}

func (c *checker) remember(key string, a answer, now time.Time) {
	if len(c.remembered) >= maxRemembered {
		for k, v := range c.remembered {
			if !now.Before(v.until) {
				delete(c.remembered, k)
			}
		}
	}
	if len(c.remembered) < maxRemembered {
		c.remembered[key] = a
	}
}
