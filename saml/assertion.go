package saml

import "time"

// Assertion is what a verified response says, read from the signed bytes.
type Assertion struct {
	// ID is the assertion ID (consumed in the replay cache).
	ID string
	// Issuer is the IdP's Issuer value.
	Issuer string
	// NameID is the subject; for Maestrano the user uid ("usr-…").
	NameID string
	// NameIDFormat is the NameID's Format URI (Maestrano: persistent).
	NameIDFormat string
	// InResponseTo is the request ID the assertion answers ("" if unsolicited).
	InResponseTo string
	// IssueInstant is when the IdP issued the assertion.
	IssueInstant time.Time
	// NotOnOrAfter is the earliest expiry among the assertion's time limits.
	NotOnOrAfter time.Time
	// SessionIndex is the AuthnStatement's session index.
	SessionIndex string
	// Attributes are the AttributeStatement values, by attribute name.
	Attributes Attributes
}

// Attributes maps an attribute name to its values in document order;
// repeated Attribute elements of one name are merged.
type Attributes map[string][]string

// Get returns the first value of name, or "".
func (a Attributes) Get(name string) string {
	if v := a[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}
