package saml

// One test per fault class of saml-threats.md. Every case starts from a
// response genuinely signed by the test IdP key; where a shape is refused
// that plain XML-DSig would accept, the case also checks (control) that the
// signature is cryptographically valid, so that the refusal is the
// ServiceProvider's own decision and not an RSA failure.

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// evilCopy is the attacker's unsigned assertion: a copy of the signed one
// for another user, with a new ID and without the signature.
func evilCopy(a *etree.Element, keepSig bool, id string) *etree.Element {
	e := a.Copy()
	if !keepSig {
		e.RemoveChild(firstChild(e, "Signature"))
	}
	e.CreateAttr("ID", id)
	findDeep(e, "NameID").SetText("usr-evil")
	return e
}

// swap puts repl where old is, under parent.
func swap(parent, old, repl *etree.Element) {
	i := old.Index()
	parent.RemoveChild(old)
	parent.InsertChildAt(i, repl)
}

// editSignedInfo mutates the assertion's SignedInfo after signing and signs
// the result again with the trusted key: a signature the IdP "really made".
func editSignedInfo(tb testing.TB, f func(si *etree.Element)) mod {
	return afterSign(func(_, a *etree.Element) {
		sig := firstChild(a, "Signature")
		f(firstChild(sig, "SignedInfo"))
		if err := resignSignedInfo(trustedIdP(tb), sig, crypto.SHA256); err != nil {
			tb.Fatalf("resign: %v", err)
		}
	})
}

func setAttr(tag, key, value string) mod {
	return beforeSign(func(a *etree.Element) { findDeep(a, tag).CreateAttr(key, value) })
}

func removeAttr(tag, key string) mod {
	return beforeSign(func(a *etree.Element) { findDeep(a, tag).RemoveAttr(key) })
}

func manyAttrs(format string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, format, i)
	}
	return b.String()
}

func nested(depth int) string {
	return strings.Repeat("<x>", depth) + strings.Repeat("</x>", depth)
}

type refusal struct {
	name    string
	mods    []mod
	opts    []Option
	ids     []string            // outstanding requests; nil means testRequestID
	noIDs   bool                // parse without request IDs
	enc     func([]byte) string // SAMLResponse from the signed XML; nil means base64
	want    Reason
	control bool // the assertion's signature verifies with plain goxmldsig
}

func runRefusals(t *testing.T, cases []refusal) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := signedResponse(t, tc.mods...)
			if tc.control {
				if err := cryptographicallyValid(t, x); err != nil {
					t.Fatalf("control: the mutated signature should verify with plain goxmldsig: %v\n%s", err, x)
				}
			}
			enc := encode(x)
			if tc.enc != nil {
				enc = tc.enc(x)
			}
			ids := tc.ids
			if ids == nil && !tc.noIDs {
				ids = []string{testRequestID}
			}
			a, err := newTestSP(t, tc.opts...).ParseResponse(t.Context(), enc, ids...)
			wantRefused(t, a, err, tc.want)
			if t.Failed() {
				t.Logf("document:\n%s", x)
			}
		})
	}
}

// Signature binding: the verified element must be the used element (XSW1-8).
func TestParseResponse_SignatureWrapping(t *testing.T) {
	t.Parallel()
	runRefusals(t, []refusal{
		{name: "XSW1 signed assertion moved into Extensions, unsigned in place", want: ReasonStructure, mods: []mod{afterSign(func(r, a *etree.Element) {
			evil := evilCopy(a, false, "_evil")
			swap(r, a, evil)
			ext := etree.NewElement("samlp:Extensions")
			ext.AddChild(a)
			r.InsertChildAt(firstChild(r, "Status").Index(), ext)
		})}},
		{name: "XSW2 signed assertion inside ds:Object of the evil assertion's Signature", want: ReasonStructure, mods: []mod{afterSign(func(r, a *etree.Element) {
			evil := evilCopy(a, true, "_evil")
			swap(r, a, evil)
			firstChild(evil, "Signature").CreateElement("ds:Object").AddChild(a)
		})}},
		{name: "XSW3 signed assertion as a child of the Signature itself", want: ReasonStructure, mods: []mod{afterSign(func(r, a *etree.Element) {
			evil := evilCopy(a, true, "_evil")
			swap(r, a, evil)
			firstChild(evil, "Signature").AddChild(a)
		})}},
		{name: "XSW4 signed assertion wrapped in another element", want: ReasonStructure, mods: []mod{afterSign(func(r, a *etree.Element) {
			evil := evilCopy(a, false, "_evil")
			swap(r, a, evil)
			w := r.CreateElement("Wrapper")
			w.AddChild(a)
		})}},
		{name: "XSW5 signed assertion inside the evil assertion", want: ReasonStructure, mods: []mod{afterSign(func(r, a *etree.Element) {
			evil := evilCopy(a, true, "_evil")
			swap(r, a, evil)
			evil.AddChild(a)
		})}},
		{name: "XSW6 signed assertion inside the evil Subject", want: ReasonStructure, mods: []mod{afterSign(func(r, a *etree.Element) {
			evil := evilCopy(a, false, "_evil")
			swap(r, a, evil)
			firstChild(evil, "Subject").AddChild(a)
		})}},
		{name: "XSW7 evil assertion inside the signed one (Advice)", want: ReasonStructure, mods: []mod{afterSign(func(_, a *etree.Element) {
			evil := evilCopy(a, false, "_evil")
			adv := etree.NewElement("Advice")
			adv.AddChild(evil)
			a.InsertChildAt(firstChild(a, "Conditions").Index()+1, adv)
		})}},
		{name: "XSW8 evil Subject before the signed one", want: ReasonSignature, mods: []mod{afterSign(func(_, a *etree.Element) {
			s := firstChild(a, "Subject").Copy()
			findDeep(s, "NameID").SetText("usr-evil")
			a.InsertChildAt(firstChild(a, "Subject").Index(), s)
		})}},
		{name: "two assertions, signed first", want: ReasonStructure, mods: []mod{afterSign(func(r, a *etree.Element) {
			r.AddChild(evilCopy(a, false, "_evil"))
		})}},
		{name: "two assertions, unsigned first", want: ReasonStructure, mods: []mod{afterSign(func(r, a *etree.Element) {
			r.InsertChildAt(a.Index(), evilCopy(a, false, "_evil"))
		})}},
		{name: "two assertions, both carrying the signature", want: ReasonStructure, mods: []mod{afterSign(func(r, a *etree.Element) {
			r.InsertChildAt(a.Index(), evilCopy(a, true, "_evil"))
		})}},
		{name: "evil assertion with the signature, original removed", want: ReasonSignature, mods: []mod{afterSign(func(r, a *etree.Element) {
			swap(r, a, evilCopy(a, true, "_evil"))
		})}},
		{name: "evil assertion with the original ID and signature, original removed", want: ReasonSignature, mods: []mod{afterSign(func(r, a *etree.Element) {
			swap(r, a, evilCopy(a, true, testAssertionID))
		})}},
		{name: "evil assertion with the original ID, original in Extensions", want: ReasonStructure, mods: []mod{afterSign(func(r, a *etree.Element) {
			swap(r, a, evilCopy(a, true, testAssertionID))
			ext := etree.NewElement("samlp:Extensions")
			ext.AddChild(a)
			r.InsertChildAt(firstChild(r, "Status").Index(), ext)
		})}},
		{name: "signed assertion renamed away by a namespace, evil with the signature in place", want: ReasonSignature, mods: []mod{prefixed("saml"), nsOnResponse(), afterSign(func(r, a *etree.Element) {
			swap(r, a, evilCopy(a, true, "_evil"))
			w := r.CreateElement("w")
			w.CreateAttr("xmlns:saml", "urn:evil")
			w.AddChild(a)
		})}},
		{name: "unsigned assertion", want: ReasonSignature, mods: []mod{afterSign(func(_, a *etree.Element) {
			a.RemoveChild(firstChild(a, "Signature"))
		})}},
		{name: "content added to the signed assertion", want: ReasonSignature, mods: []mod{afterSign(func(_, a *etree.Element) {
			findDeep(a, "AttributeStatement").CreateElement("Attribute").CreateAttr("Name", "group_role")
		})}},
		{name: "NameID changed after signing", want: ReasonSignature, mods: []mod{afterSign(func(_, a *etree.Element) {
			findDeep(a, "NameID").SetText("usr-evil")
		})}},
		{name: "attribute changed after signing", want: ReasonSignature, mods: []mod{replaceRaw(">Admin<", ">Super Admin<")}},
	})
}

// Reference URI, duplicate IDs, and the one accepted Signature shape.
func TestParseResponse_SignatureShape(t *testing.T) {
	t.Parallel()
	otherSig := func(tb testing.TB, target func(r *etree.Element) *etree.Element) mod {
		return afterSign(func(r, a *etree.Element) {
			el := target(r)
			s, err := signElement(trustedIdP(tb), el, dsig.RSASHA256SignatureMethod, false)
			if err != nil {
				tb.Fatal(err)
			}
			swap(a, firstChild(a, "Signature"), s)
		})
	}
	secondSig := afterSign(func(_, a *etree.Element) {
		s := firstChild(a, "Signature")
		a.InsertChildAt(s.Index()+1, s.Copy())
	})
	runRefusals(t, []refusal{
		{name: "Reference URI to the Status", want: ReasonSignature, mods: []mod{otherSig(t, func(r *etree.Element) *etree.Element {
			st := firstChild(r, "Status")
			st.CreateAttr("ID", "_status")
			return st
		})}},
		{name: "Reference URI to the Response, signature in the assertion", want: ReasonSignature, mods: []mod{otherSig(t, func(r *etree.Element) *etree.Element { return r })}},
		{name: "empty Reference URI", want: ReasonSignature, control: true, mods: []mod{editSignedInfo(t, func(si *etree.Element) {
			firstChild(si, "Reference").CreateAttr("URI", "")
		})}},
		{name: "Reference URI without #", want: ReasonSignature, mods: []mod{editSignedInfo(t, func(si *etree.Element) {
			firstChild(si, "Reference").CreateAttr("URI", testAssertionID)
		})}},
		{name: "Reference URI xpointer", want: ReasonSignature, mods: []mod{editSignedInfo(t, func(si *etree.Element) {
			firstChild(si, "Reference").CreateAttr("URI", "#xpointer(id('"+testAssertionID+"'))")
		})}},
		{name: "duplicate ID on another element", want: ReasonStructure, mods: []mod{afterSign(func(r, _ *etree.Element) {
			firstChild(r, "Status").CreateAttr("ID", testAssertionID)
		})}},
		{name: "Response ID equal to the Assertion ID", want: ReasonStructure, mods: []mod{afterSign(func(r, _ *etree.Element) {
			r.CreateAttr("ID", testAssertionID)
		})}},
		{name: "duplicate ID spelt Id", want: ReasonStructure, mods: []mod{afterSign(func(r, _ *etree.Element) {
			firstChild(r, "Status").CreateAttr("Id", testAssertionID)
		})}},
		{name: "two Signatures on the assertion", want: ReasonSignature, mods: []mod{secondSig}},
		{name: "Signature deeper inside the assertion", want: ReasonSignature, mods: []mod{afterSign(func(_, a *etree.Element) {
			findDeep(a, "SubjectConfirmationData").AddChild(firstChild(a, "Signature").Copy())
		})}},
		{name: "Signature inside Extensions of the Response", want: ReasonSignature, mods: []mod{afterSign(func(r, a *etree.Element) {
			ext := etree.NewElement("samlp:Extensions")
			ext.AddChild(firstChild(a, "Signature").Copy())
			r.InsertChildAt(firstChild(r, "Status").Index(), ext)
		})}},
		{name: "two SignedInfo", want: ReasonSignature, mods: []mod{afterSign(func(_, a *etree.Element) {
			s := firstChild(a, "Signature")
			s.InsertChildAt(0, firstChild(s, "SignedInfo").Copy())
		})}},
		{name: "two References (second to the Status)", want: ReasonSignature, control: true, mods: []mod{editSignedInfo(t, func(si *etree.Element) {
			ref := firstChild(si, "Reference").Copy()
			ref.CreateAttr("URI", "#_status")
			si.AddChild(ref)
		})}},
		{name: "two identical References", want: ReasonSignature, control: true, mods: []mod{editSignedInfo(t, func(si *etree.Element) {
			si.AddChild(firstChild(si, "Reference").Copy())
		})}},
		{name: "extra element in SignedInfo", want: ReasonSignature, control: true, mods: []mod{editSignedInfo(t, func(si *etree.Element) {
			si.CreateElement("x:Extra").CreateAttr("xmlns:x", "urn:x")
		})}},
		{name: "two KeyInfo", want: ReasonSignature, mods: []mod{afterSign(func(_, a *etree.Element) {
			s := firstChild(a, "Signature")
			s.AddChild(firstChild(s, "KeyInfo").Copy())
		})}},
		{name: "ds:Object in the Signature", want: ReasonSignature, mods: []mod{afterSign(func(_, a *etree.Element) {
			firstChild(a, "Signature").CreateElement("ds:Object").SetText("hello")
		})}},
		{name: "unknown element in the Signature", want: ReasonSignature, mods: []mod{afterSign(func(_, a *etree.Element) {
			firstChild(a, "Signature").CreateElement("ds:Manifest")
		})}},
		{name: "HMAC-SHA1 keyed with the certificate", want: ReasonSignature, mods: []mod{afterSign(func(_, a *etree.Element) {
			sig := firstChild(a, "Signature")
			si := firstChild(sig, "SignedInfo")
			firstChild(si, "SignatureMethod").CreateAttr("Algorithm", "http://www.w3.org/2000/09/xmldsig#hmac-sha1")
			nsCtx, _ := etreeutils.NSBuildParentContext(si)
			cp, _ := etreeutils.NSDetatch(nsCtx, si)
			canon, _ := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(cp)
			m := hmac.New(sha1.New, trustedIdP(t).der)
			m.Write(canon)
			firstChild(sig, "SignatureValue").SetText(base64.StdEncoding.EncodeToString(m.Sum(nil)))
		})}},
		{name: "HMAC-SHA256 SignatureMethod", want: ReasonSignature, mods: []mod{editSignedInfo(t, func(si *etree.Element) {
			firstChild(si, "SignatureMethod").CreateAttr("Algorithm", "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256")
		})}},
		{name: "unknown SignatureMethod", want: ReasonSignature, mods: []mod{editSignedInfo(t, func(si *etree.Element) {
			firstChild(si, "SignatureMethod").CreateAttr("Algorithm", "urn:evil:none")
		})}},
		{name: "RSA-SHA1 refused when only SHA-256 is configured", want: ReasonSignature,
			mods: []mod{sigMethod(dsig.RSASHA1SignatureMethod)}, opts: []Option{WithSignatureMethods(dsig.RSASHA256SignatureMethod)}},
		{name: "MD5 DigestMethod", want: ReasonSignature, mods: []mod{editSignedInfo(t, func(si *etree.Element) {
			findDeep(si, "DigestMethod").CreateAttr("Algorithm", "http://www.w3.org/2001/04/xmldsig-more#md5")
		})}},
		{name: "unknown DigestMethod", want: ReasonSignature, mods: []mod{editSignedInfo(t, func(si *etree.Element) {
			findDeep(si, "DigestMethod").CreateAttr("Algorithm", "urn:evil:digest")
		})}},
		{name: "XPath transform instead of enveloped-signature", want: ReasonSignature, mods: []mod{editSignedInfo(t, func(si *etree.Element) {
			findDeep(si, "Transform").CreateAttr("Algorithm", "http://www.w3.org/TR/1999/REC-xpath-19991116")
		})}},
		{name: "a third (XSLT) transform", want: ReasonSignature, mods: []mod{editSignedInfo(t, func(si *etree.Element) {
			findDeep(si, "Transforms").CreateElement("ds:Transform").CreateAttr("Algorithm", "http://www.w3.org/TR/1999/REC-xslt-19991116")
		})}},
		{name: "only the c14n transform", want: ReasonSignature, mods: []mod{editSignedInfo(t, func(si *etree.Element) {
			trs := findDeep(si, "Transforms")
			trs.RemoveChild(trs.ChildElements()[0])
		})}},
		{name: "inclusive c14n 1.1 transform", want: ReasonSignature, mods: []mod{editSignedInfo(t, func(si *etree.Element) {
			findDeep(si, "Transforms").ChildElements()[1].CreateAttr("Algorithm", string(dsig.CanonicalXML11AlgorithmId))
		})}},
		{name: "missing SignatureValue", want: ReasonSignature, mods: []mod{afterSign(func(_, a *etree.Element) {
			s := firstChild(a, "Signature")
			s.RemoveChild(firstChild(s, "SignatureValue"))
		})}},
		{name: "empty SignatureValue", want: ReasonSignature, mods: []mod{afterSign(func(_, a *etree.Element) {
			findDeep(a, "SignatureValue").SetText("")
		})}},
		{name: "SignatureValue not base64", want: ReasonSignature, mods: []mod{afterSign(func(_, a *etree.Element) {
			findDeep(a, "SignatureValue").SetText("***")
		})}},
		{name: "missing SignedInfo", want: ReasonSignature, mods: []mod{afterSign(func(_, a *etree.Element) {
			s := firstChild(a, "Signature")
			s.RemoveChild(firstChild(s, "SignedInfo"))
		})}},
		{name: "missing DigestValue", want: ReasonSignature, mods: []mod{afterSign(func(_, a *etree.Element) {
			r := findDeep(a, "Reference")
			r.RemoveChild(firstChild(r, "DigestValue"))
		})}},
		{name: "assertion without ID", want: ReasonSignature, mods: []mod{afterSign(func(_, a *etree.Element) { a.RemoveAttr("ID") })}},
	})
}

// Trust anchor: only the configured certificate, never one from KeyInfo.
func TestParseResponse_TrustAnchor(t *testing.T) {
	t.Parallel()
	evil := attackerIdP(t)
	good := trustedIdP(t)
	runRefusals(t, []refusal{
		{name: "attacker key, attacker cert in KeyInfo", want: ReasonSignature, mods: []mod{signedBy(evil)}},
		{name: "attacker key, no KeyInfo", want: ReasonSignature, mods: []mod{signedBy(evil), withoutKeyInfo()}},
		{name: "attacker key, trusted cert in KeyInfo", want: ReasonSignature, mods: []mod{signedBy(evil), keyInfoCert(good.der)}},
		{name: "trusted key, attacker cert in KeyInfo", want: ReasonSignature, mods: []mod{keyInfoCert(evil.der)}},
		{name: "garbage in KeyInfo", want: ReasonSignature, mods: []mod{afterSign(func(_, a *etree.Element) { findDeep(a, "X509Certificate").SetText("AAAA") })}},
		{name: "signed Response by the attacker", want: ReasonSignature, mods: []mod{signResponseWith(evil)}},
		{name: "Response signature broken", want: ReasonSignature, mods: []mod{signResponseWith(good), afterSign(func(r, _ *etree.Element) {
			r.CreateAttr("Consent", "urn:evil")
		})}},
		{name: "configured certificate expired at the clock", want: ReasonSignature,
			mods: []mod{issuedAt(good.cert.NotAfter.Add(time.Hour))},
			opts: []Option{WithClock(func() time.Time { return good.cert.NotAfter.Add(time.Hour) })}},
	})
}

// DOCTYPE, entities, extra roots, malformed input: reject, never panic.
func TestParseResponse_Malformed(t *testing.T) {
	t.Parallel()
	asRoot := func(x []byte) string {
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(x); err != nil {
			panic(err)
		}
		a := findDeep(doc.Root(), "Assertion")
		d := etree.NewDocument()
		d.SetRoot(a)
		out, _ := d.WriteToBytes()
		return encode(out)
	}
	cut := func(f func(x []byte) []byte) func([]byte) string {
		return func(x []byte) string { return encode(f(x)) }
	}
	const laughs = `<!DOCTYPE r [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>`
	runRefusals(t, []refusal{
		{name: "second root element", want: ReasonMalformed, mods: []mod{rawXML(func(x []byte) []byte {
			return append(x, []byte(`<samlp:Response xmlns:samlp="`+NSProtocol+`"/>`)...)
		})}},
		{name: "second root: the signed document twice", want: ReasonMalformed, mods: []mod{rawXML(func(x []byte) []byte {
			return append(append([]byte{}, x...), x...)
		})}},
		{name: "text after the root", want: ReasonMalformed, mods: []mod{rawXML(func(x []byte) []byte { return append(x, "trailing"...) })}},
		{name: "DOCTYPE with an internal entity in NameID", want: ReasonMalformed, mods: []mod{
			replaceRaw(">usr-1<", ">&e;<"),
			rawXML(func(x []byte) []byte { return append([]byte(`<!DOCTYPE r [<!ENTITY e "usr-evil">]>`), x...) }),
		}},
		{name: "billion laughs", want: ReasonMalformed, mods: []mod{
			replaceRaw(">usr-1<", ">&c;<"),
			rawXML(func(x []byte) []byte { return append([]byte(laughs), x...) }),
		}},
		{name: "external entity", want: ReasonMalformed, mods: []mod{
			replaceRaw(">usr-1<", ">&x;<"),
			rawXML(func(x []byte) []byte {
				return append([]byte(`<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>`), x...)
			}),
		}},
		{name: "bare DOCTYPE", want: ReasonMalformed, mods: []mod{rawXML(func(x []byte) []byte { return append([]byte(`<!DOCTYPE samlp:Response>`), x...) })}},
		{name: "undeclared entity without DOCTYPE", want: ReasonMalformed, mods: []mod{replaceRaw(">usr-1<", ">&e;<")}},
		{name: "processing instruction", want: ReasonMalformed, mods: []mod{replaceRaw("<samlp:Status>", "<?evil x?><samlp:Status>")}},
		{name: "non-UTF-8 encoding", want: ReasonMalformed, mods: []mod{rawXML(func(x []byte) []byte {
			return append([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`), x...)
		})}},
		{name: "mismatched tags", want: ReasonMalformed, mods: []mod{replaceRaw("</Subject>", "</Subjekt>")}},
		{name: "unclosed attribute quote", want: ReasonMalformed, mods: []mod{replaceRaw(`Version="2.0"`, `Version="2.0`)}},
		{name: "truncated XML", want: ReasonMalformed, enc: cut(func(x []byte) []byte { return x[:len(x)/2] })},
		{name: "truncated by one byte", want: ReasonMalformed, enc: cut(func(x []byte) []byte { return x[:len(x)-1] })},
		{name: "truncated base64", want: ReasonMalformed, enc: func(x []byte) string { e := encode(x); return e[:len(e)-3] }},
		{name: "not base64", want: ReasonMalformed, enc: func([]byte) string { return "<samlp:Response/>" }},
		{name: "URL-safe base64", want: ReasonMalformed, enc: func(x []byte) string { return base64.URLEncoding.EncodeToString(x) + "-_" }},
		{name: "empty input", want: ReasonMalformed, enc: func([]byte) string { return "" }},
		{name: "only whitespace", want: ReasonMalformed, enc: func([]byte) string { return " \r\n\t " }},
		{name: "base64 of nothing but an XML declaration", want: ReasonMalformed, enc: func([]byte) string { return encode([]byte(`<?xml version="1.0"?>`)) }},
		{name: "base64 of a comment only", want: ReasonMalformed, enc: func([]byte) string { return encode([]byte(`<!-- -->`)) }},
		{name: "base64 of plain text", want: ReasonMalformed, enc: func([]byte) string { return encode([]byte("hello")) }},
		{name: "NUL byte", want: ReasonMalformed, mods: []mod{replaceRaw(">usr-1<", ">usr-1\x00<")}},
		{name: "assertion as the document root", want: ReasonStructure, enc: asRoot},
		{name: "Response in another namespace", want: ReasonStructure, mods: []mod{replaceRaw(`xmlns:samlp="`+NSProtocol+`"`, `xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol"`)}},
		{name: "no assertion", want: ReasonStructure, mods: []mod{afterSign(func(r, a *etree.Element) { r.RemoveChild(a) })}},
		{name: "encrypted assertion", want: ReasonStructure, mods: []mod{afterSign(func(r, a *etree.Element) {
			r.CreateElement("EncryptedAssertion").CreateAttr("xmlns", NSAssertion)
		})}},
		{name: "Attribute without Name", want: ReasonStructure, mods: []mod{beforeSign(func(a *etree.Element) {
			findDeep(a, "AttributeStatement").CreateElement("Attribute")
		})}},
		{name: "IssueInstant not a dateTime", want: ReasonMalformed, mods: []mod{beforeSign(func(a *etree.Element) { a.CreateAttr("IssueInstant", "yesterday") })}},
		{name: "NotOnOrAfter not a dateTime", want: ReasonMalformed, mods: []mod{setAttr("SubjectConfirmationData", "NotOnOrAfter", "2026-03-01 12:03")}},
		{name: "no IssueInstant", want: ReasonStructure, mods: []mod{beforeSign(func(a *etree.Element) { a.RemoveAttr("IssueInstant") })}},
	})
}

// Time windows, with the fixed clock and the configured skew.
func TestParseResponse_Time(t *testing.T) {
	t.Parallel()
	noSkew := []Option{WithClockSkew(0)}
	runRefusals(t, []refusal{
		{name: "Conditions NotOnOrAfter == now (no skew)", want: ReasonExpired, opts: noSkew, mods: []mod{setAttr("Conditions", "NotOnOrAfter", ts(testNow))}},
		{name: "SubjectConfirmationData NotOnOrAfter == now (no skew)", want: ReasonExpired, opts: noSkew, mods: []mod{setAttr("SubjectConfirmationData", "NotOnOrAfter", ts(testNow))}},
		{name: "NotOnOrAfter + skew == now", want: ReasonExpired, mods: []mod{setAttr("SubjectConfirmationData", "NotOnOrAfter", ts(testNow.Add(-DefaultClockSkew)))}},
		{name: "Conditions NotOnOrAfter long passed", want: ReasonExpired, mods: []mod{setAttr("Conditions", "NotOnOrAfter", ts(testNow.Add(-time.Hour)))}},
		{name: "SessionNotOnOrAfter passed", want: ReasonExpired, mods: []mod{setAttr("AuthnStatement", "SessionNotOnOrAfter", ts(testNow.Add(-time.Hour)))}},
		{name: "NotBefore in the future", want: ReasonNotYetValid, mods: []mod{setAttr("Conditions", "NotBefore", ts(testNow.Add(10*time.Minute)))}},
		{name: "NotBefore just beyond the skew", want: ReasonNotYetValid, mods: []mod{setAttr("Conditions", "NotBefore", ts(testNow.Add(DefaultClockSkew+time.Second)))}},
		{name: "NotBefore in the future (no skew)", want: ReasonNotYetValid, opts: noSkew, mods: []mod{setAttr("Conditions", "NotBefore", ts(testNow.Add(time.Second)))}},
		{name: "SubjectConfirmationData NotBefore in the future", want: ReasonNotYetValid, mods: []mod{setAttr("SubjectConfirmationData", "NotBefore", ts(testNow.Add(10*time.Minute)))}},
		{name: "IssueInstant in the future", want: ReasonNotYetValid, mods: []mod{beforeSign(func(a *etree.Element) { a.CreateAttr("IssueInstant", ts(testNow.Add(time.Hour))) })}},
		{name: "no expiry anywhere", want: ReasonExpired, mods: []mod{removeAttr("SubjectConfirmationData", "NotOnOrAfter"), removeAttr("Conditions", "NotOnOrAfter")}},
		{name: "bearer confirmation without NotOnOrAfter", want: ReasonExpired, mods: []mod{removeAttr("SubjectConfirmationData", "NotOnOrAfter")}},
		{name: "whole response from yesterday", want: ReasonExpired, mods: []mod{issuedAt(testNow.Add(-24 * time.Hour))}},
	})
}

// Protocol checks: Audience, Destination, Recipient, InResponseTo, Status, Issuer.
func TestParseResponse_Protocol(t *testing.T) {
	t.Parallel()
	runRefusals(t, []refusal{
		{name: "wrong Audience", want: ReasonAudience, mods: []mod{beforeSign(func(a *etree.Element) { findDeep(a, "Audience").SetText("https://evil.example.com/") })}},
		{name: "Audience of another path prefix", want: ReasonAudience, mods: []mod{beforeSign(func(a *etree.Element) { findDeep(a, "Audience").SetText("https://app.example.com.evil.com/") })}},
		{name: "empty Audience", want: ReasonAudience, mods: []mod{beforeSign(func(a *etree.Element) { findDeep(a, "Audience").SetText("") })}},
		{name: "no AudienceRestriction", want: ReasonAudience, mods: []mod{beforeSign(func(a *etree.Element) {
			c := findDeep(a, "Conditions")
			c.RemoveChild(firstChild(c, "AudienceRestriction"))
		})}},
		{name: "a second AudienceRestriction for someone else", want: ReasonAudience, mods: []mod{beforeSign(func(a *etree.Element) {
			c := findDeep(a, "Conditions")
			ar := firstChild(c, "AudienceRestriction").Copy()
			findDeep(ar, "Audience").SetText("https://evil.example.com/")
			c.AddChild(ar)
		})}},
		{name: "no Conditions", want: ReasonAudience, mods: []mod{beforeSign(func(a *etree.Element) { a.RemoveChild(firstChild(a, "Conditions")) })}},
		{name: "wrong Destination", want: ReasonDestination, mods: []mod{afterSign(func(r, _ *etree.Element) { r.CreateAttr("Destination", "https://evil.example.com/acs") })}},
		{name: "Destination with another path", want: ReasonDestination, mods: []mod{afterSign(func(r, _ *etree.Element) { r.CreateAttr("Destination", testACS+"/x") })}},
		{name: "wrong Recipient", want: ReasonRecipient, mods: []mod{setAttr("SubjectConfirmationData", "Recipient", "https://evil.example.com/acs")}},
		{name: "no Recipient", want: ReasonRecipient, mods: []mod{removeAttr("SubjectConfirmationData", "Recipient")}},
		{name: "wrong InResponseTo in the assertion", want: ReasonInResponseTo, mods: []mod{setAttr("SubjectConfirmationData", "InResponseTo", "_other")}},
		{name: "no InResponseTo in the assertion, request outstanding", want: ReasonInResponseTo, mods: []mod{removeAttr("SubjectConfirmationData", "InResponseTo")}},
		{name: "wrong InResponseTo on the Response", want: ReasonInResponseTo, mods: []mod{afterSign(func(r, _ *etree.Element) { r.CreateAttr("InResponseTo", "_other") })}},
		{name: "request ID of another session", want: ReasonInResponseTo, ids: []string{"_another-session"}},
		{name: "empty request ID", want: ReasonInResponseTo, ids: []string{""}, mods: []mod{inResponseTo("")}},
		{name: "unsolicited, not enabled", want: ReasonInResponseTo, noIDs: true, mods: []mod{inResponseTo("")}},
		{name: "solicited response parsed without request IDs", want: ReasonInResponseTo, noIDs: true},
		{name: "StatusCode Responder", want: ReasonStatus, mods: []mod{afterSign(func(r, _ *etree.Element) {
			st := firstChild(r, "Status")
			firstChild(st, "StatusCode").CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Responder")
			st.CreateElement("samlp:StatusMessage").SetText("Access Denied")
		})}},
		{name: "Success nested under a failed StatusCode", want: ReasonStatus, mods: []mod{afterSign(func(r, _ *etree.Element) {
			sc := findDeep(r, "StatusCode")
			sc.CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Requester")
			sc.CreateElement("samlp:StatusCode").CreateAttr("Value", StatusSuccess)
		})}},
		{name: "no Status", want: ReasonStatus, mods: []mod{afterSign(func(r, _ *etree.Element) { r.RemoveChild(firstChild(r, "Status")) })}},
		{name: "two Status", want: ReasonStatus, mods: []mod{afterSign(func(r, _ *etree.Element) {
			st := firstChild(r, "Status")
			r.InsertChildAt(st.Index(), st.Copy())
		})}},
		{name: "wrong Issuer in the assertion", want: ReasonIssuer, mods: []mod{beforeSign(func(a *etree.Element) { firstChild(a, "Issuer").SetText("https://evil.example.com/api/v1/auth/saml") })}},
		{name: "Issuer with the IdP as a prefix only", want: ReasonIssuer, mods: []mod{beforeSign(func(a *etree.Element) { firstChild(a, "Issuer").SetText(testIdPIssuer + "x") })}},
		{name: "no Issuer in the assertion", want: ReasonIssuer, mods: []mod{beforeSign(func(a *etree.Element) { a.RemoveChild(firstChild(a, "Issuer")) })}},
		{name: "holder-of-key confirmation only", want: ReasonSubject, mods: []mod{setAttr("SubjectConfirmation", "Method", "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key")}},
		{name: "empty NameID", want: ReasonSubject, mods: []mod{beforeSign(func(a *etree.Element) { findDeep(a, "NameID").SetText("  ") })}},
		{name: "no Subject", want: ReasonSubject, mods: []mod{beforeSign(func(a *etree.Element) { a.RemoveChild(firstChild(a, "Subject")) })}},
	})
}

// Size limits.
func TestParseResponse_Limits(t *testing.T) {
	t.Parallel()
	runRefusals(t, []refusal{
		{name: "SAMLResponse over the configured limit", want: ReasonTooLarge, opts: []Option{WithMaxResponseSize(4096)}},
		{name: "SAMLResponse over the default limit", want: ReasonTooLarge, enc: func(x []byte) string {
			return encode(x) + strings.Repeat("A", DefaultMaxResponseSize)
		}},
		{name: "200-deep nesting in Extensions", want: ReasonTooLarge, mods: []mod{replaceRaw("<samlp:Status>", "<samlp:Extensions>"+nested(200)+"</samlp:Extensions><samlp:Status>")}},
		{name: "200-deep nesting in an AttributeValue", want: ReasonTooLarge, mods: []mod{replaceRaw(">Admin<", ">"+nested(200)+"<")}},
		// Each namespace lookup scans the attributes of every ancestor: 4000
		// declarations over 4000 unsigned elements cost ~0.25 s (quadratic;
		// minutes at the size limit) before the signature is even looked at.
		{name: "thousands of namespace declarations over thousands of elements", want: ReasonTooLarge, mods: []mod{
			replaceRaw("<samlp:Response ", "<samlp:Response"+manyAttrs(" xmlns:p%d=\"urn:p\"", 4000)+" "),
			replaceRaw("<samlp:Status>", "<samlp:Extensions>"+strings.Repeat("<a/>", 4000)+"</samlp:Extensions><samlp:Status>"),
		}},
		{name: "namespace declarations over elements in the assertion", want: ReasonTooLarge, mods: []mod{
			replaceRaw("<samlp:Response ", "<samlp:Response"+manyAttrs(" xmlns:p%d=\"urn:p\"", 4000)+" "),
			replaceRaw("<AuthnStatement", "<x>"+strings.Repeat("<a/>", 900)+"</x><AuthnStatement"),
		}},
		{name: "an element with 200 attributes", want: ReasonTooLarge, mods: []mod{replaceRaw("<samlp:Status>", "<samlp:Status"+manyAttrs(" a%d=\"\"", 200)+">")}},
		{name: "more than 100000 elements", want: ReasonTooLarge, mods: []mod{replaceRaw("<samlp:Status>", "<samlp:Extensions>"+strings.Repeat("<a/>", maxElements+1)+"</samlp:Extensions><samlp:Status>")}},
	})
}

// A comment inside signed text must not truncate it (CVE-2017-11427 and
// kin): the value is the whole text with the comment removed.
func TestParseResponse_CommentInSignedText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		mods        []mod
		nameID, att string
	}{
		{name: "NameID", mods: []mod{withNameID("usr-1.evil"), replaceRaw(">usr-1.evil<", ">usr-1<!---->.evil<")},
			nameID: "usr-1.evil", att: "jane@example.com"},
		{name: "NameID, comment with text", mods: []mod{withNameID("usr-1.evil"), replaceRaw(">usr-1.evil<", ">usr-1<!-- x -->.evil<")},
			nameID: "usr-1.evil", att: "jane@example.com"},
		{name: "NameID, two comments", mods: []mod{withNameID("usr-1.evil"), replaceRaw(">usr-1.evil<", "><!---->usr-1<!---->.evil<!----><")},
			nameID: "usr-1.evil", att: "jane@example.com"},
		{name: "attribute", mods: []mod{replaceRaw(">jane@example.com.evil.com<", ">jane@example.com<!---->.evil.com<"), beforeSign(func(a *etree.Element) {
			for _, v := range a.FindElements("//AttributeValue") {
				if v.Text() == "jane@example.com" {
					v.SetText("jane@example.com.evil.com")
				}
			}
		})}, nameID: testNameID, att: "jane@example.com.evil.com"},
		{name: "CDATA section in NameID", mods: []mod{withNameID("usr-1.evil"), replaceRaw(">usr-1.evil<", ">usr-1<![CDATA[.evil]]><")},
			nameID: "usr-1.evil", att: "jane@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := signedResponse(t, tc.mods...)
			a, err := newTestSP(t).ParseResponse(t.Context(), encode(x), testRequestID)
			if err != nil {
				t.Fatalf("ParseResponse: %v\n%s", err, x)
			}
			if a.NameID != tc.nameID {
				t.Errorf("NameID = %q, want %q", a.NameID, tc.nameID)
			}
			if got := a.Attributes.Get("email"); got != tc.att {
				t.Errorf("email = %q, want %q", got, tc.att)
			}
		})
	}
}

// Carriage returns in signed text still verify, and the value is kept.
func TestParseResponse_CarriageReturns(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		signed string // the value the IdP signs
		wire   string // how it appears in the document
		want   string // what the SP must read
	}{
		{name: "&#13; before LF", signed: "line one\r\nline two", wire: "line one&#13;\nline two", want: "line one\r\nline two"},
		{name: "&#xD; alone", signed: "a\rb", wire: "a&#xD;b", want: "a\rb"},
		{name: "literal CRLF normalised to LF", signed: "line one\nline two", wire: "line one\r\nline two", want: "line one\nline two"},
		{name: "literal CR normalised to LF", signed: "a\nb", wire: "a\rb", want: "a\nb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := signedResponse(t,
				withAttrs(attribute{"company_name", []string{tc.signed}}, attribute{"email", []string{"jane@example.com"}}),
				rawXML(func(x []byte) []byte {
					// etree writes \r raw; put the wire form in place.
					return []byte(strings.Replace(string(x), ">"+tc.signed+"<", ">"+tc.wire+"<", 1))
				}))
			if !strings.Contains(string(x), tc.wire) {
				t.Fatalf("wire form %q not in document", tc.wire)
			}
			a, err := newTestSP(t).ParseResponse(t.Context(), encode(x), testRequestID)
			if err != nil {
				t.Fatalf("ParseResponse: %v", err)
			}
			if got := a.Attributes.Get("company_name"); got != tc.want {
				t.Errorf("company_name = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseResponse_Unsolicited(t *testing.T) {
	t.Parallel()
	x := signedEncoded(t, inResponseTo(""))
	sp := newTestSP(t, WithUnsolicitedResponses())
	a, err := sp.ParseResponse(t.Context(), x)
	if err != nil {
		t.Fatalf("ParseResponse: %v", err)
	}
	if a.NameID != testNameID || a.InResponseTo != "" {
		t.Errorf("got NameID %q InResponseTo %q", a.NameID, a.InResponseTo)
	}
	// With a request outstanding, the unsolicited response is still refused.
	a, err = newTestSP(t, WithUnsolicitedResponses()).ParseResponse(t.Context(), x, testRequestID)
	wantRefused(t, a, err, ReasonInResponseTo)
}

func TestParseResponse_Replay(t *testing.T) {
	t.Parallel()
	x := signedEncoded(t)
	sp := newTestSP(t)
	if _, err := sp.ParseResponse(t.Context(), x, testRequestID); err != nil {
		t.Fatalf("first ParseResponse: %v", err)
	}
	a, err := sp.ParseResponse(t.Context(), x, testRequestID)
	wantRefused(t, a, err, ReasonReplay)

	// The same assertion re-wrapped (new Response ID, other line breaks) is
	// still the same assertion.
	y := wrap(encode(signedResponse(t, afterSign(func(r, _ *etree.Element) { r.CreateAttr("ID", "_resp-other") }))), 60, "\n")
	a, err = sp.ParseResponse(t.Context(), y, testRequestID)
	wantRefused(t, a, err, ReasonReplay)

	// A shared cache sees the replay across service providers (app instances).
	cache := NewMemoryReplayCache(0, fixedClock)
	sp1, sp2 := newTestSP(t, WithReplayCache(cache)), newTestSP(t, WithReplayCache(cache))
	if _, err := sp1.ParseResponse(t.Context(), x, testRequestID); err != nil {
		t.Fatalf("instance 1: %v", err)
	}
	a, err = sp2.ParseResponse(t.Context(), x, testRequestID)
	wantRefused(t, a, err, ReasonReplay)
}

// A legitimate ~50 KB assertion (hundreds of attributes) verifies, also
// when every value declares its own namespaces (as Okta and ADFS write
// xsi:type="xs:string"), and in time linear in its size.
func TestParseResponse_LargeAssertion(t *testing.T) {
	t.Parallel()
	t.Run("per-value namespace declarations", func(t *testing.T) {
		t.Parallel()
		x := signedResponse(t, withAttrs(fillerAttributes(300)...), prefixed("saml2"), beforeSign(func(a *etree.Element) {
			for _, v := range a.FindElements("//AttributeValue") {
				v.CreateAttr("xmlns:xs", "http://www.w3.org/2001/XMLSchema")
				v.CreateAttr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
				v.CreateAttr("xsi:type", "xs:string")
			}
			for _, at := range a.FindElements("//Attribute") {
				at.CreateAttr("NameFormat", "urn:oasis:names:tc:SAML:2.0:attrname-format:basic")
				at.CreateAttr("FriendlyName", at.SelectAttrValue("Name", ""))
			}
		}))
		if len(x) < 50_000 {
			t.Fatalf("document is %d bytes, want at least 50 KB", len(x))
		}
		a, err := newTestSP(t).ParseResponse(t.Context(), encode(x), testRequestID)
		if err != nil {
			t.Fatalf("ParseResponse: %v", err)
		}
		if got := a.Attributes.Get("extra_attribute_0299"); got != "value 0299 of a large but legitimate assertion" {
			t.Errorf("last attribute = %q", got)
		}
	})
	x := signedResponse(t, withAttrs(fillerAttributes(600)...))
	if len(x) < 50_000 {
		t.Fatalf("document is %d bytes, want at least 50 KB", len(x))
	}
	a, err := newTestSP(t).ParseResponse(t.Context(), wrap(encode(x), 60, "\n"), testRequestID)
	if err != nil {
		t.Fatalf("ParseResponse: %v", err)
	}
	if got := len(a.Attributes); got != 26+600 {
		t.Errorf("%d attributes, want %d", got, 26+600)
	}
	if got, want := a.Attributes.Get("extra_attribute_0599"), fmt.Sprintf("value %04d of a large but legitimate assertion", 599); got != want {
		t.Errorf("last attribute = %q, want %q", got, want)
	}
}

// Several configured certificates (rotation): a response signed with any of
// them verifies, with or without KeyInfo; the attacker's key still fails.
func TestParseResponse_CertificateRotation(t *testing.T) {
	t.Parallel()
	next, err := newKeyPair("idp.example.com")
	if err != nil {
		t.Fatal(err)
	}
	certs := []*x509.Certificate{next.cert, trustedIdP(t).cert}
	for _, tc := range []struct {
		name string
		mods []mod
		ok   bool
	}{
		{name: "old key, KeyInfo", ok: true},
		{name: "old key, no KeyInfo", mods: []mod{withoutKeyInfo()}, ok: true},
		{name: "new key, KeyInfo", mods: []mod{signedBy(next)}, ok: true},
		{name: "new key, no KeyInfo", mods: []mod{signedBy(next), withoutKeyInfo()}, ok: true},
		{name: "attacker, KeyInfo", mods: []mod{signedBy(attackerIdP(t))}},
		{name: "attacker, no KeyInfo", mods: []mod{signedBy(attackerIdP(t)), withoutKeyInfo()}},
		{name: "attacker, trusted cert in KeyInfo", mods: []mod{signedBy(attackerIdP(t)), keyInfoCert(next.der)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sp, err := NewServiceProvider(testACS, certs, WithClock(fixedClock), WithIDPIssuer(testIdPIssuer))
			if err != nil {
				t.Fatal(err)
			}
			a, err := sp.ParseResponse(t.Context(), signedEncoded(t, tc.mods...), testRequestID)
			if tc.ok {
				if err != nil {
					t.Fatalf("ParseResponse: %v", err)
				}
				if a.NameID != testNameID {
					t.Errorf("NameID = %q", a.NameID)
				}
				return
			}
			wantRefused(t, a, err, ReasonSignature)
		})
	}
}

// alwaysFresh is a ReplayCache that never remembers (repeated timing runs).
type alwaysFresh struct{}

func (alwaysFresh) Consume(context.Context, string, time.Time) (bool, error) { return true, nil }

// TestParseResponse_LinearWork checks that verification work grows linearly
// with the number of attributes. It is not parallel: AllocsPerRun counts the
// allocations of the whole process.
func TestParseResponse_LinearWork(t *testing.T) {
	// Work is measured by allocations, which do not depend on the
	// machine's load (timings belong in benchmarks: see bench/).
	sp := newTestSP(t, WithReplayCache(alwaysFresh{}))
	cost := func(n int) float64 {
		enc := encode(signedResponse(t, withAttrs(fillerAttributes(n)...)))
		return testing.AllocsPerRun(3, func() {
			if _, err := sp.ParseResponse(t.Context(), enc, testRequestID); err != nil {
				t.Fatalf("%d attributes: %v", n, err)
			}
		})
	}
	small, big := cost(200), cost(1600)
	// 8x the attributes: linear is about 8x; quadratic would be 64x.
	if ratio := big / small; ratio > 12 {
		t.Errorf("1600 attributes make %.0f allocations, 200 make %.0f: ratio %.1f, want about 8 (linear)", big, small, ratio)
	}
}
