package maestrano

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/maestrano-go/maestrano/internal/clip"
	"github.com/maestrano-go/maestrano/internal/httpclient"
	"github.com/maestrano-go/maestrano/internal/retry"
)

// Defaults of the developer platform location.
const (
	DefaultDevPlatformHost    = "https://developer.maestrano.com"
	DefaultDevPlatformAPIPath = "/api/config/v1"
)

// Environment variables read by [DevPlatformFromEnv] and [LoadDevPlatform].
const (
	EnvDevPlatformHost    = "MNO_DEVPL_HOST"
	EnvDevPlatformAPIPath = "MNO_DEVPL_API_PATH"
	EnvDevPlatformEnvName = "MNO_DEVPL_ENV_NAME"
	EnvDevPlatformKey     = "MNO_DEVPL_ENV_KEY"
	EnvDevPlatformSecret  = "MNO_DEVPL_ENV_SECRET"
)

const (
	maxConfigFileSize = 1 << 20
	maxConfigBodySize = 8 << 20
	maxErrorMessage   = 512
)

// DevPlatform locates the developer platform and holds the environment
// credentials used to fetch the marketplace configuration.
type DevPlatform struct {
	// Host is the developer platform's base URL; empty means DefaultDevPlatformHost.
	Host string
	// APIPath is the configuration API path. Both "/api/config/v1" (PHP,
	// Java) and "/api/config/v1/marketplaces" (Ruby) are understood; empty
	// means DefaultDevPlatformAPIPath.
	APIPath string
	// EnvName is the environment's name; informational only.
	EnvName string
	// EnvKey and EnvSecret are the environment's API key and secret.
	EnvKey string
	// EnvSecret is the environment's API secret; it never prints.
	EnvSecret Secret
}

// LogValue keeps the environment secret out of structured logs.
func (dp DevPlatform) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("host", dp.Host),
		slog.String("api_path", dp.APIPath),
		slog.String("env_name", dp.EnvName),
		slog.String("env_key", dp.EnvKey),
		slog.String("env_secret", dp.EnvSecret.String()),
	)
}

// devPlatformFile is the dev-platform.json shape of the original SDKs.
type devPlatformFile struct {
	DevPlatform  *devPlatformFileHost `json:"dev-platform"`
	DevPlatform2 *devPlatformFileHost `json:"dev_platform"`
	Environment  struct {
		Name      string `json:"name"`
		APIKey    string `json:"api_key"`
		APISecret string `json:"api_secret"`
	} `json:"environment"`
}

type devPlatformFileHost struct {
	Host    string `json:"host"`
	APIPath string `json:"api_path"`
}

// DevPlatformFromEnv reads MNO_DEVPL_HOST, MNO_DEVPL_API_PATH,
// MNO_DEVPL_ENV_NAME, MNO_DEVPL_ENV_KEY and MNO_DEVPL_ENV_SECRET through
// getenv (pass os.Getenv).
func DevPlatformFromEnv(getenv func(string) string) DevPlatform {
	return DevPlatform{
		Host:      getenv(EnvDevPlatformHost),
		APIPath:   getenv(EnvDevPlatformAPIPath),
		EnvName:   getenv(EnvDevPlatformEnvName),
		EnvKey:    getenv(EnvDevPlatformKey),
		EnvSecret: Secret(getenv(EnvDevPlatformSecret)),
	}
}

// LoadDevPlatform reads the dev-platform.json file at path (skipped when
// path is empty) and then the MNO_DEVPL_* variables through getenv (nil
// means none). The result must name an environment key and secret.
//
// Precedence, highest first:
//  1. values the app sets in code on the returned DevPlatform (or a
//     DevPlatform built by hand and passed to [AutoConfigure]);
//  2. an MNO_DEVPL_* variable that is set and not empty;
//  3. the file's "dev-platform" (or "dev_platform") and "environment" blocks;
//  4. the defaults, DefaultDevPlatformHost and DefaultDevPlatformAPIPath.
//
// The file has the keys host and api_path under "dev-platform", and name,
// api_key and api_secret under "environment"; any other key is an error.
func LoadDevPlatform(path string, getenv func(string) string) (DevPlatform, error) {
	var dp DevPlatform
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return dp, &ConfigError{Problems: []string{fmt.Sprintf("dev-platform file: %v", err)}}
		}
		defer f.Close()
		if dp, err = parseDevPlatformFile(io.LimitReader(f, maxConfigFileSize+1)); err != nil {
			return dp, &ConfigError{Problems: []string{fmt.Sprintf("dev-platform file %s: %v", path, err)}}
		}
	}
	if getenv != nil {
		env := DevPlatformFromEnv(getenv)
		for _, p := range []struct {
			dst *string
			v   string
		}{
			{&dp.Host, env.Host}, {&dp.APIPath, env.APIPath}, {&dp.EnvName, env.EnvName}, {&dp.EnvKey, env.EnvKey},
		} {
			if p.v != "" {
				*p.dst = p.v
			}
		}
		if env.EnvSecret != "" {
			dp.EnvSecret = env.EnvSecret
		}
	}
	return dp, dp.Validate()
}

func parseDevPlatformFile(r io.Reader) (DevPlatform, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return DevPlatform{}, err
	}
	if len(data) > maxConfigFileSize {
		return DevPlatform{}, fmt.Errorf("larger than %d bytes", maxConfigFileSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f devPlatformFile
	if err := dec.Decode(&f); err != nil {
		return DevPlatform{}, fmt.Errorf("not valid JSON in the dev-platform shape: %v", err)
	}
	if dec.More() {
		return DevPlatform{}, errors.New("data after the JSON object")
	}
	host := f.DevPlatform
	if host == nil {
		host = f.DevPlatform2
	}
	dp := DevPlatform{EnvName: f.Environment.Name, EnvKey: f.Environment.APIKey, EnvSecret: Secret(f.Environment.APISecret)}
	if host != nil {
		dp.Host, dp.APIPath = host.Host, host.APIPath
	}
	return dp, nil
}

// Validate checks that the environment credentials are set and that the
// host is an absolute URL. Plain http is accepted only for loopback hosts,
// so that the environment secret never crosses a network in clear.
func (dp DevPlatform) Validate() error {
	var problems []string
	if dp.EnvKey == "" {
		problems = append(problems, "environment api_key ("+EnvDevPlatformKey+") is empty")
	}
	if dp.EnvSecret == "" {
		problems = append(problems, "environment api_secret ("+EnvDevPlatformSecret+") is empty")
	}
	if _, err := dp.MarketplacesURL(); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return &ConfigError{Problems: problems}
	}
	return nil
}

// MarketplacesURL is the URL of the marketplace configuration listing.
func (dp DevPlatform) MarketplacesURL() (string, error) {
	host := dp.Host
	if host == "" {
		host = DefaultDevPlatformHost
	}
	u, err := url.Parse(host)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("dev-platform host %q is not an absolute http(s) URL", host)
	}
	if u.Scheme == "http" && !httpclient.IsLoopbackHost(u.Hostname()) {
		return "", fmt.Errorf("dev-platform host %q uses plain http on a non-loopback host; use https", host)
	}
	path := dp.APIPath
	if path == "" {
		path = DefaultDevPlatformAPIPath
	}
	path = "/" + strings.Trim(path, "/")
	if !strings.HasSuffix(path, "/marketplaces") {
		path += "/marketplaces"
	}
	return strings.TrimRight(host, "/") + path, nil
}

// Option configures [AutoConfigure].
type Option func(*options) error

type options struct {
	httpClient *http.Client
	logger     *slog.Logger
	userAgent  string
	retry      retry.Policy
	now        func() time.Time
	cacheDir   string
	cacheTTL   time.Duration
	refresh    time.Duration
}

// WithHTTPClient sets the HTTP client. The default has a 30 s timeout and
// follows no redirect (a redirect could carry the environment credentials to
// another origin, or from https to http). A client passed here is used as
// is, never modified: its redirect policy is yours.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("maestrano: WithHTTPClient: nil client")
		}
		o.httpClient = c
		return nil
	}
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("maestrano: WithLogger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithUserAgent replaces the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(o *options) error {
		if !httpclient.ValidUserAgent(ua) {
			return errors.New("maestrano: WithUserAgent: empty or multi-line user agent")
		}
		o.userAgent = ua
		return nil
	}
}

// WithRetries sets how many times a failed fetch is retried after a
// transport error or a 5xx answer (default 2; 0 disables retries).
func WithRetries(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return errors.New("maestrano: WithRetries: negative count")
		}
		o.retry.MaxRetries = n
		return nil
	}
}

// DefaultCacheTTL is how long a cached configuration is used without
// asking the developer platform (the PHP SDK's 12 hours).
const DefaultCacheTTL = 12 * time.Hour

// WithCache keeps a copy of the fetched configuration in dir (created 0700
// if missing), one file per environment: the file name is a hash of the
// configuration URL and the environment key, never the secret. The file
// holds the marketplaces' API keys, so it is written 0600, atomically
// (temporary file, then rename). It also holds the IdP certificates the SSO
// verifier trusts, so on unix a copy is not used (a warning is logged and the
// configuration fetched) when it belongs to another user or another user
// could have written it: the file writable by group or others, or dir
// writable by them without the sticky bit. See [AutoConfigure] for when the
// copy is used.
func WithCache(dir string) Option {
	return func(o *options) error {
		if strings.TrimSpace(dir) == "" {
			return errors.New("maestrano: WithCache: empty directory")
		}
		o.cacheDir = dir
		return nil
	}
}

// WithCacheTTL sets how long a cached copy is fresh (default
// DefaultCacheTTL). A stale copy is still used when the platform is down.
func WithCacheTTL(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return errors.New("maestrano: WithCacheTTL: duration must be positive")
		}
		o.cacheTTL = d
		return nil
	}
}

// WithClock sets the clock used for cache ages (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("maestrano: WithClock: nil clock")
		}
		o.now = now
		return nil
	}
}

// WithRefresh makes [AutoConfigureSource] fetch the configuration again
// every interval in a background goroutine, until its ctx is done. A failed
// refresh keeps the current configuration and logs a warning. Ignored by
// [AutoConfigure].
func WithRefresh(interval time.Duration) Option {
	return func(o *options) error {
		if interval <= 0 {
			return errors.New("maestrano: WithRefresh: interval must be positive")
		}
		o.refresh = interval
		return nil
	}
}

// withRetrySleep replaces the backoff wait (tests).
func withRetrySleep(f func(context.Context, time.Duration) error) Option {
	return func(o *options) error { o.retry.Sleep = f; return nil }
}

func buildOptions(opts []Option) (*options, error) {
	o := &options{
		httpClient: httpclient.New(30 * time.Second),
		logger:     slog.New(slog.DiscardHandler),
		userAgent:  DefaultUserAgent(),
		retry:      retry.Policy{MaxRetries: retry.DefaultMaxRetries},
		now:        time.Now,
		cacheTTL:   DefaultCacheTTL,
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

type marketplacesBody struct {
	Marketplaces []json.RawMessage `json:"marketplaces"`
	Error        json.RawMessage   `json:"error"`
}

// AutoConfigure fetches the configuration of every marketplace the app is
// listed on from the developer platform and returns it as a [Registry].
// Transport errors and 5xx answers are retried with backoff. Every
// marketplace must pass [Marketplace.Validate]; if one does not, the error
// names it and no registry is returned, so that a broken tenant is seen at
// start-up rather than at a user's login.
//
// With [WithCache], a copy younger than the cache TTL is used without a
// network call, a successful answer is written to the cache, and when the
// developer platform is down (transport error, 5xx, 429, an answer that is
// not JSON) a cached copy of any age is used and a warning logged. An
// answer that refuses the request (401, 404, an "error" body) or a
// configuration that does not validate is never cached and never papered
// over with the cached copy.
func AutoConfigure(ctx context.Context, dp DevPlatform, opts ...Option) (*Registry, error) {
	c, err := newConfigurer(dp, opts)
	if err != nil {
		return nil, err
	}
	return c.load(ctx)
}

// configurer fetches one environment's configuration, through the cache
// when there is one.
type configurer struct {
	dp       DevPlatform
	o        *options
	endpoint string
	cache    *diskCache
}

func newConfigurer(dp DevPlatform, opts []Option) (*configurer, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	if err := dp.Validate(); err != nil {
		return nil, err
	}
	endpoint, _ := dp.MarketplacesURL()
	c := &configurer{dp: dp, o: o, endpoint: endpoint}
	if o.cacheDir != "" {
		c.cache = &diskCache{dir: o.cacheDir, url: endpoint, envKey: dp.EnvKey}
	}
	return c, nil
}

// load answers from a fresh cached copy, else fetches, else falls back to
// a stale cached copy when the platform is down.
func (c *configurer) load(ctx context.Context) (*Registry, error) {
	var cached *cacheEntry
	if c.cache != nil {
		var err error
		cached, err = c.cache.read()
		if err != nil {
			c.o.logger.LogAttrs(ctx, slog.LevelWarn, "maestrano: configuration cache unreadable; fetching", slog.String("error", err.Error()))
		}
		if cached != nil && c.o.now().Before(cached.FetchedAt.Add(c.o.cacheTTL)) {
			reg, err := parseMarketplaces(cached.Body)
			if err == nil {
				c.o.logger.LogAttrs(ctx, slog.LevelDebug, "maestrano: configured from cache", slog.Time("fetched_at", cached.FetchedAt), slog.Any("marketplaces", reg.Names()))
				return reg, nil
			}
			c.o.logger.LogAttrs(ctx, slog.LevelWarn, "maestrano: cached configuration invalid; fetching", slog.String("error", err.Error()))
			cached = nil
		}
	}
	reg, err := c.fetch(ctx)
	if err == nil || cached == nil || ctx.Err() != nil || !platformDown(err) {
		return reg, err
	}
	stale, perr := parseMarketplaces(cached.Body)
	if perr != nil {
		return nil, err
	}
	c.o.logger.LogAttrs(ctx, slog.LevelWarn, "maestrano: developer platform unavailable; using the cached configuration",
		slog.Time("fetched_at", cached.FetchedAt), slog.Duration("age", c.o.now().Sub(cached.FetchedAt)), slog.String("error", err.Error()))
	return stale, nil
}

// fetch asks the developer platform and, on success, writes the cache.
func (c *configurer) fetch(ctx context.Context) (*Registry, error) {
	o, dp, endpoint := c.o, c.dp, c.endpoint
	const op = "fetch marketplaces"
	resp, err := o.retry.Do(ctx, func() (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
		if err != nil {
			return nil, err
		}
		req.SetBasicAuth(dp.EnvKey, dp.EnvSecret.Reveal())
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", o.userAgent)
		return o.httpClient.Do(req)
	})
	if err != nil {
		return nil, fmt.Errorf("maestrano: %s from %s: %w", op, endpoint, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxConfigBodySize+1))
	if err != nil {
		return nil, fmt.Errorf("maestrano: %s: reading body: %w", op, err)
	}
	if len(data) > maxConfigBodySize {
		return nil, &APIError{Op: op, URL: endpoint, StatusCode: resp.StatusCode, Message: fmt.Sprintf("answer larger than %d bytes", maxConfigBodySize)}
	}
	if httpclient.IsRedirect(resp.StatusCode) {
		return nil, &APIError{Op: op, URL: endpoint, StatusCode: resp.StatusCode, transient: true,
			Message: fmt.Sprintf("redirect to %q not followed: set the developer platform host to the final URL", clip.String(resp.Header.Get("Location"), 200))}
	}
	var body marketplacesBody
	jsonErr := json.Unmarshal(data, &body)
	if resp.StatusCode >= 300 {
		s := resp.StatusCode
		return nil, &APIError{Op: op, URL: endpoint, StatusCode: s, Message: errorMessage(body.Error, data, jsonErr),
			transient: s >= 500 || s == http.StatusTooManyRequests || s == http.StatusRequestTimeout}
	}
	if jsonErr != nil {
		return nil, &APIError{Op: op, URL: endpoint, StatusCode: resp.StatusCode, Message: "answer is not JSON: " + jsonErr.Error(), transient: true}
	}
	if len(body.Error) > 0 && string(body.Error) != "null" {
		return nil, &APIError{Op: op, URL: endpoint, Message: errorMessage(body.Error, data, nil)}
	}
	if body.Marketplaces == nil {
		return nil, &APIError{Op: op, URL: endpoint, StatusCode: resp.StatusCode, Message: `answer has no "marketplaces" array`}
	}
	reg, err := registryFromRaw(body.Marketplaces)
	if err != nil {
		return nil, err
	}
	o.logger.LogAttrs(ctx, slog.LevelDebug, "maestrano: configured", slog.Any("marketplaces", reg.Names()))
	if c.cache != nil {
		if err := c.cache.write(data, o.now()); err != nil {
			o.logger.LogAttrs(ctx, slog.LevelWarn, "maestrano: configuration cache not written", slog.String("error", err.Error()))
		}
	}
	return reg, nil
}

// platformDown reports whether err says the developer platform could not
// answer (rather than that it refused or served a broken configuration).
func platformDown(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.transient
	}
	var cfgErr *ConfigError
	return !errors.As(err, &cfgErr)
}

func registryFromRaw(raws []json.RawMessage) (*Registry, error) {
	mps := make([]*Marketplace, 0, len(raws))
	for i, raw := range raws {
		var mp Marketplace
		if err := json.Unmarshal(raw, &mp); err != nil {
			return nil, &ConfigError{Problems: []string{fmt.Sprintf("marketplaces[%d] does not decode: %v", i, err)}}
		}
		mps = append(mps, &mp)
	}
	return NewRegistry(mps...)
}

func errorMessage(field json.RawMessage, body []byte, jsonErr error) string {
	msg := ""
	if len(field) > 0 {
		var s string
		if json.Unmarshal(field, &s) == nil {
			msg = s
		} else {
			msg = string(field)
		}
	} else if jsonErr != nil {
		msg = strings.TrimSpace(string(body))
	}
	if msg == "" {
		msg = "no error message"
	}
	return clip.String(msg, maxErrorMessage)
}
