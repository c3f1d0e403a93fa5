// Package transport is the HTTP layer shared by the SDK's platform clients
// (account API, Connec!): base URL, HTTP Basic credentials, User-Agent,
// timeouts, bounded bodies, logging and retries that never repeat a request
// whose outcome is unknown. It exists only to support the SDK packages;
// they decode the answers and own the typed errors.
package transport

import (
	"bytes"
	"context"
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
)

// Defaults used when a Config leaves a field zero.
const (
	DefaultTimeout          = 60 * time.Second
	DefaultMaxResponseBytes = 16 << 20
	DefaultMaxRetries       = retry.DefaultMaxRetries
)

// Config describes a Client. BaseURL is required; the rest has defaults.
type Config struct {
	// BaseURL is the absolute http(s) URL every request path is resolved
	// against, e.g. "https://api.example.com/api/v1/". Plain http is
	// refused unless the host is a loopback address.
	BaseURL string
	// User and Password are sent as HTTP Basic credentials when User is set.
	User     string
	Password maestrano.Secret
	// HTTPClient sends the requests; nil means a client with Timeout that
	// follows no redirect.
	HTTPClient *http.Client
	// Timeout bounds one attempt when HTTPClient is nil; 0 means DefaultTimeout.
	Timeout time.Duration
	// UserAgent is sent with every request; "" means maestrano.DefaultUserAgent().
	UserAgent string
	// Header holds headers sent with every request (e.g. Accept).
	Header http.Header
	// Logger receives one debug record per attempt; nil discards.
	Logger *slog.Logger
	// Retry says how often a failed request is tried again.
	Retry retry.Policy
	// MaxResponseBytes bounds a response body; 0 means DefaultMaxResponseBytes.
	MaxResponseBytes int64
}

// CheckMarketplace returns a *maestrano.ConfigError listing what mp lacks
// for a client of one of its APIs: api.id, api.key, and host, the value of
// the config key hostKey (e.g. "api.host" or "connec.host"). mp is not nil.
func CheckMarketplace(mp *maestrano.Marketplace, hostKey, host string) error {
	var problems []string
	if mp.API.ID == "" {
		problems = append(problems, "api.id is empty")
	}
	if mp.API.Key == "" {
		problems = append(problems, "api.key is empty")
	}
	if host == "" {
		problems = append(problems, hostKey+" is empty")
	}
	if len(problems) > 0 {
		return &maestrano.ConfigError{Marketplace: mp.Name, Problems: problems}
	}
	return nil
}

// Client sends requests to one platform API. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	user      string
	password  maestrano.Secret
	http      *http.Client
	userAgent string
	header    http.Header
	log       *slog.Logger
	retry     retry.Policy
	maxBody   int64
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || !base.IsAbs() || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") {
		return nil, fmt.Errorf("maestrano: base URL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	if base.Scheme == "http" && !httpclient.IsLoopbackHost(base.Hostname()) {
		return nil, fmt.Errorf("maestrano: base URL %q uses plain http to a non-loopback host; use https", cfg.BaseURL)
	}
	if base.User != nil || base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("maestrano: base URL %q must not carry credentials, a query or a fragment", redactURL(base))
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
		base.RawPath = ""
	}
	c := &Client{
		base:      base,
		user:      cfg.User,
		password:  cfg.Password,
		http:      cfg.HTTPClient,
		userAgent: cfg.UserAgent,
		header:    cfg.Header.Clone(),
		log:       cfg.Logger,
		retry:     cfg.Retry,
		maxBody:   cfg.MaxResponseBytes,
	}
	if c.http == nil {
		t := cfg.Timeout
		if t <= 0 {
			t = DefaultTimeout
		}
		c.http = httpclient.New(t)
	}
	if c.userAgent == "" {
		c.userAgent = maestrano.DefaultUserAgent()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	return c, nil
}

// Request is one call. Path is resolved against the base URL: a relative
// path ("bills/bill-1") is appended to it, an absolute one ("/batch")
// replaces the base path; it must stay on the base URL's origin.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	// Body is sent as is with ContentType; nil sends no body.
	Body        []byte
	ContentType string
	// Header holds extra headers for this request only.
	Header http.Header
	// Idempotent marks a request that may be sent twice with the same
	// effect. GET, HEAD, PUT, DELETE and OPTIONS are idempotent whatever
	// this says; a POST is retried only when it certainly was not acted on
	// (connection refused, 429 with Retry-After) unless this is set.
	Idempotent bool
}

// Response is a complete answer: the body has been read (within the bound)
// and closed.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	// URL is the URL called, without credentials.
	URL string
}

// TooLargeError reports a response body over the configured bound.
type TooLargeError struct {
	URL   string
	Limit int64
}

// Error names the URL and the limit.
func (e *TooLargeError) Error() string {
	return fmt.Sprintf("maestrano: answer from %s is larger than %d bytes", e.URL, e.Limit)
}

// URL returns the absolute URL of path, as Do would call it.
func (c *Client) URL(path string, query url.Values) (*url.URL, error) {
	ref, err := url.Parse(path)
	if err != nil {
		return nil, fmt.Errorf("maestrano: bad request path %q: %v", path, err)
	}
	if ref.IsAbs() || ref.Host != "" || ref.User != nil || ref.Fragment != "" {
		return nil, fmt.Errorf("maestrano: request path %q must be a path on %s", path, c.base.Host)
	}
	u := c.base.ResolveReference(ref)
	if ref.Path != "" && !strings.HasPrefix(ref.Path, "/") {
		// ResolveReference drops "." segments but keeps the base directory;
		// refuse a path that climbs out of it.
		if !strings.HasPrefix(u.Path, c.base.Path) {
			return nil, fmt.Errorf("maestrano: request path %q leaves %s", path, c.base.Path)
		}
	}
	if len(query) > 0 {
		q := u.Query()
		for k, vs := range query {
			for _, v := range vs {
				q.Add(k, v)
			}
		}
		u.RawQuery = q.Encode()
	}
	return u, nil
}

// Do sends req, retrying as the request's idempotence allows, and returns
// the whole answer whatever its status. Errors: ctx.Err() when ctx ends,
// *maestrano.ConnectionError when the API cannot be reached or the body is
// cut short, *TooLargeError for an oversized body.
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	u, err := c.URL(req.Path, req.Query)
	if err != nil {
		return nil, err
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	shown := redactURL(u)
	op := method + " " + u.Path
	send := func() (*http.Response, error) {
		var body io.Reader
		if req.Body != nil {
			body = bytes.NewReader(req.Body)
		}
		hr, err := http.NewRequestWithContext(ctx, method, u.String(), body)
		if err != nil {
			return nil, err
		}
		for k, vs := range c.header {
			hr.Header[k] = vs
		}
		for k, vs := range req.Header {
			hr.Header[k] = vs
		}
		hr.Header.Set("User-Agent", c.userAgent)
		if req.Body != nil && req.ContentType != "" {
			hr.Header.Set("Content-Type", req.ContentType)
		}
		if c.user != "" {
			hr.SetBasicAuth(c.user, c.password.Reveal())
		}
		start := time.Now()
		resp, err := c.http.Do(hr)
		if err != nil {
			c.log.LogAttrs(ctx, slog.LevelDebug, "maestrano: request failed", slog.String("op", op), slog.String("url", shown), slog.String("error", redactErr(err, u).Error()))
			return nil, err
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "maestrano: request", slog.String("op", op), slog.String("url", shown),
			slog.Int("status", resp.StatusCode), slog.Duration("took", time.Since(start)))
		return resp, nil
	}
	var resp *http.Response
	if idempotent(method) || req.Idempotent {
		resp, err = c.retry.Do(ctx, send)
	} else {
		resp, err = c.retry.DoNonIdempotent(ctx, send)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &maestrano.ConnectionError{Op: op, URL: shown, Err: redactErr(err, u)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &maestrano.ConnectionError{Op: op, URL: shown, Err: fmt.Errorf("reading the answer: %w", redactErr(err, u))}
	}
	if int64(len(data)) > c.maxBody {
		return nil, &TooLargeError{URL: shown, Limit: c.maxBody}
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: data, URL: shown}, nil
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// redactURL drops credentials and the query (which may carry tokens).
func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		c.RawQuery = "…"
	}
	return c.String()
}

// redactErr replaces a *url.Error's URL with the redacted one, so the query
// never reaches an error message.
func redactErr(err error, u *url.URL) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: redactURL(u), Err: ue.Err}
	}
	return err
}
