package connec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/internal/httpclient"
	"github.com/maestrano-go/maestrano/internal/retry"
	"github.com/maestrano-go/maestrano/internal/transport"
)

// Defaults of a [Client].
const (
	// DefaultBasePath is used when the marketplace has no connec.base_path.
	DefaultBasePath = "/api/v2"
	// DefaultTimeout bounds one attempt when connec.timeout is not set.
	DefaultTimeout = 60 * time.Second
	// DefaultRetries is how often an idempotent request is tried again.
	DefaultRetries = retry.DefaultMaxRetries
	// MediaType is the Accept and Content-Type of every request.
	MediaType = "application/vnd.api+json"
)

// Header names sent by the client.
const (
	HeaderExternalIDs   = "CONNEC-EXTERNAL-IDS"
	HeaderCountryFormat = "Connec-Country-Format"
)

// Client talks to the Connec! API on behalf of one group (customer account,
// "cld-..."). It is safe for concurrent use.
type Client struct {
	t           *transport.Client
	group       string
	basePath    string // "api/v2": relative to connec.host, no slashes around
	externalIDs bool

	// pageLoaded, when set (tests), sees every decoded page.
	pageLoaded func(any)
}

// Option configures a [Client]. Options that also configure a
// [NotificationHandler] (such as [WithLogger]) implement both interfaces.
type Option interface {
	applyClient(*clientConfig) error
}

type clientConfig struct {
	httpClient    *http.Client
	logger        *slog.Logger
	userAgent     string
	retries       int
	timeout       time.Duration
	externalIDs   bool
	countryFormat string
	maxBody       int64
	sleep         func(context.Context, time.Duration) error
}

type clientOption func(*clientConfig) error

func (f clientOption) applyClient(c *clientConfig) error { return f(c) }

// WithHTTPClient sets the client that sends the requests. The default has
// the marketplace's connec.timeout and follows no redirect (a redirect
// could carry the Basic credentials elsewhere). A client passed here is used
// as is, unless [WithTimeout] is also given: then a copy with that timeout
// is used.
func WithHTTPClient(c *http.Client) Option {
	return clientOption(func(cf *clientConfig) error {
		if c == nil {
			return errors.New("connec: WithHTTPClient: nil client")
		}
		cf.httpClient = c
		return nil
	})
}

// WithUserAgent replaces the User-Agent (default maestrano.DefaultUserAgent()).
func WithUserAgent(ua string) Option {
	return clientOption(func(cf *clientConfig) error {
		if !httpclient.ValidUserAgent(ua) {
			return errors.New("connec: WithUserAgent: empty user agent, or one with control characters")
		}
		cf.userAgent = ua
		return nil
	})
}

// WithRetries sets how often a request is tried again after a connection
// error, a 5xx or a 429 with Retry-After (default [DefaultRetries]; 0
// disables retries). A POST is repeated only when the server certainly did
// not act on it.
func WithRetries(n int) Option {
	return clientOption(func(cf *clientConfig) error {
		if n < 0 {
			return errors.New("connec: WithRetries: negative count")
		}
		cf.retries = n
		return nil
	})
}

// WithTimeout bounds one attempt, overriding the marketplace's connec.timeout.
func WithTimeout(d time.Duration) Option {
	return clientOption(func(cf *clientConfig) error {
		if d <= 0 {
			return errors.New("connec: WithTimeout: timeout must be positive")
		}
		cf.timeout = d
		return nil
	})
}

// WithExternalIDs switches external-ids mode on or off (default off): the
// client sends "CONNEC-EXTERNAL-IDS: true" and ids and references come as
// arrays of {realm, provider, id} (see [ID]).
func WithExternalIDs(on bool) Option {
	return clientOption(func(cf *clientConfig) error { cf.externalIDs = on; return nil })
}

// WithCountryFormat sets the Connec-Country-Format header (default
// "alpha2", as the PHP SDK sends; "" sends none).
func WithCountryFormat(f string) Option {
	return clientOption(func(cf *clientConfig) error { cf.countryFormat = f; return nil })
}

// WithMaxResponseBytes bounds a response body (default 16 MiB).
func WithMaxResponseBytes(n int64) Option {
	return clientOption(func(cf *clientConfig) error {
		if n <= 0 {
			return errors.New("connec: WithMaxResponseBytes: limit must be positive")
		}
		cf.maxBody = n
		return nil
	})
}

// CommonOption configures a [Client] and a [NotificationHandler] alike.
type CommonOption interface {
	Option
	HandlerOption
}

// sharedOption configures a Client and a NotificationHandler alike.
type sharedOption struct {
	client  func(*clientConfig) error
	handler func(*handlerConfig) error
}

func (o sharedOption) applyClient(c *clientConfig) error   { return o.client(c) }
func (o sharedOption) applyHandler(h *handlerConfig) error { return o.handler(h) }

// WithLogger sets the logger of a [Client] or a [NotificationHandler]
// (default: discard). The client logs one debug record per attempt; the
// handler logs refused deliveries and failed callbacks.
func WithLogger(l *slog.Logger) CommonOption {
	err := func() error {
		if l == nil {
			return errors.New("connec: WithLogger: nil logger")
		}
		return nil
	}
	return sharedOption{
		client:  func(c *clientConfig) error { c.logger = l; return err() },
		handler: func(h *handlerConfig) error { h.logger = l; return err() },
	}
}

// New returns a client of marketplace mp's Connec! API scoped to groupID.
// It needs api.id, api.key and connec.host; connec.base_path defaults to
// [DefaultBasePath] and connec.timeout (seconds) to [DefaultTimeout].
func New(mp *maestrano.Marketplace, groupID string, opts ...Option) (*Client, error) {
	if mp == nil {
		return nil, errors.New("connec: nil marketplace")
	}
	if err := transport.CheckMarketplace(mp, "connec.host", mp.Connec.Host); err != nil {
		return nil, err
	}
	if err := checkSegment("group id", groupID); err != nil {
		return nil, err
	}
	cf := clientConfig{retries: DefaultRetries, countryFormat: "alpha2"}
	if mp.Connec.Timeout > 0 {
		cf.timeout = time.Duration(mp.Connec.Timeout) * time.Second
	}
	explicitTimeout := false
	for _, o := range opts {
		if o == nil {
			continue
		}
		before := cf.timeout
		if err := o.applyClient(&cf); err != nil {
			return nil, err
		}
		if cf.timeout != before {
			explicitTimeout = true
		}
	}
	if cf.timeout <= 0 {
		cf.timeout = DefaultTimeout
	}
	hc := cf.httpClient
	if hc != nil && explicitTimeout {
		cp := *hc
		cp.Timeout = cf.timeout
		hc = &cp
	}
	header := http.Header{"Accept": {MediaType}, HeaderExternalIDs: {strconv.FormatBool(cf.externalIDs)}}
	if cf.countryFormat != "" {
		header.Set(HeaderCountryFormat, cf.countryFormat)
	}
	t, err := transport.New(transport.Config{
		BaseURL:          strings.TrimRight(mp.Connec.Host, "/") + "/",
		User:             mp.API.ID,
		Password:         mp.API.Key,
		HTTPClient:       hc,
		Timeout:          cf.timeout,
		UserAgent:        cf.userAgent,
		Header:           header,
		Logger:           cf.logger,
		Retry:            retry.Policy{MaxRetries: cf.retries, Sleep: cf.sleep},
		MaxResponseBytes: cf.maxBody,
	})
	if err != nil {
		return nil, fmt.Errorf("connec: connec.host: %w", err)
	}
	base := strings.Trim(mp.Connec.BasePath, "/")
	if base == "" {
		base = strings.Trim(DefaultBasePath, "/")
	}
	return &Client{t: t, group: groupID, basePath: base, externalIDs: cf.externalIDs}, nil
}

// GroupID returns the group the client is scoped to.
func (c *Client) GroupID() string { return c.group }

// ExternalIDs reports whether the client runs in external-ids mode.
func (c *Client) ExternalIDs() bool { return c.externalIDs }

// checkSegment refuses values that cannot be one path segment.
func checkSegment(what, s string) error {
	if s == "" {
		return fmt.Errorf("connec: %s is empty", what)
	}
	if len(s) > 256 {
		return fmt.Errorf("connec: %s is longer than 256 bytes", what)
	}
	if s == "." || s == ".." {
		return fmt.Errorf("connec: %s %q is not a path segment", what, s)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("connec: %s contains a control character", what)
		}
	}
	return nil
}

// checkCollection accepts Connec! collection names: lowercase snake case.
func checkCollection(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("connec: collection name %q must be 1 to 64 characters", name)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r == '_' || (i > 0 && r >= '0' && r <= '9')
		if !ok {
			return fmt.Errorf("connec: collection name %q must be lowercase snake case (e.g. tax_codes)", name)
		}
	}
	return nil
}

// path builds "api/v2/{group}/{segments...}", each segment escaped.
func (c *Client) path(segments ...string) string {
	var b strings.Builder
	b.WriteString(c.basePath)
	b.WriteByte('/')
	b.WriteString(url.PathEscape(c.group))
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// call sends one request and turns a non-2xx answer into an *APIError.
func (c *Client) call(ctx context.Context, req transport.Request) (*transport.Response, error) {
	if req.Body != nil {
		req.ContentType = MediaType
	}
	resp, err := c.t.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, newAPIError(req.Method, resp)
	}
	return resp, nil
}

// Do sends a request to any Connec! path and returns the raw body of a 2xx
// answer; it is the escape hatch for endpoints this package does not wrap.
// A relative path is taken from the group's base, e.g.
// "updates/1700000000000" for {base}/{group_id}/updates/1700000000000; a
// path with a leading "/" is taken from connec.host, e.g.
// "/api/v2/json_schema/people". body, when not nil, is encoded as JSON.
// Only GET, PUT and DELETE are retried after an unknown outcome.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body any) (json.RawMessage, error) {
	var p string
	if strings.HasPrefix(path, "/") {
		p = strings.TrimLeft(path, "/")
	} else {
		p = c.path() + "/" + strings.Trim(path, "/")
	}
	req := transport.Request{Method: method, Path: p, Query: query}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("connec: encoding the request body: %w", err)
		}
		req.Body = b
	}
	resp, err := c.call(ctx, req)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
