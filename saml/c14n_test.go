package saml

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

var allC14N = []string{C14N10Exclusive, C14N10ExclusiveWithComments, C14N10Inclusive, C14N10InclusiveWithComments}

// Our canonical form equals goxmldsig's for every element of a range of
// documents, under each of the four canonicalizations. (Undeclared and
// redeclared default namespaces are left to the xmlsec1 interop test:
// goxmldsig renders xmlns="" on an apex that exclusive c14n leaves bare,
// and drops or keeps an apex's default namespace against inclusive c14n.)
func TestCanonicalizeMatchesReference(t *testing.T) {
	t.Parallel()
	docs := map[string][]byte{
		"Maestrano shape":              signedResponse(t),
		"saml prefix on Response":      signedResponse(t, prefixed("saml"), nsOnResponse()),
		"default ns on Response":       signedResponse(t, nsOnResponse()),
		"saml2 prefix":                 signedResponse(t, prefixed("saml2")),
		"comments and CDATA":           signedResponse(t, withNameID("usr-1.evil"), replaceRaw(">usr-1.evil<", "><!-- c1 -->usr-1<!---->.evil<![CDATA[<&>]]><")),
		"carriage returns":             signedResponse(t, withAttrs(attribute{"a", []string{"x"}}), replaceRaw(">x<", ">line&#13;\nnext\r\n&amp;&lt;&gt;\"'<")),
		"escapes in attributes":        signedResponse(t, replaceRaw(`Consent="`, `Extra="a&amp;b&lt;c&quot;d&#9;e&#10;f&#13;g'h>" Consent="`)),
		"xsi:type per value":           signedResponse(t, prefixed("saml2"), beforeSign(func(a *etree.Element) { xsiTypes(a) })),
		"attribute order by namespace": signedResponse(t, replaceRaw("<samlp:Status>", `<samlp:Extensions xmlns:b="urn:a" xmlns:a="urn:b"><e z="1" a:y="2" b:y="3" a="4"/></samlp:Extensions><samlp:Status>`)),
		"empty elements":               signedResponse(t, replaceRaw("<samlp:Status>", `<samlp:Extensions><e/><f></f><g> </g></samlp:Extensions><samlp:Status>`)),
	}
	for name, x := range docs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, err := parseStrict(x, DefaultMaxDepth)
			if err != nil {
				t.Fatalf("parse: %v\n%s", err, x)
			}
			var els []*etree.Element
			var collect func(*etree.Element)
			collect = func(e *etree.Element) {
				els = append(els, e)
				for _, c := range e.ChildElements() {
					collect(c)
				}
			}
			collect(p.doc.Root())
			for _, alg := range allC14N {
				m, _ := c14nFor(alg)
				for _, el := range els {
					got := m.canonicalize(nil, el, nil)
					want := referenceCanonicalize(t, el, alg)
					if !bytes.Equal(got, want) {
						t.Errorf("%s of %s:\n got %s\nwant %s", alg, el.Tag, got, want)
					}
				}
			}
		})
	}
}

func xsiTypes(a *etree.Element) {
	for _, v := range a.FindElements("//AttributeValue") {
		v.CreateAttr("xmlns:xs", "http://www.w3.org/2001/XMLSchema")
		v.CreateAttr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
		v.CreateAttr("xsi:type", "xs:string")
	}
}

// Every accepted canonicalization and signature method, on the Assertion,
// the Response or both, signed in the final document: accepted.
func TestParseResponse_SignatureVariants(t *testing.T) {
	t.Parallel()
	type variant struct {
		name string
		p    inPlace
		mods []mod
	}
	var cases []variant
	for _, alg := range allC14N {
		for _, where := range []string{"assertion", "response", "both"} {
			p := inPlace{alg: alg, response: where != "assertion", noAssert: where == "response"}
			cases = append(cases, variant{name: fmt.Sprintf("%s on the %s", alg, where), p: p})
			cases = append(cases, variant{name: fmt.Sprintf("%s on the %s, saml prefix on the Response", alg, where), p: p, mods: []mod{prefixed("saml"), nsOnResponse()}})
		}
	}
	for _, m := range []string{SignatureMethodRSASHA1, SignatureMethodRSASHA256, SignatureMethodRSASHA384, SignatureMethodRSASHA512} {
		cases = append(cases, variant{name: "RSA " + m, p: inPlace{method: m}})
	}
	for _, m := range []string{SignatureMethodECDSASHA256, SignatureMethodECDSASHA384, SignatureMethodECDSASHA512} {
		cases = append(cases, variant{name: "ECDSA " + m, p: inPlace{method: m, signer: ecSigner(t)}})
		cases = append(cases, variant{name: "ECDSA on the Response " + m, p: inPlace{method: m, signer: ecSigner(t), response: true, noAssert: true}})
	}
	cases = append(cases, variant{name: "comment in NameID signed with comments", p: inPlace{alg: C14N10ExclusiveWithComments, before: func(_, a *etree.Element) {
		n := findDeep(a, "NameID")
		n.SetText("usr-")
		n.CreateComment(" part ")
		n.CreateText("1")
	}}})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := signedInPlace(t, tc.p, tc.mods...)
			s := tc.p.signer
			if s == nil {
				s = rsaSigner(t)
			}
			a, err := spFor(t, s).ParseResponse(t.Context(), encode(x), testRequestID)
			if err != nil {
				t.Fatalf("ParseResponse: %v\n%s", err, x)
			}
			if a.NameID != testNameID || a.Attributes.Get("email") != "jane@example.com" {
				t.Errorf("NameID %q email %q", a.NameID, a.Attributes.Get("email"))
			}
		})
	}
}

// The same variants, changed after signing, or signed by another key: refused.
func TestParseResponse_SignatureVariantsRefused(t *testing.T) {
	t.Parallel()
	evil := &signer{key: attackerIdP(t).key, cert: attackerIdP(t).cert, der: attackerIdP(t).der}
	changeNameID := func(_, a *etree.Element) { findDeep(a, "NameID").SetText("usr-evil") }
	addComment := func(_, a *etree.Element) { findDeep(a, "NameID").CreateComment("x") }
	addText := func(_, a *etree.Element) { findDeep(a, "NameID").CreateText(".evil") }
	cases := []struct {
		name string
		p    inPlace
		want Reason
	}{
		{"Response-signed, NameID changed", inPlace{response: true, noAssert: true, after: changeNameID}, ReasonSignature},
		{"both signed, NameID changed", inPlace{response: true, after: changeNameID}, ReasonSignature},
		{"inclusive, NameID changed", inPlace{alg: C14N10Inclusive, after: changeNameID}, ReasonSignature},
		{"with comments, text added next to a comment", inPlace{alg: C14N10ExclusiveWithComments, before: addComment, after: addText}, ReasonSignature},
		{"inclusive with comments, text added next to a comment", inPlace{alg: C14N10InclusiveWithComments, before: addComment, after: addText}, ReasonSignature},
		{"inclusive, namespace added on the Response", inPlace{alg: C14N10Inclusive, after: func(r, _ *etree.Element) { r.CreateAttr("xmlns:evil", "urn:evil") }}, ReasonSignature},
		{"Response signed by the attacker", inPlace{signer: evil, response: true, noAssert: true}, ReasonSignature},
		{"Response signed by the attacker, assertion by the IdP", inPlace{response: true, after: func(r, _ *etree.Element) {
			r.RemoveChild(firstChild(r, "Signature"))
			signInPlace(t, evil, r, C14N10Exclusive, SignatureMethodRSASHA256)
		}}, ReasonSignature},
		{"ECDSA signature, RSA method claimed", inPlace{signer: ecSigner(t), method: SignatureMethodECDSASHA256, after: func(_, a *etree.Element) {
			findDeep(a, "SignatureMethod").CreateAttr("Algorithm", SignatureMethodRSASHA256)
		}}, ReasonSignature},
		{"unsigned Response, unsigned assertion", inPlace{noAssert: true}, ReasonSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := signedInPlace(t, tc.p)
			sp := spFor(t, rsaSigner(t))
			if tc.p.signer == ecSigner(t) {
				sp = spFor(t, ecSigner(t))
			}
			a, err := sp.ParseResponse(t.Context(), encode(x), testRequestID)
			wantRefused(t, a, err, tc.want)
		})
	}
}

// A fingerprint pins the KeyInfo certificate: SHA-1 or SHA-256, any case,
// with or without colons. Without a match, or without KeyInfo, refused.
func TestParseResponse_Fingerprint(t *testing.T) {
	t.Parallel()
	good := trustedIdP(t)
	sha1fp := FingerprintSHA1(good.cert).String()
	sha256fp := strings.ToLower(strings.ReplaceAll(FingerprintSHA256(good.cert).String(), ":", ""))
	for _, tc := range []struct {
		name string
		fp   string
		mods []mod
		ok   bool
	}{
		{name: "SHA-1 as the platform publishes it", fp: sha1fp, ok: true},
		{name: "SHA-256 lower case without colons", fp: sha256fp, ok: true},
		{name: "SHA-1, attacker key and cert", fp: sha1fp, mods: []mod{signedBy(attackerIdP(t))}},
		{name: "SHA-1, attacker key with the pinned cert in KeyInfo", fp: sha1fp, mods: []mod{signedBy(attackerIdP(t)), keyInfoCert(good.der)}},
		{name: "SHA-1, no KeyInfo", fp: sha1fp, mods: []mod{withoutKeyInfo()}},
		{name: "another fingerprint", fp: FingerprintSHA256(attackerIdP(t).cert).String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fp, err := ParseFingerprint(tc.fp)
			if err != nil {
				t.Fatal(err)
			}
			sp, err := NewServiceProvider(testACS, nil, WithFingerprints(fp), WithClock(fixedClock), WithIDPIssuer(testIdPIssuer))
			if err != nil {
				t.Fatal(err)
			}
			a, err := sp.ParseResponse(t.Context(), signedEncoded(t, tc.mods...), testRequestID)
			if tc.ok {
				if err != nil || a.NameID != testNameID {
					t.Fatalf("ParseResponse: %v", err)
				}
				return
			}
			wantRefused(t, a, err, ReasonSignature)
		})
	}
}
