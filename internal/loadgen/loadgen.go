// Package loadgen drives concurrent SSO logins and Connec! writes against an
// in-process sandbox over loopback HTTP, for the load test of the sandbox
// (internal/e2e) and the benchmarks of the bench module. A [World] is the
// sandbox, an app built from the SDK's sso handlers, and a webhook receiver,
// each on its own loopback server; a [Client] is one browser (its own cookie
// jar) that logs in and writes; [Run] runs a bounded number of operations
// on a number of concurrent clients and records each one's latency.
//
// Nothing here asserts on time: [Result] reports latencies, and the callers
// decide what to do with them (benchmarks report them; tests do not look).
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/internal/flowtest"
	"github.com/maestrano-go/maestrano/sandbox"
	"github.com/maestrano-go/maestrano/sandbox/store"
	"github.com/maestrano-go/maestrano/sso"
)

// Collection is the Connec! collection [Client.Write] creates entities in.
const Collection = "people"

// Group is the group (customer account) the writes go to.
const Group = "cld-1"

// SubscriberApp is the second app, subscribed to [Collection]: every write
// by the SSO app (app-1) is notified to it, at the [World]'s receiver.
const SubscriberApp = "app-2"

// maxBody bounds every answer read.
const maxBody = 4 << 20

// World is a sandbox, an app that logs users in with the SDK, and a
// receiver of the sandbox's webhooks, each behind a loopback HTTP server.
type World struct {
	Sandbox    *sandbox.Sandbox
	SandboxURL string
	AppURL     string
	// Store is a second handle on the sandbox's database, for seeding and
	// for reading back what was written.
	Store *store.Store
	// InitURL starts a login of the app's marketplace.
	InitURL string
	// Marketplace is the SSO app's configuration, as auto-configured from
	// the sandbox's developer platform.
	Marketplace *maestrano.Marketplace
	// APIID and APIKey are the app's credentials (from the developer
	// platform), for Connec!.
	APIID, APIKey string
	// Transport is shared by the clients: keep-alive connections, enough
	// of them for the concurrency.
	Transport *http.Transport

	sbSrv, appSrv, rcSrv *httptest.Server
	notified             sync.Map // entity id -> struct{}
	notifications        atomic.Int64
	badNotifications     atomic.Int64
	logins               atomic.Int64
}

// Options configures [Start].
type Options struct {
	// Webhooks configures the sandbox's webhook worker.
	Webhooks sandbox.WebhookConfig
	// MaxConns bounds the shared transport's connections per host
	// (default 64).
	MaxConns int
	// Logger receives the sandbox's diagnostics; nil discards them.
	Logger *slog.Logger
}

// Start opens a sandbox in dir (which must be empty or missing) and starts
// the three servers. Close stops them.
func Start(ctx context.Context, dir string, o Options) (_ *World, err error) {
	if o.MaxConns == 0 {
		o.MaxConns = 64
	}
	w := &World{}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()
	w.sbSrv = httptest.NewUnstartedServer(nil)
	w.appSrv = httptest.NewUnstartedServer(nil)
	w.SandboxURL = "http://" + w.sbSrv.Listener.Addr().String()
	w.AppURL = "http://" + w.appSrv.Listener.Addr().String()
	w.rcSrv = httptest.NewServer(http.HandlerFunc(w.receive))
	// The default world, and a second app subscribed to Collection whose
	// webhooks go to the receiver.
	world := store.DefaultWorld()
	world.Apps = append(world.Apps, store.AppSeed{ID: SubscriberApp, Name: "Subscriber", Marketplace: "subscriber",
		Host: w.rcSrv.URL, Connec: store.AppConnecSeed{Subscriptions: []string{Collection}}})
	sb, err := sandbox.Open(ctx, sandbox.Config{DataDir: dir, BaseURL: w.SandboxURL, Webhooks: o.Webhooks, Logger: o.Logger, Seed: world})
	if err != nil {
		return nil, err
	}
	w.Sandbox = sb
	w.sbSrv.Config.Handler = sb
	w.sbSrv.Start()
	if err := sb.SetAppHost(ctx, sandbox.DemoAppUID, w.AppURL); err != nil {
		return nil, err
	}
	if w.Store, err = store.Open(ctx, filepath.Join(dir, "sandbox.db")); err != nil {
		return nil, err
	}

	w.Transport = &http.Transport{MaxIdleConnsPerHost: o.MaxConns, MaxConnsPerHost: o.MaxConns, IdleConnTimeout: time.Minute}
	dp := sb.DevPlatform()
	reg, err := maestrano.AutoConfigure(ctx, maestrano.DevPlatform{Host: dp.Host, EnvKey: dp.EnvKey, EnvSecret: maestrano.Secret(dp.EnvSecret)})
	if err != nil {
		return nil, err
	}
	mp, err := reg.Get(sandbox.DefaultMarketplace)
	if err != nil {
		return nil, err
	}
	w.Marketplace = mp
	w.APIID, w.APIKey = mp.API.ID, mp.API.Key.Reveal()
	set, err := sso.NewSet(reg, sso.WithHTTPClient(&http.Client{Transport: w.Transport, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}))
	if err != nil {
		return nil, err
	}
	keys, err := sso.NewKeyring(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		return nil, err
	}
	cookies, err := sso.NewCookieStore(keys)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	login := func(http.ResponseWriter, *http.Request, *sso.Identity) error { w.logins.Add(1); return nil }
	if err := set.Mount(mux, keys, cookies, login); err != nil {
		return nil, err
	}
	mw, err := sso.NewMiddleware(set, cookies)
	if err != nil {
		return nil, err
	}
	mux.Handle("GET /{$}", mw.Require(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		s, _ := sso.FromContext(r.Context())
		fmt.Fprintf(rw, `<p id="uid">%s</p><p id="group">%s</p>`, html.EscapeString(s.UserUID), html.EscapeString(s.GroupUID))
	})))
	w.appSrv.Config.Handler = mux
	w.appSrv.Start()
	svc, _ := set.Service(sandbox.DefaultMarketplace)
	w.InitURL = svc.InitURL()
	return w, nil
}

// receive is the subscriber app's webhook endpoint: it records the ids of
// the notified entities.
func (w *World) receive(rw http.ResponseWriter, r *http.Request) {
	if user, _, ok := r.BasicAuth(); !ok || user != SubscriberApp {
		w.badNotifications.Add(1)
		http.Error(rw, "unauthorized", http.StatusUnauthorized)
		return
	}
	var body map[string][]struct {
		ID json.RawMessage `json:"id"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(&body); err != nil {
		w.badNotifications.Add(1)
		http.Error(rw, "bad body", http.StatusBadRequest)
		return
	}
	for _, e := range body[Collection] {
		id, ok := connecID(e.ID)
		if !ok {
			w.badNotifications.Add(1)
			http.Error(rw, "entity without a Connec! id", http.StatusBadRequest)
			return
		}
		w.notified.Store(id, struct{}{})
	}
	w.notifications.Add(1)
}

// connecID reads an entity's Connec! id in either wire form: a string, or
// the id array of an app in external-ids mode, where it is the entry of
// provider "connec".
func connecID(raw json.RawMessage) (string, bool) {
	var plain string
	if json.Unmarshal(raw, &plain) == nil {
		return plain, plain != ""
	}
	var refs []store.ExternalID
	if json.Unmarshal(raw, &refs) != nil {
		return "", false
	}
	for _, x := range refs {
		if x.Provider == store.ConnecProvider && x.ID != "" {
			return x.ID, true
		}
	}
	return "", false
}

// Notified reports whether the receiver got a notification naming the
// entity id.
func (w *World) Notified(id string) bool {
	_, ok := w.notified.Load(id)
	return ok
}

// Notifications returns the number of notifications received, and of
// requests the receiver refused (bad credentials or body).
func (w *World) Notifications() (ok, bad int64) {
	return w.notifications.Load(), w.badNotifications.Load()
}

// Logins returns how many logins reached the app's login callback.
func (w *World) Logins() int64 { return w.logins.Load() }

// WaitNotified waits until every id was notified, or ctx ends; it returns
// the ids still missing.
func (w *World) WaitNotified(ctx context.Context, ids []string) []string {
	missing := slices.Clone(ids)
	for {
		missing = slices.DeleteFunc(missing, w.Notified)
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return missing
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Close stops the servers and closes the sandbox.
func (w *World) Close() {
	for _, s := range []*httptest.Server{w.appSrv, w.sbSrv, w.rcSrv} {
		if s != nil && s.URL != "" {
			s.Close()
		} else if s != nil {
			s.Listener.Close()
		}
	}
	if w.Transport != nil {
		w.Transport.CloseIdleConnections()
	}
	if w.Store != nil {
		_ = w.Store.Close()
	}
	if w.Sandbox != nil {
		_ = w.Sandbox.Close()
	}
}

// Client is one browser and API caller: its own cookie jar, the World's
// shared transport, no redirect followed.
type Client struct {
	w    *World
	http *http.Client
}

// NewClient returns a fresh client.
func (w *World) NewClient() *Client {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &Client{w: w, http: &http.Client{Jar: jar, Transport: w.Transport, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Users are the seeded users and a group each belongs to.
var Users = [][2]string{{"usr-1", "cld-1"}, {"usr-2", "cld-1"}, {"usr-3", "cld-2"}, {"usr-1", "cld-2"}}

// Login runs one SSO login through real HTTP: the app's init path (302 to
// the IdP), the IdP with user and group chosen (the signed response in an
// auto-post page), the app's consume path (the SDK verifies the response
// and sets the session cookie; 303), and the app's home page, which the
// SDK's middleware serves only with that session. It checks that the home
// page names the user and the group.
func (c *Client) Login(ctx context.Context, user, group string) error {
	status, loc, _, err := c.do(ctx, http.MethodGet, c.w.InitURL, "", nil)
	if err != nil {
		return err
	}
	if status != http.StatusFound || loc == "" {
		return fmt.Errorf("init: status %d, location %q", status, loc)
	}
	status, _, page, err := c.do(ctx, http.MethodGet, loc+"&user_uid="+url.QueryEscape(user)+"&group_id="+url.QueryEscape(group), "", nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("idp: status %d: %.200s", status, page)
	}
	acs, resp, err := flowtest.AutoPost(page)
	if err != nil {
		return fmt.Errorf("idp page: %w", err)
	}
	form := url.Values{"SAMLResponse": {resp}}.Encode()
	status, loc, body, err := c.do(ctx, http.MethodPost, acs, form, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}})
	if err != nil {
		return err
	}
	if status != http.StatusSeeOther || loc != "/" {
		return fmt.Errorf("consume: status %d, location %q: %.200s", status, loc, body)
	}
	status, _, home, err := c.do(ctx, http.MethodGet, c.w.AppURL+"/", "", nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK || !strings.Contains(home, `<p id="uid">`+html.EscapeString(user)+`</p><p id="group">`+html.EscapeString(group)+`</p>`) {
		return fmt.Errorf("home after login: status %d: %.200s", status, home)
	}
	return nil
}

// Write creates one entity of [Collection] in [Group] as the SSO app over
// the Connec! API and returns its id.
func (c *Client) Write(ctx context.Context, name string) (string, error) {
	body, _ := json.Marshal(map[string]any{Collection: map[string]any{"first_name": name, "last_name": "Load"}})
	hdr := http.Header{"Content-Type": {"application/vnd.api+json"}, "Accept": {"application/vnd.api+json"}}
	status, loc, answer, err := c.api(ctx, http.MethodPost, c.w.SandboxURL+sandbox.ConnecBasePath+"/"+Group+"/"+Collection, string(body), hdr)
	if err != nil {
		return "", err
	}
	if status != http.StatusCreated {
		return "", fmt.Errorf("create: status %d: %.200s", status, answer)
	}
	var out map[string]struct {
		ID        string `json:"id"`
		FirstName string `json:"first_name"`
	}
	if err := json.Unmarshal([]byte(answer), &out); err != nil {
		return "", fmt.Errorf("create: answer: %w", err)
	}
	e := out[Collection]
	if e.ID == "" || e.FirstName != name || !strings.HasSuffix(loc, "/"+e.ID) {
		return "", fmt.Errorf("create: answer %.200s, location %q", answer, loc)
	}
	return e.ID, nil
}

// Read fetches one entity of [Collection] over the Connec! API and returns
// its first_name.
func (c *Client) Read(ctx context.Context, id string) (string, error) {
	status, _, answer, err := c.api(ctx, http.MethodGet, c.w.SandboxURL+sandbox.ConnecBasePath+"/"+Group+"/"+Collection+"/"+url.PathEscape(id), "", nil)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("get %s: status %d: %.200s", id, status, answer)
	}
	var out map[string]struct {
		ID        string `json:"id"`
		FirstName string `json:"first_name"`
	}
	if err := json.Unmarshal([]byte(answer), &out); err != nil {
		return "", fmt.Errorf("get %s: %w", id, err)
	}
	if out[Collection].ID != id {
		return "", fmt.Errorf("get %s: answer names %q", id, out[Collection].ID)
	}
	return out[Collection].FirstName, nil
}

func (c *Client) api(ctx context.Context, method, u, body string, hdr http.Header) (int, string, string, error) {
	if hdr == nil {
		hdr = http.Header{}
	}
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	req.SetBasicAuth(c.w.APIID, c.w.APIKey)
	hdr.Set("Authorization", req.Header.Get("Authorization"))
	return c.do(ctx, method, u, body, hdr)
}

// do sends one request and reads the answer (bounded).
func (c *Client) do(ctx context.Context, method, u, body string, hdr http.Header) (status int, location, answer string, err error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, "", "", err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, "", "", fmt.Errorf("%s %s: reading the answer: %w", method, u, err)
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(b), nil
}

// Result is the outcome of [Run].
type Result struct {
	Ops       int             // operations attempted
	Errors    []error         // failed operations (at most maxErrors kept)
	ErrCount  int             // failed operations
	Latencies []time.Duration // of the successful operations, sorted
	Elapsed   time.Duration   // wall time of the whole run
}

const maxErrors = 20

// Run performs n operations on clients concurrent workers; worker w runs
// op(ctx, w, i) for the indexes i it takes, one at a time. It returns when
// all are done.
func Run(ctx context.Context, clients, n int, op func(ctx context.Context, worker, i int) error) Result {
	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	var mu sync.Mutex
	res := Result{Ops: n}
	var wg sync.WaitGroup
	start := time.Now()
	for w := range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				err := op(ctx, w, i)
				d := time.Since(t0)
				if err != nil {
					mu.Lock()
					res.ErrCount++
					if len(res.Errors) < maxErrors {
						res.Errors = append(res.Errors, fmt.Errorf("op %d: %w", i, err))
					}
					mu.Unlock()
					continue
				}
				lat[w] = append(lat[w], d)
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	for _, l := range lat {
		res.Latencies = append(res.Latencies, l...)
	}
	slices.Sort(res.Latencies)
	if err := ctx.Err(); err != nil && res.ErrCount == 0 && len(res.Latencies) < n {
		res.ErrCount = n - len(res.Latencies)
		res.Errors = append(res.Errors, err)
	}
	return res
}

// Err joins the recorded errors, or is nil.
func (r Result) Err() error {
	if r.ErrCount == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d operations failed: %w", r.ErrCount, r.Ops, errors.Join(r.Errors...))
}

// Percentile returns the latency below which the fraction p (0..1] of the
// successful operations fall (nearest rank), or 0 when there are none.
func (r Result) Percentile(p float64) time.Duration {
	n := len(r.Latencies)
	if n == 0 {
		return 0
	}
	k := int(p*float64(n)+0.999999999) - 1
	return r.Latencies[min(max(k, 0), n-1)]
}

// PerSecond is the rate of successful operations over the run.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.Latencies)) / r.Elapsed.Seconds()
}
