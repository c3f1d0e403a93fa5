package sso

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/internal/httpclient"
	"github.com/maestrano-go/maestrano/internal/retry"
	"github.com/maestrano-go/maestrano/saml"
)

// DefaultRecheck is used when the IdP's session check answer carries no
// readable recheck time.
const DefaultRecheck = 3 * time.Minute

const maxCheckBody = 64 << 10

// Service runs SSO for one marketplace. It is safe for concurrent use.
type Service struct {
	mp         maestrano.Marketplace
	sp         *saml.ServiceProvider
	httpClient *http.Client
	now        func() time.Time
	logger     *slog.Logger
	retry      retry.Policy
	userAgent  string
	acsHost    string
	uidMode    UIDMode
}

// Option configures a [Service].
type Option func(*config) error

type config struct {
	httpClient *http.Client
	now        func() time.Time
	logger     *slog.Logger
	samlOpts   []saml.Option
	retry      retry.Policy
	userAgent  string
	acsHost    string
	uidMode    UIDMode
}

// Defaults of session checks. A check runs inside a page request, so the
// defaults keep the worst case near ten seconds.
const (
	DefaultCheckTimeout = 5 * time.Second
	DefaultCheckRetries = 1
	// MaxRecheck caps how far ahead the IdP (an answer or the
	// mno_session_recheck attribute) may push the next check, so that one
	// odd answer cannot switch single logout off for a session.
	MaxRecheck = time.Hour
)

// WithHTTPClient sets the client for session checks. The default has
// DefaultCheckTimeout and follows no redirect (the check URL carries the
// session token). A client passed here is used as is.
func WithHTTPClient(c *http.Client) Option {
	return func(cf *config) error {
		if c == nil {
			return errors.New("sso: WithHTTPClient: nil client")
		}
		cf.httpClient = c
		return nil
	}
}

// WithClock sets the clock used for SAML time checks and session rechecks.
func WithClock(now func() time.Time) Option {
	return func(cf *config) error {
		if now == nil {
			return errors.New("sso: WithClock: nil clock")
		}
		cf.now = now
		return nil
	}
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(cf *config) error {
		if l == nil {
			return errors.New("sso: WithLogger: nil logger")
		}
		cf.logger = l
		return nil
	}
}

// WithSAMLOptions passes options to the underlying saml.ServiceProvider,
// for example saml.WithReplayCache for apps that run several instances.
func WithSAMLOptions(opts ...saml.Option) Option {
	return func(cf *config) error { cf.samlOpts = append(cf.samlOpts, opts...); return nil }
}

// WithUserAgent replaces the User-Agent of session checks.
func WithUserAgent(ua string) Option {
	return func(cf *config) error {
		if !httpclient.ValidUserAgent(ua) {
			return errors.New("sso: WithUserAgent: empty or multi-line user agent")
		}
		cf.userAgent = ua
		return nil
	}
}

// WithRetries sets how often a session check is retried after a transport
// error or a 5xx answer (default DefaultCheckRetries; 0 disables retries).
func WithRetries(n int) Option {
	return func(cf *config) error {
		if n < 0 {
			return errors.New("sso: WithRetries: negative count")
		}
		cf.retry.MaxRetries = n
		return nil
	}
}

// WithConsumerHost overrides the host of the consume URL (the ACS): the
// AuthnRequest names host + sso.consume_path, and responses must be
// addressed to it. It is the PHP SDK's setConsumerHost, for an app served
// under several host names. host is an absolute http(s) URL without path.
func WithConsumerHost(host string) Option {
	return func(cf *config) error {
		u, err := url.Parse(host)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("sso: WithConsumerHost: %q is not an absolute http(s) URL without path", host)
		}
		cf.acsHost = host
		return nil
	}
}

// WithUIDMode chooses how the app keys its users (default RealUIDs); see
// [UIDMode] and [Identity.LocalUID].
func WithUIDMode(m UIDMode) Option {
	return func(cf *config) error {
		if m != RealUIDs && m != VirtualUIDs {
			return fmt.Errorf("sso: WithUIDMode: unknown mode %d", m)
		}
		cf.uidMode = m
		return nil
	}
}

// withRetrySleep replaces the backoff wait (tests).
func withRetrySleep(f func(context.Context, time.Duration) error) Option {
	return func(cf *config) error { cf.retry.Sleep = f; return nil }
}

// New returns the SSO service of marketplace mp. The IdP certificate,
// checked against the published fingerprint, is the only trust anchor.
func New(mp *maestrano.Marketplace, opts ...Option) (*Service, error) {
	if mp == nil {
		return nil, errors.New("sso: nil marketplace")
	}
	if err := mp.Validate(); err != nil {
		return nil, err
	}
	cf := config{
		httpClient: httpclient.New(DefaultCheckTimeout),
		now:        time.Now,
		retry:      retry.Policy{MaxRetries: DefaultCheckRetries},
		logger:     slog.New(slog.DiscardHandler),
		userAgent:  maestrano.DefaultUserAgent(),
	}
	for _, opt := range opts {
		if err := opt(&cf); err != nil {
			return nil, err
		}
	}
	cert, _ := mp.Certificate()
	s := &Service{mp: *mp, httpClient: cf.httpClient, now: cf.now, logger: cf.logger, retry: cf.retry, userAgent: cf.userAgent,
		acsHost: cf.acsHost, uidMode: cf.uidMode}
	samlOpts := append([]saml.Option{
		saml.WithIssuer(mp.API.ID),
		saml.WithIDPIssuer(s.IdPURL()),
		saml.WithClock(cf.now),
	}, cf.samlOpts...)
	sp, err := saml.NewServiceProvider(s.ACSURL(), []*x509.Certificate{cert}, samlOpts...)
	if err != nil {
		return nil, err
	}
	s.sp = sp
	return s, nil
}

// Marketplace returns the marketplace's name.
func (s *Service) Marketplace() string { return s.mp.Name }

// InitURL is the app URL that starts a login (sso.idm + sso.init_path).
func (s *Service) InitURL() string { return maestrano.JoinURL(s.mp.SSO.IDM, s.mp.SSO.InitPath) }

// ACSURL is the app URL that consumes the SAML response (sso.idm +
// sso.consume_path, or the [WithConsumerHost] host + sso.consume_path).
func (s *Service) ACSURL() string {
	host := s.mp.SSO.IDM
	if s.acsHost != "" {
		host = s.acsHost
	}
	return maestrano.JoinURL(host, s.mp.SSO.ConsumePath)
}

// InitPath is the configured sso.init_path (it may carry a query).
func (s *Service) InitPath() string { return s.mp.SSO.InitPath }

// ConsumePath is the configured sso.consume_path (it may carry a query).
func (s *Service) ConsumePath() string { return s.mp.SSO.ConsumePath }

// IdPURL is the IdP's SSO endpoint: sso.idp + api.base + "auth/saml".
func (s *Service) IdPURL() string {
	base := s.mp.API.Base
	if base == "" {
		base = "/api/v1/"
	}
	return maestrano.JoinURL(maestrano.JoinURL(s.mp.SSO.IDP, base), "auth/saml")
}

// LogoutURL is the platform page the app sends a user to after logging
// them out locally.
func (s *Service) LogoutURL(userUID string) string {
	u := maestrano.JoinURL(s.mp.SSO.IDP, "/app_logout")
	if userUID != "" {
		u += "?user_uid=" + url.QueryEscape(userUID)
	}
	return u
}

// UnauthorizedURL is the platform page for a refused login.
func (s *Service) UnauthorizedURL() string {
	return maestrano.JoinURL(s.mp.SSO.IDP, "/app_access_unauthorized")
}

// SessionCheckURL is the IdP URL that says whether a session is alive; uid
// and token are escaped.
func (s *Service) SessionCheckURL(uid string, token maestrano.Secret) string {
	return s.IdPURL() + "/" + url.PathEscape(uid) + "?session=" + url.QueryEscape(token.Reveal())
}

// StartLogin builds a new AuthnRequest and returns the IdP URL to redirect
// the browser to, and the request ID to keep until [Service.FinishLogin].
// params are the init request's query parameters; they are passed on to the
// IdP (group_id chooses the group).
func (s *Service) StartLogin(params url.Values) (redirectURL, requestID string, err error) {
	req, err := s.sp.NewAuthnRequest()
	if err != nil {
		return "", "", err
	}
	u, err := s.sp.RedirectURL(s.IdPURL(), req, params)
	if err != nil {
		return "", "", err
	}
	return u, req.ID, nil
}

// FinishLogin verifies the posted SAMLResponse against the outstanding
// request IDs and maps it to an identity.
func (s *Service) FinishLogin(ctx context.Context, samlResponse string, requestIDs ...string) (*Identity, error) {
	a, err := s.sp.ParseResponse(ctx, samlResponse, requestIDs...)
	if err != nil {
		s.logger.LogAttrs(ctx, slog.LevelWarn, "sso: SAML response refused", slog.String("marketplace", s.mp.Name), slog.String("error", err.Error()))
		return nil, err
	}
	id, err := mapIdentity(s.mp.Name, a, s.now(), s.uidMode)
	if err != nil {
		return nil, err
	}
	s.logger.LogAttrs(ctx, slog.LevelDebug, "sso: login", slog.String("marketplace", s.mp.Name), slog.String("user", id.User.UID), slog.String("group", id.Group.UID))
	return id, nil
}

// SessionCheckError says the IdP could not be asked or gave an unreadable
// answer. CheckSession then reports the session as invalid (fail closed).
type SessionCheckError struct {
	// StatusCode is the IdP's HTTP status, or 0 when none arrived.
	StatusCode int
	// Err is the cause.
	Err error
}

// Error describes the failed check, without the session token.
func (e *SessionCheckError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("sso: session check: HTTP %d: %v", e.StatusCode, e.Err)
	}
	return fmt.Sprintf("sso: session check: %v", e.Err)
}

// Unwrap returns the cause.
func (e *SessionCheckError) Unwrap() error { return e.Err }

// CheckSession reports whether the platform session is still alive. Before
// sess.Recheck it answers true without a network call; after, it asks the
// IdP and, when the session is alive, moves sess.Recheck to the IdP's new
// time (the caller must store sess again). A session without user or token
// is invalid. Transport errors are retried; if the IdP still cannot answer,
// the result is false with a [*SessionCheckError].
func (s *Service) CheckSession(ctx context.Context, sess *Session) (bool, error) {
	if sess == nil || sess.UserUID == "" || sess.Token == "" {
		return false, nil
	}
	now := s.now()
	if now.Before(sess.Recheck) {
		return true, nil
	}
	valid, recheck, err := s.askIdP(ctx, sess)
	if err != nil && ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		s.logger.LogAttrs(ctx, slog.LevelWarn, "sso: session check failed", slog.String("marketplace", s.mp.Name), slog.String("user", sess.UserUID), slog.String("error", err.Error()))
		return false, err
	}
	if !valid {
		return false, nil
	}
	sess.Recheck = boundRecheck(recheck, now)
	return true, nil
}

// boundRecheck keeps a recheck time the IdP chose within (now, now+MaxRecheck];
// a missing or past one becomes now+DefaultRecheck.
func boundRecheck(recheck, now time.Time) time.Time {
	switch {
	case recheck.IsZero() || !recheck.After(now):
		recheck = now.Add(DefaultRecheck)
	case recheck.After(now.Add(MaxRecheck)):
		recheck = now.Add(MaxRecheck)
	}
	return recheck.UTC()
}

type checkAnswer struct {
	Valid   json.RawMessage `json:"valid"`
	Recheck string          `json:"recheck"`
}

func (s *Service) askIdP(ctx context.Context, sess *Session) (bool, time.Time, error) {
	endpoint := s.SessionCheckURL(sess.UserUID, sess.Token)
	resp, err := s.retry.Do(ctx, func() (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", s.userAgent)
		return s.httpClient.Do(req)
	})
	if err != nil {
		return false, time.Time{}, &SessionCheckError{Err: redactURLError(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCheckBody+1))
	if err != nil {
		return false, time.Time{}, &SessionCheckError{StatusCode: resp.StatusCode, Err: err}
	}
	if httpclient.IsRedirect(resp.StatusCode) {
		return false, time.Time{}, &SessionCheckError{StatusCode: resp.StatusCode, Err: errors.New("redirect not followed (the check URL carries the session token)")}
	}
	if resp.StatusCode != http.StatusOK {
		return false, time.Time{}, &SessionCheckError{StatusCode: resp.StatusCode, Err: errors.New("unexpected status")}
	}
	if len(body) > maxCheckBody {
		return false, time.Time{}, &SessionCheckError{StatusCode: resp.StatusCode, Err: errors.New("answer too large")}
	}
	var ans checkAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		return false, time.Time{}, &SessionCheckError{StatusCode: resp.StatusCode, Err: fmt.Errorf("answer is not JSON: %v", err)}
	}
	// The platform sends a JSON boolean; the Java SDK's tolerance of the
	// string "true" is kept.
	valid := string(ans.Valid) == "true" || string(ans.Valid) == `"true"`
	recheck, _ := time.Parse(time.RFC3339Nano, ans.Recheck)
	return valid, recheck, nil
}

// redactURLError removes the session token from a *url.Error's URL.
func redactURLError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		if u, perr := url.Parse(uerr.URL); perr == nil {
			q := u.Query()
			if q.Has("session") {
				q.Set("session", "[redacted]")
				u.RawQuery = q.Encode()
			}
			return &url.Error{Op: uerr.Op, URL: u.String(), Err: uerr.Err}
		}
	}
	return err
}
