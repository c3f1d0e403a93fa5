package account

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/internal/clip"
	"github.com/maestrano-go/maestrano/internal/httpclient"
	"github.com/maestrano-go/maestrano/internal/retry"
	"github.com/maestrano-go/maestrano/internal/transport"
)

// Defaults of a [Client].
const (
	// DefaultTimeout bounds one attempt.
	DefaultTimeout = 60 * time.Second
	// DefaultRetries is how often an idempotent call is retried after a
	// connection error, a 5xx or a 429 with Retry-After.
	DefaultRetries = retry.DefaultMaxRetries
	// DefaultMaxResponseBytes bounds an answer body.
	DefaultMaxResponseBytes = 4 << 20
	// MaxRequestBytes bounds a request body; a larger one is refused
	// before it is sent.
	MaxRequestBytes = 64 << 10
	// DefaultBase is the API base path used when api.base is empty.
	DefaultBase = "/api/v1/"
)

// Client calls the account API of one marketplace with that marketplace's
// api.id/api.key. It is safe for concurrent use.
//
// Methods are grouped by resource, one field each.
type Client struct {
	// Bills are one-off charges.
	Bills *BillsService
	// Groups are the customer accounts that use the app.
	Groups *GroupsService
	// RecurringBills are repeated charges.
	RecurringBills *RecurringBillsService
	// Resellers are the partners that resell the app.
	Resellers *ResellersService
	// Users are the platform users of the app's groups.
	Users *UsersService

	marketplace string
	apiKey      maestrano.Secret
	t           *transport.Client
}

type service struct{ c *Client }

// BillsService calls account/bills.
type BillsService service

// RecurringBillsService calls account/recurring_bills.
type RecurringBillsService service

// GroupsService calls account/groups.
type GroupsService service

// UsersService calls account/users.
type UsersService service

// ResellersService calls account/resellers.
type ResellersService service

// Option configures a [Client].
type Option func(*config) error

type config struct {
	httpClient *http.Client
	timeout    time.Duration
	logger     *slog.Logger
	userAgent  string
	retry      retry.Policy
	maxBody    int64
}

// WithHTTPClient sets the HTTP client. It is not modified; with
// [WithTimeout] a copy carries the timeout. The default has DefaultTimeout
// and follows no redirect (credentials stay on the API's origin).
func WithHTTPClient(c *http.Client) Option {
	return func(cf *config) error {
		if c == nil {
			return errors.New("account: WithHTTPClient: nil client")
		}
		cf.httpClient = c
		return nil
	}
}

// WithTimeout bounds each attempt (default DefaultTimeout). A ctx deadline
// bounds the whole call, retries included.
func WithTimeout(d time.Duration) Option {
	return func(cf *config) error {
		if d <= 0 {
			return errors.New("account: WithTimeout: timeout must be positive")
		}
		cf.timeout = d
		return nil
	}
}

// WithLogger sets the logger: one debug record per attempt (method, URL
// without query, status). The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(cf *config) error {
		if l == nil {
			return errors.New("account: WithLogger: nil logger")
		}
		cf.logger = l
		return nil
	}
}

// WithUserAgent replaces the User-Agent (default maestrano.DefaultUserAgent()).
func WithUserAgent(ua string) Option {
	return func(cf *config) error {
		if !httpclient.ValidUserAgent(ua) {
			return errors.New("account: WithUserAgent: empty or multi-line user agent")
		}
		cf.userAgent = ua
		return nil
	}
}

// WithRetries sets how often a call is retried (default DefaultRetries; 0
// disables). Reads and cancellations are retried after connection errors,
// 5xx and 429 with Retry-After; a create only when it certainly was not
// acted on (connection refused, 429 with Retry-After), so that a bill is
// never charged twice.
func WithRetries(n int) Option {
	return func(cf *config) error {
		if n < 0 {
			return errors.New("account: WithRetries: negative count")
		}
		cf.retry.MaxRetries = n
		return nil
	}
}

// WithMaxResponseBytes bounds an answer body (default DefaultMaxResponseBytes).
func WithMaxResponseBytes(n int64) Option {
	return func(cf *config) error {
		if n <= 0 {
			return errors.New("account: WithMaxResponseBytes: bound must be positive")
		}
		cf.maxBody = n
		return nil
	}
}

// withRetrySleep replaces the backoff wait (tests).
func withRetrySleep(f func(context.Context, time.Duration) error) Option {
	return func(cf *config) error { cf.retry.Sleep = f; return nil }
}

// New returns a client of mp's account API, at api.host + api.base
// (DefaultBase when api.base is empty), authenticated with api.id and
// api.key. Only the api block of mp is used; plain http is refused except
// to a loopback host.
func New(mp *maestrano.Marketplace, opts ...Option) (*Client, error) {
	if mp == nil {
		return nil, errors.New("account: nil marketplace")
	}
	if err := transport.CheckMarketplace(mp, "api.host", mp.API.Host); err != nil {
		return nil, err
	}
	cf := config{retry: retry.Policy{MaxRetries: DefaultRetries}, maxBody: DefaultMaxResponseBytes}
	for _, opt := range opts {
		if err := opt(&cf); err != nil {
			return nil, err
		}
	}
	hc := cf.httpClient
	if hc != nil && cf.timeout > 0 {
		cp := *hc
		cp.Timeout = cf.timeout
		hc = &cp
	}
	timeout := cf.timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	base := mp.API.Base
	if strings.TrimSpace(base) == "" {
		base = DefaultBase
	}
	t, err := transport.New(transport.Config{
		BaseURL:          maestrano.JoinURL(mp.API.Host, base),
		User:             mp.API.ID,
		Password:         mp.API.Key,
		HTTPClient:       hc,
		Timeout:          timeout,
		UserAgent:        cf.userAgent,
		Header:           http.Header{"Accept": {"application/json"}},
		Logger:           cf.logger,
		Retry:            cf.retry,
		MaxResponseBytes: cf.maxBody,
	})
	if err != nil {
		return nil, &maestrano.ConfigError{Marketplace: mp.Name, Problems: []string{err.Error()}}
	}
	c := &Client{marketplace: mp.Name, apiKey: mp.API.Key, t: t}
	c.Bills = (*BillsService)(&service{c})
	c.Groups = (*GroupsService)(&service{c})
	c.RecurringBills = (*RecurringBillsService)(&service{c})
	c.Resellers = (*ResellersService)(&service{c})
	c.Users = (*UsersService)(&service{c})
	return c, nil
}

// Marketplace returns the name of the client's marketplace.
func (c *Client) Marketplace() string { return c.marketplace }

// Ping checks that the API answers and accepts the app's credentials
// (GET ping).
func (c *Client) Ping(ctx context.Context) error {
	var data struct {
		Msg string `json:"msg"`
	}
	return c.call(ctx, call{method: http.MethodGet, path: "ping"}, &data)
}

// call is one API request.
type call struct {
	method string
	path   string
	query  url.Values
	// body is encoded as JSON; nil sends none.
	body       any
	idempotent bool
}

// call sends one request, checks the envelope and decodes its data into
// out (which may be nil).
func (c *Client) call(ctx context.Context, cl call, out any) error {
	req := transport.Request{Method: cl.method, Path: cl.path, Query: cl.query, Idempotent: cl.idempotent}
	op := cl.method + " " + cl.path
	if cl.body != nil {
		var buf bytes.Buffer
		if err := json.NewEncoder(&buf).Encode(cl.body); err != nil {
			return fmt.Errorf("account: %s: encoding the request: %w", op, err)
		}
		if buf.Len() > MaxRequestBytes {
			return &APIError{Op: op, Kind: KindValidation,
				Errors: map[string][]string{"request": {fmt.Sprintf("body of %d bytes is over the %d-byte bound", buf.Len(), MaxRequestBytes)}}}
		}
		req.Body = bytes.TrimRight(buf.Bytes(), "\n")
		req.ContentType = "application/json"
	}
	resp, err := c.t.Do(ctx, req)
	if err != nil {
		var tl *transport.TooLargeError
		if errors.As(err, &tl) {
			return fmt.Errorf("account: %s: %w (over %d bytes)", op, ErrResponseTooLarge, tl.Limit)
		}
		// *maestrano.ConnectionError, ctx errors and bad paths as they are.
		return err
	}
	if u, perr := url.Parse(resp.URL); perr == nil {
		op = cl.method + " " + u.Path
	}
	return decode(op, resp, out)
}

// decode checks an answer and decodes its data into out.
func decode(op string, resp *transport.Response, out any) error {
	env, isEnvelope := parseEnvelope(resp.Body)
	fail := func(kind Kind, errs map[string][]string) error {
		if errs == nil {
			errs = map[string][]string{}
		}
		e := &APIError{Op: op, StatusCode: resp.StatusCode, Kind: kind, Errors: errs}
		if kind == KindRateLimited {
			e.RetryAfter, _ = retry.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		return e
	}
	var errs map[string][]string
	if isEnvelope {
		errs = env.fieldErrors()
	}
	switch s := resp.StatusCode; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return fail(KindAuthentication, errs)
	case s == http.StatusTooManyRequests:
		return fail(KindRateLimited, errs)
	case s >= 500:
		return fail(KindServer, errs)
	case s == http.StatusNotFound:
		return fail(KindNotFound, errs)
	case s < 200 || s >= 300:
		if len(errs) > 0 {
			return fail(classify(errs), errs)
		}
		if s == http.StatusBadRequest || s == http.StatusUnprocessableEntity {
			return fail(KindValidation, errs)
		}
		return fail(KindOther, errs)
	}
	if !isEnvelope {
		return fail(KindMalformedResponse, map[string][]string{"body": {"not a JSON envelope {success, errors, data}"}})
	}
	if len(errs) > 0 || (env.Success != nil && !*env.Success) {
		if len(errs) == 0 {
			return fail(KindOther, map[string][]string{"success": {"false without errors"}})
		}
		return fail(classify(errs), errs)
	}
	if out == nil {
		return nil
	}
	if len(bytes.TrimSpace(env.Data)) == 0 {
		return fail(KindMalformedResponse, map[string][]string{"data": {"missing"}})
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fail(KindMalformedResponse, map[string][]string{"data": {clip.String(decodeProblem(err), maxMessageBytes)}})
	}
	return nil
}

// decodeProblem describes a decoding failure without quoting the answer.
func decodeProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("%s: a JSON %s where %s was expected", te.Field, te.Value, te.Type)
		}
		return fmt.Sprintf("a JSON %s where %s was expected", te.Value, te.Type)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// classify reads the kind from the field errors of a failed answer.
func classify(errs map[string][]string) Kind {
	if _, ok := errs["authentication"]; ok {
		return KindAuthentication
	}
	if msgs, ok := errs["id"]; ok && len(errs) == 1 {
		for _, m := range msgs {
			if strings.Contains(strings.ToLower(m), "does not exist") {
				return KindNotFound
			}
		}
	}
	return KindValidation
}

// checkID refuses an id that cannot be a path segment of the API.
func checkID(id string) error {
	if id == "" {
		return errors.New("is empty")
	}
	if len(id) > 255 {
		return errors.New("is longer than 255 bytes")
	}
	if id == "." || id == ".." {
		return errors.New("is not an id")
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' || r == '?' || r == '#' {
			return fmt.Errorf("contains %q", r)
		}
	}
	return nil
}

// idPath returns collection/id, or a validation error naming field.
func idPath(op, collection, field, id string) (string, error) {
	if err := checkID(id); err != nil {
		return "", &APIError{Op: op, Kind: KindValidation, Errors: map[string][]string{field: {err.Error()}}}
	}
	return collection + "/" + url.PathEscape(id), nil
}

// get, list, create and cancel are the shapes every resource shares.

func get[T any](ctx context.Context, c *Client, collection, id string) (*T, error) {
	path, err := idPath("GET "+collection, collection, "id", id)
	if err != nil {
		return nil, err
	}
	var v T
	if err := c.call(ctx, call{method: http.MethodGet, path: path}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// list calls a collection; byGroup says whether it may be narrowed to a
// group (bills, recurring bills and users may).
func list[T any](ctx context.Context, c *Client, path string, byGroup bool, opts *ListOptions) ([]T, error) {
	if !byGroup && opts != nil && opts.GroupID != "" {
		return nil, &APIError{Op: "GET " + path, Kind: KindValidation,
			Errors: map[string][]string{"group_id": {"does not apply to " + path}}}
	}
	q, err := opts.query()
	if err != nil {
		err.(*APIError).Op = "GET " + path
		return nil, err
	}
	var vs listOf[T]
	if err := c.call(ctx, call{method: http.MethodGet, path: path, query: q}, &vs); err != nil {
		return nil, err
	}
	if vs == nil {
		vs = listOf[T]{}
	}
	return vs, nil
}

// listOf decodes a list's data: an array, or null or {} for no element
// (a Rails server renders an empty result either way).
type listOf[T any] []T

func (l *listOf[T]) UnmarshalJSON(b []byte) error {
	t := bytes.TrimSpace(b)
	if string(t) == "null" || string(t) == "{}" {
		*l = nil
		return nil
	}
	return json.Unmarshal(b, (*[]T)(l))
}

func create[T any](ctx context.Context, c *Client, collection string, body any) (*T, error) {
	var v T
	if err := c.call(ctx, call{method: http.MethodPost, path: collection, body: body}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

func cancel[T any](ctx context.Context, c *Client, collection, id string) (*T, error) {
	path, err := idPath("DELETE "+collection, collection, "id", id)
	if err != nil {
		return nil, err
	}
	var v T
	if err := c.call(ctx, call{method: http.MethodDelete, path: path}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}
