package store

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// filterDocs are stored once per test; each has a distinct code.
var filterDocs = []string{
	`{"code":"A","name":"Acme","status":"ACTIVE","number_of_employees":10,"is_customer":true,
	  "address":{"billing":{"city":"Paris","postal_code":"75001"}},"transaction_date":"2016-10-04T00:36:23Z","rating":4.5}`,
	`{"code":"B","name":"Beta","status":"ARCHIVED","number_of_employees":200,"is_customer":false,
	  "address":{"billing":{"city":"London"}},"transaction_date":"2016-10-05","rating":3}`,
	`{"code":"C","name":"O'Brien & Co","status":"ACTIVE","number_of_employees":"15","is_customer":null,
	  "address":{"billing":{"city":"Paris"},"shipping":{"city":"Lyon"}},"transaction_date":"2016-10-03T23:00:00-02:00"}`,
	`{"code":"D","name":"Delta","status":"ACTIVE","address":"none","transaction_date":"not a date"}`,
}

func seedFilterDocs(t *testing.T) *Store {
	t.Helper()
	s, _ := openTest(t)
	if _, err := s.Seed(t.Context(), seedTime); err != nil {
		t.Fatal(err)
	}
	for _, d := range filterDocs {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal([]byte(d), &fields); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.WriteConnecEntity(t.Context(), ConnecWrite{
			GroupUID: "cld-1", Collection: "organizations", Fields: fields, Now: seedTime,
		}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func codes(t *testing.T, s *Store, q ConnecQuery) []string {
	t.Helper()
	if q.Top == 0 {
		q.Top = 100
	}
	page, err := s.ListConnecEntities(t.Context(), "cld-1", "organizations", q)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range page.Entities {
		var c string
		_ = json.Unmarshal(e.Doc["code"], &c)
		out = append(out, c)
	}
	return out
}

func TestFilterMatches(t *testing.T) {
	t.Parallel()
	s := seedFilterDocs(t)
	tests := []struct {
		filter string
		want   string // codes, in creation order
	}{
		{"", "ABCD"},
		{"code eq 'A'", "A"},
		{"code EQ 'A'", "A"},
		{"status ne 'ARCHIVED'", "ACD"},
		{"name eq 'O''Brien & Co'", "C"},
		{"name gt 'B'", "BCD"},
		{"name gt 'Beta'", "CD"},
		{"name le 'Beta'", "AB"},
		// numbers compare as numbers, never with a string "15"
		{"number_of_employees gt 10", "B"},
		{"number_of_employees ge 10", "AB"},
		{"number_of_employees lt 100", "A"},
		{"number_of_employees eq 15", ""},
		{"number_of_employees eq '15'", "C"},
		{"number_of_employees ne 10", "BCD"},
		{"rating gt 3.5", "A"},
		{"rating ge 3", "AB"},
		{"rating lt -1", ""},
		{"rating gt 1e-3", "AB"},
		// booleans and null
		{"is_customer eq true", "A"},
		{"is_customer eq false", "B"},
		{"is_customer ne true", "BCD"},
		{"is_customer eq null", "CD"},
		{"is_customer ne null", "AB"},
		// nested fields, both separators
		{"address.billing.city eq 'Paris'", "AC"},
		{"address/billing/city eq 'London'", "B"},
		{"address.shipping.city eq 'Lyon'", "C"},
		{"address.billing.city ne 'Paris'", "BD"},
		{"address.billing eq 'Paris'", ""},
		{"address eq 'none'", "D"},
		{"missing.field eq 'x'", ""},
		{"missing ne 'x'", "ABCD"},
		// dates compare as instants, whatever the stored or literal form
		{"transaction_date gt '2016-10-04T00:00:00Z'", "ABC"},
		{"transaction_date gt 2016-10-04T00:00:00Z", "ABC"},
		{"transaction_date gt datetime'2016-10-04T00:00:00Z'", "ABC"},
		{"transaction_date lt '2016-10-04'", ""},
		{"transaction_date le '2016-10-04T01:00:00'", "AC"},
		{"transaction_date eq '2016-10-04T01:00:00Z'", "C"},
		{"transaction_date eq '2016-10-04T02:36:23+02:00'", "A"},
		{"transaction_date eq '2016-10-05'", "B"},
		{"transaction_date ge 2016-10-05", "B"},
		{"created_at eq '2030-01-02T03:04:05Z'", "ABCD"},
		{"updated_at gt '2030-01-01'", "ABCD"},
		// precedence: and binds tighter than or; parentheses override
		{"code eq 'A' or code eq 'B' and status eq 'ACTIVE'", "A"},
		{"(code eq 'A' or code eq 'B') and status eq 'ACTIVE'", "A"},
		{"code eq 'B' or code eq 'A' and status eq 'ARCHIVED'", "B"},
		{"(code eq 'B' or code eq 'A') and status eq 'ARCHIVED'", "B"},
		{"status eq 'ACTIVE' and address.billing.city eq 'Paris' or code eq 'D'", "ACD"},
		{"status eq 'ACTIVE' and (address.billing.city eq 'Paris' or code eq 'D')", "ACD"},
		{"status eq 'ACTIVE' and (address.billing.city eq 'London' or code eq 'D')", "D"},
		{"not (code eq 'A' or code eq 'B')", "CD"},
		{"not code eq 'A' and not code eq 'B'", "CD"},
		{"((((code eq 'C'))))", "C"},
		{"code eq 'A' or code eq 'B' or code eq 'C' or code eq 'D'", "ABCD"},
	}
	for _, tt := range tests {
		f, err := ParseFilter(tt.filter)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tt.filter, err)
			continue
		}
		got := strings.Join(codes(t, s, ConnecQuery{Filter: f}), "")
		if got != tt.want {
			t.Errorf("%q matched %q, want %q (SQL %s)", tt.filter, got, tt.want, func() string { q, _ := f.SQL(); return q }())
		}
		// The canonical form means the same.
		if f != nil {
			g, err := ParseFilter(f.String())
			if err != nil {
				t.Errorf("ParseFilter(String() = %q): %v", f.String(), err)
				continue
			}
			if g.String() != f.String() {
				t.Errorf("round trip of %q: %q then %q", tt.filter, f.String(), g.String())
			}
		}
	}
}

func TestFilterPrecedenceShape(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"a eq 1 or b eq 2 and c eq 3", "(a eq 1 or (b eq 2 and c eq 3))"},
		{"a eq 1 and b eq 2 or c eq 3", "((a eq 1 and b eq 2) or c eq 3)"},
		{"a eq 1 and (b eq 2 or c eq 3)", "(a eq 1 and (b eq 2 or c eq 3))"},
		{"a eq 1 or b eq 2 or c eq 3", "((a eq 1 or b eq 2) or c eq 3)"},
		{"not a eq 1 and b eq 2", "(not a eq 1 and b eq 2)"},
		{"not eq 'x'", "not eq 'x'"}, // a field named "not"
		{"address/billing/city EQ 'X'", "address.billing.city eq 'X'"},
		{"n eq +7", "n eq 7"},
		{"d lt 2016-10-04", "d lt 2016-10-04"},
		{"d lt datetime'2016-10-04'", "d lt '2016-10-04'"},
		{"s eq 'it''s'", "s eq 'it''s'"},
		{"  ", ""},
	}
	for _, tt := range tests {
		f, err := ParseFilter(tt.in)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tt.in, err)
			continue
		}
		got := ""
		if f != nil {
			got = f.String()
		}
		if got != tt.want {
			t.Errorf("ParseFilter(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFilterErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		pos     int
		message string
	}{
		{"code", 4, "expected an operator"},
		{"code eq", 7, "expected a value"},
		{"code eq 'A", 8, "unterminated string"},
		{"code like 'A'", 5, "expected an operator"},
		{"eq 'A'", 3, "expected an operator"},
		{"'A' eq code", 0, "expected a field name"},
		{"code eq 'A' and", 15, "expected a field name"},
		{"code eq 'A' or or code eq 'B'", 18, "expected an operator"}, // a field named "or"
		{"code eq 'A' or (", 16, "expected a field name"},
		{"(code eq 'A'", 12, `expected ")"`},
		{"code eq 'A')", 11, "unexpected"},
		{"code eq 'A' code eq 'B'", 12, "unexpected"},
		{"code eq 12abc", 8, "malformed number"},
		{"code eq 1e999", 8, "malformed number"},
		{"code gt true", 5, "operator gt needs"},
		{"code lt null", 5, "operator lt needs"},
		{"code eq $x", 8, "unexpected character"},
		{"address.) eq 'x'", 8, "expected a field name after"},
		{"a.b.c.d.e.f.g.h.i eq 1", 0, "longer than 8 segments"},
		{strings.Repeat("x", 65) + " eq 1", 0, "longer than 64 bytes"},
		{"d eq datetime 'x'", 14, "expected a quoted date"},
		{"d eq datetime'2016-13-45'", 13, "malformed date"},
		{"code eq '" + strings.Repeat("x", 1100) + "'", 8, "string longer"},
		{strings.Repeat("(", 40) + "a eq 1" + strings.Repeat(")", 40), 33, "nested deeper"},
		{strings.Repeat("not ", 40) + "a eq 1", 132, "nested deeper"},
		{strings.Repeat("a eq 1 or ", 64) + "a eq 1", 640, "more than 64 comparisons"},
		{strings.Repeat("a", MaxFilterBytes+1), MaxFilterBytes, "longer than 4096 bytes"},
	}
	for _, tt := range tests {
		_, err := ParseFilter(tt.in)
		var fe *FilterError
		if !errors.As(err, &fe) {
			t.Errorf("ParseFilter(%.40q) = %v, want a *FilterError", tt.in, err)
			continue
		}
		if fe.Pos != tt.pos || !strings.Contains(fe.Msg, tt.message) {
			t.Errorf("ParseFilter(%.40q) = %v (pos %d), want pos %d and %q", tt.in, err, fe.Pos, tt.pos, tt.message)
		}
	}
}

func TestOrderBy(t *testing.T) {
	t.Parallel()
	s := seedFilterDocs(t)
	tests := []struct{ in, want string }{
		{"name", "ABDC"},
		{"name asc", "ABDC"},
		{"name DESC", "CDBA"},
		{"status desc, name desc", "BCDA"},
		{"address.billing.city desc", "ACBD"}, // D has no billing city: NULL sorts first; ties keep creation order
		{"rating desc", "ABCD"},
	}
	for _, tt := range tests {
		terms, err := ParseOrderBy(tt.in)
		if err != nil {
			t.Errorf("ParseOrderBy(%q): %v", tt.in, err)
			continue
		}
		if got := strings.Join(codes(t, s, ConnecQuery{OrderBy: terms}), ""); got != tt.want {
			t.Errorf("$orderby=%s gave %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"name up", "name,", ",name", "name asc desc", "a,b,c,d,e,f", "'x'"} {
		var fe *FilterError
		if _, err := ParseOrderBy(bad); !errors.As(err, &fe) {
			t.Errorf("ParseOrderBy(%q) = %v, want a *FilterError", bad, err)
		}
	}
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	s := seedFilterDocs(t)
	for _, tt := range []struct {
		skip, top int
		want      string
		total     int
	}{
		{0, 2, "AB", 4}, {2, 2, "CD", 4}, {3, 10, "D", 4}, {4, 10, "", 4}, {100, 1, "", 4},
	} {
		if got := strings.Join(codes(t, s, ConnecQuery{Skip: tt.skip, Top: tt.top}), ""); got != tt.want {
			t.Errorf("skip %d top %d: %q, want %q", tt.skip, tt.top, got, tt.want)
		}
	}
	all, _ := s.ListConnecEntities(t.Context(), "cld-1", "organizations", ConnecQuery{Top: 10})
	// AfterSeq starts after an entity, whatever Skip says.
	if got := strings.Join(codes(t, s, ConnecQuery{Skip: 1, Top: 2, AfterSeq: all.Entities[1].Seq}), ""); got != "CD" {
		t.Errorf("after B: %q", got)
	}
	f, _ := ParseFilter("status eq 'ACTIVE'")
	page, err := s.ListConnecEntities(t.Context(), "cld-1", "organizations", ConnecQuery{Filter: f, Top: 1, Skip: 1})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 3 || len(page.Entities) != 1 {
		t.Errorf("filtered page: total %d, %d entities", page.Total, len(page.Entities))
	}
	if other, _ := s.ListConnecEntities(t.Context(), "cld-2", "organizations", ConnecQuery{Top: 10}); other.Total != 0 {
		t.Errorf("cld-2 sees %d entities of cld-1", other.Total)
	}
	if _, err := s.ListConnecEntities(t.Context(), "cld-1", "organizations", ConnecQuery{Skip: -1}); err == nil {
		t.Error("negative skip accepted")
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{
		"code eq 'A'", "status ne 'ARCHIVED' and updated_at gt '2016-10-04T00:36:23Z'",
		"(a eq 1 or b eq 2) and not c le -3.5e2", "address/billing/city eq 'O''Hara'",
		"d ge datetime'2016-10-04'", "x eq null or y eq true", "d lt 2016-10-04T00:00:00+02:00",
		"((a eq 1)", "a eq '", "not not not a eq 1",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s)
		if err != nil {
			var fe *FilterError
			if !errors.As(err, &fe) || fe.Pos < 0 || fe.Pos > max(len(s), MaxFilterBytes) {
				t.Fatalf("ParseFilter(%q): bad error %v", s, err)
			}
			return
		}
		if flt == nil {
			if strings.TrimSpace(s) != "" {
				t.Fatalf("ParseFilter(%q) = nil filter", s)
			}
			return
		}
		canon := flt.String()
		again, err := ParseFilter(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if again.String() != canon {
			t.Fatalf("canonical form not stable: %q then %q", canon, again.String())
		}
		q, args := flt.SQL()
		if n := strings.Count(q, "?"); n != len(args) {
			t.Fatalf("SQL %q has %d placeholders and %d args", q, n, len(args))
		}
		_, _ = ParseOrderBy(s)
	})
}

func TestNoSQLInjection(t *testing.T) {
	t.Parallel()
	s := seedFilterDocs(t)
	f, err := ParseFilter(`code eq 'A'' OR 1=1 --'`)
	if err != nil {
		t.Fatal(err)
	}
	if got := codes(t, s, ConnecQuery{Filter: f}); !slices.Equal(got, nil) {
		t.Errorf("injection matched %v", got)
	}
}
