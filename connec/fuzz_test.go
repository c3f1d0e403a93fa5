package connec_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/maestrano-go/maestrano/connec"
)

func addFixtures(f *testing.F, dir string) {
	paths, _ := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzParseNotification feeds arbitrary bodies to the notification parser:
// it must not panic, and what it accepts must encode and decode again to
// the same thing, the records that did not decode included (kept raw, they
// fail again in the same way).
func FuzzParseNotification(f *testing.F) {
	addFixtures(f, "notifications")
	addFixtures(f, "records")
	f.Add([]byte(`{"people":[{"id":[{"id":"1","provider":"connec","realm":"r"}],"birth_date":"x"}]}`))
	f.Add([]byte(`{"organizations":null}`))
	f.Add([]byte(`{"people":[{"id":"a"},{"id":"b","first_name":{"x":1}},{"id":"c"},{"birth_date":2}],"items":[{"id":7}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := connec.ParseNotification(body)
		if err != nil {
			return
		}
		enc := func(n *connec.Notification) string {
			var undecoded []string
			for _, e := range n.Undecoded {
				if e.Record == nil || e.Collection == "" || e.Err == nil {
					t.Fatalf("undecoded record without its JSON, collection or error: %+v", e)
				}
				undecoded = append(undecoded, e.Collection+" "+e.Field+" "+e.Error())
			}
			b, err := json.Marshal([]any{n.Organizations, n.People, n.Items, n.Invoices, n.Payments, n.Accounts, n.TaxCodes, n.Company, n.Other, undecoded})
			if err != nil {
				t.Fatalf("accepted notification does not encode: %v", err)
			}
			return string(b)
		}
		first := enc(n)
		// Rebuild a body from the decoded records and parse it again.
		doc := map[string]any{}
		// The undecoded records go back to their places among the others.
		bad := map[string][]*connec.DecodeError{}
		for _, e := range n.Undecoded {
			bad[e.Collection] = append(bad[e.Collection], e) // by index
		}
		add := func(name string, v any, count int) {
			if count == 0 && len(bad[name]) == 0 {
				return
			}
			var good []json.RawMessage
			b, _ := json.Marshal(v)
			_ = json.Unmarshal(b, &good)
			var recs []json.RawMessage
			for _, e := range bad[name] {
				for len(recs) < e.Index && len(good) > 0 {
					recs, good = append(recs, good[0]), good[1:]
				}
				if len(recs) != e.Index {
					t.Fatalf("undecoded %s record %d is past the end", name, e.Index)
				}
				recs = append(recs, e.Record)
			}
			doc[name] = append(recs, good...)
		}
		add("organizations", n.Organizations, len(n.Organizations))
		add("people", n.People, len(n.People))
		add("items", n.Items, len(n.Items))
		add("invoices", n.Invoices, len(n.Invoices))
		add("payments", n.Payments, len(n.Payments))
		add("accounts", n.Accounts, len(n.Accounts))
		add("tax_codes", n.TaxCodes, len(n.TaxCodes))
		add("company", n.Company, len(n.Company))
		for k, v := range n.Other {
			doc[k] = v
		}
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		n2, err := connec.ParseNotification(b)
		if err != nil {
			t.Fatalf("re-encoded notification refused: %v\n%s", err, b)
		}
		if second := enc(n2); second != first {
			t.Fatalf("round trip changed the records\n%s\n%s", first, second)
		}
	})
}

// FuzzLiteral checks that any string becomes a $filter literal an OData
// reader turns back into the same string, with nothing after it.
func FuzzLiteral(f *testing.F) {
	for _, s := range []string{"", "'", "''", "O'Brien", "a' or 1 eq 1 or 'x", "é", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lit, err := connec.Literal(s)
		if err != nil {
			t.Fatal(err)
		}
		got, n, err := readLiteral(lit)
		if err != nil || got != s || n != len(lit) {
			t.Fatalf("Literal(%q) = %q, read back %q (%d of %d bytes, %v)", s, lit, got, n, len(lit), err)
		}
		if utf8.ValidString(s) && !utf8.ValidString(lit) {
			t.Fatalf("Literal(%q) is not valid UTF-8", s)
		}
		if strings.Count(lit, "'")%2 != 0 {
			t.Fatalf("Literal(%q) = %q has an odd number of quotes", s, lit)
		}
	})
}

// FuzzID checks that any id the decoder accepts encodes back to an
// equivalent id.
func FuzzID(f *testing.F) {
	for _, s := range []string{`"a"`, `null`, `[]`, `[{"id":"1","provider":"connec","realm":"r"}]`, `[{"id":"1","x":2}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var id connec.ID
		if err := json.Unmarshal(b, &id); err != nil {
			return
		}
		out, err := json.Marshal(id)
		if err != nil {
			t.Fatal(err)
		}
		var back connec.ID
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%s -> %s: %v", b, out, err)
		}
		out2, _ := json.Marshal(back)
		if string(out) != string(out2) {
			t.Fatalf("%s -> %s -> %s", b, out, out2)
		}
	})
}
