package connec

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/maestrano-go/maestrano"
)

// Defaults of a [NotificationHandler].
const (
	// DefaultMaxNotificationBytes bounds a notification body.
	DefaultMaxNotificationBytes = 8 << 20
	// DefaultDeliveryTTL is how long a delivery id is remembered.
	DefaultDeliveryTTL = 24 * time.Hour
	// HeaderDeliveryID carries the id of one delivery; a redelivery of the
	// same notification carries the same id.
	HeaderDeliveryID = "X-Mno-Delivery-Id"
	// MarketplacePathValue is the default path wildcard naming the
	// marketplace, as in "POST /maestrano/connec/notifications/{marketplace}".
	MarketplacePathValue = "marketplace"

	maxDeliveryID = 256
)

// Notification is one Connec! notification: records of one or more
// collections (and groups) that changed. Records of the main collections
// are decoded into their types; the rest stay raw in Other.
type Notification struct {
	// Marketplace is the marketplace that sent it.
	Marketplace string
	// DeliveryID is the X-Mno-Delivery-Id header ("" when absent).
	DeliveryID string

	Organizations []Organization
	People        []Person
	Items         []Item
	Invoices      []Invoice
	Payments      []Payment
	Accounts      []Account
	TaxCodes      []TaxCode
	// Company holds "company" records (a notification may carry several).
	Company []Company
	// Other holds the records of every other collection, by collection name.
	Other map[string][]Raw
	// Undecoded holds the records of the collections above that did not
	// decode as their type (a known field of the wrong type, say), each a
	// [*DecodeError] naming it (collection, index in its array, id, field)
	// with its JSON. The other records of the notification are not
	// affected; Len does not count these.
	Undecoded []*DecodeError
}

// Len returns the number of records.
func (n *Notification) Len() int {
	total := len(n.Organizations) + len(n.People) + len(n.Items) + len(n.Invoices) +
		len(n.Payments) + len(n.Accounts) + len(n.TaxCodes) + len(n.Company)
	for _, rs := range n.Other {
		total += len(rs)
	}
	return total
}

// Collections returns the names of the collections with records, sorted.
func (n *Notification) Collections() []string {
	var names []string
	add := func(name string, count int) {
		if count > 0 {
			names = append(names, name)
		}
	}
	add(CollectionOrganizations, len(n.Organizations))
	add(CollectionPeople, len(n.People))
	add(CollectionItems, len(n.Items))
	add(CollectionInvoices, len(n.Invoices))
	add(CollectionPayments, len(n.Payments))
	add(CollectionAccounts, len(n.Accounts))
	add(CollectionTaxCodes, len(n.TaxCodes))
	add(CollectionCompany, len(n.Company))
	for k, rs := range n.Other {
		add(k, len(rs))
	}
	slices.Sort(names)
	return names
}

// ParseNotification decodes a notification body {"<collection>": [records]}.
// Every member must be an array of objects. A record that does not decode
// as its type goes to Undecoded; the body is refused only when it is not
// of that shape.
func ParseNotification(body []byte) (*Notification, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("connec: notification body: %w", err)
	}
	if doc == nil {
		return nil, errors.New("connec: notification body is not an object")
	}
	n := &Notification{}
	for name, raw := range doc {
		var err error
		switch name {
		case CollectionOrganizations:
			n.Organizations, err = decodeRecords[Organization](raw, name, n)
		case CollectionPeople:
			n.People, err = decodeRecords[Person](raw, name, n)
		case CollectionItems:
			n.Items, err = decodeRecords[Item](raw, name, n)
		case CollectionInvoices:
			n.Invoices, err = decodeRecords[Invoice](raw, name, n)
		case CollectionPayments:
			n.Payments, err = decodeRecords[Payment](raw, name, n)
		case CollectionAccounts:
			n.Accounts, err = decodeRecords[Account](raw, name, n)
		case CollectionTaxCodes:
			n.TaxCodes, err = decodeRecords[TaxCode](raw, name, n)
		case CollectionCompany:
			n.Company, err = decodeRecords[Company](raw, name, n)
		default:
			if cerr := checkCollection(name); cerr != nil {
				return nil, fmt.Errorf("connec: notification member %q is not a collection name", name)
			}
			var rs []Raw
			rs, err = decodeRecords[Raw](raw, name, n)
			if err == nil && len(rs) > 0 {
				if n.Other == nil {
					n.Other = map[string][]Raw{}
				}
				n.Other[name] = rs
			}
		}
		if err != nil {
			return nil, fmt.Errorf("connec: notification %s: %w", name, err)
		}
	}
	slices.SortFunc(n.Undecoded, func(a, b *DecodeError) int {
		return cmp.Or(strings.Compare(a.Collection, b.Collection), cmp.Compare(a.Index, b.Index))
	})
	return n, nil
}

// decodeRecords decodes an array of objects; those that do not decode as T
// go to n.Undecoded.
func decodeRecords[T any](raw json.RawMessage, name string, n *Notification) ([]T, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, errors.New("not an array of records")
	}
	if len(items) == 0 {
		return nil, nil
	}
	out := make([]T, 0, len(items))
	for i, it := range items {
		if len(it) == 0 || it[0] != '{' {
			return nil, fmt.Errorf("record %d is not an object", i)
		}
		var v T
		if err := json.Unmarshal(it, &v); err != nil {
			n.Undecoded = append(n.Undecoded, recordError("", name, i, it, err))
			continue
		}
		out = append(out, v)
	}
	return out, nil
}

// NotificationFunc is the app's callback. Its error is logged; the platform
// still gets 200 (see [NotificationHandler]).
type NotificationFunc func(ctx context.Context, n *Notification) error

// DeliveryStore remembers delivery ids so a redelivered notification is
// dropped. Consume records id until expiry and reports false when id was
// already recorded and has not expired. It has the method set of
// saml.ReplayCache, so saml.NewMemoryReplayCache serves one app instance;
// several instances share a store (e.g. Redis) behind this interface.
type DeliveryStore interface {
	Consume(ctx context.Context, id string, expiry time.Time) (bool, error)
}

// HandlerOption configures a [NotificationHandler].
type HandlerOption interface {
	applyHandler(*handlerConfig) error
}

type handlerConfig struct {
	logger      *slog.Logger
	store       DeliveryStore
	ttl         time.Duration
	maxBody     int64
	marketplace string
	pathValue   string
	now         func() time.Time
}

type handlerOption func(*handlerConfig) error

func (f handlerOption) applyHandler(h *handlerConfig) error { return f(h) }

// WithDeliveryStore drops deliveries whose X-Mno-Delivery-Id was seen
// before (default: no de-duplication).
func WithDeliveryStore(s DeliveryStore) HandlerOption {
	return handlerOption(func(h *handlerConfig) error {
		if s == nil {
			return errors.New("connec: WithDeliveryStore: nil store")
		}
		h.store = s
		return nil
	})
}

// WithDeliveryTTL sets how long a delivery id is remembered (default
// [DefaultDeliveryTTL]).
func WithDeliveryTTL(d time.Duration) HandlerOption {
	return handlerOption(func(h *handlerConfig) error {
		if d <= 0 {
			return errors.New("connec: WithDeliveryTTL: duration must be positive")
		}
		h.ttl = d
		return nil
	})
}

// WithMaxNotificationBytes bounds the body (default [DefaultMaxNotificationBytes]).
func WithMaxNotificationBytes(n int64) HandlerOption {
	return handlerOption(func(h *handlerConfig) error {
		if n <= 0 {
			return errors.New("connec: WithMaxNotificationBytes: limit must be positive")
		}
		h.maxBody = n
		return nil
	})
}

// WithMarketplace fixes the marketplace the handler serves, for a route
// without a marketplace wildcard.
func WithMarketplace(name string) HandlerOption {
	return handlerOption(func(h *handlerConfig) error {
		if name == "" {
			return errors.New("connec: WithMarketplace: empty name")
		}
		h.marketplace = name
		return nil
	})
}

// WithMarketplacePathValue names the route wildcard that carries the
// marketplace (default [MarketplacePathValue]).
func WithMarketplacePathValue(name string) HandlerOption {
	return handlerOption(func(h *handlerConfig) error {
		if name == "" {
			return errors.New("connec: WithMarketplacePathValue: empty name")
		}
		h.pathValue = name
		return nil
	})
}

// WithClock sets the clock of delivery expiry times (default time.Now).
func WithClock(now func() time.Time) HandlerOption {
	return handlerOption(func(h *handlerConfig) error {
		if now == nil {
			return errors.New("connec: WithClock: nil clock")
		}
		h.now = now
		return nil
	})
}

// NotificationHandler receives Connec! notifications (POST
// webhooks.connec.notification_path). It authenticates the platform with
// HTTP Basic against the marketplace's api.id and api.key (constant time),
// bounds and decodes the body, drops redeliveries when a [DeliveryStore] is
// set, and calls the app's [NotificationFunc].
//
// Answers: 401 for missing or wrong credentials (or an unknown
// marketplace), 405 for another method, 413 for a body over the bound, 400
// for a body that is not {"<collection>": [records]}, 503 when the
// delivery store fails (so the platform may deliver again), and 200
// otherwise — also when the callback fails, as the connectors do: the
// notification was received, and a retry would not fix the app's problem;
// the failure is logged at error level.
type NotificationHandler struct {
	src      maestrano.RegistryProvider
	callback NotificationFunc
	cf       handlerConfig
}

// NewNotificationHandler returns a handler for the marketplaces of reg: a
// *maestrano.Registry, or a *maestrano.RegistrySource whose current registry
// each request is checked against, so that a refreshed configuration (a
// rotated api key) takes effect without a new handler. The marketplace of a
// request is the one fixed by [WithMarketplace], else the route's path value
// (see [WithMarketplacePathValue]), else — when the registry holds exactly
// one — that one.
func NewNotificationHandler(reg maestrano.RegistryProvider, callback NotificationFunc, opts ...HandlerOption) (*NotificationHandler, error) {
	if reg == nil || reg.Registry() == nil {
		return nil, errors.New("connec: nil registry")
	}
	if callback == nil {
		return nil, errors.New("connec: nil notification callback")
	}
	cf := handlerConfig{ttl: DefaultDeliveryTTL, maxBody: DefaultMaxNotificationBytes, pathValue: MarketplacePathValue, now: time.Now}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.applyHandler(&cf); err != nil {
			return nil, err
		}
	}
	if cf.logger == nil {
		cf.logger = slog.New(slog.DiscardHandler)
	}
	if cf.marketplace != "" {
		if _, err := reg.Registry().Get(cf.marketplace); err != nil {
			return nil, err
		}
	}
	return &NotificationHandler{src: reg, callback: callback, cf: cf}, nil
}

// Mount registers the handler on mux at "POST " + the
// webhooks.connec.notification_path of every marketplace of the registry
// that has one, each fixed to its marketplace. Two marketplaces with the
// same path are an error (use one route with a {marketplace} wildcard
// instead). The routes are those of the registry current at the call.
func (h *NotificationHandler) Mount(mux *http.ServeMux) error {
	seen := map[string]string{}
	type route struct{ pattern, name string }
	var routes []route
	reg := h.src.Registry()
	for _, name := range reg.Names() {
		mp, err := reg.Get(name)
		if err != nil {
			return err
		}
		p, _, _ := strings.Cut(mp.Webhooks.Connec.NotificationPath, "?")
		if p == "" {
			continue
		}
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "{} \t") {
			return fmt.Errorf("connec: marketplace %q: notification path %q cannot be routed", name, p)
		}
		if other, dup := seen[p]; dup {
			return fmt.Errorf("connec: marketplaces %q and %q share the notification path %q", other, name, p)
		}
		seen[p] = name
		routes = append(routes, route{"POST " + p, name})
	}
	for _, r := range routes {
		fixed := *h
		fixed.cf.marketplace = r.name
		mux.Handle(r.pattern, &fixed)
	}
	return nil
}

func (h *NotificationHandler) marketplace(r *http.Request, reg *maestrano.Registry) string {
	if h.cf.marketplace != "" {
		return h.cf.marketplace
	}
	if v := r.PathValue(h.cf.pathValue); v != "" {
		return v
	}
	if names := reg.Names(); len(names) == 1 {
		return names[0]
	}
	return ""
}

// ServeHTTP handles one delivery.
func (h *NotificationHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	log := h.cf.logger
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "Method not allowed", "notifications are POSTed")
		return
	}
	reg := h.src.Registry() // one registry for the whole request
	name := h.marketplace(r, reg)
	if name == "" || !reg.AuthenticateRequest(r, name) {
		log.LogAttrs(ctx, slog.LevelWarn, "connec: notification refused: bad credentials", slog.String("marketplace", name))
		w.Header().Set("WWW-Authenticate", `Basic realm="maestrano"`)
		writeError(w, http.StatusUnauthorized, "Unauthorized Access", "missing or wrong API credentials")
		return
	}
	deliveryID := r.Header.Get(HeaderDeliveryID)
	if len(deliveryID) > maxDeliveryID {
		writeError(w, http.StatusBadRequest, "Bad request", HeaderDeliveryID+" is too long")
		return
	}
	var src io.ReadCloser = http.NoBody
	if r.Body != nil { // a handler called directly, not through a server
		src = r.Body
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, src, h.cf.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			log.LogAttrs(ctx, slog.LevelWarn, "connec: notification refused: body too large", slog.String("marketplace", name), slog.Int64("limit", h.cf.maxBody))
			writeError(w, http.StatusRequestEntityTooLarge, "Request entity too large", fmt.Sprintf("the body exceeds %d bytes", h.cf.maxBody))
			return
		}
		writeError(w, http.StatusBadRequest, "Bad request", "the body could not be read")
		return
	}
	n, err := ParseNotification(body)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "connec: notification refused", slog.String("marketplace", name), slog.String("error", err.Error()))
		writeError(w, http.StatusBadRequest, "Bad request", err.Error())
		return
	}
	n.Marketplace, n.DeliveryID = name, deliveryID
	if h.cf.store != nil && deliveryID != "" {
		fresh, err := h.cf.store.Consume(ctx, "connec-notification:"+name+":"+deliveryID, h.cf.now().Add(h.cf.ttl))
		if err != nil {
			log.LogAttrs(ctx, slog.LevelError, "connec: delivery store failed", slog.String("marketplace", name), slog.String("delivery_id", deliveryID), slog.String("error", err.Error()))
			writeError(w, http.StatusServiceUnavailable, "Service unavailable", "the delivery could not be recorded; deliver again later")
			return
		}
		if !fresh {
			log.LogAttrs(ctx, slog.LevelDebug, "connec: duplicate delivery dropped", slog.String("marketplace", name), slog.String("delivery_id", deliveryID))
			writeOK(w)
			return
		}
	}
	if len(n.Undecoded) > 0 {
		log.LogAttrs(ctx, slog.LevelWarn, "connec: notification records do not decode", slog.String("marketplace", name),
			slog.String("delivery_id", deliveryID), slog.Int("records", len(n.Undecoded)), slog.String("first", n.Undecoded[0].Error()))
	}
	if err := h.callback(ctx, n); err != nil {
		log.LogAttrs(ctx, slog.LevelError, "connec: notification callback failed", slog.String("marketplace", name),
			slog.String("delivery_id", deliveryID), slog.Int("records", n.Len()), slog.String("error", err.Error()))
	}
	writeOK(w)
}

func writeOK(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "{}\n")
}

// writeError answers in Connec!'s {"errors":[...]} shape.
func writeError(w http.ResponseWriter, status int, title, detail string) {
	b, _ := json.Marshal(map[string][]ErrorItem{"errors": {{Status: fmt.Sprint(status), Title: title, Detail: detail}}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
