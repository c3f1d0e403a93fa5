package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/maestrano-go/maestrano/sandbox"
)

// wrongTypes are entities with one known field of the wrong JSON type, and
// the field path the refusal must name.
var wrongTypes = []struct {
	coll, entity, path string
}{
	{"organizations", `{"name":{"deep":[1]}}`, "name"},
	{"organizations", `{"name":"Acme","number_of_employees":"many"}`, "number_of_employees"},
	{"organizations", `{"is_customer":"yes"}`, "is_customer"},
	{"organizations", `{"address":"Paris"}`, "address"},
	{"organizations", `{"address":{"billing":{"city":7}}}`, "address.billing.city"},
	{"organizations", `{"notes":[{"description":"ok"},{"description":false}]}`, "notes[1].description"},
	{"organizations", `{"notes":{"description":"x"}}`, "notes"},
	{"organizations", `{"code":12}`, "code"},
	{"people", `{"first_name":["Ada"]}`, "first_name"},
	{"people", `{"organization_id":42}`, "organization_id"},
	{"people", `{"organization_id":[{"provider":"x"}]}`, "organization_id"},
	{"people", `{"email":{"address":true}}`, "email.address"},
	{"people", `{"birth_date":19901231}`, "birth_date"},
	{"items", `{"sale_price":{"net_amount":"ten"}}`, "sale_price.net_amount"},
	{"items", `{"is_inventoried":1}`, "is_inventoried"},
	{"invoices", `{"lines":[{"quantity":{}}]}`, "lines[0].quantity"},
	{"invoices", `{"lines":["one"]}`, "lines[0]"},
	{"invoices", `{"lines":[{"unit_price":{"tax_rate":[10]}}]}`, "lines[0].unit_price.tax_rate"},
	{"invoices", `{"billing_address":{"line1":null,"country":{"code":"FR"}}}`, "billing_address.country"},
	{"payments", `{"payment_lines":[{"linked_transactions":[{"applied_amount":true}]}]}`, "payment_lines[0].linked_transactions[0].applied_amount"},
	{"payments", `{"amount":100}`, "amount"},
	{"accounts", `{"current_balance":"1,000"}`, "current_balance"},
	{"tax_codes", `{"sale_taxes":[{"rate":"x"}]}`, "sale_taxes[0].rate"},
	{"company", `{"name":1}`, "name"},
}

func wantTypeError(t *testing.T, what string, status int, body, path string) {
	t.Helper()
	checkConnecError(t, what, status, body, 400, "Bad request")
	var er sandbox.ConnecErrorResponse
	if err := json.Unmarshal([]byte(body), &er); err != nil || len(er.Errors) != 1 ||
		!strings.Contains(er.Errors[0].Detail, `field "`+path+`" must be`) {
		t.Errorf("%s: the error does not name field %q: %s", what, path, body)
	}
}

// TestConnecTypeChecks: a known field of the wrong type is refused with 400
// naming its path, on create, update and in a batch, and nothing is stored.
func TestConnecTypeChecks(t *testing.T) {
	t.Parallel()
	e := setupConnec(t)
	ids := map[string]string{}
	for _, coll := range []string{"organizations", "people", "items", "invoices", "payments", "accounts", "tax_codes"} {
		ids[coll] = entity(t, e.mustCall(t, 201, "POST", "/api/v2/cld-1/"+coll, `{"`+coll+`":{"description":"seed"}}`, nil), coll)["id"].(string)
	}
	e.mustCall(t, 201, "PUT", "/api/v2/cld-1/company", `{"company":{"description":"seed"}}`, nil)
	before := e.changes(t)
	for _, c := range wrongTypes {
		body := `{"` + c.coll + `":` + c.entity + `}`
		if c.coll != "company" {
			status, _, b := e.call(t, "POST", "/api/v2/cld-1/"+c.coll, body, nil)
			wantTypeError(t, "create "+body, status, b, c.path)
		}
		target := "/api/v2/cld-1/" + c.coll + "/" + ids[c.coll]
		if c.coll == "company" {
			target = "/api/v2/cld-1/company"
		}
		status, _, b := e.call(t, "PUT", target, body, nil)
		wantTypeError(t, "update "+body, status, b, c.path)

		batch := `{"ops":[{"method":"put","url":"` + target + `","params":` + body + `}]}`
		res := e.mustCall(t, 200, "POST", "/batch", batch, nil)
		r := res["results"].([]any)[0].(map[string]any)
		rb, _ := json.Marshal(r["body"])
		wantTypeError(t, "batch "+body, int(r["status"].(float64)), string(rb), c.path)

		method := "PUT"
		if c.coll == "company" {
			method = "POST" // the admin API writes the singleton with POST
		}
		st, ab := e.api(t, method, "/api/sandbox/v1/connec/cld-1"+strings.TrimPrefix(target, "/api/v2/cld-1"), `{"entity":`+c.entity+`}`, nil)
		if st != 400 || !strings.Contains(ab, `field \"`+c.path+`\"`) {
			t.Errorf("admin API %s: %d %s", c.entity, st, ab)
		}
	}
	if n := e.changes(t); n != before {
		t.Errorf("refused writes recorded %d changes", n-before)
	}
	// The stored entities still decode as their types: the seeded ones are unchanged.
	org := entity(t, e.mustCall(t, 200, "GET", "/api/v2/cld-1/organizations/"+ids["organizations"], "", nil), "organizations")
	if org["description"] != "seed" || org["name"] != nil {
		t.Errorf("organization after refused writes: %v", org)
	}
}

// TestConnecTypeChecksAccept: null, numbers written as strings, id strings
// and id arrays, and unknown fields of any type are accepted and kept.
func TestConnecTypeChecksAccept(t *testing.T) {
	t.Parallel()
	e := setupConnec(t)
	body := `{"invoices":{"title":null,"balance":"12.50","deposit":3,"organization_id":"x",
		"person_id":[{"realm":"r","provider":"crm","id":77}],"lines":[null,{"quantity":"2","item_id":null,"opts":{"any":1}}],
		"billing_address":null,"custom":{"deep":[1]},"opts":{"sparse":false},"title2":5}}`
	inv := entity(t, e.mustCall(t, 201, "POST", "/api/v2/cld-1/invoices", body, nil), "invoices")
	if inv["balance"] != "12.50" || inv["deposit"] != float64(3) || inv["custom"] == nil || inv["title2"] != float64(5) {
		t.Errorf("accepted invoice: %v", inv)
	}
	// An id array naming no known entity is kept, its numeric id as a string (the type clients decode).
	ref, _ := json.Marshal(inv["person_id"])
	if string(ref) != `[{"id":"77","provider":"crm","realm":"r"}]` {
		t.Errorf("person_id %s", ref)
	}
	// A collection without a schema is not checked.
	e.mustCall(t, 201, "POST", "/api/v2/cld-1/opportunities", `{"opportunities":{"name":{"deep":[1]}}}`, nil)
}

// TestAdminConnecPageTypeCheck: the admin page's form refuses a wrong type
// too, with the field named on the page.
func TestAdminConnecPageTypeCheck(t *testing.T) {
	t.Parallel()
	e := setupConnec(t)
	status, _, page := e.postForm(t, "/admin/connec", url.Values{"group": {"cld-1"}, "collection": {"organizations"},
		"json": {`{"name":{"deep":[1]}}`}}, http.Header{"Origin": {e.srv.URL}, "Sec-Fetch-Site": {"same-origin"}})
	if status != 400 || !strings.Contains(page, "&#34;name&#34; must be a string") {
		t.Errorf("admin page: %d %s", status, page)
	}
}
