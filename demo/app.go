package demo

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/saml"
	"github.com/maestrano-go/maestrano/sso"
)

// maxConsumeBody bounds the consume POST (the SAMLResponse and a little more).
const maxConsumeBody = saml.DefaultMaxResponseSize + 64<<10

// maxFormBody bounds the app's own forms.
const maxFormBody = 64 << 10

// App is the demo app. It is an http.Handler; [App.Close] closes its
// database.
type App struct {
	mux      *http.ServeMux
	reg      *maestrano.Registry
	services map[string]*sso.Service
	names    []string
	db       *db
	sessions *store[session]
	logins   *store[login]
	now      func() time.Time
	logger   *slog.Logger
	pages    map[string]*template.Template
	webhooks map[string]*webhookRoute
}

// Option configures an [App].
type Option func(*appConfig)

type appConfig struct {
	now        func() time.Time
	logger     *slog.Logger
	httpClient *http.Client
	dataDir    string
}

// WithClock sets the clock of the app and of its SSO checks.
func WithClock(now func() time.Time) Option { return func(c *appConfig) { c.now = now } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *appConfig) { c.logger = l } }

// WithHTTPClient sets the client used for session checks and platform calls.
func WithHTTPClient(hc *http.Client) Option { return func(c *appConfig) { c.httpClient = hc } }

// WithDataDir keeps the app's database (demo.db) in dir, created 0700 if
// missing. Without it the database lives in memory and is lost on Close.
func WithDataDir(dir string) Option { return func(c *appConfig) { c.dataDir = dir } }

// New builds the app for every marketplace of reg and opens its database.
// Routes follow each marketplace's sso.init_path, sso.consume_path and
// webhook paths.
func New(ctx context.Context, reg *maestrano.Registry, opts ...Option) (*App, error) {
	cf := appConfig{now: time.Now, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&cf)
	}
	if cf.now == nil || cf.logger == nil || reg == nil {
		return nil, errors.New("demo: nil registry, clock or logger")
	}
	dbPath := ""
	if cf.dataDir != "" {
		if err := os.MkdirAll(cf.dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("demo: data directory: %w", err)
		}
		dbPath = filepath.Join(cf.dataDir, dbFile)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, fmt.Errorf("demo: templates: %w", err)
	}
	d, err := openDB(ctx, dbPath, cf.now)
	if err != nil {
		return nil, err
	}
	a := &App{mux: http.NewServeMux(), reg: reg, services: map[string]*sso.Service{}, db: d, now: cf.now, logger: cf.logger, pages: pages, webhooks: map[string]*webhookRoute{}}
	a.sessions = newStore[session](cf.now, sessionCookie, sessionLifetime, false)
	a.logins = newStore[login](cf.now, loginCookie, loginLifetime, true)
	if err := a.routes(cf); err != nil {
		d.close()
		return nil, err
	}
	return a, nil
}

// Close closes the app's database.
func (a *App) Close() error { return a.db.close() }

func (a *App) routes(cf appConfig) error {
	ssoOpts := []sso.Option{sso.WithClock(cf.now), sso.WithLogger(cf.logger)}
	if cf.httpClient != nil {
		ssoOpts = append(ssoOpts, sso.WithHTTPClient(cf.httpClient))
	}
	routes := map[string][]route{}
	add := func(name, method, u string) error {
		pu, err := url.Parse(u)
		if err != nil {
			return fmt.Errorf("demo: marketplace %s: %w", name, err)
		}
		key := method + " " + pu.EscapedPath()
		routes[key] = append(routes[key], route{marketplace: name, query: pu.Query()})
		return nil
	}
	for _, name := range a.reg.Names() {
		mp, err := a.reg.Get(name)
		if err != nil {
			return err
		}
		svc, err := sso.New(mp, ssoOpts...)
		if err != nil {
			return err
		}
		a.services[name] = svc
		a.names = append(a.names, name)
		if err := add(name, "GET", svc.InitURL()); err != nil {
			return err
		}
		if err := add(name, "POST", svc.ACSURL()); err != nil {
			return err
		}
		a.webhookRoutes(mp)
	}
	for pattern, rs := range routes {
		handler := a.handleInit
		if pattern[:4] == "POST" {
			handler = a.handleConsume
		}
		a.mux.Handle(pattern, a.dispatch(rs, handler))
	}
	a.mux.HandleFunc("GET /{$}", a.handleHome)
	a.mux.HandleFunc("POST /logout", a.handleLogout)
	a.mux.Handle("GET /events", a.authed(a.handleEvents))
	a.mux.HandleFunc("GET /static/live.js", serveLiveJS)
	return nil
}

// route is one marketplace's claim on a path: the query parameters its
// configured URL carries must be present in the request.
type route struct {
	marketplace string
	query       url.Values
}

func (a *App) dispatch(rs []route, h func(http.ResponseWriter, *http.Request, *sso.Service)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		for _, rt := range rs {
			match := true
			for k, vs := range rt.query {
				if !slices.Equal(q[k], vs) {
					match = false
				}
			}
			if match {
				h(w, r, a.services[rt.marketplace])
				return
			}
		}
		a.errorPage(w, http.StatusNotFound, errorPage{Title: "Unknown marketplace", Message: "No marketplace is configured for this URL."})
	})
}

// ServeHTTP implements http.Handler.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "same-origin")
	a.mux.ServeHTTP(w, r)
}

// request is a logged-in request: the session and the user as the app's
// database knows them.
type request struct {
	sessionID string
	session   session
	user      *localUser
	svc       *sso.Service
}

// authed wraps a page that needs a logged-in user. On every request it
// checks, in this order, that the browser has a session, that the app's own
// database still lets the user into the group (account webhooks remove
// memberships and disable groups), and that the platform session is alive
// (re-asked once the recheck time has passed).
func (a *App) authed(h func(http.ResponseWriter, *http.Request, *request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, ok := a.logged(w, r)
		if !ok {
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
			if !a.checkCSRF(r, req.session) {
				a.errorPage(w, http.StatusForbidden, errorPage{Title: "Forbidden",
					Message: "The form was not sent by this app (missing or wrong CSRF token). Reload the page and try again."})
				return
			}
		}
		h(w, r, req)
	})
}

// logged runs the checks of [App.authed]. When it returns false it has
// answered the request.
func (a *App) logged(w http.ResponseWriter, r *http.Request) (*request, bool) {
	id, s, ok := a.sessions.get(r)
	if !ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil, false
	}
	ctx := r.Context()
	ident := s.identity
	svc := a.services[ident.Marketplace]
	lu, ok, err := a.db.access(ctx, ident.Marketplace, ident.User.UID, ident.Group.UID)
	if err != nil {
		a.errorPage(w, http.StatusInternalServerError, errorPage{Title: "Error", Message: "The app's database failed; try again."})
		a.logger.LogAttrs(ctx, slog.LevelError, "demo: access", slog.String("error", err.Error()))
		return nil, false
	}
	if !ok {
		a.sessions.drop(w, r, id)
		msg := "You are no longer a member of " + ident.Group.Name + " in this app."
		if lu != nil {
			msg = ident.Group.Name + " no longer uses this app: its subscription was cancelled on the marketplace."
		}
		a.logger.LogAttrs(ctx, slog.LevelInfo, "demo: access removed", slog.String("user", ident.User.UID), slog.String("group", ident.Group.UID))
		a.errorPage(w, http.StatusForbidden, errorPage{Title: "Access removed", Message: msg})
		return nil, false
	}
	sess := ident.Session
	valid, err := svc.CheckSession(ctx, &sess)
	if !valid {
		if ctx.Err() != nil {
			// The browser went away mid-check: nothing is known about
			// the session, so keep it.
			return nil, false
		}
		// The platform ended the session, or cannot confirm it: log out
		// locally (fail closed).
		a.logger.LogAttrs(ctx, slog.LevelInfo, "demo: platform session not confirmed", slog.String("user", sess.UserUID), slog.Any("error", err))
		a.sessions.drop(w, r, id)
		var checkErr *sso.SessionCheckError
		if errors.As(err, &checkErr) {
			// Sending the browser to an IdP that does not answer would
			// end on a browser error page; say what happened instead.
			a.errorPage(w, http.StatusServiceUnavailable, errorPage{Title: "Session not confirmed",
				Message: "The marketplace could not confirm your session, so you were logged out. Try logging in again in a moment.", Retry: svc.InitURL()})
			return nil, false
		}
		http.Redirect(w, r, svc.InitURL(), http.StatusSeeOther)
		return nil, false
	}
	if !sess.Recheck.Equal(ident.Session.Recheck) {
		next := *ident
		next.Session = sess
		s.identity = &next
		if err := a.sessions.put(w, r, id, s); err != nil {
			a.errorPage(w, http.StatusServiceUnavailable, errorPage{Title: "Busy", Message: err.Error()})
			return nil, false
		}
	}
	return &request{sessionID: id, session: s, user: lu, svc: svc}, true
}

func (a *App) handleHome(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := a.sessions.get(r); !ok {
		var logins []loginLink
		for _, name := range a.names {
			logins = append(logins, loginLink{Marketplace: name, URL: a.services[name].InitURL()})
		}
		a.render(w, r, http.StatusOK, "login", nil, loginPage{Logins: logins, NoMarketplace: len(logins) == 0})
		return
	}
	a.authed(func(w http.ResponseWriter, r *http.Request, req *request) {
		a.render(w, r, http.StatusOK, "dashboard", req, dashboardPage{Identity: req.session.identity, User: req.user})
	}).ServeHTTP(w, r)
}

func (a *App) handleInit(w http.ResponseWriter, r *http.Request, svc *sso.Service) {
	// Only group_id (which group to log in through) goes on to the IdP;
	// other parameters of the init URL are the app's business.
	var params url.Values
	if g := r.URL.Query().Get("group_id"); g != "" {
		params = url.Values{"group_id": {g}}
	}
	redirect, reqID, err := svc.StartLogin(params)
	if err != nil {
		a.errorPage(w, http.StatusInternalServerError, errorPage{Title: "Cannot start login", Message: err.Error()})
		return
	}
	id, l, _ := a.logins.get(r)
	now := a.now()
	pending := slices.DeleteFunc(slices.Clone(l.pending), func(p pendingRequest) bool { return !now.Before(p.expires) })
	pending = append(pending, pendingRequest{marketplace: svc.Marketplace(), id: reqID, expires: now.Add(loginLifetime)})
	if len(pending) > maxPending {
		pending = pending[len(pending)-maxPending:]
	}
	if err := a.logins.put(w, r, id, login{pending: pending}); err != nil {
		a.errorPage(w, http.StatusServiceUnavailable, errorPage{Title: "Busy", Message: err.Error()})
		return
	}
	http.Redirect(w, r, redirect, http.StatusFound)
}

// handleConsume is the SAML consume endpoint. It carries no CSRF token:
// the IdP posts it cross-site, and the signed response bound to this
// browser's pending request IDs is what protects it.
func (a *App) handleConsume(w http.ResponseWriter, r *http.Request, svc *sso.Service) {
	r.Body = http.MaxBytesReader(w, r.Body, maxConsumeBody)
	if err := r.ParseForm(); err != nil {
		a.errorPage(w, http.StatusRequestEntityTooLarge, errorPage{Title: "Login refused", Message: "The login form is too large or malformed."})
		return
	}
	samlResponse := r.PostForm.Get("SAMLResponse")
	if samlResponse == "" {
		a.errorPage(w, http.StatusBadRequest, errorPage{Title: "Login refused", Message: "The request carries no SAMLResponse."})
		return
	}
	loginID, l, _ := a.logins.get(r)
	var ids []string
	now := a.now()
	for _, p := range l.pending {
		if p.marketplace == svc.Marketplace() && now.Before(p.expires) {
			ids = append(ids, p.id)
		}
	}
	ident, err := svc.FinishLogin(r.Context(), samlResponse, ids...)
	if err != nil {
		a.errorPage(w, http.StatusUnauthorized, errorPage{Title: "Login refused", Message: err.Error(), Retry: svc.InitURL()})
		return
	}
	if _, err := a.db.findOrCreateForMaestrano(r.Context(), ident); err != nil {
		a.logger.LogAttrs(r.Context(), slog.LevelError, "demo: find or create", slog.String("error", err.Error()))
		a.errorPage(w, http.StatusInternalServerError, errorPage{Title: "Login failed", Message: "The app could not record your account; try again.", Retry: svc.InitURL()})
		return
	}
	if loginID != "" {
		a.logins.drop(w, r, loginID)
	}
	// A new session id on login, so that a planted id is worthless.
	if oldID, _, ok := a.sessions.get(r); ok {
		a.sessions.forget(oldID)
	}
	if err := a.sessions.put(w, r, "", session{identity: ident, csrf: newToken()}); err != nil {
		a.errorPage(w, http.StatusServiceUnavailable, errorPage{Title: "Busy", Message: err.Error()})
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *App) handleLogout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if !sameOrigin(r) {
		a.errorPage(w, http.StatusForbidden, errorPage{Title: "Forbidden", Message: "Cross-site logout is not allowed."})
		return
	}
	id, s, ok := a.sessions.get(r)
	if !ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if !a.checkCSRF(r, s) {
		a.errorPage(w, http.StatusForbidden, errorPage{Title: "Forbidden", Message: "The logout form was not sent by this app (missing or wrong CSRF token). Reload the page and try again."})
		return
	}
	a.sessions.drop(w, r, id)
	http.Redirect(w, r, a.services[s.identity.Marketplace].LogoutURL(s.identity.User.UID), http.StatusSeeOther)
}

func (a *App) handleEvents(w http.ResponseWriter, r *http.Request, req *request) {
	evs, err := a.db.events(r.Context(), req.user.Marketplace, req.user.GroupUID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.render(w, r, http.StatusOK, "events", req, eventsPage{Events: evs})
}

// fail answers an internal error without its details, which are logged.
func (a *App) fail(w http.ResponseWriter, r *http.Request, err error) {
	a.logger.LogAttrs(r.Context(), slog.LevelError, "demo: request failed", slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	a.errorPage(w, http.StatusInternalServerError, errorPage{Title: "Error", Message: "Something went wrong in the app; try again."})
}

// sameOrigin refuses a request a browser marks as cross-site, by
// Sec-Fetch-Site or by an Origin that is not this host.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
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
