package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// DeliveryIDHeader is the header carrying a webhook delivery's id. The id
// is the same on every attempt and redelivery of the delivery, so a receiver
// that keeps the ids it has processed can drop a repeat: delivery is at
// least once.
const DeliveryIDHeader = "X-Mno-Delivery-Id"

// DeliveryAttemptHeader is the header carrying the attempt number of a
// delivery, 1 for the first.
const DeliveryAttemptHeader = "X-Mno-Delivery-Attempt"

// Webhook defaults, used when the matching [WebhookConfig] field is zero.
const (
	DefaultCoalesceWindow = 500 * time.Millisecond
	DefaultMaxAttempts    = 8
	DefaultRetryBaseDelay = 2 * time.Second
	DefaultRetryMaxDelay  = 10 * time.Minute
	DefaultWebhookTimeout = 10 * time.Second
	DefaultWebhookPoll    = 250 * time.Millisecond
	DefaultRetention      = 7 * 24 * time.Hour
)

// pruneInterval is how often the background loop prunes the outbox.
const pruneInterval = time.Hour

// minWakeDelay keeps the loop from spinning on a delivery due "now" that it
// could not claim.
const minWakeDelay = 5 * time.Millisecond

// wakeGather is how long the loop waits after a wake-up before it fans
// out, so that a burst of writes is fanned out in one transaction; at most
// the coalescing window, which a notification waits for anyway.
const wakeGather = 20 * time.Millisecond

// Bounds of the delivery worker.
const (
	webhookConcurrency   = 4        // attempts in flight at once
	maxChangesPerPayload = 100      // Connec! changes coalesced into one notification
	maxResponseRead      = 64 << 10 // bytes of a response read (then the connection is dropped)
	maxResponseExcerpt   = 1 << 10  // bytes of a response kept with the attempt
	webhookUserAgent     = "maestrano-sandbox"
)

// WebhookConfig configures the outgoing webhooks (account webhooks and
// Connec! notifications). The zero value is the defaults, with the
// background delivery loop running.
type WebhookConfig struct {
	// Manual keeps [Open] from starting the background delivery loop:
	// deliveries are then made only by [Sandbox.DeliverPending]. Tests use it
	// with a controlled [Config.Now].
	Manual bool
	// CoalesceWindow is how long a Connec! notification to an app gathers
	// the changes of a group before it is sent; 0 means
	// [DefaultCoalesceWindow].
	CoalesceWindow time.Duration
	// MaxAttempts is how many failed attempts in a row make a delivery dead
	// (dead letter, redelivered only from the admin page or API); 0 means
	// [DefaultMaxAttempts].
	MaxAttempts int
	// RetryBaseDelay is the wait after the first failure, doubled after
	// each further one, with jitter (50–100 %); 0 means
	// [DefaultRetryBaseDelay].
	RetryBaseDelay time.Duration
	// RetryMaxDelay caps each wait; 0 means [DefaultRetryMaxDelay].
	RetryMaxDelay time.Duration
	// Timeout bounds each attempt; 0 means [DefaultWebhookTimeout].
	Timeout time.Duration
	// PollInterval is how often the background loop looks for due
	// deliveries and new Connec! changes; 0 means [DefaultWebhookPoll].
	PollInterval time.Duration
	// Retention is how long delivered deliveries (with their attempts) and
	// fanned-out Connec! changes are kept; the background loop prunes older
	// ones every hour ([Sandbox.PruneWebhooks]). Pending and dead
	// deliveries are never pruned. 0 means [DefaultRetention].
	Retention time.Duration
	// HTTPClient sends the webhooks; nil means a client with Timeout. In
	// either case redirects are not followed (a 3xx is a failed attempt):
	// the app's credentials stay on the app's host.
	HTTPClient *http.Client
}

// webhooks is the delivery worker's state.
type webhooks struct {
	cfg    WebhookConfig
	client *http.Client
	lease  time.Duration
	wake   chan struct{}
	stop   context.CancelFunc
	done   chan struct{}
}

// newWebhooks validates cfg and fills in the defaults.
func newWebhooks(cfg WebhookConfig) (*webhooks, error) {
	defaults := []struct {
		v   *time.Duration
		def time.Duration
		n   string
	}{
		{&cfg.CoalesceWindow, DefaultCoalesceWindow, "CoalesceWindow"},
		{&cfg.RetryBaseDelay, DefaultRetryBaseDelay, "RetryBaseDelay"},
		{&cfg.RetryMaxDelay, DefaultRetryMaxDelay, "RetryMaxDelay"},
		{&cfg.Timeout, DefaultWebhookTimeout, "Timeout"},
		{&cfg.PollInterval, DefaultWebhookPoll, "PollInterval"},
		{&cfg.Retention, DefaultRetention, "Retention"},
	}
	for _, d := range defaults {
		switch {
		case *d.v == 0:
			*d.v = d.def
		case *d.v < 0:
			return nil, fmt.Errorf("sandbox: Config.Webhooks.%s must not be negative", d.n)
		}
	}
	switch {
	case cfg.MaxAttempts == 0:
		cfg.MaxAttempts = DefaultMaxAttempts
	case cfg.MaxAttempts < 0:
		return nil, errors.New("sandbox: Config.Webhooks.MaxAttempts must not be negative")
	}
	if cfg.RetryMaxDelay < cfg.RetryBaseDelay {
		cfg.RetryMaxDelay = cfg.RetryBaseDelay
	}
	client := &http.Client{Timeout: cfg.Timeout}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &webhooks{
		cfg:    cfg,
		client: client,
		// Long enough for any attempt to end (its timeout) before another
		// claim of the same delivery; Open releases leases of a dead process.
		lease: 2*cfg.Timeout + 5*time.Second,
		wake:  make(chan struct{}, 1),
	}, nil
}

// startWebhookLoop starts the background delivery loop unless the config is
// manual. [Sandbox.stopWebhookLoop] stops it.
func (s *Sandbox) startWebhookLoop() {
	if s.wh.cfg.Manual {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.wh.stop, s.wh.done = cancel, make(chan struct{})
	go func() {
		defer close(s.wh.done)
		t := time.NewTimer(0)
		defer t.Stop()
		var lastPrune time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			case <-s.wh.wake:
				// Gather the burst: a write wakes the loop, and waking it
				// for each of many writes made a fan-out transaction per
				// write, each holding the store's write lock (a third of
				// the CPU of a single writer).
				select {
				case <-ctx.Done():
					return
				case <-time.After(min(wakeGather, s.wh.cfg.CoalesceWindow)):
				}
				select {
				case <-s.wh.wake:
				default:
				}
			}
			if _, err := s.DeliverPending(ctx); err != nil && ctx.Err() == nil {
				s.log.ErrorContext(ctx, "sandbox: webhook delivery", slog.Any("error", err))
			}
			if now := s.now(); lastPrune.IsZero() || now.Sub(lastPrune) >= pruneInterval || now.Before(lastPrune) {
				lastPrune = now
				if _, err := s.PruneWebhooks(ctx); err != nil && ctx.Err() == nil {
					s.log.ErrorContext(ctx, "sandbox: webhook prune", slog.Any("error", err))
				}
			}
			if !t.Stop() {
				select {
				case <-t.C:
				default:
				}
			}
			t.Reset(s.nextWake(ctx))
		}
	}()
}

// nextWake is how long the background loop sleeps: until the earliest open
// delivery is due (the end of a coalescing window, a retry), at most the
// poll interval.
func (s *Sandbox) nextWake(ctx context.Context) time.Duration {
	wait := s.wh.cfg.PollInterval
	at, ok, err := s.store.NextDeliveryDue(ctx)
	if err != nil || !ok {
		return wait
	}
	if d := at.Sub(s.now()); d < wait {
		wait = max(d, minWakeDelay)
	}
	return wait
}

// PruneWebhooks deletes the deliveries delivered, and the Connec! changes
// fanned out, more than [WebhookConfig.Retention] ago ([Config.Now]);
// pending and dead deliveries, and the changes they carry, are kept. The
// background loop calls it every hour; with [WebhookConfig.Manual] it is
// the caller's to call.
func (s *Sandbox) PruneWebhooks(ctx context.Context) (store.Pruned, error) {
	p, err := s.store.PruneOutbox(ctx, s.now().Add(-s.wh.cfg.Retention))
	if err != nil {
		return store.Pruned{}, fmt.Errorf("sandbox: %w", err)
	}
	if p.Deliveries > 0 || p.Changes > 0 {
		s.log.InfoContext(ctx, "sandbox: pruned webhook outbox",
			slog.Int64("deliveries", p.Deliveries), slog.Int64("changes", p.Changes))
	}
	return p, nil
}

// stopWebhookLoop stops the background loop, cancelling the attempts in
// flight (their deliveries stay due), and waits for it.
func (s *Sandbox) stopWebhookLoop() {
	if s.wh == nil || s.wh.stop == nil {
		return
	}
	s.wh.stop()
	<-s.wh.done
}

// wakeWebhooks tells the background loop to look for work now rather than
// at its next poll. Code that records Connec! changes or enqueues deliveries
// calls it after its transaction commits.
func (s *Sandbox) wakeWebhooks() {
	select {
	case s.wh.wake <- struct{}{}:
	default:
	}
}

// DeliverPending turns the logged Connec! changes into deliveries, then
// makes an attempt at every delivery that is due at the current time
// ([Config.Now]), until none is due, and returns the number of attempts
// made. A failed attempt is scheduled again with backoff (or dead-lettered),
// so it is not due again in the same call unless the clock moves on. It is
// safe to call while the background loop runs (each delivery is leased in
// the database by the one who attempts it). The error is a database error;
// failed attempts are not errors.
func (s *Sandbox) DeliverPending(ctx context.Context) (int, error) {
	total := 0
	for {
		now := s.now()
		if _, err := s.store.FanOutChanges(ctx, now, s.wh.cfg.CoalesceWindow, maxChangesPerPayload); err != nil {
			return total, fmt.Errorf("sandbox: %w", err)
		}
		claimed, err := s.store.ClaimDeliveries(ctx, now, s.wh.lease, 4*webhookConcurrency)
		if err != nil {
			return total, fmt.Errorf("sandbox: %w", err)
		}
		if len(claimed) == 0 {
			return total, nil
		}
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			firstErr error
			sem      = make(chan struct{}, webhookConcurrency)
		)
		for _, d := range claimed {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				err := s.attempt(ctx, d)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					total++
				} else if firstErr == nil {
					firstErr = err
				}
			}()
		}
		wg.Wait()
		if firstErr != nil {
			return total, firstErr
		}
	}
}

// errCancelled marks an attempt cut short by ctx: its lease is released and
// nothing is recorded.
var errCancelled = errors.New("sandbox: webhook attempt cancelled")

// attempt makes one HTTP request for d and records the outcome.
func (s *Sandbox) attempt(ctx context.Context, d store.Delivery) error {
	a, ok := s.send(ctx, d)
	if ctx.Err() != nil {
		// Shutting down: the delivery stays due for the next run.
		_ = s.store.ReleaseLease(context.WithoutCancel(ctx), d.ID)
		return errCancelled
	}
	var out store.AttemptOutcome
	if ok {
		out.Delivered = true
	} else if failures := d.Failures + 1; failures < s.wh.cfg.MaxAttempts {
		out.RetryAt = s.now().Add(s.backoff(failures))
	}
	level := slog.LevelDebug
	if !ok {
		level = slog.LevelWarn
	}
	s.log.Log(ctx, level, "sandbox: webhook attempt",
		slog.String("delivery_id", d.ID), slog.String("kind", d.Kind), slog.String("app_uid", d.AppUID),
		slog.Int("attempt", d.Attempts+1), slog.Int("status", a.Status), slog.String("error", a.Error),
		slog.Bool("dead", !ok && out.RetryAt.IsZero()))
	if err := s.store.FinishAttempt(ctx, d.ID, a, out, s.now()); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	return nil
}

// backoff is the wait after the given number of failures in a row:
// RetryBaseDelay doubled per further failure, capped at RetryMaxDelay, and
// scaled by a random 50–100 % so that retries of many deliveries spread out.
func (s *Sandbox) backoff(failures int) time.Duration {
	d := s.wh.cfg.RetryMaxDelay
	if shift := failures - 1; shift < 62 {
		if b := s.wh.cfg.RetryBaseDelay << shift; b > 0 && b < d {
			d = b
		}
	}
	return d/2 + rand.N(d/2+1)
}

// send makes the HTTP request of one attempt at d and reports whether the
// app accepted it (2xx).
func (s *Sandbox) send(ctx context.Context, d store.Delivery) (store.Attempt, bool) {
	a := store.Attempt{StartedAt: s.now()}
	app, err := s.store.App(ctx, d.AppUID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			a.Error = "app " + d.AppUID + " no longer exists"
		} else {
			a.Error = "cannot read the app: internal error"
			s.log.ErrorContext(ctx, "sandbox: webhook app", slog.Any("error", err))
		}
		return a, false
	}
	a.URL = strings.TrimSuffix(app.Host, "/") + d.Path
	if u, err := parseHTTPURL(strings.SplitN(a.URL, "?", 2)[0]); err != nil || u.Host == "" {
		a.Error = "app host and path do not make an http(s) URL"
		return a, false
	}
	actx, cancel := context.WithTimeout(ctx, s.wh.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, d.Method, a.URL, bytes.NewReader(d.Body))
	if err != nil {
		a.Error = "bad request: " + clipN(err.Error(), 200)
		return a, false
	}
	if len(d.Body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", webhookUserAgent)
	req.Header.Set(DeliveryIDHeader, d.ID)
	req.Header.Set(DeliveryAttemptHeader, strconv.Itoa(d.Attempts+1))
	req.SetBasicAuth(app.UID, app.APIKey)
	start := time.Now()
	resp, err := s.wh.client.Do(req)
	if err != nil {
		a.Duration = time.Since(start)
		a.Error = clipN(err.Error(), 500)
		return a, false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseRead))
	a.Duration = time.Since(start)
	a.Status = resp.StatusCode
	a.Response = string(body[:min(len(body), maxResponseExcerpt)])
	if err != nil {
		a.Error = "reading the response: " + clipN(err.Error(), 200)
	}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if !ok && a.Error == "" {
		a.Error = "status " + strconv.Itoa(resp.StatusCode)
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			a.Error += " (redirects are not followed)"
		}
	}
	return a, ok
}
