package saml

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

func TestParseResponse_Valid(t *testing.T) {
	t.Parallel()
	sp := newTestSP(t)
	a, err := sp.ParseResponse(t.Context(), signedEncoded(t), testRequestID)
	if err != nil {
		t.Fatalf("ParseResponse: %v", err)
	}
	if a.ID != testAssertionID {
		t.Errorf("ID = %q, want %q", a.ID, testAssertionID)
	}
	if a.NameID != testNameID || a.NameIDFormat != NameIDFormatPersistent {
		t.Errorf("NameID = %q (%q), want %q (%q)", a.NameID, a.NameIDFormat, testNameID, NameIDFormatPersistent)
	}
	if !strings.HasPrefix(a.Issuer, testIdPIssuer+"?") {
		t.Errorf("Issuer = %q, want the IdP URL with its query", a.Issuer)
	}
	if a.InResponseTo != testRequestID {
		t.Errorf("InResponseTo = %q, want %q", a.InResponseTo, testRequestID)
	}
	if a.SessionIndex != testAssertionID {
		t.Errorf("SessionIndex = %q, want %q", a.SessionIndex, testAssertionID)
	}
	if !a.IssueInstant.Equal(testNow) {
		t.Errorf("IssueInstant = %v, want %v", a.IssueInstant, testNow)
	}
	// The earliest limit: SubjectConfirmationData (now+3m), not Conditions (now+60m).
	if want := testNow.Add(3 * time.Minute); !a.NotOnOrAfter.Equal(want) {
		t.Errorf("NotOnOrAfter = %v, want %v", a.NotOnOrAfter, want)
	}
	for name, want := range map[string][]string{
		"mno_uid":     {testNameID},
		"mno_session": {"7ahw1thqj0e8ctm4g3b6ga6kvh2xu1sd5bz3"},
		"group_name":  {"Sandbox Group & Co <3>"},
		"roles":       {"admin", "billing", "admin"}, // multi-valued, in order, duplicates kept
		"groups":      {"cld-3", "cld-4", "cld-5"},   // repeated Attribute: merged in document order
		"virtual_uid": {"usr-1.cld-3"},
	} {
		if got := a.Attributes[name]; !slices.Equal(got, want) {
			t.Errorf("Attributes[%q] = %q, want %q", name, got, want)
		}
	}
	if got, want := len(a.Attributes), 26; got != want {
		t.Errorf("%d attribute names, want %d", got, want)
	}
	if a.Attributes.Get("group_uid") != "cld-3" || a.Attributes.Get("nope") != "" {
		t.Errorf("Attributes.Get: group_uid=%q nope=%q", a.Attributes.Get("group_uid"), a.Attributes.Get("nope"))
	}
}

// Namespace and encoding variants of a genuine response: all must verify
// and read the same subject.
func TestParseResponse_Accepted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		mods []mod
		opts []Option
		enc  func([]byte) string
	}{
		{name: "Maestrano shape (default namespace on Assertion)"},
		{name: "saml prefix", mods: []mod{prefixed("saml")}},
		{name: "saml2 prefix", mods: []mod{prefixed("saml2")}},
		{name: "saml prefix declared on the Response only", mods: []mod{prefixed("saml"), nsOnResponse()}},
		{name: "default namespace declared on the Response only", mods: []mod{nsOnResponse()}},
		{name: "RSA-SHA1 as the platform signs", mods: []mod{sigMethod(dsig.RSASHA1SignatureMethod)}},
		{name: "RSA-SHA512", mods: []mod{sigMethod(dsig.RSASHA512SignatureMethod)}},
		{name: "no KeyInfo, one configured certificate", mods: []mod{withoutKeyInfo()}},
		{name: "no Destination", mods: []mod{afterSign(func(r, _ *etree.Element) { r.RemoveAttr("Destination") })}},
		{name: "no InResponseTo on the Response", mods: []mod{afterSign(func(r, _ *etree.Element) { r.RemoveAttr("InResponseTo") })}},
		{name: "Audience without trailing slash", mods: []mod{beforeSign(func(a *etree.Element) {
			findDeep(a, "Audience").SetText(strings.TrimSuffix(testAudience, "/"))
		})}},
		{name: "Audience among others", mods: []mod{beforeSign(func(a *etree.Element) {
			ar := findDeep(a, "AudienceRestriction")
			ar.InsertChildAt(0, ar.ChildElements()[0].Copy())
			ar.ChildElements()[0].SetText("https://other.example.com/")
		})}},
		{name: "NotBefore in the future within the skew", mods: []mod{beforeSign(func(a *etree.Element) {
			findDeep(a, "Conditions").CreateAttr("NotBefore", ts(testNow.Add(DefaultClockSkew)))
		})}},
		{name: "NotOnOrAfter passed within the skew", mods: []mod{beforeSign(func(a *etree.Element) {
			findDeep(a, "SubjectConfirmationData").CreateAttr("NotOnOrAfter", ts(testNow.Add(-DefaultClockSkew+time.Second)))
		})}},
		{name: "signed Response as well", mods: []mod{signResponseWith(nil)}},
		{name: "XML declaration", mods: []mod{rawXML(func(x []byte) []byte { return append([]byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"), x...) })}},
		{name: "base64 with line breaks every 60 (Ruby encode64)", enc: func(x []byte) string { return wrap(encode(x), 60, "\n") }},
		{name: "base64 with CRLF every 76 (MIME)", enc: func(x []byte) string { return wrap(encode(x), 76, "\r\n") }},
		{name: "base64 with spaces and tabs", enc: func(x []byte) string { return " " + wrap(encode(x), 64, " \t") + "\n" }},
		{name: "request among several outstanding"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mods := tc.mods
			if tc.name == "signed Response as well" {
				mods = []mod{signResponseWith(trustedIdP(t))}
			}
			x := signedResponse(t, mods...)
			enc := encode(x)
			if tc.enc != nil {
				enc = tc.enc(x)
			}
			ids := []string{testRequestID}
			if tc.name == "request among several outstanding" {
				ids = []string{"_other-1", testRequestID, "_other-2"}
			}
			a, err := newTestSP(t, tc.opts...).ParseResponse(t.Context(), enc, ids...)
			if err != nil {
				t.Fatalf("ParseResponse: %v\n%s", err, x)
			}
			if a.NameID != testNameID || a.Attributes.Get("email") != "jane@example.com" || a.InResponseTo != testRequestID {
				t.Errorf("got NameID %q email %q InResponseTo %q", a.NameID, a.Attributes.Get("email"), a.InResponseTo)
			}
		})
	}
}

func wrap(s string, n int, sep string) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + sep)
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}
