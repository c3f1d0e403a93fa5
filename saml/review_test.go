package saml

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// In unsolicited mode a response that answers a request (someone else's:
// this session has none outstanding) is refused; only a true IdP-initiated
// response, without InResponseTo, is accepted.
func TestParseResponse_UnsolicitedRefusesAnotherSessionsAnswer(t *testing.T) {
	t.Parallel()
	sp := newTestSP(t, WithUnsolicitedResponses())
	a, err := sp.ParseResponse(t.Context(), signedEncoded(t, inResponseTo("_someone-elses-request")))
	wantRefused(t, a, err, ReasonInResponseTo)
	if !strings.Contains(err.Error(), "_someone-elses-request") {
		t.Errorf("error %v does not name the request", err)
	}
}

// Whatever the document puts in an error, the message stays bounded.
func TestValidationErrorDetailIsBounded(t *testing.T) {
	t.Parallel()
	long := "https://evil.example/" + strings.Repeat("A", 5000)
	x := signedEncoded(t, replaceRaw(`Destination="`+testACS+`"`, `Destination="`+long+`"`))
	a, err := newTestSP(t).ParseResponse(t.Context(), x, testRequestID)
	wantRefused(t, a, err, ReasonDestination)
	if len(err.Error()) > maxDetail+100 {
		t.Errorf("error is %d bytes long", len(err.Error()))
	}
	if e := refuse(ReasonMalformed, "%s", strings.Repeat("x", 10_000)); len(e.Detail) > maxDetail+len("…") {
		t.Errorf("refuse kept %d bytes", len(e.Detail))
	}
	// The cut falls on a rune boundary: a Detail is shown to people.
	for n := range 4 {
		if e := refuse(ReasonMalformed, "%s%s", strings.Repeat("x", n), strings.Repeat("é", maxDetail)); !utf8.ValidString(e.Detail) {
			t.Errorf("refuse cut a rune: %q", e.Detail[len(e.Detail)-8:])
		}
	}
}

func TestRedirectURLRefusesFragment(t *testing.T) {
	t.Parallel()
	sp := newTestSP(t)
	req, err := sp.NewAuthnRequest()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"https://idp.example.com/sso#top", "https://idp.example.com/sso?a=1#"} {
		if _, err := sp.RedirectURL(u, req, nil); err == nil || !strings.Contains(err.Error(), "fragment") {
			t.Errorf("%s: error %v, want a fragment error", u, err)
		}
	}
}

// An attribute twice on one element is not XML; encoding/xml keeps the
// last, another parser the first. Refused wherever it is, signed or not.
func TestParseResponse_DuplicateAttributes(t *testing.T) {
	t.Parallel()
	cases := map[string]mod{
		"Recipient twice in the signed confirmation": replaceRaw(`Recipient="`+testACS+`"`, `Recipient="http://evil.example/" Recipient="`+testACS+`"`),
		"NotOnOrAfter twice in the signed confirmation": rawXML(func(x []byte) []byte {
			return []byte(strings.Replace(string(x), `SubjectConfirmationData `, `SubjectConfirmationData NotOnOrAfter="2099-01-01T00:00:00Z" `, 1))
		}),
		"Destination twice on the Response": replaceRaw(`Destination="`+testACS+`"`, `Destination="http://evil.example/" Destination="`+testACS+`"`),
		"same namespaced attribute under two prefixes": rawXML(func(x []byte) []byte {
			return []byte(strings.Replace(string(x), `<samlp:Response `, `<samlp:Response xmlns:a="urn:x" xmlns:b="urn:x" a:k="1" b:k="2" `, 1))
		}),
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			x := signedEncoded(t, m)
			if dec, _ := DecodeResponse(x, DefaultMaxResponseSize); !strings.Contains(string(dec), "evil") && !strings.Contains(string(dec), "2099") && !strings.Contains(string(dec), `b:k="2"`) {
				t.Fatal("the mutation did not apply")
			}
			a, err := newTestSP(t).ParseResponse(t.Context(), x, testRequestID)
			wantRefused(t, a, err, ReasonMalformed)
			if !strings.Contains(err.Error(), "appears twice") {
				t.Errorf("error %v does not say what is wrong", err)
			}
		})
	}
}

func TestParseResponse_ByteOrderMark(t *testing.T) {
	t.Parallel()
	x := encode(append([]byte("\xEF\xBB\xBF"), signedResponse(t)...))
	if _, err := newTestSP(t).ParseResponse(t.Context(), x, testRequestID); err != nil {
		t.Fatalf("a response with a UTF-8 BOM: %v", err)
	}
}

// The strict parser's own rules beyond encoding/xml: whitespace between
// attributes, the XML declaration only at the very start, attribute-value
// normalization (literal tab, LF, CR and CRLF are one space each; character
// references stay), and attribute lookups that ignore prefixed look-alikes.
func TestParseStrict_XMLRules(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		`<a x="1"y="2"/>`, `<a x='1'y="2"/>`, `<a xmlns:b="0"xmlns:c="1" b:b="" c:A=""/>`,
		`<!-- c --><?xml version="1.0"?><a/>`, `<?xml version="1.0"?><?xml version="1.0"?><a/>`, ` <?xml version="1.0"?><a/>`,
	} {
		if _, err := parseStrict([]byte(s), DefaultMaxDepth); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	for _, s := range []string{`<a x="1" y="2"/>`, "<a x=\"1\"\n\ty='2' />", `<?xml version="1.0"?><a x="1"/>`, "\xEF\xBB\xBF<?xml version=\"1.0\"?><a/>", `<a x=">"/>`} {
		if _, err := parseStrict([]byte(s), DefaultMaxDepth); err != nil {
			t.Errorf("%q refused: %v", s, err)
		}
	}
	p, err := parseStrict([]byte("<a xmlns:p=\"urn:p\" p:v=\"shadow\" v=\"x\ty\nz\r\nw\rv&#9;&#10;&#13;&amp;\" q='a\t\"b'/>"), DefaultMaxDepth)
	if err != nil {
		t.Fatal(err)
	}
	root := p.doc.Root()
	if got, want := attr(root, "v"), "x y z w v\t\n\r&"; got != want {
		t.Errorf("v = %q, want %q", got, want)
	}
	if got, want := attr(root, "q"), `a "b`; got != want {
		t.Errorf("q = %q, want %q", got, want)
	}
	if got := root.SelectAttrValue("v", ""); got != "shadow" {
		t.Errorf("etree's SelectAttrValue no longer matches prefixed attributes (%q): attr() may be simplified", got)
	}
}

// A signature refused for its key names the certificates involved by their
// SHA-256 fingerprints, so that a rotated IdP key is easy to recognise.
func TestSignatureErrorsNameFingerprints(t *testing.T) {
	t.Parallel()
	trusted, attacker := FingerprintSHA256(trustedIdP(t).cert).String(), FingerprintSHA256(attackerIdP(t).cert).String()
	sp := newTestSP(t)
	a, err := sp.ParseResponse(t.Context(), signedEncoded(t, signedBy(attackerIdP(t))), testRequestID)
	wantRefused(t, a, err, ReasonSignature)
	if want := "certificate (SHA-256 " + attacker + ") that is not a configured IdP certificate (configured: SHA-256 " + trusted + ")"; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to contain %q", err, want)
	}
	a, err = sp.ParseResponse(t.Context(), signedEncoded(t, signedBy(attackerIdP(t)), keyInfoCert(trustedIdP(t).der)), testRequestID)
	wantRefused(t, a, err, ReasonSignature)
	if want := "(tried SHA-256 " + trusted + ")"; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to contain %q", err, want)
	}
}
