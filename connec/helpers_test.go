package connec_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/connec"
)

const (
	testAPIID  = "app-1"
	testAPIKey = "s3cr3t-api-key"
	testGroup  = "cld-1"
)

// fakeConnec is a Connec! API modelled on platform-wire.md §6: records per
// collection in insertion order, $filter (eq/ne on strings, joined with
// "and"), $top/$skip with an absolute pagination.next, the {"errors":[...]}
// body, batch and reports. fault, when set, may answer a request first.
type fakeConnec struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	records  map[string][]map[string]any
	nextID   int
	requests []*http.Request
	bodies   []string
	// pageSize is the default $top.
	pageSize    int
	externalIDs bool
	fault       func(w http.ResponseWriter, r *http.Request, n int) bool
}

func newFakeConnec(t *testing.T) *fakeConnec {
	t.Helper()
	f := &fakeConnec{t: t, records: map[string][]map[string]any{}, pageSize: 100}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeConnec) marketplace() *maestrano.Marketplace {
	return &maestrano.Marketplace{
		Name:   "maestrano",
		API:    maestrano.APIConfig{ID: testAPIID, Key: testAPIKey},
		Connec: maestrano.ConnecConfig{Host: f.srv.URL, BasePath: "/api/v2", Timeout: 30},
	}
}

func (f *fakeConnec) client(t *testing.T, opts ...connec.Option) *connec.Client {
	t.Helper()
	c, err := connec.New(f.marketplace(), testGroup, append([]connec.Option{connec.WithNoRetrySleep()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fakeConnec) seed(collection string, recs ...map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range recs {
		if _, ok := r["id"]; !ok {
			f.nextID++
			r["id"] = fmt.Sprintf("id-%04d", f.nextID)
		}
		r["group_id"] = testGroup
		f.records[collection] = append(f.records[collection], r)
	}
}

func (f *fakeConnec) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func (f *fakeConnec) request(i int) (*http.Request, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[i], f.bodies[i]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/vnd.api+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func connecError(w http.ResponseWriter, status int, title string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]string{{
		"id": "err-1", "href": "http://maestrano.github.io/connec/#errors", "status": strconv.Itoa(status),
		"code": strings.ReplaceAll(strings.ToLower(title), " ", "_"), "title": title, "detail": title + " (detail)",
	}}})
}

func (f *fakeConnec) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("reading the request body: %v", err)
	}
	f.mu.Lock()
	f.requests = append(f.requests, r.Clone(r.Context()))
	f.bodies = append(f.bodies, string(body))
	n := len(f.requests)
	fault := f.fault
	f.mu.Unlock()
	if fault != nil && fault(w, r, n) {
		return
	}
	if u, p, ok := r.BasicAuth(); !ok || u != testAPIID || p != testAPIKey {
		connecError(w, 401, "Unauthorized Access")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	for i, p := range parts {
		parts[i], _ = url.PathUnescape(p)
	}
	switch {
	case r.URL.Path == "/batch" && r.Method == http.MethodPost:
		f.batch(w, body)
	case len(parts) == 4 && parts[0] == "api" && parts[1] == "reports":
		f.report(w, r, parts[2], parts[3])
	case len(parts) >= 4 && parts[0] == "api" && parts[1] == "v2":
		if parts[2] != testGroup {
			connecError(w, 401, "Unauthorized Access")
			return
		}
		id := ""
		if len(parts) == 5 {
			id = parts[4]
		}
		status, out := f.resource(r.Method, parts[3], id, r.URL.Query(), body)
		writeJSON(w, status, out)
	default:
		connecError(w, 404, "Resource not found")
	}
}

func errorsBody(status int, title string) map[string]any {
	return map[string]any{"errors": []map[string]string{{"status": strconv.Itoa(status), "title": title}}}
}

// resource serves one REST call and returns the status and body.
func (f *fakeConnec) resource(method, collection, id string, q url.Values, body []byte) (int, any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	recs := f.records[collection]
	find := func() int {
		for i, r := range recs {
			if recordID(r["id"]) == id {
				return i
			}
		}
		return -1
	}
	entity := func() (map[string]any, bool) {
		var doc map[string]map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil || doc[collection] == nil {
			return nil, false
		}
		return doc[collection], true
	}
	if collection == "company" { // the singular resource
		if len(recs) == 0 || id != "" {
			return 404, errorsBody(404, "Resource not found")
		}
		if method == http.MethodPut {
			e, ok := entity()
			if !ok {
				return 400, errorsBody(400, "Unknown Resource")
			}
			for k, v := range e {
				recs[0][k] = v
			}
		}
		return 200, map[string]any{collection: recs[0]}
	}
	switch {
	case method == http.MethodGet && id == "":
		matches, err := filter(recs, q.Get("$filter"))
		if err != nil {
			return 400, errorsBody(400, err.Error())
		}
		top, skip := f.pageSize, 0
		if v := q.Get("$top"); v != "" {
			top, _ = strconv.Atoi(v)
		}
		if v := q.Get("$skip"); v != "" {
			skip, _ = strconv.Atoi(v)
		}
		end := min(skip+top, len(matches))
		page := []map[string]any{}
		if skip < len(matches) {
			page = matches[skip:end]
		}
		pg := map[string]any{"skip": skip, "top": top, "total": len(matches)}
		if end < len(matches) {
			nq := url.Values{}
			for k, vs := range q {
				nq[k] = vs
			}
			nq.Set("$skip", strconv.Itoa(end))
			nq.Set("$top", strconv.Itoa(top))
			pg["next"] = f.srv.URL + "/api/v2/" + testGroup + "/" + collection + "?" + nq.Encode()
		}
		return 200, map[string]any{collection: page, "pagination": pg}
	case method == http.MethodGet:
		if i := find(); i >= 0 {
			return 200, map[string]any{collection: recs[i]}
		}
		return 404, errorsBody(404, "Resource not found")
	case method == http.MethodPost && id == "":
		e, ok := entity()
		if !ok {
			return 400, errorsBody(400, "Unknown Resource")
		}
		if _, has := e["id"]; has && !f.externalIDs {
			return 409, errorsBody(409, "Creation of resource with id")
		}
		f.nextID++
		newID := fmt.Sprintf("id-%04d", f.nextID)
		if f.externalIDs {
			ids := []any{map[string]any{"id": newID, "provider": "connec", "realm": "org-abcd"}}
			if ext, ok := e["id"].([]any); ok {
				ids = append(ids, ext...)
			}
			e["id"] = ids
		} else {
			e["id"] = newID
		}
		e["group_id"] = testGroup
		e["created_at"] = "2024-05-01T10:00:00Z"
		f.records[collection] = append(f.records[collection], e)
		return 201, map[string]any{collection: e}
	case method == http.MethodPut:
		e, ok := entity()
		if !ok {
			return 400, errorsBody(400, "Unknown Resource")
		}
		i := find()
		if i < 0 {
			return 404, errorsBody(404, "Resource not found")
		}
		for k, v := range e {
			recs[i][k] = v
		}
		return 200, map[string]any{collection: recs[i]}
	case method == http.MethodDelete:
		i := find()
		if i < 0 {
			return 404, errorsBody(404, "Resource not found")
		}
		f.records[collection] = slices.Delete(recs, i, i+1)
		return 200, map[string]any{}
	}
	return 400, errorsBody(400, "Unknown Resource")
}

func recordID(v any) string {
	switch id := v.(type) {
	case string:
		return id
	case []any:
		for _, e := range id {
			if m, ok := e.(map[string]any); ok && m["provider"] == "connec" {
				return fmt.Sprint(m["id"])
			}
		}
	}
	return ""
}

func (f *fakeConnec) batch(w http.ResponseWriter, body []byte) {
	var req struct {
		Sequential bool `json:"sequential"`
		Ops        []struct {
			Method string          `json:"method"`
			URL    string          `json:"url"`
			Params json.RawMessage `json:"params"`
		} `json:"ops"`
	}
	if err := json.Unmarshal(body, &req); err != nil || !req.Sequential {
		connecError(w, 400, "Unknown Resource")
		return
	}
	results := []map[string]any{}
	for _, op := range req.Ops {
		parts := strings.Split(strings.Trim(op.URL, "/"), "/")
		if len(parts) < 4 || parts[2] != testGroup {
			results = append(results, map[string]any{"status": 401, "body": errorsBody(401, "Unauthorized Access")})
			continue
		}
		id := ""
		if len(parts) == 5 {
			id = parts[4]
		}
		if op.Method == "post" && !strings.HasSuffix(op.URL, "/") {
			f.t.Errorf("batch post url %q does not end with /", op.URL)
		}
		status, out := f.resource(strings.ToUpper(op.Method), parts[3], id, nil, op.Params)
		results = append(results, map[string]any{"status": status, "body": out})
	}
	writeJSON(w, 200, map[string]any{"results": results})
}

func (f *fakeConnec) report(w http.ResponseWriter, r *http.Request, group, name string) {
	if group != testGroup {
		connecError(w, 401, "Unauthorized Access")
		return
	}
	if name != "accounts_summary" {
		connecError(w, 400, "Unknown Resource")
		return
	}
	q := r.URL.Query()
	writeJSON(w, 200, map[string]any{"from": q.Get("from"), "to": q.Get("to"), "period": q.Get("period"), "accounts": []any{}})
}

// filter applies a $filter of "field eq|ne 'literal'" terms joined with
// " and ", reading OData string literals (” is one quote) properly: a
// literal may itself contain " and ".
func filter(recs []map[string]any, expr string) ([]map[string]any, error) {
	if expr == "" {
		return recs, nil
	}
	type term struct{ field, op, value string }
	var terms []term
	rest := expr
	for {
		field, after, ok := strings.Cut(rest, " ")
		if !ok {
			return nil, fmt.Errorf("bad filter %q", expr)
		}
		op, after, ok := strings.Cut(after, " ")
		if !ok || (op != "eq" && op != "ne") || !strings.HasPrefix(after, "'") {
			return nil, fmt.Errorf("bad filter %q", expr)
		}
		lit, n, err := readLiteral(after)
		if err != nil {
			return nil, err
		}
		terms = append(terms, term{field, op, lit})
		rest = after[n:]
		if rest == "" {
			break
		}
		if !strings.HasPrefix(rest, " and ") {
			return nil, fmt.Errorf("bad filter %q", expr)
		}
		rest = rest[len(" and "):]
	}
	var out []map[string]any
	for _, r := range recs {
		ok := true
		for _, t := range terms {
			v, _ := r[t.field].(string)
			if (t.op == "eq") != (v == t.value) {
				ok = false
			}
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// readLiteral reads a quoted OData string at the start of s and returns its
// value and length.
func readLiteral(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '\'' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		return b.String(), i + 1, nil
	}
	return "", 0, fmt.Errorf("unterminated literal in %q", s)
}

// testMarketplace returns a marketplace that passes Validate, with a fresh
// self-signed IdP certificate.
func testMarketplace(t testing.TB, name, apiID, apiKey string) *maestrano.Marketplace {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &maestrano.Marketplace{
		Name: name,
		API:  maestrano.APIConfig{ID: apiID, Key: maestrano.Secret(apiKey), Host: "https://api.example.com", Base: "/api/v1/"},
		SSO: maestrano.SSOConfig{IDM: "https://app.example.com", InitPath: "/init", ConsumePath: "/consume",
			IDP: "https://idp.example.com", X509Certificate: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))},
		Connec:   maestrano.ConnecConfig{Host: "https://api-connec.example.com", BasePath: "/api/v2"},
		Webhooks: maestrano.Webhooks{Connec: maestrano.ConnecWebhooks{NotificationPath: "/maestrano/connec/notifications/" + name}},
	}
}
