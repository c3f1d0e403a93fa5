// JSON methods of the typed entities: each decodes through a method-less
// copy of its struct and keeps unknown members in Extra (values.go).

package connec

import "reflect"

type addressFields Address

var addressKeys = jsonKeys(reflect.TypeFor[addressFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *Address) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*addressFields)(v), &v.Extra, addressKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v Address) MarshalJSON() ([]byte, error) { return encodeKeeping(addressFields(v), v.Extra) }

type addressesFields Addresses

var addressesKeys = jsonKeys(reflect.TypeFor[addressesFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *Addresses) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*addressesFields)(v), &v.Extra, addressesKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v Addresses) MarshalJSON() ([]byte, error) { return encodeKeeping(addressesFields(v), v.Extra) }

type emailFields Email

var emailKeys = jsonKeys(reflect.TypeFor[emailFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *Email) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*emailFields)(v), &v.Extra, emailKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v Email) MarshalJSON() ([]byte, error) { return encodeKeeping(emailFields(v), v.Extra) }

type phoneFields Phone

var phoneKeys = jsonKeys(reflect.TypeFor[phoneFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *Phone) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*phoneFields)(v), &v.Extra, phoneKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v Phone) MarshalJSON() ([]byte, error) { return encodeKeeping(phoneFields(v), v.Extra) }

type websiteFields Website

var websiteKeys = jsonKeys(reflect.TypeFor[websiteFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *Website) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*websiteFields)(v), &v.Extra, websiteKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v Website) MarshalJSON() ([]byte, error) { return encodeKeeping(websiteFields(v), v.Extra) }

type moneyFields Money

var moneyKeys = jsonKeys(reflect.TypeFor[moneyFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *Money) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*moneyFields)(v), &v.Extra, moneyKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v Money) MarshalJSON() ([]byte, error) { return encodeKeeping(moneyFields(v), v.Extra) }

type noteFields Note

var noteKeys = jsonKeys(reflect.TypeFor[noteFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *Note) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*noteFields)(v), &v.Extra, noteKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v Note) MarshalJSON() ([]byte, error) { return encodeKeeping(noteFields(v), v.Extra) }

type organizationFields Organization

var organizationKeys = jsonKeys(reflect.TypeFor[organizationFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *Organization) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*organizationFields)(v), &v.Extra, organizationKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v Organization) MarshalJSON() ([]byte, error) {
	return encodeKeeping(organizationFields(v), v.Extra)
}

type personFields Person

var personKeys = jsonKeys(reflect.TypeFor[personFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *Person) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*personFields)(v), &v.Extra, personKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v Person) MarshalJSON() ([]byte, error) { return encodeKeeping(personFields(v), v.Extra) }

type itemFields Item

var itemKeys = jsonKeys(reflect.TypeFor[itemFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *Item) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*itemFields)(v), &v.Extra, itemKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v Item) MarshalJSON() ([]byte, error) { return encodeKeeping(itemFields(v), v.Extra) }

type invoiceLineFields InvoiceLine

var invoiceLineKeys = jsonKeys(reflect.TypeFor[invoiceLineFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *InvoiceLine) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*invoiceLineFields)(v), &v.Extra, invoiceLineKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v InvoiceLine) MarshalJSON() ([]byte, error) {
	return encodeKeeping(invoiceLineFields(v), v.Extra)
}

type invoiceFields Invoice

var invoiceKeys = jsonKeys(reflect.TypeFor[invoiceFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *Invoice) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*invoiceFields)(v), &v.Extra, invoiceKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v Invoice) MarshalJSON() ([]byte, error) { return encodeKeeping(invoiceFields(v), v.Extra) }

type linkedTransactionFields LinkedTransaction

var linkedTransactionKeys = jsonKeys(reflect.TypeFor[linkedTransactionFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *LinkedTransaction) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*linkedTransactionFields)(v), &v.Extra, linkedTransactionKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v LinkedTransaction) MarshalJSON() ([]byte, error) {
	return encodeKeeping(linkedTransactionFields(v), v.Extra)
}

type paymentLineFields PaymentLine

var paymentLineKeys = jsonKeys(reflect.TypeFor[paymentLineFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *PaymentLine) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*paymentLineFields)(v), &v.Extra, paymentLineKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v PaymentLine) MarshalJSON() ([]byte, error) {
	return encodeKeeping(paymentLineFields(v), v.Extra)
}

type paymentFields Payment

var paymentKeys = jsonKeys(reflect.TypeFor[paymentFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *Payment) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*paymentFields)(v), &v.Extra, paymentKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v Payment) MarshalJSON() ([]byte, error) { return encodeKeeping(paymentFields(v), v.Extra) }

type accountFields Account

var accountKeys = jsonKeys(reflect.TypeFor[accountFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *Account) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*accountFields)(v), &v.Extra, accountKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v Account) MarshalJSON() ([]byte, error) { return encodeKeeping(accountFields(v), v.Extra) }

type taxFields Tax

var taxKeys = jsonKeys(reflect.TypeFor[taxFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *Tax) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*taxFields)(v), &v.Extra, taxKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v Tax) MarshalJSON() ([]byte, error) { return encodeKeeping(taxFields(v), v.Extra) }

type taxCodeFields TaxCode

var taxCodeKeys = jsonKeys(reflect.TypeFor[taxCodeFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *TaxCode) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*taxCodeFields)(v), &v.Extra, taxCodeKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v TaxCode) MarshalJSON() ([]byte, error) { return encodeKeeping(taxCodeFields(v), v.Extra) }

type companyFields Company

var companyKeys = jsonKeys(reflect.TypeFor[companyFields]())

// UnmarshalJSON decodes the fields and keeps the rest in Extra.
func (v *Company) UnmarshalJSON(b []byte) error {
	return decodeKeeping(b, (*companyFields)(v), &v.Extra, companyKeys)
}

// MarshalJSON encodes the fields and the members kept in Extra.
func (v Company) MarshalJSON() ([]byte, error) { return encodeKeeping(companyFields(v), v.Extra) }
