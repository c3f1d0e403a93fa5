package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// SAML constants used in responses.
const (
	samlTimeLayout     = "2006-01-02T15:04:05Z"
	statusSuccess      = "urn:oasis:names:tc:SAML:2.0:status:Success"
	consentUnspecified = "urn:oasis:names:tc:SAML:2.0:consent:unspecified"
	nameIDPersistent   = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	cmBearer           = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	authnContextPPT    = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
	virtualEmailDomain = "mno-api-sandbox-mail.maestrano.com"
)

// Validity windows of an assertion.
const (
	subjectValidity    = 3 * time.Minute
	conditionsSkew     = 5 * time.Second
	conditionsValidity = 60 * time.Minute
)

// IdPPath is the path of the SAML single sign-on endpoint; BaseURL+IdPPath
// is the Issuer of every response.
const IdPPath = "/api/v1/auth/saml"

// assertionInput is everything a signed response is built from.
type assertionInput struct {
	req       *authnRequest
	audience  string // scheme://host[:port]/ of the ACS URL
	user      store.User
	group     store.Group
	role      string
	reseller  *store.Reseller // the group's reseller, or nil
	sigMethod string          // goxmldsig signature method identifier
}

// newSAMLID returns a random SAML ID: "_" and 32 hex digits.
func newSAMLID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "_" + hex.EncodeToString(b[:])
}

// buildResponse builds the samlp:Response carrying a signed assertion and
// returns it serialized. The assertion is built detached, with its own
// namespace declaration, signed (enveloped, exclusive c14n), and only then
// attached; the document is serialized once and not touched afterwards.
func (s *Sandbox) buildResponse(in assertionInput) ([]byte, error) {
	now := s.now().UTC()
	ts := func(t time.Time) string { return t.UTC().Format(samlTimeLayout) }
	issuer := s.baseURL + IdPPath
	assertionID := newSAMLID()

	// Assertion, in schema order: Issuer, Signature, Subject, Conditions,
	// AttributeStatement, AuthnStatement.
	assertion := etree.NewElement("saml:Assertion")
	assertion.CreateAttr("xmlns:saml", nsAssertion)
	assertion.CreateAttr("ID", assertionID)
	// Every value from input or state goes through xmlText or xmlAttr: the
	// signature is computed over the tree, and a value that serializes to
	// something a parser reads back differently would break it.
	assertion.CreateAttr("IssueInstant", ts(now))
	assertion.CreateAttr("Version", "2.0")
	assertion.CreateElement("saml:Issuer").SetText(issuer)

	subject := assertion.CreateElement("saml:Subject")
	nameID := subject.CreateElement("saml:NameID")
	nameID.CreateAttr("Format", nameIDPersistent)
	nameID.SetText(xmlText(in.user.UID))
	sc := subject.CreateElement("saml:SubjectConfirmation")
	sc.CreateAttr("Method", cmBearer)
	scd := sc.CreateElement("saml:SubjectConfirmationData")
	scd.CreateAttr("InResponseTo", xmlAttr(in.req.ID))
	scd.CreateAttr("NotOnOrAfter", ts(now.Add(subjectValidity)))
	scd.CreateAttr("Recipient", xmlAttr(in.req.ACSURL))

	cond := assertion.CreateElement("saml:Conditions")
	cond.CreateAttr("NotBefore", ts(now.Add(-conditionsSkew)))
	cond.CreateAttr("NotOnOrAfter", ts(now.Add(conditionsValidity)))
	cond.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText(xmlText(in.audience))

	attrs := assertion.CreateElement("saml:AttributeStatement")
	for _, a := range s.attributes(in, now) {
		el := attrs.CreateElement("saml:Attribute")
		el.CreateAttr("Name", a[0])
		el.CreateElement("saml:AttributeValue").SetText(xmlText(a[1]))
	}

	authn := assertion.CreateElement("saml:AuthnStatement")
	authn.CreateAttr("AuthnInstant", ts(now))
	authn.CreateAttr("SessionIndex", assertionID)
	authn.CreateElement("saml:AuthnContext").CreateElement("saml:AuthnContextClassRef").SetText(authnContextPPT)

	signer, err := dsig.NewSigningContext(s.key, [][]byte{s.cert.Raw})
	if err != nil {
		return nil, fmt.Errorf("signing context: %w", err)
	}
	signer.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	method := in.sigMethod
	if method == "" {
		method = s.sigMethod
	}
	if err := signer.SetSignatureMethod(method); err != nil {
		return nil, fmt.Errorf("signature method: %w", err)
	}
	sig, err := signer.ConstructSignature(assertion, true)
	if err != nil {
		return nil, fmt.Errorf("sign assertion: %w", err)
	}
	assertion.InsertChildAt(assertion.SelectElement("Issuer").Index()+1, sig)

	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	resp := doc.CreateElement("samlp:Response")
	resp.CreateAttr("xmlns:samlp", nsProtocol)
	resp.CreateAttr("xmlns:saml", nsAssertion)
	resp.CreateAttr("ID", newSAMLID())
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", ts(now))
	resp.CreateAttr("Destination", xmlAttr(in.req.ACSURL))
	resp.CreateAttr("Consent", consentUnspecified)
	resp.CreateAttr("InResponseTo", xmlAttr(in.req.ID))
	resp.CreateElement("saml:Issuer").SetText(issuer)
	resp.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", statusSuccess)
	resp.AddChild(assertion)
	return doc.WriteToBytes()
}

// attributes returns the AttributeStatement as (name, value) pairs, in the
// order of the original platform.
func (s *Sandbox) attributes(in assertionInput, now time.Time) [][2]string {
	u, g := in.user, in.group
	virtualUID := u.UID + "." + g.UID
	out := [][2]string{
		{"mno_uid", u.UID},
		{"mno_session", u.SSOSession},
		{"mno_session_recheck", now.Add(s.sessionRecheck).UTC().Format(time.RFC3339)},
		{"group_uid", g.UID},
		{"group_name", g.Name},
		{"group_end_free_trial", g.FreeTrialEnd.UTC().Format(time.RFC3339)},
		{"group_role", in.role},
		{"group_has_credit_card", "false"},
		{"group_email", g.UID + "@example.com"},
		{"group_currency", g.Currency},
		{"group_timezone", g.Timezone},
		{"group_country", g.Country},
		{"group_city", g.City},
		{"group_org_uid", g.OrgUID},
	}
	if r := in.reseller; r != nil {
		out = append(out, [][2]string{
			{"group_reseller_id", r.UID},
			{"reseller_id", r.UID},
			{"reseller_name", r.Name},
			{"reseller_country", r.Country},
		}...)
	}
	return append(out, [][2]string{
		{"uid", u.UID},
		{"virtual_uid", virtualUID},
		{"email", u.Email},
		{"virtual_email", virtualUID + "@" + virtualEmailDomain},
		{"name", u.FirstName},
		{"surname", u.LastName},
		{"country", u.Country},
		{"company_name", u.CompanyName},
	}...)
}

// xmlText returns s as it will read back from the serialized XML: invalid
// UTF-8 and characters XML 1.0 cannot carry become U+FFFD, and line ends
// are normalized to "\n" (a parser turns "\r\n" and "\r" into "\n"). etree
// escapes &, < and > itself; applying this first keeps the canonical form
// that is signed equal to the one a verifier computes after parsing.
func xmlText(s string) string {
	if isPlainXMLText(s) {
		return s
	}
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\r':
			return '\n'
		case r == '\t' || r == '\n' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}

// xmlAttr is xmlText for an attribute value, where a parser also reads a
// tab or a line end as a space (attribute-value normalization).
func xmlAttr(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' {
			return ' '
		}
		return r
	}, xmlText(s))
}

// isPlainXMLText reports whether s is valid UTF-8 of printable characters
// without \r, the common case xmlText returns unchanged.
func isPlainXMLText(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' || r == utf8.RuneError || r > 0xD7FF && r < 0xE000 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return true
}
