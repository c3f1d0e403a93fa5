package connec_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/connec"
)

// generic decodes JSON keeping numbers' text.
func generic(t testing.TB, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	return v
}

func roundTrip[T any](t *testing.T, body []byte, collection string) T {
	t.Helper()
	var doc map[string]T
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("%s: %v", collection, err)
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if want, got := generic(t, body), generic(t, out); !reflect.DeepEqual(want, got) {
		t.Errorf("%s: round trip changed the record\nwant %v\n got %v", collection, want, got)
	}
	return doc[collection]
}

// TestRecordsRoundTrip decodes realistic records into their types and
// encodes them again: every member, known or not, null or empty, comes back.
func TestRecordsRoundTrip(t *testing.T) {
	t.Parallel()
	inv := roundTrip[connec.Invoice](t, readFixture(t, "records/invoices.json"), "invoices")
	if inv.Amount.TotalAmount != "110.00" || inv.Lines[0].UnitPrice.NetAmount != "50.00" || inv.DueDate.Format(time.DateOnly) != "2016-11-03" ||
		inv.CreatedAt.Nanosecond() != 123e6 || inv.BillingAddress.Extra == nil || inv.Lines[0].Extra["tracking_categories"] == nil {
		t.Errorf("invoice = %+v", inv)
	}
	pay := roundTrip[connec.Payment](t, readFixture(t, "records/payments.json"), "payments")
	if pay.ID.Connec() != "p-1" || pay.PaymentLines[0].LinkedTransactions[0].Class != "Invoice" || pay.PersonID.Connec() != "per-1" {
		t.Errorf("payment = %+v", pay)
	}
	tc := roundTrip[connec.TaxCode](t, readFixture(t, "records/tax_codes.json"), "tax_codes")
	if tc.SaleTaxRate != "10.0" || tc.SaleTaxes[0].Extra["tax_authority"] == nil {
		t.Errorf("tax code = %+v", tc)
	}
	acc := roundTrip[connec.Account](t, readFixture(t, "records/accounts.json"), "accounts")
	if acc.CurrentBalance != "-1234.56" || acc.TaxCodeID.Connec() != "tc-1" || acc.Extra["bank_account"] == nil {
		t.Errorf("account = %+v", acc)
	}
	item := roundTrip[connec.Item](t, readFixture(t, "records/items.json"), "items")
	if item.UpdatedAt.Raw() != "not a date" || !item.UpdatedAt.Time.IsZero() || item.IsInventoried == nil || *item.IsInventoried {
		t.Errorf("item = %+v", item)
	}
	p := roundTrip[connec.Person](t, readFixture(t, "records/people.json"), "people")
	if p.BirthDate.Month() != time.January || p.PhoneWork.Extra["pager"] == nil || p.Notes[0].Tag != "event" {
		t.Errorf("person = %+v", p)
	}
	org := roundTrip[connec.Organization](t, readFixture(t, "records/organizations.json"), "organizations")
	if org.NumberOfEmployees != "42" || *org.IsCustomer != true || org.Address.Shipping.Line1 != "2 Dock Rd" {
		t.Errorf("organization = %+v", org)
	}
	co := roundTrip[connec.Company](t, readFixture(t, "records/company.json"), "company")
	if co.Timezone != "Australia/Sydney" || co.Extra["abn"] == nil {
		t.Errorf("company = %+v", co)
	}
}

func TestExtraRules(t *testing.T) {
	t.Parallel()
	// A field that encodes wins over an Extra member of the same name; an
	// Extra member no field encodes is kept.
	o := connec.Organization{Name: "field", Extra: connec.Extra{"name": json.RawMessage(`"extra"`), "industry": json.RawMessage(`null`), "x": json.RawMessage(`[1]`)}}
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"industry":null,"name":"field","x":[1]}` {
		t.Errorf("encoded = %s", b)
	}
	o.Extra = connec.Extra{"bad": json.RawMessage(`{`)}
	if _, err := json.Marshal(o); err == nil {
		t.Error("invalid Extra JSON encoded")
	}
	// Decoding resets Extra.
	o = connec.Organization{Extra: connec.Extra{"stale": json.RawMessage(`1`)}}
	if err := json.Unmarshal([]byte(`{"name":"n"}`), &o); err != nil || o.Extra != nil {
		t.Errorf("extra after decode = %v (%v)", o.Extra, err)
	}
}

func TestID(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]connec.ID{
		`"abc"`: connec.PlainID("abc"),
		`null`:  {},
		`[{"id":"1","provider":"connec","realm":"org-1"},{"id":"X","provider":"app","realm":"r"}]`: connec.IDs(
			connec.ExternalID{ID: "1", Provider: "connec", Realm: "org-1"}, connec.ExternalID{ID: "X", Provider: "app", Realm: "r"}),
		`[]`: {Refs: []connec.ExternalID{}},
	} {
		var id connec.ID
		if err := json.Unmarshal([]byte(in), &id); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if !reflect.DeepEqual(id, want) {
			t.Errorf("%s: %+v, want %+v", in, id, want)
		}
		out, _ := json.Marshal(id)
		if in != "null" && string(out) != in {
			t.Errorf("%s: encoded back as %s", in, out)
		}
	}
	for _, bad := range []string{`1`, `{}`, `[1]`, `true`, `[{"id":1}]`} {
		var id connec.ID
		if err := json.Unmarshal([]byte(bad), &id); err == nil {
			t.Errorf("%s accepted as %+v", bad, id)
		}
	}
	id := connec.IDs(connec.ExternalID{ID: "X", Provider: "app", Realm: "r"}, connec.ExternalID{ID: "C", Provider: "connec", Realm: "org"})
	if id.Connec() != "C" || id.String() != "C" {
		t.Errorf("Connec() = %q", id.Connec())
	}
	if v, ok := id.For("app", "other"); ok {
		t.Errorf("For(app, other) = %q", v)
	}
	// omitzero drops an empty id.
	b, _ := json.Marshal(connec.Invoice{Title: "t"})
	if strings.Contains(string(b), `"id"`) || strings.Contains(string(b), "created_at") {
		t.Errorf("zero id or time encoded: %s", b)
	}
}

func TestTime(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Time{
		`"2016-10-04T00:36:23Z"`:      time.Date(2016, 10, 4, 0, 36, 23, 0, time.UTC),
		`"2016-10-04T10:36:23+10:00"`: time.Date(2016, 10, 4, 0, 36, 23, 0, time.UTC),
		`"2016-10-04T00:36:23.5Z"`:    time.Date(2016, 10, 4, 0, 36, 23, 5e8, time.UTC),
		`"2016-10-04T00:36:23"`:       time.Date(2016, 10, 4, 0, 36, 23, 0, time.UTC),
		`"2016-10-04"`:                time.Date(2016, 10, 4, 0, 0, 0, 0, time.UTC),
		`"04/10/2016"`:                {},
	} {
		var tm connec.Time
		if err := json.Unmarshal([]byte(in), &tm); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if !tm.Time.Equal(want) {
			t.Errorf("%s: %v, want %v", in, tm.Time, want)
		}
		if out, _ := json.Marshal(tm); string(out) != in {
			t.Errorf("%s: encoded back as %s", in, out)
		}
	}
	var tm connec.Time
	if err := json.Unmarshal([]byte(`12`), &tm); err == nil {
		t.Error("number accepted as a time")
	}
	out, _ := json.Marshal(connec.NewTime(time.Date(2020, 1, 2, 3, 4, 5, 999, time.FixedZone("", 7200))))
	if string(out) != `"2020-01-02T01:04:05Z"` {
		t.Errorf("NewTime = %s", out)
	}
}
