package connec_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/maestrano-go/maestrano/connec"
)

func TestQueryValues(t *testing.T) {
	t.Parallel()
	since := time.Date(2016, 10, 4, 0, 36, 23, 0, time.FixedZone("x", 3600))
	cases := []struct {
		name string
		q    connec.Query
		want url.Values
	}{
		{"zero", connec.Query{}, url.Values{}},
		{"one filter", connec.Where("code", connec.Eq, "PEO12"), url.Values{"$filter": {"code eq 'PEO12'"}}},
		{"quote doubled", connec.Where("name", connec.Eq, "O'Brien's"), url.Values{"$filter": {"name eq 'O''Brien''s'"}}},
		{"and joined", connec.Where("status", connec.Ne, "ARCHIVED").UpdatedSince(since),
			url.Values{"$filter": {"status ne 'ARCHIVED' and updated_at gt '2016-10-03T23:36:23Z'"}}},
		{"numbers bools null", connec.Where("a", connec.Gt, 3).Where("b", connec.Le, 2.5).Where("c", connec.Eq, true).Where("d", connec.Eq, nil).Where("e", connec.Ge, json.Number("1e3")),
			url.Values{"$filter": {"a gt 3 and b le 2.5 and c eq true and d eq null and e ge 1e3"}}},
		{"nested field", connec.Where("address/billing/city", connec.Eq, "Sydney"), url.Values{"$filter": {"address/billing/city eq 'Sydney'"}}},
		{"order top skip search", connec.Query{}.OrderBy("name", connec.Asc).OrderBy("updated_at", connec.Desc).Top(10).Skip(20).Search("acme").Set("$expand", "matching_records"),
			url.Values{"$orderby": {"name asc, updated_at desc"}, "$top": {"10"}, "$skip": {"20"}, "$search": {"acme"}, "$expand": {"matching_records"}}},
		{"connec Time", connec.Where("updated_at", connec.Gt, connec.NewTime(since)), url.Values{"$filter": {"updated_at gt '2016-10-03T23:36:23Z'"}}},
		{"unicode and and", connec.Where("name", connec.Eq, "Café ' and x eq 'y"), url.Values{"$filter": {"name eq 'Café '' and x eq ''y'"}}},
	}
	for _, tc := range cases {
		got, err := tc.q.Values()
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got.Encode() != tc.want.Encode() {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got.Encode(), tc.want.Encode())
		}
	}
}

func TestQueryMistakes(t *testing.T) {
	t.Parallel()
	cases := map[string]connec.Query{
		"bad operator":       connec.Where("a", connec.Op("like"), "x"),
		"injection in field": connec.Where("a eq 'x' or b", connec.Eq, "y"),
		"empty field":        connec.Where("", connec.Eq, "y"),
		"empty segment":      connec.Where("a//b", connec.Eq, "y"),
		"leading digit":      connec.Where("1a", connec.Eq, "y"),
		"struct value":       connec.Where("a", connec.Eq, struct{}{}),
		"NaN":                connec.Where("a", connec.Eq, math.NaN()),
		"bad number":         connec.Where("a", connec.Eq, json.Number("1; drop")),
		"zero Time":          connec.Where("a", connec.Eq, connec.Time{}),
		"bad direction":      connec.Query{}.OrderBy("a", connec.Direction("up")),
		"zero top":           connec.Query{}.Top(0),
		"negative skip":      connec.Query{}.Skip(-1),
		"owned param":        connec.Query{}.Set("$filter", "x"),
		"first error kept":   connec.Query{}.Top(-1).Where("ok", connec.Eq, "x"),
	}
	for name, q := range cases {
		if _, err := q.Values(); err == nil {
			t.Errorf("%s: no error", name)
		} else if q.Err() == nil {
			t.Errorf("%s: Err() = nil", name)
		}
	}
	// A mistake reaches the caller of List without a request.
	f := newFakeConnec(t)
	if _, err := f.client(t).Invoices().List(t.Context(), connec.Where("a", connec.Op("like"), "x")); err == nil || f.calls() != 0 {
		t.Errorf("List with a bad query: err = %v, calls = %d", err, f.calls())
	}
}

func TestQueryIsAValue(t *testing.T) {
	t.Parallel()
	base := connec.Where("status", connec.Eq, "ACTIVE")
	a := base.Where("name", connec.Eq, "a")
	b := base.Where("name", connec.Eq, "b")
	if base.Filter() != "status eq 'ACTIVE'" || a.Filter() != "status eq 'ACTIVE' and name eq 'a'" || b.Filter() != "status eq 'ACTIVE' and name eq 'b'" {
		t.Errorf("base %q a %q b %q", base.Filter(), a.Filter(), b.Filter())
	}
	s1 := connec.Query{}.Set("x", "1")
	s2 := s1.Set("x", "2")
	v1, _ := s1.Values()
	v2, _ := s2.Values()
	if len(v1["x"]) != 1 || len(v2["x"]) != 2 {
		t.Errorf("Set shares state: %v %v", v1, v2)
	}
}

// TestFilterEndToEnd sends filters with quotes and " and " inside literals
// to a server that parses OData literals, and checks the right records come
// back.
func TestFilterEndToEnd(t *testing.T) {
	t.Parallel()
	f := newFakeConnec(t)
	names := []string{"O'Brien", "O'Brien and Sons", "plain", "'", "''", "a' and name eq 'plain", ""}
	for _, n := range names {
		f.seed("organizations", map[string]any{"name": n, "status": "ACTIVE"})
	}
	c := f.client(t)
	for _, n := range names {
		page, err := c.Organizations().List(t.Context(), connec.Where("name", connec.Eq, n).Where("status", connec.Ne, "ARCHIVED"))
		if err != nil {
			t.Fatalf("%q: %v", n, err)
		}
		if len(page.Items) != 1 || page.Items[0].Name != n {
			t.Errorf("filter name eq %q: got %d records %+v", n, len(page.Items), page.Items)
		}
	}
}

func seedInvoices(f *fakeConnec, n int) {
	for i := range n {
		f.seed("invoices", map[string]any{"title": fmt.Sprintf("inv %04d", i), "amount": map[string]any{"total_amount": i}})
	}
}

func TestAllFollowsNext(t *testing.T) {
	t.Parallel()
	f := newFakeConnec(t)
	seedInvoices(f, 103)
	c := f.client(t)
	i := 0
	for inv, err := range c.Invoices().All(t.Context(), connec.Where("status", connec.Ne, "ARCHIVED").Top(10)) {
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("inv %04d", i); inv.Title != want {
			t.Fatalf("record %d = %q, want %q", i, inv.Title, want)
		}
		i++
	}
	if i != 103 || f.calls() != 11 {
		t.Fatalf("records = %d, requests = %d; want 103 and 11", i, f.calls())
	}
	// Later pages keep the query (the server's next URL carries it).
	r, _ := f.request(10)
	if q := r.URL.Query(); q.Get("$skip") != "100" || q.Get("$top") != "10" || q.Get("$filter") != "status ne 'ARCHIVED'" {
		t.Errorf("last page query = %v", q)
	}
}

func TestAllStopsOnBreak(t *testing.T) {
	t.Parallel()
	f := newFakeConnec(t)
	seedInvoices(f, 50)
	n := 0
	for _, err := range f.client(t).Invoices().All(t.Context(), connec.Query{}.Top(10)) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 15 {
			break
		}
	}
	if f.calls() != 2 {
		t.Errorf("requests = %d; want 2 (no page fetched after the break)", f.calls())
	}
}

func TestAllPropagatesErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]func(w http.ResponseWriter, r *http.Request, n int) bool{
		"404 on page 3": func(w http.ResponseWriter, r *http.Request, n int) bool {
			if n == 3 {
				connecError(w, 404, "Resource not found")
				return true
			}
			return false
		},
		"malformed page 3": func(w http.ResponseWriter, r *http.Request, n int) bool {
			if n == 3 {
				w.Write([]byte(`{"invoices": [{"title": "a"} {"title": "b"}]}`))
				return true
			}
			return false
		},
	}
	for name, fault := range cases {
		f := newFakeConnec(t)
		seedInvoices(f, 50)
		f.fault = fault
		var got, errs int
		var last error
		for _, err := range f.client(t).Invoices().All(t.Context(), connec.Query{}.Top(10)) {
			if err != nil {
				errs++
				last = err
				continue
			}
			if errs > 0 {
				t.Errorf("%s: a record after the error", name)
			}
			got++
		}
		var apiErr *connec.APIError
		var decErr *connec.DecodeError
		if got != 20 || errs != 1 || !(errors.As(last, &apiErr) || errors.As(last, &decErr)) {
			t.Errorf("%s: records = %d, errors = %d (%v); want 20 and one", name, got, errs, last)
		}
	}
}

// seedMixed stores 10 organizations, of which 1, 4 and 8 have a known
// field of the wrong type.
func seedMixed(f *fakeConnec) {
	for i := range 10 {
		rec := map[string]any{"id": fmt.Sprintf("org-%d", i), "name": fmt.Sprintf("Org %d", i)}
		switch i {
		case 1:
			rec["name"] = map[string]any{"deep": []any{1}}
		case 4:
			rec["address"] = map[string]any{"billing": map[string]any{"city": 7}}
		case 8:
			rec["is_customer"] = "yes"
		}
		f.seed("organizations", rec)
	}
}

var mixedBad = map[int]string{1: "name", 4: "address.billing.city", 8: "is_customer"}

func TestListKeepsTheRecordsThatDecode(t *testing.T) {
	t.Parallel()
	f := newFakeConnec(t)
	seedMixed(f)
	c := f.client(t)
	p, err := c.Organizations().List(t.Context(), connec.Query{}.Top(6))
	var re *connec.RecordsError
	if !errors.As(err, &re) || p == nil {
		t.Fatalf("List = %v, %v; want the page and a *RecordsError", p, err)
	}
	var names []string
	for _, o := range p.Items {
		names = append(names, o.Name)
	}
	if want := []string{"Org 0", "Org 2", "Org 3", "Org 5"}; !slices.Equal(names, want) || re.Decoded != 4 || re.Collection != "organizations" {
		t.Fatalf("records %q (decoded %d, %s); want %q", names, re.Decoded, re.Collection, want)
	}
	if len(re.Records) != 2 || re.Records[0].Index != 1 || re.Records[1].Index != 4 {
		t.Fatalf("bad records %+v; want 1 and 4", re.Records)
	}
	for _, e := range re.Records {
		if e.Field != mixedBad[e.Index] || e.ID != fmt.Sprintf("org-%d", e.Index) || e.Collection != "organizations" {
			t.Errorf("record %d: field %q id %q collection %q", e.Index, e.Field, e.ID, e.Collection)
		}
		// The record as received, for the caller to inspect or keep raw.
		var raw map[string]any
		if err := json.Unmarshal(e.Record, &raw); err != nil || raw["id"] != e.ID {
			t.Errorf("record %d: Record %s (%v)", e.Index, e.Record, err)
		}
		var te *json.UnmarshalTypeError
		if !errors.As(e, &te) {
			t.Errorf("record %d: Err %T, want the *json.UnmarshalTypeError", e.Index, e.Err)
		}
	}
	var first *connec.DecodeError
	if !errors.As(err, &first) || first != re.Records[0] {
		t.Errorf("errors.As(*DecodeError) = %v, want the first bad record", first)
	}
	msg := err.Error()
	for _, want := range []string{"2 of 6 organizations records", `record 1 (id "org-1")`, `field "name" is a JSON object, not a string`, `record 4 (id "org-4")`, `field "address.billing.city" is a JSON number`} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "deep") {
		t.Errorf("message %q carries record content", msg)
	}
	// The second page: Index counts from the page's $skip.
	p, err = c.Organizations().List(t.Context(), connec.Query{}.Top(6).Skip(6))
	if !errors.As(err, &re) || len(p.Items) != 3 || len(re.Records) != 1 || re.Records[0].Index != 8 || re.Records[0].Field != "is_customer" {
		t.Fatalf("page 2: %v, %v", p, err)
	}
	// A page without bad records has no error.
	if p, err := c.Organizations().List(t.Context(), connec.Query{}.Top(1)); err != nil || len(p.Items) != 1 {
		t.Fatalf("clean page: %v, %v", p, err)
	}
	// Get of the bad record: the same description.
	_, err = c.Organizations().Get(t.Context(), "org-1")
	if !errors.As(err, &first) || first.Field != "name" || first.ID != "org-1" || first.Record == nil {
		t.Fatalf("Get: %v", err)
	}
}

func TestAllYieldsBadRecordsAndGoesOn(t *testing.T) {
	t.Parallel()
	f := newFakeConnec(t)
	seedMixed(f)
	var got []string
	var bad []int
	for o, err := range f.client(t).Organizations().All(t.Context(), connec.Query{}.Top(3)) {
		var de *connec.DecodeError
		if errors.As(err, &de) && de.Record != nil {
			if o.Name != "" || de.Field != mixedBad[de.Index] || de.ID != fmt.Sprintf("org-%d", de.Index) {
				t.Errorf("bad record %d: %q %+v", de.Index, o.Name, de)
			}
			bad = append(bad, de.Index)
			got = append(got, "bad")
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, o.Name)
	}
	want := []string{"Org 0", "bad", "Org 2", "Org 3", "bad", "Org 5", "Org 6", "Org 7", "bad", "Org 9"}
	if !slices.Equal(got, want) || !slices.Equal(bad, []int{1, 4, 8}) || f.calls() != 4 {
		t.Fatalf("got %q, bad %v, %d requests; want %q, [1 4 8], 4", got, bad, f.calls(), want)
	}
	// A loop may stop at the first bad record; no page is read after it.
	f2 := newFakeConnec(t)
	seedMixed(f2)
	n := 0
	for _, err := range f2.client(t).Organizations().All(t.Context(), connec.Query{}.Top(3)) {
		n++
		if err != nil {
			break
		}
	}
	if n != 2 || f2.calls() != 1 {
		t.Fatalf("stopped after %d pairs and %d requests; want 2 and 1", n, f2.calls())
	}
	// A page of nothing but bad records does not end the iteration.
	f3 := newFakeConnec(t)
	for i := range 4 {
		rec := map[string]any{"name": fmt.Sprintf("Org %d", i)}
		if i < 2 {
			rec["name"] = 5
		}
		f3.seed("organizations", rec)
	}
	var pairs, errs int
	for _, err := range f3.client(t).Organizations().All(t.Context(), connec.Query{}.Top(2)) {
		pairs++
		if err != nil {
			errs++
		}
	}
	if pairs != 4 || errs != 2 {
		t.Fatalf("all-bad first page: %d pairs, %d errors; want 4 and 2", pairs, errs)
	}
}

func TestAllRefusesForeignNext(t *testing.T) {
	t.Parallel()
	for _, next := range []string{"https://evil.example/api/v2/cld-1/invoices?$skip=1", "//evil.example/x", "ftp://127.0.0.1/x"} {
		f := newFakeConnec(t)
		f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
			writeJSON(w, 200, map[string]any{"invoices": []any{map[string]any{"title": "a"}}, "pagination": map[string]any{"next": next}})
			return true
		}
		var errs []error
		for _, err := range f.client(t).Invoices().All(t.Context(), connec.Query{}) {
			if err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) != 1 || f.calls() != 1 {
			t.Errorf("next %q: errors %v, calls %d; want one error and no second request", next, errs, f.calls())
		}
	}
	// A next that points at the page just read would loop forever.
	f := newFakeConnec(t)
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		writeJSON(w, 200, map[string]any{"invoices": []any{map[string]any{"title": "a"}}, "pagination": map[string]any{"next": f.srv.URL + r.URL.RequestURI()}})
		return true
	}
	var errs int
	for _, err := range f.client(t).Invoices().All(t.Context(), connec.Query{}.Top(1)) {
		if err != nil {
			errs++
		}
	}
	if errs != 1 || f.calls() != 1 {
		t.Errorf("self-referencing next: errors %d calls %d", errs, f.calls())
	}
}

// TestAllMemoryBounded counts the pages still alive while iterating over
// many: each decoded page is tracked with a weak pointer, and after a full
// GC at most the current page (and the one just finished) may survive.
func TestAllMemoryBounded(t *testing.T) {
	f := newFakeConnec(t)
	const pages, size = 40, 25
	for i := range pages * size {
		f.seed("people", map[string]any{"first_name": fmt.Sprint(i), "description": strings.Repeat("x", 512)})
	}
	c := f.client(t)
	var tracked []weak.Pointer[connec.Person]
	c.SetPageHook(func(p any) {
		items := p.([]connec.Person)
		tracked = append(tracked, weak.Make(&items[0]))
	})
	maxLive, n := 0, 0
	for p, err := range c.People().All(t.Context(), connec.Query{}.Top(size)) {
		if err != nil {
			t.Fatal(err)
		}
		_ = p
		n++
		if n%size == size/2 { // mid-page
			runtime.GC()
			live := 0
			for _, w := range tracked {
				if w.Value() != nil {
					live++
				}
			}
			maxLive = max(maxLive, live)
		}
	}
	if n != pages*size || len(tracked) != pages {
		t.Fatalf("records %d pages %d", n, len(tracked))
	}
	if maxLive > 2 {
		t.Errorf("up to %d pages alive at once; want at most 2", maxLive)
	}
	t.Logf("at most %d of %d pages alive at once", maxLive, pages)
}

// TestAllStopsPaginationLoops: a server whose pagination.next goes round in
// a cycle (page A → page B → page A) must not keep the iterator, and the
// app's loop, running forever; neither may a next that keeps pointing at
// pages that answer nothing new. The test itself gives up after 50 calls.
func TestAllStopsPaginationLoops(t *testing.T) {
	t.Parallel()
	for name, next := range map[string]func(r *http.Request) string{
		"cycle of two": func(r *http.Request) string {
			if r.URL.Query().Get("$skip") == "1" {
				return "/api/v2/cld-1/invoices?$skip=0&$top=1"
			}
			return "/api/v2/cld-1/invoices?$skip=1&$top=1"
		},
		"skip not advancing": func(r *http.Request) string {
			// A fresh URL each time (a cache buster), but always $skip=0.
			return fmt.Sprintf("/api/v2/cld-1/invoices?$skip=0&$top=1&t=%d", time.Now().UnixNano())
		},
	} {
		f := newFakeConnec(t)
		f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
			writeJSON(w, 200, map[string]any{"invoices": []any{map[string]any{"title": "a"}}, "pagination": map[string]any{"next": f.srv.URL + next(r)}})
			return true
		}
		var errs, records int
		for _, err := range f.client(t).Invoices().All(t.Context(), connec.Query{}.Top(1)) {
			if err != nil {
				errs++
				continue
			}
			if records++; records > 50 {
				break
			}
		}
		if errs != 1 || records > 50 {
			t.Errorf("%s: %d records and %d errors after %d calls; want the loop detected with one error", name, records, errs, f.calls())
		}
	}
}
