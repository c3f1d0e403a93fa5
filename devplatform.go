package maestrano

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

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
// means none); a variable that is set and not empty overrides the file. The
// result must name an environment key and secret.
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
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
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

func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Option configures [AutoConfigure].
type Option func(*options) error

type options struct {
	httpClient *http.Client
	logger     *slog.Logger
	userAgent  string
	retry      retry.Policy
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
		if strings.TrimSpace(ua) == "" {
			return errors.New("maestrano: WithUserAgent: empty user agent")
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
func AutoConfigure(ctx context.Context, dp DevPlatform, opts ...Option) (*Registry, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	if err := dp.Validate(); err != nil {
		return nil, err
	}
	endpoint, _ := dp.MarketplacesURL()
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
		return nil, &APIError{Op: op, URL: endpoint, StatusCode: resp.StatusCode,
			Message: fmt.Sprintf("redirect to %q not followed: set the developer platform host to the final URL", truncateString(resp.Header.Get("Location"), 200))}
	}
	var body marketplacesBody
	jsonErr := json.Unmarshal(data, &body)
	if resp.StatusCode >= 300 {
		return nil, &APIError{Op: op, URL: endpoint, StatusCode: resp.StatusCode, Message: errorMessage(body.Error, data, jsonErr)}
	}
	if jsonErr != nil {
		return nil, &APIError{Op: op, URL: endpoint, StatusCode: resp.StatusCode, Message: "answer is not JSON: " + jsonErr.Error()}
	}
	if len(body.Error) > 0 && string(body.Error) != "null" {
		return nil, &APIError{Op: op, URL: endpoint, Message: errorMessage(body.Error, data, nil)}
	}
	if body.Marketplaces == nil {
		return nil, &APIError{Op: op, URL: endpoint, StatusCode: resp.StatusCode, Message: `answer has no "marketplaces" array`}
	}
	mps := make([]*Marketplace, 0, len(body.Marketplaces))
	for i, raw := range body.Marketplaces {
		var mp Marketplace
		if err := json.Unmarshal(raw, &mp); err != nil {
			return nil, &ConfigError{Problems: []string{fmt.Sprintf("marketplaces[%d] does not decode: %v", i, err)}}
		}
		mps = append(mps, &mp)
	}
	reg, err := NewRegistry(mps...)
	if err != nil {
		return nil, err
	}
	o.logger.LogAttrs(ctx, slog.LevelDebug, "maestrano: configured", slog.Any("marketplaces", reg.Names()))
	return reg, nil
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
	return truncateString(msg, maxErrorMessage)
}

func truncateString(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
