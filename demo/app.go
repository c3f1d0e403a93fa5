package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/account"
	"github.com/maestrano-go/maestrano/connec"
	"github.com/maestrano-go/maestrano/saml"
	"github.com/maestrano-go/maestrano/sso"
)

// maxFormBody bounds the app's own forms.
const maxFormBody = 64 << 10

// keyFile holds the app's secret key (session cookies, CSRF tokens) in its
// data directory.
const keyFile = "app.key"

// App is the demo app. It is an http.Handler; [App.Close] closes its
// database.
type App struct {
	mux      *http.ServeMux
	reg      *maestrano.Registry
	set      *sso.Set
	mw       *sso.Middleware
	store    sso.SessionStore
	csrfKey  []byte
	db       *db
	now      func() time.Time
	logger   *slog.Logger
	pages    map[string]*template.Template
	accounts map[string]*account.Client
	// httpClient, when set, makes the platform calls (Connec!, account).
	httpClient *http.Client
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

// WithDataDir keeps the app's database (demo.db) and secret key (app.key)
// in dir, created 0700 if missing, so that users stay logged in across
// restarts. Without it both live in memory.
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
	pages, err := parsePages()
	if err != nil {
		return nil, fmt.Errorf("demo: templates: %w", err)
	}
	dbPath, key := "", make([]byte, 64)
	_, _ = rand.Read(key)
	if cf.dataDir != "" {
		if err := os.MkdirAll(cf.dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("demo: data directory: %w", err)
		}
		dbPath = filepath.Join(cf.dataDir, dbFile)
		if key, err = loadOrCreateKey(filepath.Join(cf.dataDir, keyFile)); err != nil {
			return nil, err
		}
	}
	d, err := openDB(ctx, dbPath, cf.now)
	if err != nil {
		return nil, err
	}
	a := &App{mux: http.NewServeMux(), reg: reg, db: d, now: cf.now, logger: cf.logger, pages: pages,
		accounts: map[string]*account.Client{}, httpClient: cf.httpClient}
	if err := a.routes(cf, key); err != nil {
		d.close()
		return nil, err
	}
	return a, nil
}

// loadOrCreateKey reads the app's 64-byte secret key, or creates it (0600).
func loadOrCreateKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil && len(key) == 64 {
		return key, nil
	}
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("demo: key file %s is unreadable or not 64 bytes; delete it to make a new one (users log in again)", path)
	}
	key = make([]byte, 64)
	_, _ = rand.Read(key)
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("demo: write key: %w", err)
	}
	return key, nil
}

// Close closes the app's database.
func (a *App) Close() error { return a.db.close() }

// routes wires the SDK: one sso.Service per marketplace (sso.Set), the
// login handlers mounted at each marketplace's init and consume paths, the
// session in a signed cookie, and the middleware that re-checks it.
func (a *App) routes(cf appConfig, key []byte) error {
	ssoOpts := []sso.Option{sso.WithClock(cf.now), sso.WithLogger(cf.logger)}
	if cf.httpClient != nil {
		ssoOpts = append(ssoOpts, sso.WithHTTPClient(cf.httpClient))
	}
	set, err := sso.NewSet(a.reg, ssoOpts...)
	if err != nil {
		return err
	}
	a.set = set
	keys, err := sso.NewKeyring(key[:32])
	if err != nil {
		return err
	}
	a.csrfKey = key[32:]
	store, err := sso.NewCookieStore(keys, sso.WithCookieClock(cf.now))
	if err != nil {
		return err
	}
	a.store = store
	// Only group_id (which group to log in through) goes on to the IdP;
	// other parameters of the init URL are the app's business.
	if err := set.Mount(a.mux, keys, store, a.onLogin,
		sso.WithForwardedParams("group_id"), sso.WithErrorHandler(a.loginFailed), sso.WithHandlerLogger(cf.logger)); err != nil {
		return err
	}
	a.mw, err = sso.NewMiddleware(set, store,
		sso.WithLoginRequired(http.RedirectHandler("/", http.StatusSeeOther)),
		sso.WithIdPUnavailable(a.idpUnavailable),
		sso.WithMiddlewareLogger(cf.logger))
	if err != nil {
		return err
	}
	for _, name := range a.reg.Names() {
		mp, err := a.reg.Get(name)
		if err != nil {
			return err
		}
		var accOpts []account.Option
		if cf.httpClient != nil {
			accOpts = append(accOpts, account.WithHTTPClient(cf.httpClient))
		}
		if a.accounts[name], err = account.New(mp, accOpts...); err != nil {
			return err
		}
	}
	if err := a.accountWebhooks(cf.logger); err != nil {
		return err
	}
	a.mux.Handle("GET /{$}", a.mw.Optional(http.HandlerFunc(a.handleHome)))
	a.mux.Handle("POST /logout", a.mw.Require(a.page(func(w http.ResponseWriter, r *http.Request, _ *request) {
		clearCSRFNonce(w, r)
		a.mw.Logout().ServeHTTP(w, r)
	})))
	a.mux.Handle("GET /events", a.mw.Require(a.page(a.handleEvents)))
	a.billingRoutes()
	a.dataRoutes()
	// Connec! notifications: one route per marketplace's
	// webhooks.connec.notification_path; a redelivery (same
	// X-Mno-Delivery-Id) is dropped by the in-memory delivery store, which
	// serves one app instance (several share one, e.g. Redis).
	notifications, err := connec.NewNotificationHandler(a.reg, a.onNotification,
		connec.WithDeliveryStore(saml.NewMemoryReplayCache(0, cf.now)), connec.WithClock(cf.now), connec.WithLogger(cf.logger))
	if err != nil {
		return err
	}
	if err := notifications.Mount(a.mux); err != nil {
		return err
	}
	a.mux.HandleFunc("GET /static/live.js", serveLiveJS)
	return nil
}

// ServeHTTP implements http.Handler.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "same-origin")
	a.mux.ServeHTTP(w, r)
}

// onLogin is the SDK's login callback: the user, group and membership are
// found or created in the app's own database.
func (a *App) onLogin(w http.ResponseWriter, r *http.Request, id *sso.Identity) error {
	if _, err := a.db.findOrCreateForMaestrano(r.Context(), id); err != nil {
		return err
	}
	newCSRFNonce(w, r) // a new session: new CSRF tokens
	return nil
}

// loginFailed shows why a login did not complete. The user sees a message
// written for them ([saml.ValidationError.PublicMessage] or a fixed one),
// never the error itself, which is for the developer and goes to the log.
func (a *App) loginFailed(w http.ResponseWriter, r *http.Request, err *sso.LoginError) {
	level := slog.LevelInfo
	if err.Status >= 500 {
		level = slog.LevelError
	}
	a.logger.LogAttrs(r.Context(), level, "demo: login failed", slog.String("marketplace", err.Marketplace),
		slog.Int("status", err.Status), slog.String("error", err.Error()))
	retry := ""
	if svc, ok := a.set.Service(err.Marketplace); ok {
		retry = svc.InitURL()
	}
	a.errorPage(w, err.Status, errorPage{Title: "Login refused", Message: loginMessage(err), Retry: retry})
}

// loginMessage is what the user is told about a failed login.
func loginMessage(err *sso.LoginError) string {
	var (
		invalid *saml.ValidationError
		mapping *sso.MappingError
		refused *sso.RefusedError
	)
	switch {
	case errors.As(err, &invalid):
		return invalid.PublicMessage()
	case errors.As(err, &mapping):
		return "The marketplace sent incomplete account details, so the app cannot log you in. Contact the app's support if it keeps happening."
	case errors.As(err, &refused):
		return "This app does not let you in through this organization."
	case err.Status == http.StatusRequestEntityTooLarge:
		return "The login form is too large."
	case err.Status >= 500:
		return "The app could not complete the login; try again."
	default:
		return "The login request was incomplete. Start again from the app's login button."
	}
}

// idpUnavailable: the IdP could not confirm the session, so the SDK logged
// the user out (fail closed). Sending the browser to an IdP that does not
// answer would end on a browser error page; say what happened instead.
func (a *App) idpUnavailable(w http.ResponseWriter, _ *http.Request, svc *sso.Service, _ error) {
	a.errorPage(w, http.StatusServiceUnavailable, errorPage{Title: "Session not confirmed",
		Message: "The marketplace could not confirm your session, so you were logged out. Try logging in again in a moment.", Retry: svc.InitURL()})
}

// request is a logged-in request: the platform session (checked by the
// SDK's middleware) and the user as the app's database knows them.
type request struct {
	session sso.Session
	user    *localUser
	nonce   string // the session's CSRF nonce ("" on a POST without one)
	csrf    string
}

// page wraps a page behind [sso.Middleware.Require]. On every request it
// checks that the app's own database still lets the user into the group
// (account webhooks remove memberships and disable groups), and on POST the
// CSRF token.
func (a *App) page(h func(http.ResponseWriter, *http.Request, *request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, ok := a.logged(w, r)
		if !ok {
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
			if !a.checkCSRF(r, req) {
				a.errorPage(w, http.StatusForbidden, errorPage{Title: "Forbidden",
					Message: "The form was not sent by this app (missing or wrong CSRF token). Reload the page and try again."})
				return
			}
		}
		h(w, r, req)
	})
}

// logged reads the session the middleware put in the context and the
// user's local access. When it returns false it has answered the request.
func (a *App) logged(w http.ResponseWriter, r *http.Request) (*request, bool) {
	sess, ok := sso.FromContext(r.Context())
	if !ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil, false
	}
	ctx := r.Context()
	user := sso.RealUID(sess.UserUID)
	lu, ok, err := a.db.access(ctx, sess.Marketplace, user, sess.GroupUID)
	if err != nil {
		a.fail(w, r, err)
		return nil, false
	}
	if !ok {
		// Log out locally: the next page is the login page.
		if err := a.store.Clear(w, r); err != nil {
			a.logger.LogAttrs(ctx, slog.LevelError, "demo: clear session", slog.String("error", err.Error()))
		}
		msg := "You are no longer a member of " + a.db.groupName(ctx, sess.Marketplace, sess.GroupUID) + " in this app."
		if lu != nil {
			msg = lu.GroupName + " no longer uses this app: its subscription was cancelled on the marketplace."
		}
		a.logger.LogAttrs(ctx, slog.LevelInfo, "demo: access removed", slog.String("user", user), slog.String("group", sess.GroupUID))
		a.errorPage(w, http.StatusForbidden, errorPage{Title: "Access removed", Message: msg})
		return nil, false
	}
	nonce := csrfNonce(r)
	if nonce == "" && r.Method != http.MethodPost {
		// A session from before nonces (or whose cookie went): start one,
		// so that the page's forms carry a token that verifies.
		nonce = newCSRFNonce(w, r)
	}
	return &request{session: sess, user: lu, nonce: nonce, csrf: a.csrfToken(nonce, sess)}, true
}

func (a *App) handleHome(w http.ResponseWriter, r *http.Request) {
	if _, ok := sso.FromContext(r.Context()); !ok {
		var logins []loginLink
		for _, name := range a.set.Names() {
			svc, _ := a.set.Service(name)
			logins = append(logins, loginLink{Marketplace: name, URL: svc.InitURL()})
		}
		a.render(w, r, http.StatusOK, "login", nil, loginPage{Logins: logins, NoMarketplace: len(logins) == 0})
		return
	}
	a.page(func(w http.ResponseWriter, r *http.Request, req *request) {
		a.render(w, r, http.StatusOK, "dashboard", req, dashboardPage{User: req.user})
	}).ServeHTTP(w, r)
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
