package account_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano"
)

// fakeAPI is an account API modelled on platform-wire §4 (the SBX
// controllers): Basic auth, the {success, errors, data} envelope, ids
// bill-N / rbill-N, column filters with suffixes, HTTP 200 with
// success:false for an unknown id. Tests inject faults through fault.
type fakeAPI struct {
	appID, appKey string
	// fault, when set, runs first; returning true means it answered.
	fault func(w http.ResponseWriter, r *http.Request) bool

	mu        sync.Mutex
	calls     int
	requests  []*http.Request
	bodies    [][]byte
	groups    []map[string]any
	users     []map[string]any
	bills     []map[string]any
	rbills    []map[string]any
	nextBill  int
	nextRbill int
	now       time.Time
}

const (
	testAppID  = "app-1"
	testAppKey = "k3y-0123456789abcdef0123456789abcdef-xyz"
)

func newFakeAPI() *fakeAPI {
	now := time.Date(2024, 5, 21, 0, 37, 34, 0, time.UTC)
	f := &fakeAPI{appID: testAppID, appKey: testAppKey, now: now, nextBill: 1, nextRbill: 1}
	for i, name := range []string{"Acme", "Globex"} {
		f.groups = append(f.groups, map[string]any{
			"object": "account_group", "id": fmt.Sprintf("cld-%d", i+1), "name": name,
			"created_at": "2014-05-21T00:37:34Z", "updated_at": "2016-08-01T15:30:20.000Z",
			"has_credit_card": true, "status": "running", "free_trial_end_at": "2014-06-21T00:37:34Z",
			"email": fmt.Sprintf("cld-%d@example.com", i+1), "currency": "USD", "timezone": "America/Los_Angeles",
			"country": "US", "city": "Los Angeles", "main_accounting": "xero",
			"metadata": map[string]any{"pull_disabled": false},
		})
	}
	f.users = []map[string]any{
		{"object": "account_user", "id": "usr-1", "name": "Jane", "surname": "Doe", "email": "jane@example.com",
			"company_name": "Acme", "country": "AU", "sso_session": "tok-1", "created_at": "2014-05-21T00:37:34Z",
			"updated_at": "2016-08-01T15:30:20.000Z", "_groups": []string{"cld-1"}},
		{"object": "account_user", "id": "usr-2", "name": "John", "surname": "Roe", "email": "john@example.com",
			"company_name": "Globex", "country": "US", "sso_session": "tok-2", "created_at": "2014-05-21T00:37:34Z",
			"updated_at": "2014-05-21T00:37:34Z", "_groups": []string{"cld-2"}},
	}
	return f
}

func (f *fakeAPI) start(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv
}

func (f *fakeAPI) marketplace(host string) *maestrano.Marketplace {
	return &maestrano.Marketplace{Name: "maestrano", API: maestrano.APIConfig{
		ID: f.appID, Key: maestrano.Secret(f.appKey), Host: host, Base: "/api/v1/"}}
}

func (f *fakeAPI) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func envelope(w http.ResponseWriter, status int, errs map[string][]string, data any) {
	if errs == nil {
		errs = map[string][]string{}
	}
	if data == nil {
		data = map[string]any{}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"success": len(errs) == 0, "errors": errs, "data": data})
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	f.mu.Lock()
	f.calls++
	f.requests = append(f.requests, r.Clone(r.Context()))
	f.bodies = append(f.bodies, body)
	fault := f.fault
	f.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	id, key, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(id), []byte(f.appID)) != 1 || subtle.ConstantTimeCompare([]byte(key), []byte(f.appKey)) != 1 {
		envelope(w, http.StatusUnauthorized, map[string][]string{"authentication": {"Invalid API token"}}, nil)
		return
	}
	var params map[string]any
	if len(body) > 0 {
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
			envelope(w, http.StatusBadRequest, map[string][]string{"body": {"want JSON"}}, nil)
			return
		}
		if err := json.Unmarshal(body, &params); err != nil {
			envelope(w, http.StatusBadRequest, map[string][]string{"body": {"bad JSON"}}, nil)
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/api/v1/")
	parts := strings.Split(path, "/")
	switch {
	case r.Method == "GET" && path == "ping":
		envelope(w, 200, nil, map[string]any{"msg": "Ping successful! (API Authentication successful)"})
	case len(parts) == 2 && parts[0] == "account" && r.Method == "GET":
		f.index(w, r, parts[1])
	case len(parts) == 3 && parts[0] == "account" && parts[1] == "users" && parts[2] == "authenticate" && r.Method == "POST":
		f.authenticate(w, params)
	case len(parts) == 3 && parts[0] == "account" && r.Method == "GET":
		if obj := f.find(parts[1], parts[2]); obj != nil {
			envelope(w, 200, nil, public(obj))
		} else {
			envelope(w, 200, map[string][]string{"id": {"does not exist"}}, nil)
		}
	case len(parts) == 4 && parts[0] == "account" && parts[1] == "resellers" && parts[3] == "groups" && r.Method == "GET":
		if parts[2] != "rsl-449s8fsd" {
			envelope(w, 200, nil, []any{})
			return
		}
		f.index(w, r, "groups")
	case len(parts) == 2 && parts[0] == "account" && r.Method == "POST":
		f.create(w, parts[1], params)
	case len(parts) == 3 && parts[0] == "account" && r.Method == "DELETE":
		f.cancel(w, parts[1], parts[2])
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeAPI) collection(name string) []map[string]any {
	switch name {
	case "bills":
		return f.bills
	case "recurring_bills":
		return f.rbills
	case "groups":
		return f.groups
	case "users":
		return f.users
	case "resellers":
		return []map[string]any{{"object": "account_reseller", "id": "rsl-449s8fsd", "name": "Blue Consulting",
			"code": "US-204512-BCL", "country": "AU", "created_at": "2014-05-21T00:37:34Z", "updated_at": "2014-05-21T00:37:34Z"}}
	}
	return nil
}

func (f *fakeAPI) find(coll, id string) map[string]any {
	for _, o := range f.collection(coll) {
		if o["id"] == id {
			return o
		}
	}
	return nil
}

// public drops the fake's private keys (those starting with "_").
func public(o map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range o {
		if !strings.HasPrefix(k, "_") {
			out[k] = v
		}
	}
	return out
}

var suffixes = []string{"_strictly_greater_than", "_strictly_lower_than", "_strictly_before", "_strictly_after",
	"_greater_than", "_lower_than", "_before", "_after"}

// index lists a collection with the SBX filter rules: group_id narrows,
// other params are column filters (longest suffix first), an unknown
// column gives an empty list.
func (f *fakeAPI) index(w http.ResponseWriter, r *http.Request, coll string) {
	items := f.collection(coll)
	if items == nil {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	out := []any{}
next:
	for _, o := range items {
		for k, vs := range q {
			v := vs[0]
			if k == "group_id" {
				if coll == "users" {
					gs, _ := o["_groups"].([]string)
					if !contains(gs, v) {
						continue next
					}
					continue
				}
				if o["group_id"] != v {
					continue next
				}
				continue
			}
			field, op := k, ""
			for _, s := range suffixes {
				if strings.HasSuffix(k, s) {
					field, op = strings.TrimSuffix(k, s), s
					break
				}
			}
			have, known := o[field]
			if !known {
				continue next
			}
			if !compare(fmt.Sprint(have), op, v) {
				continue next
			}
		}
		out = append(out, public(o))
	}
	envelope(w, 200, nil, out)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func compare(have, op, want string) bool {
	// Times compare as times, numbers as numbers, the rest as strings.
	var c int
	ht, herr := time.Parse(time.RFC3339, have)
	wt, werr := time.Parse(time.RFC3339, want)
	hn, hnerr := strconv.ParseFloat(have, 64)
	wn, wnerr := strconv.ParseFloat(want, 64)
	switch {
	case herr == nil && werr == nil:
		c = ht.Compare(wt)
	case hnerr == nil && wnerr == nil:
		c = map[bool]int{true: -1, false: 1}[hn < wn]
		if hn == wn {
			c = 0
		}
	default:
		c = strings.Compare(have, want)
	}
	switch op {
	case "":
		return c == 0
	case "_after", "_greater_than":
		return c >= 0
	case "_strictly_after", "_strictly_greater_than":
		return c > 0
	case "_before", "_lower_than":
		return c <= 0
	default:
		return c < 0
	}
}

func (f *fakeAPI) create(w http.ResponseWriter, coll string, p map[string]any) {
	group, _ := p["group_id"].(string)
	if f.find("groups", group) == nil {
		envelope(w, 400, map[string][]string{"group_id": {"does not exist or cannot be charged by your service"}}, nil)
		return
	}
	errs := map[string][]string{}
	price, ok := p["price_cents"].(float64)
	if !ok || price <= 0 || price != float64(int64(price)) {
		errs["price_cents"] = []string{"is not a number"}
	}
	if d, _ := p["description"].(string); d == "" {
		errs["description"] = []string{"can't be blank"}
	}
	currency := "AUD"
	if c, ok := p["currency"].(string); ok {
		currency = c
	}
	if len(errs) > 0 {
		envelope(w, 400, errs, nil)
		return
	}
	stamp := f.now.Format(time.RFC3339)
	switch coll {
	case "bills":
		units := 1.0
		if u, ok := p["units"].(float64); ok {
			units = u
		}
		b := map[string]any{"object": "account_bill", "id": fmt.Sprintf("bill-%d", f.nextBill), "group_id": group,
			"created_at": stamp, "updated_at": stamp, "price_cents": int64(price), "status": "submitted",
			"currency": currency, "units": strconv.FormatFloat(units, 'f', 1, 64), "description": p["description"],
			"period_started_at": p["period_started_at"], "period_ended_at": p["period_ended_at"], "third_party": p["third_party"] == true}
		f.nextBill++
		f.bills = append(f.bills, b)
		envelope(w, 200, nil, public(b))
	case "recurring_bills":
		period := "month"
		if s, ok := p["period"].(string); ok {
			period = strings.ToLower(s)
		}
		freq := 1.0
		if v, ok := p["frequency"].(float64); ok {
			freq = v
		}
		start := stamp
		if s, ok := p["start_date"].(string); ok {
			start = s
		}
		rb := map[string]any{"object": "account_recurring_bill", "id": fmt.Sprintf("rbill-%d", f.nextRbill), "group_id": group,
			"created_at": stamp, "updated_at": stamp, "price_cents": int64(price), "status": "submitted", "currency": currency,
			"description": p["description"], "start_date": start, "period": period, "frequency": int(freq),
			"cycles": p["cycles"], "initial_cents": p["initial_cents"], "last_execution_at": nil,
			"next_execution_at": start, "remaining_cycles": p["cycles"]}
		if rb["initial_cents"] == nil {
			rb["initial_cents"] = 0
		}
		f.nextRbill++
		f.rbills = append(f.rbills, rb)
		envelope(w, 200, nil, public(rb))
	default:
		envelope(w, 404, nil, nil)
	}
}

func (f *fakeAPI) cancel(w http.ResponseWriter, coll, id string) {
	if coll != "bills" && coll != "recurring_bills" {
		envelope(w, 404, nil, nil)
		return
	}
	o := f.find(coll, id)
	if o == nil {
		envelope(w, 400, map[string][]string{"id": {"does not exist"}}, nil)
		return
	}
	if o["status"] == "invoiced" {
		envelope(w, 400, map[string][]string{"status": {"has already been set to invoiced and cannot be changed"}}, nil)
		return
	}
	o["status"] = "cancelled"
	envelope(w, 200, nil, public(o))
}

// authenticate decrypts the password as the platform does: base64(iv) +
// "--" + base64(AES-256-CBC), key = first 32 bytes of the api key;
// "invalid_password" fails.
func (f *fakeAPI) authenticate(w http.ResponseWriter, p map[string]any) {
	var user map[string]any
	if id, ok := p["id"].(string); ok {
		user = f.find("users", id)
	} else if email, ok := p["email"].(string); ok {
		for _, u := range f.users {
			if u["email"] == email {
				user = u
			}
		}
	}
	enc, _ := p["password"].(string)
	pw, err := decryptPassword(f.appKey, enc)
	if user == nil || err != nil || pw == "invalid_password" {
		envelope(w, 200, map[string][]string{"password": {"invalid password or non existing user"}}, nil)
		return
	}
	envelope(w, 200, nil, public(user))
}

func decryptPassword(key, enc string) (string, error) {
	ivB64, ctB64, ok := strings.Cut(enc, "--")
	if !ok {
		return "", fmt.Errorf("no --")
	}
	iv, err := base64.StdEncoding.DecodeString(ivB64)
	if err != nil || len(iv) != aes.BlockSize {
		return "", fmt.Errorf("bad iv")
	}
	ct, err := base64.StdEncoding.DecodeString(ctB64)
	if err != nil || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return "", fmt.Errorf("bad ciphertext")
	}
	block, _ := aes.NewCipher([]byte(key)[:32])
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(pt, ct)
	pad := int(pt[len(pt)-1])
	if pad == 0 || pad > aes.BlockSize {
		return "", fmt.Errorf("bad padding")
	}
	return string(pt[:len(pt)-pad]), nil
}

// sortedKeys is used to print maps deterministically in failures.
func sortedKeys(m map[string][]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
