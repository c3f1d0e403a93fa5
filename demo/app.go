package demo

import (
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/saml"
	"github.com/maestrano-go/maestrano/sso"
)

// maxConsumeBody bounds the consume POST (the SAMLResponse and a little more).
const maxConsumeBody = saml.DefaultMaxResponseSize + 64<<10

// App is the demo app. It is an http.Handler.
type App struct {
	mux      *http.ServeMux
	services map[string]*sso.Service
	names    []string
	sessions *store[session]
	logins   *store[login]
	now      func() time.Time
	logger   *slog.Logger
}

// Option configures an [App].
type Option func(*appConfig)

type appConfig struct {
	now        func() time.Time
	logger     *slog.Logger
	httpClient *http.Client
}

// WithClock sets the clock of the app and of its SSO checks.
func WithClock(now func() time.Time) Option { return func(c *appConfig) { c.now = now } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(c *appConfig) { c.logger = l } }

// WithHTTPClient sets the client used for session checks.
func WithHTTPClient(hc *http.Client) Option { return func(c *appConfig) { c.httpClient = hc } }

// New builds the app for every marketplace of reg. Routes follow each
// marketplace's sso.init_path and sso.consume_path.
func New(reg *maestrano.Registry, opts ...Option) (*App, error) {
	cf := appConfig{now: time.Now, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&cf)
	}
	if cf.now == nil || cf.logger == nil {
		return nil, errors.New("demo: nil clock or logger")
	}
	a := &App{mux: http.NewServeMux(), services: map[string]*sso.Service{}, now: cf.now, logger: cf.logger}
	a.sessions = newStore[session](cf.now, sessionCookie, sessionLifetime, false)
	a.logins = newStore[login](cf.now, loginCookie, loginLifetime, true)
	ssoOpts := []sso.Option{sso.WithClock(cf.now), sso.WithLogger(cf.logger)}
	if cf.httpClient != nil {
		ssoOpts = append(ssoOpts, sso.WithHTTPClient(cf.httpClient))
	}
	routes := map[string][]route{}
	for _, name := range reg.Names() {
		mp, err := reg.Get(name)
		if err != nil {
			return nil, err
		}
		svc, err := sso.New(mp, ssoOpts...)
		if err != nil {
			return nil, err
		}
		a.services[name] = svc
		a.names = append(a.names, name)
		for _, r := range []struct{ method, u string }{{"GET", svc.InitURL()}, {"POST", svc.ACSURL()}} {
			u, err := url.Parse(r.u)
			if err != nil {
				return nil, fmt.Errorf("demo: marketplace %s: %w", name, err)
			}
			key := r.method + " " + u.EscapedPath()
			routes[key] = append(routes[key], route{marketplace: name, query: u.Query()})
		}
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
	return a, nil
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
		a.page(w, http.StatusNotFound, errorPage{Title: "Unknown marketplace", Message: "No marketplace is configured for this URL."})
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

func (a *App) handleHome(w http.ResponseWriter, r *http.Request) {
	id, s, ok := a.sessions.get(r)
	if !ok {
		var logins []loginLink
		for _, name := range a.names {
			logins = append(logins, loginLink{Marketplace: name, URL: a.services[name].InitURL()})
		}
		a.page(w, http.StatusOK, homePage{Logins: logins, NoMarketplace: len(logins) == 0})
		return
	}
	svc := a.services[s.identity.Marketplace]
	sess := s.identity.Session
	valid, err := svc.CheckSession(r.Context(), &sess)
	if !valid {
		if r.Context().Err() != nil {
			// The browser went away mid-check: nothing is known about
			// the session, so keep it.
			return
		}
		// The platform ended the session, or cannot confirm it: log out
		// locally (fail closed).
		a.logger.LogAttrs(r.Context(), slog.LevelInfo, "demo: platform session not confirmed", slog.String("user", sess.UserUID), slog.Any("error", err))
		a.sessions.drop(w, r, id)
		var checkErr *sso.SessionCheckError
		if errors.As(err, &checkErr) {
			// Sending the browser to an IdP that does not answer would
			// end on a browser error page; say what happened instead.
			a.page(w, http.StatusServiceUnavailable, errorPage{Title: "Session not confirmed",
				Message: "The marketplace could not confirm your session, so you were logged out. Try logging in again in a moment.", Retry: svc.InitURL()})
			return
		}
		http.Redirect(w, r, svc.InitURL(), http.StatusSeeOther)
		return
	}
	if !sess.Recheck.Equal(s.identity.Session.Recheck) {
		ident := *s.identity
		ident.Session = sess
		s.identity = &ident
		if err := a.sessions.put(w, r, id, s); err != nil {
			a.page(w, http.StatusServiceUnavailable, errorPage{Title: "Busy", Message: err.Error()})
			return
		}
	}
	a.page(w, http.StatusOK, homePage{Identity: s.identity, LogoutAction: "/logout"})
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
		a.page(w, http.StatusInternalServerError, errorPage{Title: "Cannot start login", Message: err.Error()})
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
		a.page(w, http.StatusServiceUnavailable, errorPage{Title: "Busy", Message: err.Error()})
		return
	}
	http.Redirect(w, r, redirect, http.StatusFound)
}

func (a *App) handleConsume(w http.ResponseWriter, r *http.Request, svc *sso.Service) {
	r.Body = http.MaxBytesReader(w, r.Body, maxConsumeBody)
	if err := r.ParseForm(); err != nil {
		a.page(w, http.StatusRequestEntityTooLarge, errorPage{Title: "Login refused", Message: "The login form is too large or malformed."})
		return
	}
	samlResponse := r.PostForm.Get("SAMLResponse")
	if samlResponse == "" {
		a.page(w, http.StatusBadRequest, errorPage{Title: "Login refused", Message: "The request carries no SAMLResponse."})
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
		a.page(w, http.StatusUnauthorized, errorPage{Title: "Login refused", Message: err.Error(), Retry: svc.InitURL()})
		return
	}
	if loginID != "" {
		a.logins.drop(w, r, loginID)
	}
	// A new session id on login, so that a planted id is worthless.
	if oldID, _, ok := a.sessions.get(r); ok {
		a.sessions.forget(oldID)
	}
	if err := a.sessions.put(w, r, "", session{identity: ident}); err != nil {
		a.page(w, http.StatusServiceUnavailable, errorPage{Title: "Busy", Message: err.Error()})
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *App) handleLogout(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		a.page(w, http.StatusForbidden, errorPage{Title: "Forbidden", Message: "Cross-site logout is not allowed."})
		return
	}
	id, s, ok := a.sessions.get(r)
	if !ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	a.sessions.drop(w, r, id)
	http.Redirect(w, r, a.services[s.identity.Marketplace].LogoutURL(s.identity.User.UID), http.StatusSeeOther)
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

type loginLink struct{ Marketplace, URL string }

type homePage struct {
	Logins        []loginLink
	NoMarketplace bool
	Identity      *sso.Identity
	LogoutAction  string
}

type errorPage struct {
	Title, Message, Retry string
}

func (a *App) page(w http.ResponseWriter, status int, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	name := "home"
	if _, ok := data.(errorPage); ok {
		name = "error"
	}
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		a.logger.Error("demo: render", slog.String("error", err.Error()))
	}
}

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demo App</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}th{text-align:left;padding-right:1rem}
.btn{display:inline-block;background:#2860c8;color:#fff;padding:.6rem 1rem;border-radius:.3rem;text-decoration:none;border:0;font-size:1rem;cursor:pointer}</style>
</head><body><h1>Demo App</h1>{{end}}
{{define "home"}}{{template "head"}}
{{if .Identity}}{{with .Identity}}
<p id="welcome">Welcome, {{.User.FirstName}} {{.User.LastName}}.</p>
<table id="identity">
<tr><th>Name</th><td id="user-name">{{.User.FirstName}} {{.User.LastName}}</td></tr>
<tr><th>Email</th><td id="user-email">{{.User.Email}}</td></tr>
<tr><th>User uid</th><td id="user-uid">{{.User.UID}}</td></tr>
<tr><th>Group name</th><td id="group-name">{{.Group.Name}}</td></tr>
<tr><th>Group uid</th><td id="group-uid">{{.Group.UID}}</td></tr>
<tr><th>Role</th><td id="role">{{.Membership.Role}}</td></tr>
<tr><th>Marketplace</th><td id="marketplace">{{.Marketplace}}</td></tr>
</table>{{end}}
<form method="post" action="{{.LogoutAction}}"><button class="btn" id="logout" type="submit">Log out</button></form>
{{else}}
<p>You are not logged in.</p>
{{if .NoMarketplace}}<p id="no-marketplace">The developer platform lists no marketplace for this app, so there is nowhere to log in from. Check the app's marketplaces on the developer platform.</p>{{end}}
{{range .Logins}}<p><a class="btn login" href="{{.URL}}">Log in with Maestrano</a> <small>({{.Marketplace}})</small></p>{{end}}
{{end}}</body></html>{{end}}
{{define "error"}}{{template "head"}}<h2 id="error-title">{{.Title}}</h2><p id="error-message">{{.Message}}</p>
{{if .Retry}}<p><a class="btn" href="{{.Retry}}">Try again</a></p>{{end}}<p><a href="/">Home</a></p></body></html>{{end}}
`))
