package sandbox

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
)

// Connec! validates the documents it is given: a known field of a main
// collection must have the JSON type clients decode it to, or the write is
// refused (400) naming the field's path. Unknown fields are accepted and
// kept (Connec! is open). The table below is the sandbox's own; it follows
// the fields typed clients read and stays apart from any client's code.

// connecKind is the JSON type a known field must have; null is always
// accepted (it clears the field).
type connecKind uint8

const (
	ckindString connecKind = iota + 1 // a string (also dates and timestamps)
	ckindNumber                       // a number, or a string holding one
	ckindBool                         // true or false
	ckindRef                          // an id: a string or an id array
	ckindObject                       // an object whose known fields are checked
	ckindList                         // an array of such objects
)

// connecField is the expected type of one field; fields are those of an
// object, or of each element of a list.
type connecField struct {
	kind   connecKind
	fields connecSchema
}

// connecSchema maps the known field names of an object to their types.
type connecSchema map[string]connecField

var (
	fString = connecField{kind: ckindString}
	fNumber = connecField{kind: ckindNumber}
	fBool   = connecField{kind: ckindBool}
	fRef    = connecField{kind: ckindRef}
)

func fObject(s connecSchema) connecField { return connecField{kind: ckindObject, fields: s} }
func fList(s connecSchema) connecField   { return connecField{kind: ckindList, fields: s} }

// with returns the entity's common fields plus fs. "id" is checked by the
// id folding; "group_id", "channel_id", "resource_type", "created_at" and
// "updated_at" are set by the platform.
func with(fs connecSchema) connecSchema {
	out := connecSchema{"code": fString, "status": fString}
	for k, v := range fs {
		out[k] = v
	}
	return out
}

// connecSchemas are the known fields of the main collections.
var connecSchemas = func() map[string]connecSchema {
	address := connecSchema{"line1": fString, "line2": fString, "city": fString, "region": fString,
		"postal_code": fString, "country": fString}
	addresses := fObject(connecSchema{"billing": fObject(address), "billing2": fObject(address),
		"shipping": fObject(address), "shipping2": fObject(address)})
	email := fObject(connecSchema{"address": fString, "address2": fString})
	phone := fObject(connecSchema{"landline": fString, "landline2": fString, "mobile": fString,
		"mobile2": fString, "fax": fString})
	website := fObject(connecSchema{"url": fString, "url2": fString})
	money := fObject(connecSchema{"net_amount": fNumber, "tax_amount": fNumber, "total_amount": fNumber,
		"tax_rate": fNumber, "currency": fString})
	notes := fList(connecSchema{"id": fRef, "description": fString, "tag": fString})
	taxes := fList(connecSchema{"name": fString, "rate": fNumber, "tax_rate_id": fRef, "is_compound": fBool})
	invoiceLines := fList(connecSchema{"id": fRef, "line_number": fNumber, "item_id": fRef, "tax_code_id": fRef,
		"account_id": fRef, "description": fString, "quantity": fNumber, "unit_price": money, "total_price": money,
		"reduction_percent": fNumber, "is_tax_inclusive": fBool, "status": fString})
	paymentLines := fList(connecSchema{"id": fRef, "amount": fNumber,
		"linked_transactions": fList(connecSchema{"id": fRef, "class": fString, "applied_amount": fNumber})})
	return map[string]connecSchema{
		"organizations": with(connecSchema{"name": fString, "description": fString, "industry": fString,
			"number_of_employees": fNumber, "is_customer": fBool, "is_supplier": fBool, "is_lead": fBool,
			"address": addresses, "email": email, "phone": phone, "website": website, "notes": notes}),
		"people": with(connecSchema{"title": fString, "first_name": fString, "last_name": fString,
			"job_title": fString, "birth_date": fString, "organization_id": fRef, "description": fString,
			"is_customer": fBool, "is_supplier": fBool, "is_lead": fBool, "lead_source": fString,
			"lead_status": fString, "lead_conversion_date": fString, "address_work": addresses,
			"address_home": addresses, "email": email, "phone_work": phone, "phone_home": phone, "notes": notes}),
		"items": with(connecSchema{"name": fString, "description": fString, "reference": fString, "type": fString,
			"sale_price": money, "purchase_price": money, "quantity_available": fNumber, "is_inventoried": fBool,
			"weight": fNumber, "weight_unit": fString, "sale_tax_code_id": fRef, "purchase_tax_code_id": fRef}),
		"invoices": with(connecSchema{"type": fString, "title": fString, "transaction_number": fString,
			"transaction_date": fString, "due_date": fString, "public_note": fString, "private_note": fString,
			"person_id": fRef, "organization_id": fRef, "billing_address": fObject(address),
			"shipping_address": fObject(address), "lines": invoiceLines, "amount": money, "balance": fNumber,
			"deposit": fNumber, "discount_amount": fNumber, "discount_percent": fNumber, "tax_calculation": fString}),
		"payments": with(connecSchema{"type": fString, "title": fString, "transaction_number": fString,
			"transaction_date": fString, "person_id": fRef, "organization_id": fRef, "account_id": fRef,
			"deposit_account_id": fRef, "payment_method_id": fRef, "amount": money, "public_note": fString,
			"private_note": fString, "payment_lines": paymentLines}),
		"accounts": with(connecSchema{"name": fString, "description": fString, "classification": fString,
			"type": fString, "sub_type": fString, "reference_number": fString, "currency": fString,
			"current_balance": fNumber, "parent_account_id": fRef, "tax_code_id": fRef}),
		"tax_codes": with(connecSchema{"name": fString, "description": fString, "tax_type": fString,
			"sale_tax_rate": fNumber, "purchase_tax_rate": fNumber, "sale_taxes": taxes, "purchase_taxes": taxes}),
		"company": with(connecSchema{"name": fString, "timezone": fString, "currency": fString, "email": email,
			"website": website, "phone": phone, "address": addresses}),
	}
}()

// connecTypeError is a known field whose value has the wrong JSON type.
type connecTypeError struct {
	path string // e.g. "lines[0].unit_price.net_amount"
	want string // e.g. "a number"
	got  string // e.g. "an object"
}

func (e *connecTypeError) Error() string {
	return "field " + strconv.Quote(e.path) + " must be " + e.want + " or null, not " + e.got
}

// checkConnecTypes checks the known fields of an incoming entity of coll;
// a collection without a schema is not checked. The first wrong field, in
// name order, is reported.
func checkConnecTypes(coll string, fields map[string]json.RawMessage) *connecTypeError {
	s, ok := connecSchemas[coll]
	if !ok {
		return nil
	}
	return s.check("", fields)
}

func (s connecSchema) check(prefix string, fields map[string]json.RawMessage) *connecTypeError {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		if _, ok := s[k]; ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := s[k].check(prefix+k, fields[k]); err != nil {
			return err
		}
	}
	return nil
}

func (f connecField) check(path string, v json.RawMessage) *connecTypeError {
	v = bytes.TrimSpace(v)
	got := jsonTypeName(v)
	if got == "null" {
		return nil
	}
	fail := func(want string) *connecTypeError { return &connecTypeError{path: path, want: want, got: got} }
	switch f.kind {
	case ckindString:
		if got != "a string" {
			return fail("a string")
		}
	case ckindNumber:
		var n json.Number // a number, or a string holding a valid one
		if json.Unmarshal(v, &n) != nil {
			if got == "a string" {
				got = "a string that is not a number"
			}
			return fail("a number")
		}
	case ckindBool:
		if got != "a boolean" {
			return fail("true or false")
		}
	case ckindRef:
		if got == "a string" {
			return nil
		}
		if got != "an array" {
			return fail("an id string or id array")
		}
		if _, err := parseIDArray(v); err != nil {
			got = "a malformed id array"
			return fail("an id string or id array")
		}
	case ckindObject:
		var m map[string]json.RawMessage
		if got != "an object" || json.Unmarshal(v, &m) != nil {
			return fail("an object")
		}
		return f.fields.check(path+".", m)
	case ckindList:
		var a []json.RawMessage
		if got != "an array" || json.Unmarshal(v, &a) != nil {
			return fail("an array of objects")
		}
		for i, e := range a {
			p := path + "[" + strconv.Itoa(i) + "]"
			var m map[string]json.RawMessage
			t := jsonTypeName(bytes.TrimSpace(e))
			if t == "null" {
				continue
			}
			if t != "an object" || json.Unmarshal(e, &m) != nil {
				return &connecTypeError{path: p, want: "an object", got: t}
			}
			if err := f.fields.check(p+".", m); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonTypeName names the JSON type of the (valid, trimmed) value v.
func jsonTypeName(v []byte) string {
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
