package sso

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/maestrano-go/maestrano/saml"
)

// LoginFunc is the app's part of a login: find or create the local user,
// group and membership of id. It runs after the response was verified and
// the session saved. It may write the response (a redirect to the page the
// app wants); if it writes nothing, the browser is sent to the after-login
// URL. If it returns an error without writing, the login is undone (the
// session cleared) and the error handler answers; return a
// [*RefusedError] to refuse the user.
type LoginFunc func(w http.ResponseWriter, r *http.Request, id *Identity) error

// RefusedError is returned by a [LoginFunc] that refuses a verified user
// (an app that admits only some groups, for example).
type RefusedError struct {
	// Reason is shown in logs, not to the user.
	Reason string
}

// Error returns the reason.
func (e *RefusedError) Error() string { return "sso: login refused by the app: " + e.Reason }

// LoginError is what the error handler of [Handlers] receives.
type LoginError struct {
	// Marketplace names the marketplace.
	Marketplace string
	// Status is the HTTP status that fits: 400 or 413 for a malformed
	// request, 401 for a response that does not verify or map, 403 for a
	// user the app refused, 500 for an internal failure.
	Status int
	// Err is the cause: a *saml.ValidationError, a *MappingError, the
	// LoginFunc's error, ...
	Err error
}

// Error describes the failure for the developer.
func (e *LoginError) Error() string {
	return fmt.Sprintf("sso: login on %s failed (HTTP %d): %v", e.Marketplace, e.Status, e.Err)
}

// Unwrap returns the cause.
func (e *LoginError) Unwrap() error { return e.Err }

// ErrorFunc answers a failed login.
type ErrorFunc func(w http.ResponseWriter, r *http.Request, err *LoginError)

// Limits of the login handlers.
const (
	// PendingLifetime is how long a started login can be finished.
	PendingLifetime = 10 * time.Minute
	// MaxPending is how many logins one browser can have started and not
	// finished (several tabs); the oldest is dropped.
	MaxPending = 5
	// DefaultPendingCookie is the cookie that keeps the request IDs.
	DefaultPendingCookie = "mno_sso_pending"
	maxInitQuery         = 4 << 10
	maxConsumeBody       = saml.DefaultMaxResponseSize + 64<<10
	pendingPurpose       = "mno-sso-pending-v1"
)

// reservedParams are never passed on from the init request to the IdP.
var reservedParams = []string{"SAMLRequest", "SAMLResponse", "RelayState", "SigAlg", "Signature"}

// Handlers are the init and consume handlers of one marketplace. They work
// with any router: mount Init at the marketplace's sso.init_path (GET) and
// Consume at its sso.consume_path (POST), or let [Set.Mount] do it.
type Handlers struct {
	svc        *Service
	keys       *Keyring
	store      SessionStore
	login      LoginFunc
	onError    ErrorFunc
	forward    []string
	afterLogin string
	secure     bool
	logger     *slog.Logger
}

// HandlerOption configures [Handlers].
type HandlerOption func(*Handlers) error

// WithErrorHandler replaces the default error handler, which sends a
// refused login (401, 403) to the marketplace's unauthorized page and
// answers other failures with a short plain-text page. Details go to the
// logger only.
func WithErrorHandler(f ErrorFunc) HandlerOption {
	return func(h *Handlers) error {
		if f == nil {
			return errors.New("sso: WithErrorHandler: nil handler")
		}
		h.onError = f
		return nil
	}
}

// WithForwardedParams passes only the named query parameters of the init
// request on to the IdP. By default every parameter is passed on (as the
// other SDKs do), except the SAML binding's own.
func WithForwardedParams(names ...string) HandlerOption {
	return func(h *Handlers) error { h.forward = append([]string{}, names...); return nil }
}

// WithAfterLogin sets where the browser goes after a login whose LoginFunc
// wrote nothing (default "/"). It must be a local path.
func WithAfterLogin(path string) HandlerOption {
	return func(h *Handlers) error {
		if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.HasPrefix(path, "/\\") {
			return fmt.Errorf("sso: WithAfterLogin: %q is not a local path", path)
		}
		h.afterLogin = path
		return nil
	}
}

// WithSecurePendingCookie marks the pending-login cookie SameSite=None;
// Secure even when the request did not come over TLS (an app behind a
// TLS-terminating proxy). Without it, that is done over TLS and on
// loopback hosts only; elsewhere the cookie is SameSite=Lax, and the IdP
// must then be on the app's site.
func WithSecurePendingCookie() HandlerOption {
	return func(h *Handlers) error { h.secure = true; return nil }
}

// WithHandlerLogger sets the logger (default: the Service's).
func WithHandlerLogger(l *slog.Logger) HandlerOption {
	return func(h *Handlers) error {
		if l == nil {
			return errors.New("sso: WithHandlerLogger: nil logger")
		}
		h.logger = l
		return nil
	}
}

// NewHandlers returns the login handlers of svc's marketplace. keys sign
// the pending-login cookie; store receives the session of a finished login;
// login is the app's callback.
func NewHandlers(svc *Service, keys *Keyring, store SessionStore, login LoginFunc, opts ...HandlerOption) (*Handlers, error) {
	if svc == nil || keys == nil || store == nil || login == nil {
		return nil, errors.New("sso: NewHandlers: service, keyring, store and login callback are required")
	}
	h := &Handlers{svc: svc, keys: keys, store: store, login: login, afterLogin: "/", logger: svc.logger}
	h.onError = h.defaultError
	for _, o := range opts {
		if err := o(h); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// Service returns the marketplace's SSO service.
func (h *Handlers) Service() *Service { return h.svc }

// Init returns the handler of the init path: it starts a login and
// redirects the browser to the IdP (302), passing the request's query
// parameters on (group_id chooses the group). The request ID is kept in a
// signed cookie until the consume path.
func (h *Handlers) Init() http.Handler { return http.HandlerFunc(h.serveInit) }

// Consume returns the handler of the consume path (the ACS): it verifies
// the posted SAMLResponse against the browser's pending request IDs, maps
// it, saves the session and calls the app's LoginFunc.
func (h *Handlers) Consume() http.Handler { return http.HandlerFunc(h.serveConsume) }

func (h *Handlers) serveInit(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if len(r.URL.RawQuery) > maxInitQuery {
		h.fail(w, r, http.StatusBadRequest, errors.New("init query too long"))
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, fmt.Errorf("init query malformed: %v", err))
		return
	}
	params := url.Values{}
	for k, vs := range q {
		if slices.Contains(reservedParams, k) || (h.forward != nil && !slices.Contains(h.forward, k)) {
			continue
		}
		params[k] = vs
	}
	redirect, reqID, err := h.svc.StartLogin(params)
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	now := h.svc.now()
	pending := slices.DeleteFunc(h.readPending(r), func(p pendingLogin) bool { return !now.Before(time.Unix(p.Exp, 0)) })
	pending = append(pending, pendingLogin{Marketplace: h.svc.Marketplace(), ID: reqID, Exp: now.Add(PendingLifetime).Unix()})
	if len(pending) > MaxPending {
		pending = pending[len(pending)-MaxPending:]
	}
	h.writePending(w, r, pending, now)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, redirect, http.StatusFound)
}

func (h *Handlers) serveConsume(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxConsumeBody)
	if err := r.ParseForm(); err != nil {
		status := http.StatusBadRequest
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			status = http.StatusRequestEntityTooLarge
		}
		h.fail(w, r, status, fmt.Errorf("consume form: %v", err))
		return
	}
	samlResponse := r.PostForm.Get("SAMLResponse")
	if samlResponse == "" {
		h.fail(w, r, http.StatusBadRequest, errors.New("the request carries no SAMLResponse"))
		return
	}
	now := h.svc.now()
	pending := h.readPending(r)
	var ids []string
	for _, p := range pending {
		if p.Marketplace == h.svc.Marketplace() && now.Before(time.Unix(p.Exp, 0)) {
			ids = append(ids, p.ID)
		}
	}
	id, err := h.svc.FinishLogin(r.Context(), samlResponse, ids...)
	if err != nil {
		h.fail(w, r, http.StatusUnauthorized, err)
		return
	}
	// The request ID is spent: drop it (and expired ones).
	pending = slices.DeleteFunc(pending, func(p pendingLogin) bool {
		return p.ID == id.Assertion.InResponseTo || !now.Before(time.Unix(p.Exp, 0))
	})
	h.writePending(w, r, pending, now)
	if err := h.store.Save(w, r, &id.Session); err != nil {
		h.fail(w, r, http.StatusInternalServerError, fmt.Errorf("saving the session: %w", err))
		return
	}
	tw := &trackingWriter{ResponseWriter: w}
	if err := h.login(tw, r, id); err != nil {
		if tw.wrote {
			h.logger.LogAttrs(r.Context(), slog.LevelError, "sso: login callback failed after writing the response", slog.String("marketplace", h.svc.Marketplace()), slog.String("error", err.Error()))
			return
		}
		if cerr := h.store.Clear(w, r); cerr != nil {
			h.logger.LogAttrs(r.Context(), slog.LevelError, "sso: clearing the session of a refused login", slog.String("error", cerr.Error()))
		}
		status := http.StatusInternalServerError
		var refused *RefusedError
		if errors.As(err, &refused) {
			status = http.StatusForbidden
		}
		h.fail(w, r, status, err)
		return
	}
	if !tw.wrote {
		http.Redirect(w, r, h.afterLogin, http.StatusSeeOther)
	}
}

func (h *Handlers) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	h.onError(w, r, &LoginError{Marketplace: h.svc.Marketplace(), Status: status, Err: err})
}

func (h *Handlers) defaultError(w http.ResponseWriter, r *http.Request, err *LoginError) {
	level := slog.LevelWarn
	if err.Status >= 500 {
		level = slog.LevelError
	}
	h.logger.LogAttrs(r.Context(), level, "sso: login failed", slog.String("marketplace", err.Marketplace), slog.Int("status", err.Status), slog.String("error", err.Err.Error()))
	w.Header().Set("Cache-Control", "no-store")
	switch err.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		http.Redirect(w, r, h.svc.UnauthorizedURL(), http.StatusSeeOther)
	default:
		http.Error(w, http.StatusText(err.Status)+": the login could not be completed.", err.Status)
	}
}

// pendingLogin is one started login, kept in the pending cookie.
type pendingLogin struct {
	Marketplace string `json:"m"`
	ID          string `json:"id"`
	Exp         int64  `json:"exp"`
}

// readPending returns the verified pending logins of the request (none
// when the cookie is missing, forged or unreadable).
func (h *Handlers) readPending(r *http.Request) []pendingLogin {
	c, err := r.Cookie(DefaultPendingCookie)
	if err != nil || len(c.Value) > maxCookieValue {
		return nil
	}
	payload, mac, ok := strings.Cut(c.Value, ".")
	if !ok {
		return nil
	}
	macBytes, err := base64.RawURLEncoding.DecodeString(mac)
	if err != nil || !h.keys.verify(pendingPurpose, []byte(payload), macBytes) {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil
	}
	var ps []pendingLogin
	if json.Unmarshal(raw, &ps) != nil || len(ps) > MaxPending {
		return nil
	}
	return ps
}

func (h *Handlers) writePending(w http.ResponseWriter, r *http.Request, ps []pendingLogin, now time.Time) {
	c := &http.Cookie{Name: DefaultPendingCookie, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil}
	// The IdP posts the response back cross-site, and a cross-site POST
	// only carries SameSite=None cookies, which must be Secure.
	if h.secure || secureContext(r) {
		c.SameSite, c.Secure = http.SameSiteNoneMode, true
	}
	if len(ps) == 0 {
		c.MaxAge = -1
		setCookie(w, c)
		return
	}
	raw, _ := json.Marshal(ps)
	v := base64.RawURLEncoding.EncodeToString(raw)
	c.Value = v + "." + base64.RawURLEncoding.EncodeToString(h.keys.sign(nil, pendingPurpose, []byte(v)))
	c.Expires = now.Add(PendingLifetime)
	setCookie(w, c)
}

// trackingWriter records whether the callback wrote the response.
type trackingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *trackingWriter) WriteHeader(code int) { t.wrote = true; t.ResponseWriter.WriteHeader(code) }

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the underlying writer.
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
