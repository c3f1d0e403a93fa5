package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/maestrano-go/maestrano"
)

// GroupRemoved is the "group removed" webhook: the group (customer
// account) no longer uses the app on that marketplace — its subscription
// was cancelled.
type GroupRemoved struct {
	// Marketplace is the marketplace (tenant) that sent it.
	Marketplace string
	// GroupID is the group, e.g. "cld-1".
	GroupID string
}

// MemberRemoved is the "member removed" webhook: a user left a group.
type MemberRemoved struct {
	// Marketplace is the marketplace (tenant) that sent it.
	Marketplace string
	// GroupID is the group, e.g. "cld-1".
	GroupID string
	// UserID is the user as the platform sent it: a real uid ("usr-1") or
	// a virtual one ("usr-1.cld-1"); see [MemberRemoved.RealUserID].
	UserID string
}

// RealUserID returns the real user uid: the part of UserID before the
// first ".", which is how the platform forms virtual uids and emails.
func (m MemberRemoved) RealUserID() string {
	uid, _, _ := strings.Cut(m.UserID, ".")
	return uid
}

// WebhookCallbacks are what the app does on each account webhook. A nil
// callback acknowledges the webhook and does nothing. An error makes the
// handler answer 500, so the platform knows the event was not handled.
type WebhookCallbacks struct {
	GroupRemoved  func(ctx context.Context, ev GroupRemoved) error
	MemberRemoved func(ctx context.Context, ev MemberRemoved) error
}

// DefaultWebhookMaxBody bounds the body of a webhook request (the platform
// sends none).
const DefaultWebhookMaxBody = 64 << 10

// WebhookHandler serves the account webhooks of every marketplace of a
// registry: DELETE on each marketplace's webhooks.account.group_path and
// group_user_path, with the ":id" and ":group_id" placeholders. The
// platform authenticates with the marketplace's own api.id and api.key as
// HTTP Basic credentials; they are checked in constant time, and anything
// else is answered 401 {"error":"Invalid credentials"}.
//
// The handler matches the whole request path, so it works behind any
// router that passes the path unchanged: mount it at "/" or on each of
// [WebhookHandler.Patterns]. It is safe for concurrent use.
type WebhookHandler struct {
	src      maestrano.RegistryProvider
	cb       WebhookCallbacks
	routes   []webhookRoute
	log      *slog.Logger
	maxBody  int64
	fallback http.Handler
}

type webhookKind int

const (
	groupWebhook webhookKind = iota
	memberWebhook
)

// webhookRoute is one marketplace's path template.
type webhookRoute struct {
	marketplace string
	kind        webhookKind
	template    string
	segments    []string // literal, or ":id" / ":group_id"
	query       url.Values
	literals    int
}

// WebhookOption configures a [WebhookHandler].
type WebhookOption func(*WebhookHandler) error

// WithWebhookLogger sets the logger (default: discard). A refused request
// is logged at Warn without its credentials; a callback error at Error.
func WithWebhookLogger(l *slog.Logger) WebhookOption {
	return func(h *WebhookHandler) error {
		if l == nil {
			return errors.New("account: WithWebhookLogger: nil logger")
		}
		h.log = l
		return nil
	}
}

// WithWebhookMaxBody bounds the request body (default DefaultWebhookMaxBody);
// a larger one is answered 413.
func WithWebhookMaxBody(n int64) WebhookOption {
	return func(h *WebhookHandler) error {
		if n <= 0 {
			return errors.New("account: WithWebhookMaxBody: bound must be positive")
		}
		h.maxBody = n
		return nil
	}
}

// WithWebhookFallback passes requests whose path is no webhook path to
// next instead of answering 404, so the handler can wrap an app's router.
func WithWebhookFallback(next http.Handler) WebhookOption {
	return func(h *WebhookHandler) error {
		if next == nil {
			return errors.New("account: WithWebhookFallback: nil handler")
		}
		h.fallback = next
		return nil
	}
}

// NewWebhookHandler builds the handler from the webhook paths of every
// marketplace in reg. A marketplace with an empty path has no webhook of
// that kind; a path that lacks its placeholders, or has others, is a
// *maestrano.ConfigError.
//
// reg is a *maestrano.Registry or a *maestrano.RegistrySource: the paths are
// those of the registry current at the call, and each request's credentials
// are checked against the registry current at that request, so that a
// refreshed configuration (a rotated api key) takes effect without a new
// handler.
func NewWebhookHandler(src maestrano.RegistryProvider, cb WebhookCallbacks, opts ...WebhookOption) (*WebhookHandler, error) {
	if src == nil || src.Registry() == nil {
		return nil, errors.New("account: NewWebhookHandler: nil registry")
	}
	reg := src.Registry()
	if cb.GroupRemoved == nil && cb.MemberRemoved == nil {
		return nil, errors.New("account: NewWebhookHandler: no callback")
	}
	h := &WebhookHandler{src: src, cb: cb, log: slog.New(slog.DiscardHandler), maxBody: DefaultWebhookMaxBody}
	for _, opt := range opts {
		if err := opt(h); err != nil {
			return nil, err
		}
	}
	var problems []string
	for _, name := range reg.Names() {
		mp, err := reg.Get(name)
		if err != nil {
			return nil, err
		}
		for _, t := range []struct {
			kind webhookKind
			key  string
			path string
			want []string
		}{
			{groupWebhook, "webhooks.account.group_path", mp.Webhooks.Account.GroupPath, []string{":id"}},
			{memberWebhook, "webhooks.account.group_user_path", mp.Webhooks.Account.GroupUserPath, []string{":group_id", ":id"}},
		} {
			if t.path == "" {
				continue
			}
			r, err := parseTemplate(t.path, t.want)
			if err != nil {
				problems = append(problems, fmt.Sprintf("marketplace %q: %s %q: %v", name, t.key, t.path, err))
				continue
			}
			r.marketplace, r.kind = name, t.kind
			h.routes = append(h.routes, r)
		}
	}
	if len(problems) > 0 {
		return nil, &maestrano.ConfigError{Problems: problems}
	}
	// The most specific template first: more literal segments win.
	sort.SliceStable(h.routes, func(i, j int) bool { return h.routes[i].literals > h.routes[j].literals })
	return h, nil
}

// parseTemplate splits a path template into segments and checks its
// placeholders: each of want exactly once, no other.
func parseTemplate(tmpl string, want []string) (webhookRoute, error) {
	path, rawQuery, _ := strings.Cut(tmpl, "?")
	if !strings.HasPrefix(path, "/") {
		return webhookRoute{}, errors.New("does not start with /")
	}
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return webhookRoute{}, errors.New("has a malformed query")
	}
	r := webhookRoute{template: tmpl, query: query}
	seen := map[string]int{}
	for _, seg := range strings.Split(strings.Trim(path, "/"), "/") {
		if strings.HasPrefix(seg, ":") {
			seen[seg]++
		} else if seg != "" {
			r.literals++
		} else {
			return webhookRoute{}, errors.New("has an empty segment")
		}
		r.segments = append(r.segments, seg)
	}
	for _, p := range want {
		if seen[p] != 1 {
			return webhookRoute{}, fmt.Errorf("must contain %s once", p)
		}
		delete(seen, p)
	}
	for p := range seen {
		return webhookRoute{}, fmt.Errorf("has the unknown placeholder %s", p)
	}
	return r, nil
}

// match returns the placeholder values when segs (unescaped) and q fit r.
func (r *webhookRoute) match(segs []string, q url.Values) (map[string]string, bool) {
	if len(segs) != len(r.segments) {
		return nil, false
	}
	vals := map[string]string{}
	for i, s := range r.segments {
		if strings.HasPrefix(s, ":") {
			if checkID(segs[i]) != nil {
				return nil, false
			}
			vals[s] = segs[i]
		} else if segs[i] != s {
			return nil, false
		}
	}
	for k, vs := range r.query {
		if q.Get(k) != vs[0] {
			return nil, false
		}
	}
	return vals, true
}

// Patterns returns the net/http ServeMux patterns of the webhook paths
// ("DELETE /maestrano/account/groups/{id}/maestrano"), one per distinct
// path, for apps that register the handler on each.
func (h *WebhookHandler) Patterns() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range h.routes {
		var b strings.Builder
		b.WriteString("DELETE /")
		for i, s := range r.segments {
			if i > 0 {
				b.WriteByte('/')
			}
			if strings.HasPrefix(s, ":") {
				b.WriteString("{" + s[1:] + "}")
			} else {
				b.WriteString(s)
			}
		}
		if p := b.String(); !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// ServeHTTP handles one webhook call.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs, ok := splitPath(r.URL.EscapedPath())
	var cands []candidate
	if ok {
		q := r.URL.Query()
		for i := range h.routes {
			if vals, ok := h.routes[i].match(segs, q); ok {
				cands = append(cands, candidate{&h.routes[i], vals})
			}
		}
	}
	if len(cands) == 0 {
		if h.fallback != nil {
			h.fallback.ServeHTTP(w, r)
			return
		}
		writeWebhookJSON(w, http.StatusNotFound, map[string]any{"error": "Not found"})
		return
	}
	if r.Method != http.MethodDelete {
		w.Header().Set("Allow", http.MethodDelete)
		writeWebhookJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": "Method not allowed"})
		return
	}
	// Several marketplaces may share a path (the platform's defaults have
	// no tenant segment): the credentials say which one is calling.
	var hit *candidate
	reg := h.src.Registry()
	for i := range cands {
		if reg.AuthenticateRequest(r, cands[i].route.marketplace) {
			hit = &cands[i]
			break
		}
	}
	if hit == nil {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "account webhook: invalid credentials",
			slog.String("path", r.URL.Path), slog.String("remote", r.RemoteAddr))
		w.Header().Set("WWW-Authenticate", `Basic realm="maestrano", charset="UTF-8"`)
		writeWebhookJSON(w, http.StatusUnauthorized, map[string]any{"error": "Invalid credentials"})
		return
	}
	// The platform sends no body; read (and bound) whatever comes, so the
	// connection can be reused and a flood is cut off.
	// A request built by hand (not by a server) may have no Body at all.
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	if _, err := io.Copy(io.Discard, http.MaxBytesReader(w, body, h.maxBody)); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeWebhookJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"error": "Request body too large"})
			return
		}
		writeWebhookJSON(w, http.StatusBadRequest, map[string]any{"error": "Unreadable request body"})
		return
	}
	mp, groupID := hit.route.marketplace, hit.vals[":id"]
	var err error
	attrs := []slog.Attr{slog.String("marketplace", mp)}
	switch hit.route.kind {
	case groupWebhook:
		attrs = append(attrs, slog.String("event", "group removed"), slog.String("group_id", groupID))
		if h.cb.GroupRemoved != nil {
			err = h.cb.GroupRemoved(r.Context(), GroupRemoved{Marketplace: mp, GroupID: groupID})
		}
	case memberWebhook:
		groupID = hit.vals[":group_id"]
		userID := hit.vals[":id"]
		attrs = append(attrs, slog.String("event", "member removed"), slog.String("group_id", groupID), slog.String("user_id", userID))
		if h.cb.MemberRemoved != nil {
			err = h.cb.MemberRemoved(r.Context(), MemberRemoved{Marketplace: mp, GroupID: groupID, UserID: userID})
		}
	}
	if err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "account webhook: callback failed", append(attrs, slog.String("error", err.Error()))...)
		writeWebhookJSON(w, http.StatusInternalServerError, map[string]any{"success": false, "error": "Webhook not processed"})
		return
	}
	h.log.LogAttrs(r.Context(), slog.LevelDebug, "account webhook", attrs...)
	writeWebhookJSON(w, http.StatusOK, map[string]any{"success": true})
}

type candidate struct {
	route *webhookRoute
	vals  map[string]string
}

// maxWebhookPath bounds the path the handler looks at.
const maxWebhookPath = 2048

// splitPath unescapes each segment of an escaped path, ignoring one
// trailing slash.
func splitPath(escaped string) ([]string, bool) {
	if len(escaped) > maxWebhookPath || !strings.HasPrefix(escaped, "/") {
		return nil, false
	}
	trimmed := strings.TrimSuffix(escaped[1:], "/")
	if trimmed == "" {
		return nil, false
	}
	parts := strings.Split(trimmed, "/")
	for i, p := range parts {
		s, err := url.PathUnescape(p)
		if err != nil || s == "" {
			return nil, false
		}
		parts[i] = s
	}
	return parts, true
}

func writeWebhookJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
