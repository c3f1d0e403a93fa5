package sandbox

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	dsig "github.com/russellhaering/goxmldsig"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// DemoAppUID is the uid (api.id, SAML issuer) of the seeded demo app.
const DemoAppUID = store.SeedAppUID

// DefaultMarketplace is the name of the seeded marketplace.
const DefaultMarketplace = store.SeedMarketplace

// DevPlatformAPIPath is the path prefix of the developer platform
// configuration API.
const DevPlatformAPIPath = "/api/config/v1"

// DefaultSessionRecheck is the SSO session re-check interval used when
// [Config.SessionRecheck] is zero.
const DefaultSessionRecheck = 3 * time.Minute

// Signature algorithm names accepted in [Config.SignatureAlgorithm].
// An app may override it (store.App.SignatureAlgorithm, the sso
// signature_algorithm of a seed file, the admin app page).
const (
	SignatureRSASHA256 = store.SignatureRSASHA256
	SignatureRSASHA1   = store.SignatureRSASHA1
)

// File names inside [Config.DataDir].
const (
	dbFile   = "sandbox.db"
	keyFile  = "idp.key"
	certFile = "idp.crt"
)

// Config configures a Sandbox.
type Config struct {
	// DataDir is required; it is created (0700) if missing and holds
	// sandbox.db, idp.key (0600), idp.crt and the lock file (0600) that keeps
	// a second sandbox out while this one is open.
	DataDir string
	// BaseURL is required: the public base URL of the sandbox, e.g.
	// "http://127.0.0.1:7000" (no trailing slash). It is published as api.host,
	// sso.idp and connec.host and used as the SAML Issuer.
	BaseURL string
	// Now returns the current time; nil means time.Now. It is used for every
	// timestamp (SAML times, recheck, validity of newly generated certs).
	Now func() time.Time
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// SessionRecheck is the "recheck" interval returned by the session check
	// and in the mno_session_recheck attribute; 0 means
	// [DefaultSessionRecheck].
	SessionRecheck time.Duration
	// SignatureAlgorithm is "" or [SignatureRSASHA256] (the default), or
	// [SignatureRSASHA1], the legacy algorithm the original platform used.
	SignatureAlgorithm string
	// Webhooks configures the outgoing webhooks and their delivery worker
	// (webhook_worker.go); the zero value is the defaults.
	Webhooks WebhookConfig
	// Seed is the world a fresh data directory is seeded with; nil means
	// SeedFile, or [store.DefaultWorld] when that is empty too. It is not
	// used when the database was already seeded.
	Seed *store.World
	// Storage, when not nil, holds the sandbox's state instead of the
	// SQLite database DataDir/sandbox.db (DataDir still holds the key pair
	// and the lock). It is seeded like the database when empty. The caller
	// owns it: [Sandbox.Close] does not close it.
	Storage Storage
	// SeedFile is the path of a JSON or YAML seed file (see
	// [store.ParseWorld]), read when Seed is nil. A file that does not
	// parse makes Open fail even when the database was already seeded.
	SeedFile string
}

// DevPlatform holds the credentials an app uses to auto-configure itself from
// the sandbox's developer platform API: GET Host+APIPath+"/marketplaces" with
// HTTP Basic EnvKey:EnvSecret.
type DevPlatform struct {
	Host      string // the sandbox BaseURL
	APIPath   string // [DevPlatformAPIPath]
	EnvKey    string // environment key, the HTTP Basic user (UUID-like)
	EnvSecret string // secret
}

// Sandbox is the local platform. Create it with [Open]; it is safe for
// concurrent use.
type Sandbox struct {
	store          Storage
	owned          *store.Store // the database Open opened (and Close closes), or nil
	baseURL        string
	now            func() time.Time
	log            *slog.Logger
	sessionRecheck time.Duration
	sigMethod      string // goxmldsig signature method identifier
	key            *rsa.PrivateKey
	cert           *x509.Certificate
	certPEM        string // cert as published in sso.x509_certificate
	certSHA1       string // its fingerprint, sso.x509_fingerprint
	tmpl           *template.Template
	mux            *http.ServeMux
	seeded         bool                // Open seeded the database
	envs           []store.Environment // fixed after seeding
	lock           *dirLock            // exclusive hold on DataDir until Close
	wh             *webhooks
	closeOnce      sync.Once
	closeErr       error
}

// Open opens the sandbox in cfg.DataDir: it takes an exclusive lock on the
// directory (DataDir/lock; a second Open of the same directory, in this or
// another process, fails until [Sandbox.Close]), opens or creates the
// database, loads or generates the IdP's RSA-2048 key and self-signed
// certificate (valid ten years), and seeds the database on first start.
func Open(ctx context.Context, cfg Config) (*Sandbox, error) {
	s := &Sandbox{
		now:            cfg.Now,
		log:            cfg.Logger,
		sessionRecheck: cfg.SessionRecheck,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if s.tmpl, err = parseTemplates(); err != nil {
		return nil, fmt.Errorf("sandbox: parse templates: %w", err)
	}
	if cfg.DataDir == "" {
		return nil, errors.New("sandbox: Config.DataDir is required")
	}
	if s.wh, err = newWebhooks(cfg.Webhooks); err != nil {
		return nil, err
	}
	base, err := validateBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	s.baseURL = base
	switch {
	case s.sessionRecheck == 0:
		s.sessionRecheck = DefaultSessionRecheck
	case s.sessionRecheck < 0:
		return nil, errors.New("sandbox: Config.SessionRecheck must not be negative")
	}
	var ok bool
	if s.sigMethod, ok = signatureMethod(cfg.SignatureAlgorithm, dsig.RSASHA256SignatureMethod); !ok {
		return nil, fmt.Errorf("sandbox: unknown Config.SignatureAlgorithm %q (want %q or %q)",
			cfg.SignatureAlgorithm, SignatureRSASHA256, SignatureRSASHA1)
	}

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("sandbox: create data dir: %w", err)
	}
	// Lock before touching anything else in the directory: the key pair is
	// generated and the database seeded on first start, and both would race.
	if s.lock, err = lockDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	ok = false
	defer func() {
		if !ok {
			if s.owned != nil {
				_ = s.owned.Close()
			}
			s.lock.unlock()
		}
	}()
	s.key, s.cert, err = loadOrCreateKeyPair(cfg.DataDir, s.now(), s.log)
	if err != nil {
		return nil, err
	}
	s.certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cert.Raw}))
	s.certSHA1 = Fingerprint(s.cert.Raw)
	st := cfg.Storage
	if st == nil {
		db, err := store.Open(ctx, filepath.Join(cfg.DataDir, dbFile))
		if err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		st, s.owned = db, db
	}
	s.store = st
	world := cfg.Seed
	if world == nil && cfg.SeedFile != "" {
		if world, err = store.LoadWorldFile(cfg.SeedFile); err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
	}
	seeded, err := st.SeedWorld(ctx, s.now(), world)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if seeded {
		s.log.InfoContext(ctx, "sandbox: seeded", slog.String("data_dir", cfg.DataDir), slog.Bool("seed_file", world != nil))
	} else if world != nil {
		s.log.InfoContext(ctx, "sandbox: already seeded; seed ignored", slog.String("data_dir", cfg.DataDir))
	}
	if s.envs, err = st.Environments(ctx); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if len(s.envs) == 0 {
		return nil, errors.New("sandbox: the database has no developer-platform environment")
	}
	s.seeded = seeded
	if err := st.SetBaseURL(ctx, s.baseURL); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	// The lock is ours: leases left in the outbox belong to a process that
	// died mid-delivery, and those deliveries are due again now.
	if _, err := st.ReleaseAllLeases(ctx); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	ok = true
	s.mux = s.routes()
	s.startWebhookLoop()
	return s, nil
}

// signatureMethod maps a signature algorithm name to its goxmldsig
// identifier; "" gives def. ok is false for an unknown name.
func signatureMethod(name, def string) (method string, ok bool) {
	switch name {
	case "":
		return def, true
	case SignatureRSASHA256:
		return dsig.RSASHA256SignatureMethod, true
	case SignatureRSASHA1:
		return dsig.RSASHA1SignatureMethod, true
	}
	return "", false
}

// validateBaseURL checks that raw is an absolute http(s) URL without query or
// fragment and returns it without trailing slash.
func validateBaseURL(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("sandbox: Config.BaseURL is required")
	}
	u, err := parseHTTPURL(raw)
	if err != nil {
		return "", fmt.Errorf("sandbox: Config.BaseURL: %w", err)
	}
	if u.Path != "" && u.Path != "/" {
		return "", errors.New("sandbox: Config.BaseURL must not have a path")
	}
	return strings.TrimSuffix(raw, "/"), nil
}

// parseHTTPURL parses an absolute http or https URL without user info, query
// or fragment.
func parseHTTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("must be an absolute http or https URL")
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("must have a host")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, errors.New("must not have user info, query or fragment")
	}
	return u, nil
}

// Close stops the webhook delivery loop (cancelling attempts in flight;
// their deliveries stay due), releases the database, then the lock on
// [Config.DataDir], so that another sandbox may open it.
func (s *Sandbox) Close() error {
	s.closeOnce.Do(func() {
		s.stopWebhookLoop()
		if s.owned != nil {
			s.closeErr = s.owned.Close()
		}
		s.lock.unlock()
	})
	return s.closeErr
}

// ServeHTTP serves the whole platform.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "sandbox: handler panic", slog.String("path", r.URL.Path), slog.Any("panic", v))
			s.writeError(w, r, http.StatusInternalServerError, "internal error")
		}
	}()
	if len(r.URL.RawQuery) > maxQueryBytes {
		s.writeError(w, r, http.StatusBadRequest, "query string too large")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, bodyLimit(r.URL.Path))
	// Clients build the developer-platform URL by concatenation and may
	// produce "//"; collapse it here rather than let the mux redirect.
	if strings.Contains(r.URL.Path, "//") {
		r2 := r.Clone(r.Context())
		r2.URL.Path = collapseSlashes(r.URL.Path)
		r2.URL.RawPath = ""
		r = r2
	}
	if h, pattern := s.mux.Handler(r); pattern == "" {
		s.serveUnrouted(w, r, h)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// writeError answers an error found before routing: JSON under /api/, plain
// text elsewhere (as [Sandbox.pageHandler] does).
func (s *Sandbox) writeError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if isAPIPath(r.URL.Path) {
		writeJSON(w, status, ErrorResponse{Error: msg})
		return
	}
	writeText(w, status, msg)
}

// isAPIPath reports whether p is under the JSON API prefix /api/: every
// answer there, errors included, is JSON.
func isAPIPath(p string) bool {
	return p == "/api" || strings.HasPrefix(p, "/api/")
}

// serveUnrouted answers a request no route matches: 404, or 405 with the
// Allow header when the path exists for other methods. The mux decides which
// (and computes Allow) in h, the handler it returned for r; its plain-text
// body is replaced by JSON under /api/ and by the HTML error page elsewhere.
func (s *Sandbox) serveUnrouted(w http.ResponseWriter, r *http.Request, h http.Handler) {
	rec := &headerRecorder{header: http.Header{}, status: http.StatusOK}
	h.ServeHTTP(rec, r)
	status := rec.status
	if status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
		// A redirect to the cleaned path (which then gets its own answer).
		s.mux.ServeHTTP(w, r)
		return
	}
	if allow := rec.header.Values("Allow"); status == http.StatusMethodNotAllowed && len(allow) > 0 {
		w.Header()["Allow"] = allow
	}
	msg := "not found"
	if status == http.StatusMethodNotAllowed {
		msg = "method " + clip(r.Method) + " not allowed"
	}
	if isAPIPath(r.URL.Path) {
		writeJSON(w, status, ErrorResponse{Error: msg})
		return
	}
	s.renderPage(w, status, "error.html", errorPageData{Title: http.StatusText(status), Message: msg})
}

// headerRecorder captures the status and headers of the mux's own 404/405
// handlers and discards their body.
type headerRecorder struct {
	header http.Header
	status int
	wrote  bool
}

// Header returns the recorded header map.
func (h *headerRecorder) Header() http.Header { return h.header }

// WriteHeader records status; only the first call counts.
func (h *headerRecorder) WriteHeader(status int) {
	if !h.wrote {
		h.status, h.wrote = status, true
	}
}

// Write discards b, recording status 200 if no status was written yet.
func (h *headerRecorder) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return len(b), nil
}

func collapseSlashes(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// DevPlatform returns the credentials of the first environment (in the
// default world, the one of the demo app): what an app uses to auto-configure
// from this sandbox. See [Sandbox.AppDevPlatform] for other apps.
func (s *Sandbox) DevPlatform() DevPlatform {
	return s.devPlatformOf(s.envs[0]) // Open checked there is one
}

func (s *Sandbox) devPlatformOf(e store.Environment) DevPlatform {
	return DevPlatform{Host: s.baseURL, APIPath: DevPlatformAPIPath, EnvKey: e.Key, EnvSecret: e.Secret}
}

// SetAppHost sets the host and the SSO IdM host (sso.idm) of an app; the demo
// app's URL is usually only known once it has started. host must be an
// absolute http(s) URL; a trailing slash is removed.
func (s *Sandbox) SetAppHost(ctx context.Context, appUID, host string) error {
	if _, err := parseHTTPURL(host); err != nil {
		return fmt.Errorf("sandbox: app host: %w", err)
	}
	err := s.store.SetAppHost(ctx, appUID, strings.TrimSuffix(host, "/"))
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("sandbox: unknown app %q", appUID)
	}
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	return nil
}

// AppHost returns the app's sso.idm, the base URL where the platform
// expects the app's init and consume paths.
func (s *Sandbox) AppHost(ctx context.Context, appUID string) (string, error) {
	app, err := s.store.App(ctx, appUID)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("sandbox: unknown app %q", appUID)
	}
	if err != nil {
		return "", fmt.Errorf("sandbox: %w", err)
	}
	return app.SSOIdM, nil
}

// RotateSession gives the user a new random SSO session token, so that the
// next session check for the old token answers valid:false (the platform's
// way of logging a user out of every app). userUID may be a virtual uid
// (usr-x.cld-y) or virtual email: the user is the part before the first ".".
func (s *Sandbox) RotateSession(ctx context.Context, userUID string) error {
	userUID = realUserUID(userUID)
	err := s.store.SetSSOSession(ctx, userUID, store.NewSSOSession())
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("sandbox: unknown user %q: %w", userUID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	s.log.InfoContext(ctx, "sandbox: rotated sso session", slog.String("user_uid", userUID))
	return nil
}

// Certificate returns the IdP's signing certificate, as published in the
// marketplace configuration (sso.x509_certificate).
func (s *Sandbox) Certificate() *x509.Certificate {
	return s.cert
}

// routes builds the request router.
func (s *Sandbox) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET "+DevPlatformAPIPath+"/marketplaces", s.jsonHandler(s.handleMarketplaces))
	mux.Handle("GET "+DevPlatformAPIPath+"/marketplaces/{$}", s.jsonHandler(s.handleMarketplaces))
	mux.Handle("GET /api/v1/auth/saml", s.pageHandler(s.handleSSO))
	mux.Handle("GET /api/v1/auth/saml/{uid}", s.jsonHandler(s.handleSessionCheck))
	mux.Handle("GET /app_logout", s.pageHandler(s.handleLogout))
	mux.Handle("GET /app_access_unauthorized", s.pageHandler(s.handleAccessUnauthorized))
	mux.Handle("GET /{$}", s.pageHandler(s.handleAdmin))
	mux.Handle("GET /admin", s.pageHandler(s.handleAdmin))
	mux.Handle("POST /admin/users/{uid}/rotate_session", s.pageHandler(s.handleAdminRotate))
	mux.Handle("POST /api/sandbox/v1/users/{uid}/rotate_session", s.adminAPI(s.handleAPIRotate))
	s.accountRoutes(mux)
	s.connecRoutes(mux)
	s.webhookRoutes(mux)
	s.adminAPIRoutes(mux)
	return mux
}
