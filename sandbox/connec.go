package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// Connec! API paths and bounds (§6 of platform-wire.md).
const (
	// ConnecBasePath is the base path of the Connec! API.
	ConnecBasePath = "/api/v2"
	// ConnecLegacyBasePath is the base path the original sandbox served and
	// the SDKs' old "test" preset used; it is served too.
	ConnecLegacyBasePath = "/connec/api/v2"
	// ConnecReportsPath is the prefix of the Connec! reports.
	ConnecReportsPath = "/api/reports"
	// ConnecBatchPath is the batch endpoint (no base path).
	ConnecBatchPath = "/batch"
	// ConnecDefaultTop is the page size of a list without $top.
	ConnecDefaultTop = 100
	// ConnecMaxTop is the largest page; a larger $top is lowered to it.
	ConnecMaxTop = 1000
	// ConnecMaxBatchOps is the most operations one batch may hold.
	ConnecMaxBatchOps = 100

	maxConnecBodyBytes = 4 << 20 // a batch of entities
	maxConnecIDBytes   = 128     // an entity id in a path or id array
	maxIDArrayEntries  = 32      // entries of one id array
	maxGroupUIDBytes   = 64
)

// connecCollections are the collections served (§6.2): the original
// sandbox's list and the ones seen in clients.
var connecCollections = map[string]bool{
	"company": true, "accounts": true, "invoices": true, "sales_orders": true, "purchase_orders": true,
	"quotes": true, "payments": true, "stock_adjustments": true, "journals": true, "items": true,
	"organizations": true, "people": true, "projects": true, "tax_codes": true, "tax_rates": true,
	"warehouses": true, "events": true, "venues": true, "event_orders": true, "work_locations": true,
	"pay_items": true, "employees": true, "pay_schedules": true, "time_sheets": true,
	"time_activities": true, "pay_runs": true, "pay_stubs": true, "leave_applications": true,
	"transaction_logs": true, "connector_syncs": true, "opportunities": true, "app_users": true,
	"credit_notes": true, "contacts": true, "leads": true,
}

// connecSingleton is the one collection that is a single resource.
const connecSingleton = "company"

// ConnecError is one entry of a Connec! error answer.
type ConnecError struct {
	ID     string `json:"id"`     // random UUID of this occurrence
	Href   string `json:"href"`   // documentation link
	Status string `json:"status"` // the HTTP status code, as a string
	Code   string `json:"code"`   // the title, parameterized ("resource-not-found")
	Title  string `json:"title"`  // e.g. "Resource not found"
	Detail string `json:"detail"` // what is wrong with this request
}

// ConnecErrorResponse is the body of every Connec! error answer.
type ConnecErrorResponse struct {
	Errors []ConnecError `json:"errors"`
}

// ConnecPagination is the "pagination" object of a list answer.
type ConnecPagination struct {
	Skip  int    `json:"skip"`
	Top   int    `json:"top"`
	Total int    `json:"total"`
	Next  string `json:"next,omitempty"` // absolute URL of the next page; absent on the last
}

// connecError is an error answered in the Connec! shape.
type connecError struct {
	status int
	title  string
	detail string
	verb   string // for the href: list, get, create, update, delete
	cause  error
}

func (e *connecError) Error() string {
	if e.cause != nil {
		return e.title + ": " + e.detail + ": " + e.cause.Error()
	}
	return e.title + ": " + e.detail
}

func (e *connecError) Unwrap() error { return e.cause }

func connecBadRequest(detail string) error {
	return &connecError{status: http.StatusBadRequest, title: "Bad request", detail: detail}
}

func connecUnknownResource(collection string) error {
	return &connecError{status: http.StatusBadRequest, title: "Unknown Resource",
		detail: "unknown collection " + strconv.Quote(clip(collection))}
}

func connecNotFound(detail string) error {
	return &connecError{status: http.StatusNotFound, title: "Resource not found", detail: detail}
}

func connecUnauthorized(detail string) error {
	return &connecError{status: http.StatusUnauthorized, title: "Unauthorized Access", detail: detail}
}

// toConnecError turns any handler error into a *connecError; an unknown
// error is a 500 with a fixed message (the cause is logged, never sent).
func (s *Sandbox) toConnecError(r *http.Request, err error) *connecError {
	var ce *connecError
	if errors.As(err, &ce) {
		s.log.DebugContext(r.Context(), "sandbox: connec request refused",
			"method", r.Method, "path", r.URL.Path, "status", ce.status, "reason", ce.detail)
		return ce
	}
	var he *httpError
	if errors.As(err, &he) {
		return &connecError{status: he.status, title: http.StatusText(he.status), detail: he.msg}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &connecError{status: http.StatusRequestEntityTooLarge, title: "Request too large",
			detail: fmt.Sprintf("body larger than %d bytes", mbe.Limit)}
	}
	s.log.ErrorContext(r.Context(), "sandbox: connec request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	return &connecError{status: http.StatusInternalServerError, title: "Internal server error", detail: "internal error"}
}

// connecErrorBody is the Connec! error answer for ce in namespace ns (the
// collection, or "api").
func connecErrorBody(ce *connecError, ns string) ConnecErrorResponse {
	verb := ce.verb
	if verb == "" {
		verb = "request"
	}
	return ConnecErrorResponse{Errors: []ConnecError{{
		ID:     store.NewConnecID(),
		Href:   "http://maestrano.github.io/connec/#" + ns + "-" + verb,
		Status: strconv.Itoa(ce.status),
		Code:   parameterize(ce.title),
		Title:  ce.title,
		Detail: ce.detail,
	}}}
}

// parameterize turns a title into a code the way Rails does:
// "Resource not found" → "resource-not-found".
func parameterize(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// connecHandler adapts h, answering its errors in the Connec! shape.
func (s *Sandbox) connecHandler(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			ce := s.toConnecError(r, err)
			if ce.status == http.StatusUnauthorized {
				w.Header().Set("Www-Authenticate", `Basic realm="Connec!", charset="UTF-8"`)
			}
			writeJSON(w, ce.status, connecErrorBody(ce, "api"))
		}
	})
}

// isConnecPath reports whether p is served by the Connec! API, whose bodies
// may be larger than the other APIs'.
func isConnecPath(p string) bool {
	return p == ConnecBatchPath || strings.HasPrefix(p, ConnecBasePath+"/") ||
		strings.HasPrefix(p, ConnecLegacyBasePath+"/") || strings.HasPrefix(p, ConnecReportsPath+"/")
}

// bodyLimit is the most bytes a request body to path p may have.
func bodyLimit(p string) int64 {
	if isConnecPath(p) {
		return maxConnecBodyBytes
	}
	return maxBodyBytes
}

// connecRoutes registers the routes of the Connec! API (§6 of platform-wire.md).
// Each prefix has one handler that routes by itself, so that every answer
// under it, a wrong method or path included, has the Connec! error shape.
func (s *Sandbox) connecRoutes(mux *http.ServeMux) {
	mux.Handle(ConnecBasePath+"/", s.connecHandler(s.handleConnec(ConnecBasePath)))
	mux.Handle(ConnecLegacyBasePath+"/", s.connecHandler(s.handleConnec(ConnecLegacyBasePath)))
	mux.Handle(ConnecBatchPath, s.connecHandler(s.handleConnecBatch))
	mux.Handle(ConnecReportsPath+"/", s.connecHandler(s.handleConnecReport))
	mux.Handle("GET /admin/connec", s.pageHandler(s.handleAdminConnec))
	mux.Handle("POST /admin/connec", s.pageHandler(s.handleAdminConnecWrite))
}

// connecCaller is an authenticated app calling the Connec! API for a group.
type connecCaller struct {
	app         store.App
	group       store.Group
	prefix      string // base path the request used, for Location and next
	externalIDs bool   // CONNEC-EXTERNAL-IDS: true: answer in the id-array format
}

// authConnecApp is [Sandbox.authenticateApp] with the Connec! error shape.
func (s *Sandbox) authConnecApp(r *http.Request) (store.App, error) {
	app, err := s.authenticateApp(r)
	switch {
	case errors.Is(err, errNoCredentials):
		return store.App{}, connecUnauthorized("HTTP Basic credentials (api id and api key) required")
	case errors.Is(err, errBadCredentials):
		return store.App{}, connecUnauthorized("invalid api id or api key")
	}
	return app, err
}

// authorizeGroup returns the group when app has access to it (group_apps).
func (s *Sandbox) authorizeGroup(ctx context.Context, app store.App, groupUID string) (store.Group, error) {
	deny := connecUnauthorized("app " + app.UID + " has no access to group " + strconv.Quote(clip(groupUID)))
	if groupUID == "" || len(groupUID) > maxGroupUIDBytes {
		return store.Group{}, deny
	}
	g, ok, err := s.appGroupByID(ctx, app.UID, groupUID)
	if err == nil && !ok {
		return store.Group{}, deny
	}
	return g, err
}

// wantsExternalIDs reads the CONNEC-EXTERNAL-IDS request header.
func wantsExternalIDs(r *http.Request) bool {
	v := strings.TrimSpace(r.Header.Get("Connec-External-Ids"))
	return strings.EqualFold(v, "true") || v == "1"
}

// handleConnec serves {prefix}/{group_id}[/{collection}[/{id}]].
func (s *Sandbox) handleConnec(prefix string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		rest := strings.TrimPrefix(r.URL.Path, prefix+"/")
		rest = strings.TrimSuffix(strings.TrimSuffix(rest, "/"), ".json")
		segs := strings.Split(rest, "/")
		if len(segs) > 3 || segs[0] == "" {
			return connecNotFound("no Connec! resource at " + strconv.Quote(clip(r.URL.Path)))
		}
		app, err := s.authConnecApp(r)
		if err != nil {
			return err
		}
		group, err := s.authorizeGroup(r.Context(), app, segs[0])
		if err != nil {
			return err
		}
		c := connecCaller{app: app, group: group, prefix: prefix, externalIDs: wantsExternalIDs(r)}
		if len(segs) == 1 {
			if r.Method != http.MethodGet {
				return methodNotAllowed(w, r, "GET")
			}
			return s.handleConnecDiscovery(w, c)
		}
		coll := segs[1]
		if !connecCollections[coll] {
			return connecUnknownResource(coll)
		}
		id := ""
		if len(segs) == 3 {
			id = segs[2]
			if id == "" || len(id) > maxConnecIDBytes {
				return connecNotFound("no " + coll + " with id " + strconv.Quote(clip(id)))
			}
		}
		switch {
		case coll == connecSingleton && id != "":
			return connecNotFound("company is a single resource: " + prefix + "/" + group.UID + "/company")
		case coll == connecSingleton && r.Method == http.MethodGet:
			return s.handleConnecGetCompany(w, r, c)
		case coll == connecSingleton && r.Method == http.MethodPut:
			return s.handleConnecWrite(w, r, c, coll, "")
		case coll == connecSingleton:
			return methodNotAllowed(w, r, "GET, PUT")
		case id == "" && r.Method == http.MethodGet:
			return s.handleConnecList(w, r, c, coll)
		case id == "" && r.Method == http.MethodPost:
			return s.handleConnecWrite(w, r, c, coll, "")
		case id == "":
			return methodNotAllowed(w, r, "GET, POST")
		case r.Method == http.MethodGet:
			return s.handleConnecGet(w, r, c, coll, id)
		case r.Method == http.MethodPut:
			return s.handleConnecWrite(w, r, c, coll, id)
		case r.Method == http.MethodDelete:
			return s.handleConnecDelete(w, r, c, coll, id)
		default:
			return methodNotAllowed(w, r, "GET, PUT, DELETE")
		}
	}
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allow string) error {
	w.Header().Set("Allow", allow)
	return &connecError{status: http.StatusMethodNotAllowed, title: "Method not allowed",
		detail: "method " + clip(r.Method) + " not allowed here; allowed: " + allow}
}

// ConnecLink is one entry of the discovery answer.
type ConnecLink struct {
	Href string `json:"href"`
}

// handleConnecDiscovery serves GET {base}/{group_id}: a link per collection.
func (s *Sandbox) handleConnecDiscovery(w http.ResponseWriter, c connecCaller) error {
	names := sortedCollections()
	links := make([]map[string]ConnecLink, 0, len(names))
	for _, n := range names {
		links = append(links, map[string]ConnecLink{n: {Href: c.prefix + "/" + c.group.UID + "/" + n}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"_links": links})
	return nil
}

func (s *Sandbox) handleConnecGetCompany(w http.ResponseWriter, r *http.Request, c connecCaller) error {
	page, err := s.store.ListConnecEntities(r.Context(), c.group.UID, connecSingleton, store.ConnecQuery{Top: 1})
	if err != nil {
		return err
	}
	if len(page.Entities) == 0 {
		// Nothing stored yet: the company as the platform knows the group.
		writeJSON(w, http.StatusOK, map[string]any{connecSingleton: map[string]any{
			"name": c.group.Name, "timezone": c.group.Timezone, "currency": c.group.Currency,
			"address":  map[string]any{"billing": map[string]any{"city": c.group.City, "country": c.group.Country}},
			"group_id": c.group.UID, "channel_id": c.group.OrgUID, "resource_type": connecSingleton,
		}})
		return nil
	}
	docs, err := s.restShape(r.Context(), c, page.Entities)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{connecSingleton: docs[0]})
	return nil
}

func (s *Sandbox) handleConnecGet(w http.ResponseWriter, r *http.Request, c connecCaller, coll, id string) error {
	e, err := s.store.ConnecEntity(r.Context(), c.group.UID, coll, id)
	if errors.Is(err, store.ErrNotFound) {
		return &connecError{status: http.StatusNotFound, title: "Resource not found", verb: "get",
			detail: "no " + coll + " with id " + strconv.Quote(clip(id)) + " in group " + c.group.UID}
	}
	if err != nil {
		return err
	}
	docs, err := s.restShape(r.Context(), c, []store.ConnecEntity{e})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{coll: docs[0]})
	return nil
}

func (s *Sandbox) handleConnecDelete(w http.ResponseWriter, r *http.Request, c connecCaller, coll, id string) error {
	err := s.store.DeleteConnecEntity(r.Context(), c.group.UID, coll, id)
	if errors.Is(err, store.ErrNotFound) {
		return &connecError{status: http.StatusNotFound, title: "Resource not found", verb: "delete",
			detail: "no " + coll + " with id " + strconv.Quote(clip(id)) + " in group " + c.group.UID}
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// connecMaxSkip bounds $skip (and $top before its own cap), so that
// skip+top never overflows: no group holds that many entities.
const connecMaxSkip = 1 << 31

// connecListParams are the parsed query parameters of a list.
type connecListParams struct {
	query store.ConnecQuery
	raw   url.Values
}

func parseConnecListParams(r *http.Request) (connecListParams, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return connecListParams{}, connecBadRequest("malformed query string: " + clipN(err.Error(), maxEchoedURL))
	}
	// Each list parameter once, and every value UTF-8: a repeated one
	// has no meaning a client can rely on.
	for _, name := range []string{"$top", "$skip", "$filter", "$orderby", "_after"} {
		if len(q[name]) > 1 {
			return connecListParams{}, connecBadRequest(name + " is given " + strconv.Itoa(len(q[name])) + " times: give it once")
		}
	}
	for name, vs := range q {
		for _, v := range vs {
			if !utf8.ValidString(name) || !utf8.ValidString(v) {
				return connecListParams{}, connecBadRequest("query parameter " + strconv.QuoteToASCII(clip(name)) + " is not valid UTF-8")
			}
		}
	}
	p := connecListParams{raw: q, query: store.ConnecQuery{Top: ConnecDefaultTop}}
	intParam := func(name string, dst *int) error {
		v := q.Get(name)
		if v == "" {
			return nil
		}
		n, err := strconv.Atoi(v)
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange && v[0] != '-' {
			n, err = connecMaxSkip, nil // a huge number: capped below
		}
		if err != nil || n < 0 || v[0] == '+' {
			return connecBadRequest(name + " must be a non-negative integer, not " + strconv.Quote(clip(v)))
		}
		*dst = min(n, connecMaxSkip)
		return nil
	}
	if err := intParam("$top", &p.query.Top); err != nil {
		return p, err
	}
	p.query.Top = min(p.query.Top, ConnecMaxTop)
	if err := intParam("$skip", &p.query.Skip); err != nil {
		return p, err
	}
	if v := q.Get("_after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return p, connecBadRequest("_after must be a positive integer, not " + strconv.Quote(clip(v)))
		}
		p.query.AfterSeq = n
	}
	if p.query.Filter, err = store.ParseFilter(q.Get("$filter")); err != nil {
		return p, connecBadRequest("$filter: " + err.Error())
	}
	if p.query.OrderBy, err = store.ParseOrderBy(q.Get("$orderby")); err != nil {
		return p, connecBadRequest("$orderby: " + err.Error())
	}
	return p, nil
}

// handleConnecList serves GET {base}/{group_id}/{collection}.
func (s *Sandbox) handleConnecList(w http.ResponseWriter, r *http.Request, c connecCaller, coll string) error {
	p, err := parseConnecListParams(r)
	if err != nil {
		return err
	}
	page, err := s.store.ListConnecEntities(r.Context(), c.group.UID, coll, p.query)
	if err != nil {
		return err
	}
	docs, err := s.restShape(r.Context(), c, page.Entities)
	if err != nil {
		return err
	}
	pg := ConnecPagination{Skip: p.query.Skip, Top: p.query.Top, Total: page.Total}
	if n := len(page.Entities); n > 0 && p.query.Skip+n < page.Total {
		next := url.Values{}
		for k, v := range p.raw {
			next[k] = v
		}
		next.Set("$skip", strconv.Itoa(p.query.Skip+n))
		next.Set("$top", strconv.Itoa(p.query.Top))
		// The next page starts after the last entity here, so that walking
		// a large collection does not step over the skipped ones again.
		next.Del("_after")
		if len(p.query.OrderBy) == 0 {
			next.Set("_after", strconv.FormatInt(page.Entities[n-1].Seq, 10))
		}
		pg.Next = s.baseURL + c.prefix + "/" + c.group.UID + "/" + coll + "?" + next.Encode()
	}
	writeJSON(w, http.StatusOK, map[string]any{coll: docs, "pagination": pg})
	return nil
}

// readConnecBody reads the body {"<collection>": {...}} of a write (Java
// adds "resource": "<collection>", which is ignored).
func readConnecBody(r io.Reader, coll string) (map[string]json.RawMessage, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return parseConnecEnvelope(b, coll)
}

func parseConnecEnvelope(b []byte, coll string) (map[string]json.RawMessage, error) {
	var env map[string]json.RawMessage
	if err := decodeStrictJSON(b, &env); err != nil {
		return nil, connecBadRequest("body must be a JSON object {\"" + coll + "\": {...}}: " + err.Error())
	}
	raw, ok := env[coll]
	if !ok {
		return nil, connecBadRequest("body has no \"" + coll + "\" object")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return nil, connecBadRequest("\"" + coll + "\" must be a JSON object")
	}
	return fields, nil
}

// decodeStrictJSON decodes exactly one JSON value from b into v.
func decodeStrictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return errors.New(clipN(err.Error(), 120))
	}
	if !decodedAll(dec) {
		return errors.New("data after the JSON value")
	}
	return nil
}

// handleConnecWrite serves POST {base}/{group_id}/{collection} (id == "")
// and PUT {base}/{group_id}/{collection}/{id} and PUT …/company.
func (s *Sandbox) handleConnecWrite(w http.ResponseWriter, r *http.Request, c connecCaller, coll, id string) error {
	fields, err := readConnecBody(r.Body, coll)
	if err != nil {
		return err
	}
	status, body, location, err := s.connecWrite(r.Context(), c, coll, id, r.Method == http.MethodPost, fields)
	if err != nil {
		return err
	}
	if location != "" {
		w.Header().Set("Location", location)
	}
	writeJSON(w, status, body)
	return nil
}

// connecWrite creates (create) or updates an entity for the caller and
// returns the status, the answer body and the Location of a new entity.
// It is shared by the REST routes and the batch endpoint.
func (s *Sandbox) connecWrite(ctx context.Context, c connecCaller, coll, id string, create bool, fields map[string]json.RawMessage) (int, any, string, error) {
	verb := "update"
	if create {
		verb = "create"
	}
	if te := checkConnecTypes(coll, fields); te != nil {
		return 0, nil, "", &connecError{status: http.StatusBadRequest, title: "Bad request", verb: verb, detail: te.Error()}
	}
	in, err := s.foldEntity(ctx, c.group, fields)
	if err != nil {
		var ce *connecError
		if errors.As(err, &ce) {
			ce.verb = verb
		}
		return 0, nil, "", err
	}
	wr := store.ConnecWrite{
		GroupUID: c.group.UID, Collection: coll, ID: id, Fields: in.fields,
		ExternalIDs: in.externalIDs, OriginAppUID: c.app.UID, Now: s.now(),
		Singleton: coll == connecSingleton,
	}
	if create {
		switch {
		case in.plainID != "":
			return 0, nil, "", &connecError{status: http.StatusConflict, title: "Creation of resource with id", verb: verb,
				detail: "a new " + coll + " cannot have an id; PUT " + c.prefix + "/" + c.group.UID + "/" + coll + "/{id} to update one"}
		case in.connecID != "":
			wr.ID = in.connecID // an id array naming the entity itself: update it
		case len(in.externalIDs) > 0:
			wr.Upsert = true // create, or update the entity with one of these ids
		default:
			wr.Create = true
		}
	} else if in.connecID != "" && in.connecID != id && !wr.Singleton {
		return 0, nil, "", connecBadRequest("the id array names " + in.connecID + ", not " + clip(id))
	}
	e, created, err := s.store.WriteConnecEntity(ctx, wr)
	if err == nil {
		s.wakeWebhooks() // the change is committed: fan it out now
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return 0, nil, "", &connecError{status: http.StatusNotFound, title: "Resource not found", verb: verb,
			detail: "no " + coll + " with id " + strconv.Quote(clip(wr.ID)) + " in group " + c.group.UID}
	case errors.Is(err, store.ErrConflict):
		return 0, nil, "", &connecError{status: http.StatusConflict, title: "Conflict", verb: verb,
			detail: "an external id of this " + coll + " already names another entity"}
	case err != nil:
		return 0, nil, "", err
	}
	docs, err := s.restShape(ctx, c, []store.ConnecEntity{e})
	if err != nil {
		return 0, nil, "", err
	}
	status, location := http.StatusOK, ""
	if created {
		status = http.StatusCreated
		if !wr.Singleton {
			location = s.baseURL + c.prefix + "/" + c.group.UID + "/" + coll + "/" + e.ID
		}
	}
	return status, map[string]any{coll: docs[0]}, location, nil
}
