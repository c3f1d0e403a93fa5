package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// webhookRoutes registers the routes of the outgoing webhooks: the admin
// page of deliveries (with the group and member removals that fire account
// webhooks) and its JSON API.
func (s *Sandbox) webhookRoutes(mux *http.ServeMux) {
	mux.Handle("GET /admin/webhooks", s.pageHandler(s.handleAdminWebhooks))
	mux.Handle("POST /admin/webhooks/{id}/redeliver", s.pageHandler(s.handleAdminRedeliver))
	mux.Handle("POST /admin/groups/{uid}/remove", s.pageHandler(s.handleAdminRemoveGroup))
	mux.Handle("POST /admin/groups/{group_uid}/users/{uid}/remove", s.pageHandler(s.handleAdminRemoveMember))

	mux.Handle("GET /api/sandbox/v1/webhooks", s.adminAPI(s.handleAPIWebhooks))
	mux.Handle("GET /api/sandbox/v1/webhooks/{id}", s.adminAPI(s.handleAPIWebhook))
	mux.Handle("POST /api/sandbox/v1/webhooks/{id}/redeliver", s.adminAPI(s.handleAPIRedeliver))
	mux.Handle("DELETE /api/sandbox/v1/groups/{uid}", s.adminAPI(s.handleAPIRemoveGroup))
	mux.Handle("DELETE /api/sandbox/v1/groups/{group_uid}/users/{uid}", s.adminAPI(s.handleAPIRemoveMember))
}

// RemoveGroup deletes the group with its memberships (Connec! changes of the
// group logged before still reach the apps), and enqueues in the same
// transaction the account webhook DELETE {group_path} (":id" = the
// group uid) to every app that had access to it. It returns the ids of the
// enqueued deliveries; an unknown group is an error wrapping
// [store.ErrNotFound].
func (s *Sandbox) RemoveGroup(ctx context.Context, groupUID string) ([]string, error) {
	ds, err := s.store.RemoveGroup(ctx, groupUID, s.now(), store.FanOut{Window: s.wh.cfg.CoalesceWindow, MaxChanges: maxChangesPerPayload})
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("sandbox: unknown group %q: %w", groupUID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s.wakeWebhooks()
	s.log.InfoContext(ctx, "sandbox: removed group", slog.String("group_uid", groupUID), slog.Int("webhooks", len(ds)))
	return deliveryIDs(ds), nil
}

// RemoveMember deletes the user's membership of the group, and enqueues in
// the same transaction the account webhook DELETE {group_user_path}
// (":group_id", ":id" = the user uid) to every app with access to the
// group. It returns the ids of the enqueued deliveries; an unknown
// membership is an error wrapping [store.ErrNotFound].
func (s *Sandbox) RemoveMember(ctx context.Context, groupUID, userUID string) ([]string, error) {
	ds, err := s.store.RemoveMembership(ctx, groupUID, userUID, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("sandbox: user %q is not a member of group %q: %w", userUID, groupUID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s.wakeWebhooks()
	s.log.InfoContext(ctx, "sandbox: removed member", slog.String("group_uid", groupUID),
		slog.String("user_uid", userUID), slog.Int("webhooks", len(ds)))
	return deliveryIDs(ds), nil
}

// Redeliver makes the delivery due now with a fresh budget of attempts,
// whatever its state (delivered, dead or still retrying); it keeps its id,
// so a receiver that did process it can drop the repeat. An unknown
// delivery is an error wrapping [store.ErrNotFound].
func (s *Sandbox) Redeliver(ctx context.Context, deliveryID string) error {
	err := s.store.Redeliver(ctx, deliveryID, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("sandbox: unknown delivery %q: %w", deliveryID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	s.wakeWebhooks()
	return nil
}

func deliveryIDs(ds []store.Delivery) []string {
	ids := make([]string, 0, len(ds))
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	return ids
}

// WebhookDelivery is a webhook delivery in the admin JSON API
// (GET /api/sandbox/v1/webhooks[/{id}]).
type WebhookDelivery struct {
	// ID ("id") is the delivery id, sent in the X-Mno-Delivery-Id header of
	// every attempt.
	ID string `json:"id"`
	// Kind ("kind") is "connec.notification", "account.group.removed" or
	// "account.group_user.removed".
	Kind string `json:"kind"`
	// AppUID ("app_uid") is the app the request goes to, e.g. "app-1".
	AppUID string `json:"app_uid"`
	// GroupUID ("group_uid") is the group concerned, e.g. "cld-1".
	GroupUID string `json:"group_uid"`
	// UserUID ("user_uid") is the removed member, for
	// "account.group_user.removed" only.
	UserUID string `json:"user_uid,omitempty"`
	// Method ("method") is POST (Connec!) or DELETE (account).
	Method string `json:"method"`
	// Path ("path") is appended to the app's host, e.g.
	// "/maestrano/account/groups/cld-1/maestrano".
	Path string `json:"path"`
	// State ("state") is "collecting", "pending", "delivered" or "dead".
	State string `json:"state"`
	// Attempts ("attempts") is the number of attempts made.
	Attempts int `json:"attempts"`
	// Failures ("failures") is the number of failed attempts since it was
	// (re)enqueued; at the cap it is dead.
	Failures int `json:"failures"`
	// ChangeCount ("change_count") is the number of Connec! changes
	// coalesced into it.
	ChangeCount int `json:"change_count,omitempty"`
	// NextAttemptAt ("next_attempt_at"), RFC 3339 UTC with milliseconds, is
	// when a pending or collecting delivery is due.
	NextAttemptAt string `json:"next_attempt_at,omitempty"`
	// CreatedAt ("created_at") is when it was enqueued.
	CreatedAt string `json:"created_at"`
	// DeliveredAt ("delivered_at") is when the app accepted it.
	DeliveredAt string `json:"delivered_at,omitempty"`
	// Body ("body") is the request body (Connec! notifications), only in
	// the answer for one delivery.
	Body json.RawMessage `json:"body,omitempty"`
	// AttemptLog ("attempt_log") lists the attempts, oldest first.
	AttemptLog []WebhookAttempt `json:"attempt_log"`
}

// WebhookAttempt is one attempt of a [WebhookDelivery].
type WebhookAttempt struct {
	// Number ("number") is 1 for the first attempt.
	Number int `json:"number"`
	// StartedAt ("started_at") is when the request was sent.
	StartedAt string `json:"started_at"`
	// DurationMS ("duration_ms") is how long it took.
	DurationMS int64 `json:"duration_ms"`
	// URL ("url") is the request URL.
	URL string `json:"url"`
	// Status ("status") is the HTTP status, 0 when none came.
	Status int `json:"status"`
	// Response ("response") is the start of the response body (at most
	// 1 KiB).
	Response string `json:"response"`
	// Error ("error") says why the attempt failed, if it did.
	Error string `json:"error,omitempty"`
}

// WebhookDeliveriesResponse is the body of GET /api/sandbox/v1/webhooks.
type WebhookDeliveriesResponse struct {
	// Deliveries ("deliveries") are newest first.
	Deliveries []WebhookDelivery `json:"deliveries"`
}

// RemovalResponse is the body of DELETE /api/sandbox/v1/groups/{uid} and
// DELETE /api/sandbox/v1/groups/{group_uid}/users/{uid}.
type RemovalResponse struct {
	// GroupUID ("group_uid") is the group removed, or whose member was.
	GroupUID string `json:"group_uid"`
	// UserUID ("user_uid") is the member removed.
	UserUID string `json:"user_uid,omitempty"`
	// Removed ("removed") is true.
	Removed bool `json:"removed"`
	// Webhooks ("webhooks") are the ids of the account webhook deliveries
	// enqueued, one per app with access to the group.
	Webhooks []string `json:"webhooks"`
}

const apiTime = "2006-01-02T15:04:05.000Z07:00"

func formatAPITime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(apiTime)
}

func webhookDelivery(d store.Delivery, attempts []store.Attempt, withBody bool) WebhookDelivery {
	out := WebhookDelivery{
		ID: d.ID, Kind: d.Kind, AppUID: d.AppUID, GroupUID: d.GroupUID, UserUID: d.UserUID,
		Method: d.Method, Path: d.Path, State: d.State, Attempts: d.Attempts, Failures: d.Failures,
		ChangeCount: d.ChangeCount, CreatedAt: formatAPITime(d.CreatedAt), DeliveredAt: formatAPITime(d.DeliveredAt),
		AttemptLog: make([]WebhookAttempt, 0, len(attempts)),
	}
	if d.State == store.DeliveryPending || d.State == store.DeliveryCollecting {
		out.NextAttemptAt = formatAPITime(d.NextAttemptAt)
	}
	if withBody && len(d.Body) > 0 {
		out.Body = json.RawMessage(d.Body)
	}
	for _, a := range attempts {
		out.AttemptLog = append(out.AttemptLog, WebhookAttempt{
			Number: a.Number, StartedAt: formatAPITime(a.StartedAt), DurationMS: a.Duration.Milliseconds(),
			URL: a.URL, Status: a.Status, Response: a.Response, Error: a.Error,
		})
	}
	return out
}

// Listing bounds.
const (
	defaultDeliveryList = 100
	maxDeliveryList     = 1000
)

// deliveryFilter reads ?state= and ?limit= of a delivery listing.
func deliveryFilter(r *http.Request) (store.DeliveryFilter, error) {
	q, err := parseQuery(r)
	if err != nil {
		return store.DeliveryFilter{}, err
	}
	f := store.DeliveryFilter{State: q.Get("state"), Limit: defaultDeliveryList}
	switch f.State {
	case "", store.DeliveryCollecting, store.DeliveryPending, store.DeliveryDelivered, store.DeliveryDead:
	default:
		return f, badRequest("state must be collecting, pending, delivered or dead")
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxDeliveryList {
			return f, badRequest(fmt.Sprintf("limit must be an integer from 1 to %d", maxDeliveryList))
		}
		f.Limit = n
	}
	return f, nil
}

// deliveriesWithAttempts lists deliveries and their attempts.
func (s *Sandbox) deliveriesWithAttempts(ctx context.Context, f store.DeliveryFilter) ([]store.Delivery, map[string][]store.Attempt, error) {
	ds, err := s.store.Deliveries(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	attempts, err := s.store.Attempts(ctx, deliveryIDs(ds)...)
	if err != nil {
		return nil, nil, err
	}
	return ds, attempts, nil
}

// handleAPIWebhooks serves GET /api/sandbox/v1/webhooks[?state=&limit=].
func (s *Sandbox) handleAPIWebhooks(w http.ResponseWriter, r *http.Request) error {
	f, err := deliveryFilter(r)
	if err != nil {
		return err
	}
	ds, attempts, err := s.deliveriesWithAttempts(r.Context(), f)
	if err != nil {
		return err
	}
	resp := WebhookDeliveriesResponse{Deliveries: make([]WebhookDelivery, 0, len(ds))}
	for _, d := range ds {
		resp.Deliveries = append(resp.Deliveries, webhookDelivery(d, attempts[d.ID], false))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// handleAPIWebhook serves GET /api/sandbox/v1/webhooks/{id}.
func (s *Sandbox) handleAPIWebhook(w http.ResponseWriter, r *http.Request) error {
	return s.writeDelivery(w, r, r.PathValue("id"))
}

func (s *Sandbox) writeDelivery(w http.ResponseWriter, r *http.Request, id string) error {
	d, err := s.store.Delivery(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("unknown delivery " + clip(id))
	}
	if err != nil {
		return err
	}
	attempts, err := s.store.Attempts(r.Context(), d.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhookDelivery(d, attempts[d.ID], true))
	return nil
}

// handleAPIRedeliver serves POST /api/sandbox/v1/webhooks/{id}/redeliver and
// answers with the delivery, due now.
func (s *Sandbox) handleAPIRedeliver(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.Redeliver(r.Context(), id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound("unknown delivery " + clip(id))
		}
		return err
	}
	return s.writeDelivery(w, r, id)
}

// handleAPIRemoveGroup serves DELETE /api/sandbox/v1/groups/{uid}.
func (s *Sandbox) handleAPIRemoveGroup(w http.ResponseWriter, r *http.Request) error {
	uid := r.PathValue("uid")
	ids, err := s.RemoveGroup(r.Context(), uid)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("unknown group " + clip(uid))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, RemovalResponse{GroupUID: uid, Removed: true, Webhooks: ids})
	return nil
}

// handleAPIRemoveMember serves DELETE
// /api/sandbox/v1/groups/{group_uid}/users/{uid}.
func (s *Sandbox) handleAPIRemoveMember(w http.ResponseWriter, r *http.Request) error {
	group, user := r.PathValue("group_uid"), r.PathValue("uid")
	ids, err := s.RemoveMember(r.Context(), group, user)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("user " + clip(user) + " is not a member of group " + clip(group))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, RemovalResponse{GroupUID: group, UserUID: user, Removed: true, Webhooks: ids})
	return nil
}
