package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// Account API paths (§4 of platform-wire.md). PHP hard-codes AccountAPIPath
// on api.host; Ruby and Java build it from api.host + api.base + "account/",
// which is the same path with the published api.base "/api/v1/".
const (
	AccountAPIPath = "/api/v1/account"
	PingPath       = "/api/v1/ping"
)

// Account API messages of the original platform.
const (
	msgInvalidAPIToken = "Invalid API token"
	msgSystemError     = "A system error occured. Please retry later or contact support@maestrano.com if the issue persists."
	msgDoesNotExist    = "does not exist"
	msgPingOK          = "Ping successful! (API Authentication successful)"
)

// maxAccountParams bounds the number of parameters of one request.
const maxAccountParams = 64

// AccountResponse is the envelope of every account API answer:
// {"success": <no errors>, "errors": {field: [messages]}, "data": ...}.
type AccountResponse struct {
	// Success ("success") is true when Errors is empty.
	Success bool `json:"success"`
	// Errors ("errors") maps a field (or "authentication", "system", "id")
	// to its messages; {} on success.
	Errors store.FieldErrors `json:"errors"`
	// Data ("data") is the object or array answered; {} on failure.
	Data any `json:"data"`
	// Error ("error") repeats the first error on failure, in the shape the
	// PHP SDK reads ({"message", "param"}); the original platform never sent
	// it, so PHP reported every failure as "Invalid response object from
	// API". Other SDKs ignore it.
	Error *AccountError `json:"error,omitempty"`
}

// AccountError is the "error" member of a failed [AccountResponse].
type AccountError struct {
	// Message ("message") is "<param> <first message>", e.g.
	// "price_cents can't be blank"; for an error about the whole request
	// (param "request", "resource", "authentication" or "system") the
	// message alone, e.g. "Invalid API token".
	Message string `json:"message"`
	// Param ("param") is the field the message is about.
	Param string `json:"param"`
}

// accountResult is what an account handler answers: status, data and
// errors. A handler returning an error gets the 500 system error instead.
type accountResult struct {
	status int
	data   any
	errs   store.FieldErrors
}

func accountOK(data any) accountResult { return accountResult{status: http.StatusOK, data: data} }

// accountFail answers status with one error on field.
func accountFail(status int, field, msg string) accountResult {
	return accountResult{status: status, errs: store.FieldErrors{field: {msg}}}
}

// accountHandlerFunc serves one account API route for the authenticated app.
type accountHandlerFunc func(r *http.Request, app store.App, p params) (accountResult, error)

// accountHandler authenticates the app (HTTP Basic api.id:api.key), parses
// the parameters (query string, then form or JSON body), runs h and writes
// its result in the envelope. A panic or an error becomes the 500 system
// error; nothing escapes in another shape.
func (s *Sandbox) accountHandler(h accountHandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "sandbox: account API panic", slog.String("path", r.URL.Path), slog.Any("panic", v))
				writeAccount(w, accountFail(http.StatusInternalServerError, "system", msgSystemError))
			}
		}()
		setCORS(w.Header())
		app, ok := s.authAccountApp(r)
		if !ok {
			w.Header().Set("Www-Authenticate", `Basic realm="Maestrano API", charset="UTF-8"`)
			writeAccount(w, accountFail(http.StatusUnauthorized, "authentication", msgInvalidAPIToken))
			return
		}
		p, res := readParams(r)
		if res != nil {
			writeAccount(w, *res)
			return
		}
		out, err := h(r, app, p)
		if err != nil {
			s.log.ErrorContext(r.Context(), "sandbox: account API failed", slog.String("method", r.Method),
				slog.String("path", r.URL.Path), slog.String("app", app.UID), slog.Any("error", err))
			out = accountFail(http.StatusInternalServerError, "system", msgSystemError)
		}
		writeAccount(w, out)
	})
}

// wholeRequestField reports whether field is a pseudo-field of an error
// about the request as a whole: its message reads alone, without the field
// name before it.
func wholeRequestField(field string) bool {
	switch field {
	case "request", "resource", "authentication", "system":
		return true
	}
	return false
}

// writeAccount writes res in the envelope.
func writeAccount(w http.ResponseWriter, res accountResult) {
	env := AccountResponse{Success: len(res.errs) == 0, Errors: res.errs, Data: res.data}
	if env.Errors == nil {
		env.Errors = store.FieldErrors{}
	}
	if !env.Success {
		env.Data = struct{}{}
		field := env.Errors.Fields()[0]
		msg := env.Errors[field][0]
		if !wholeRequestField(field) {
			msg = field + " " + msg
		}
		env.Error = &AccountError{Message: msg, Param: field}
	} else if env.Data == nil {
		env.Data = struct{}{}
	}
	writeJSON(w, res.status, env)
}

func setCORS(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept")
	h.Set("Access-Control-Max-Age", "1728000")
}

// authAccountApp is [Sandbox.authenticateApp] for the account API: a store
// failure is logged and, like bad credentials, answered with a 401.
func (s *Sandbox) authAccountApp(r *http.Request) (store.App, bool) {
	app, err := s.authenticateApp(r)
	if err != nil {
		if !errors.Is(err, errBadCredentials) {
			s.log.ErrorContext(r.Context(), "sandbox: account API auth", slog.Any("error", err))
		}
		return store.App{}, false
	}
	return app, true
}

// params are the request parameters: the query string, overridden by the
// body. Each name has one value; values are strings as a form would send
// them (JSON numbers and booleans are turned into their text).
type params struct {
	values map[string]string
	order  []string // names in first-seen order, for deterministic errors
}

func (p params) get(name string) (string, bool) {
	v, ok := p.values[name]
	return v, ok
}

func (p *params) set(name, value string) {
	if p.values == nil {
		p.values = map[string]string{}
	}
	if _, ok := p.values[name]; !ok {
		p.order = append(p.order, name)
	}
	p.values[name] = value
}

// names returns the parameter names, sorted.
func (p params) names() []string {
	out := append([]string(nil), p.order...)
	sort.Strings(out)
	return out
}

// readParams reads the query string and, for POST, PUT and DELETE, a form
// (application/x-www-form-urlencoded, names possibly nested as
// "bill[price_cents]") or JSON object body (application/json,
// application/vnd.api+json; flat, or wrapped under the resource name as
// Rails' parameter wrapping allowed). On failure it returns the 400 to answer.
func readParams(r *http.Request) (params, *accountResult) {
	var p params
	bad := func(msg string) (params, *accountResult) {
		res := accountFail(http.StatusBadRequest, "request", msg)
		return params{}, &res
	}
	fail := func(err error) (params, *accountResult) {
		var dup *duplicateParamError
		if errors.As(err, &dup) {
			res := accountFail(http.StatusBadRequest, dup.name, msgGivenTwice)
			return params{}, &res
		}
		return bad(err.Error())
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return bad("malformed query string")
	}
	if err := addValues(&p, q); err != nil {
		return fail(err)
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Body == nil {
		return p, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil || len(body) > maxBodyBytes {
		return bad(fmt.Sprintf("request body too large (limit %d bytes)", maxBodyBytes))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return p, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isJSON := ct == "application/json" || ct == "application/vnd.api+json" || strings.HasSuffix(ct, "+json")
	if ct == "" {
		isJSON = bytes.HasPrefix(bytes.TrimSpace(body), []byte("{"))
	}
	switch {
	case isJSON:
		if err := addJSON(&p, body); err != nil {
			return fail(err)
		}
	case ct == "application/x-www-form-urlencoded" || ct == "":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return bad("malformed form body")
		}
		if err := addValues(&p, form); err != nil {
			return fail(err)
		}
	default:
		return bad("unsupported content type " + strconv.Quote(clip(ct)) + " (send application/x-www-form-urlencoded or application/json)")
	}
	return p, nil
}

// msgGivenTwice is the error on a parameter a request gives more than once.
const msgGivenTwice = "is given more than once"

// duplicateParamError is a parameter given twice in one part of a request
// (the query string, the form or the JSON body): which value was meant is
// unknown, so the request is refused rather than one value picked.
type duplicateParamError struct{ name string }

func (e *duplicateParamError) Error() string {
	return "parameter " + strconv.Quote(e.name) + " " + msgGivenTwice
}

// addValues adds form values, with a nested name "x[y]" reduced to "y"
// (Ruby and PHP nest under the resource name). A name given twice, also as
// "y" and "x[y]", is a *duplicateParamError.
func addValues(p *params, v url.Values) error {
	if len(v) > maxAccountParams {
		return fmt.Errorf("too many parameters (limit %d)", maxAccountParams)
	}
	seen := make(map[string]bool, len(v))
	for _, raw := range slices.Sorted(maps.Keys(v)) {
		vals, name := v[raw], raw
		if i := strings.IndexByte(name, '['); i > 0 && strings.HasSuffix(name, "]") {
			name = name[i+1 : len(name)-1]
		}
		if name == "" || len(vals) == 0 {
			continue
		}
		if len(vals) > 1 || seen[name] {
			return &duplicateParamError{name: clip(name)}
		}
		seen[name] = true
		p.set(name, vals[0])
	}
	return nil
}

// duplicateKey returns the first member name that an object of the JSON
// value b has twice ("" when none does). b is valid JSON.
func duplicateKey(b []byte) string {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	// One set of names per open object; nil for an open array.
	var stack []map[string]bool
	expectKey := func() bool { return len(stack) > 0 && stack[len(stack)-1] != nil }
	afterKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, map[string]bool{})
			case '[':
				stack = append(stack, nil)
			default:
				stack = stack[:len(stack)-1]
			}
			afterKey = false
			continue
		case string:
			if expectKey() && !afterKey {
				top := stack[len(stack)-1]
				if top[t] {
					return t
				}
				top[t] = true
				afterKey = true
				continue
			}
		}
		afterKey = false
	}
}

// addJSON adds the members of a JSON object body. Scalars are kept as text;
// one nested object (the resource wrapper) is flattened; arrays and deeper
// objects are refused.
func addJSON(p *params, body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return errors.New("body is not a JSON object")
	}
	if !decodedAll(dec) {
		return errors.New("body has data after the JSON object")
	}
	if len(obj) > maxAccountParams {
		return fmt.Errorf("too many parameters (limit %d)", maxAccountParams)
	}
	if k := duplicateKey(body); k != "" {
		return &duplicateParamError{name: clip(k)}
	}
	seen := map[string]bool{}
	set := func(k, v string) error {
		if seen[k] {
			return &duplicateParamError{name: clip(k)} // flat and under the resource wrapper
		}
		seen[k] = true
		p.set(k, v)
		return nil
	}
	var add func(m map[string]any, depth int) error
	add = func(m map[string]any, depth int) error {
		for k, v := range m {
			var err error
			switch x := v.(type) {
			case nil:
				continue
			case string:
				err = set(k, x)
			case json.Number:
				err = set(k, x.String())
			case bool:
				err = set(k, strconv.FormatBool(x))
			case map[string]any:
				if depth > 0 || len(x) > maxAccountParams {
					return fmt.Errorf("parameter %q: nested objects are not supported", clip(k))
				}
				if err := add(x, depth+1); err != nil {
					return err
				}
			default:
				return fmt.Errorf("parameter %q: arrays are not supported", clip(k))
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	return add(obj, 0)
}

// accountRoutes registers the routes of the account API (§4 of
// platform-wire.md): ping, bills, recurring bills, groups, users (and
// users/authenticate), resellers and their groups. Any other method or path
// under the API answers in the envelope too.
func (s *Sandbox) accountRoutes(mux *http.ServeMux) {
	a := AccountAPIPath
	mux.Handle("GET "+PingPath, s.accountHandler(s.handlePing))
	mux.Handle("GET "+a+"/bills", s.accountHandler(s.handleListBills))
	mux.Handle("POST "+a+"/bills", s.accountHandler(s.handleCreateBill))
	mux.Handle("GET "+a+"/bills/{id}", s.accountHandler(s.handleShowBill))
	mux.Handle("DELETE "+a+"/bills/{id}", s.accountHandler(s.handleCancelBill))
	mux.Handle("GET "+a+"/recurring_bills", s.accountHandler(s.handleListRecurringBills))
	mux.Handle("POST "+a+"/recurring_bills", s.accountHandler(s.handleCreateRecurringBill))
	mux.Handle("GET "+a+"/recurring_bills/{id}", s.accountHandler(s.handleShowRecurringBill))
	mux.Handle("DELETE "+a+"/recurring_bills/{id}", s.accountHandler(s.handleCancelRecurringBill))
	mux.Handle("GET "+a+"/groups", s.accountHandler(s.handleListGroups))
	mux.Handle("GET "+a+"/groups/{id}", s.accountHandler(s.handleShowGroup))
	mux.Handle("GET "+a+"/users", s.accountHandler(s.handleListUsers))
	mux.Handle("GET "+a+"/users/{id}", s.accountHandler(s.handleShowUser))
	mux.Handle("POST "+a+"/users/authenticate", s.accountHandler(s.handleAuthenticateUser))
	mux.Handle("GET "+a+"/resellers", s.accountHandler(s.handleListResellers))
	mux.Handle("GET "+a+"/resellers/{id}", s.accountHandler(s.handleShowReseller))
	mux.Handle("GET "+a+"/resellers/{id}/groups", s.accountHandler(s.handleResellerGroups))
	mux.Handle("OPTIONS "+a+"/", http.HandlerFunc(handleAccountPreflight))
	mux.Handle(a+"/", http.HandlerFunc(s.handleAccountUnrouted))
	mux.Handle(PingPath, http.HandlerFunc(s.handleAccountUnrouted))

	s.accountAdminRoutes(mux)
	s.adminEditRoutes(mux)
}

// handleAccountPreflight answers a CORS preflight on the account API.
func handleAccountPreflight(w http.ResponseWriter, _ *http.Request) {
	setCORS(w.Header())
	w.WriteHeader(http.StatusOK)
}

// handleAccountUnrouted answers, in the envelope, a request under the
// account API that no route serves: 405 with Allow when the path exists for
// other methods, else 404. Authentication is not checked: the answer says
// nothing about any app.
func (s *Sandbox) handleAccountUnrouted(w http.ResponseWriter, r *http.Request) {
	setCORS(w.Header())
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, pattern := s.mux.Handler(r2); pattern != "" && strings.HasPrefix(pattern, m+" ") {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeAccount(w, accountFail(http.StatusMethodNotAllowed, "method", clip(r.Method)+" is not allowed here (allowed: "+strings.Join(allow, ", ")+")"))
		return
	}
	writeAccount(w, accountFail(http.StatusNotFound, "resource", "no such resource: "+clip(r.URL.Path)))
}

// PingData is the data of GET /api/v1/ping.
type PingData struct {
	// Msg ("msg") is "Ping successful! (API Authentication successful)".
	Msg string `json:"msg"`
}

func (s *Sandbox) handlePing(*http.Request, store.App, params) (accountResult, error) {
	return accountOK(PingData{Msg: msgPingOK}), nil
}
