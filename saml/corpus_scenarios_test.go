package saml

// The corpus scenarios, one class per block, covering every bullet of
// saml-threats.md. See corpus_test.go for the format.

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

func corpusScenarios(tb testing.TB) []scenario {
	k := corpusKeysFor(tb)
	rsaS := &signer{key: k.rsa.key, cert: k.rsa.cert, der: k.rsa.der}
	by := signedBy(k.rsa)
	doc := func(mods ...mod) func() []byte {
		return func() []byte { return signedResponse(tb, append([]mod{by}, mods...)...) }
	}
	inplace := func(p inPlace, mods ...mod) func() []byte {
		return func() []byte {
			if p.signer == nil {
				p.signer = rsaS
			}
			return signedInPlace(tb, p, mods...)
		}
	}
	form := func(f func([]byte) string, mods ...mod) func() string {
		return func() string { return f(doc(mods...)()) }
	}
	// resign edits the assertion's SignedInfo after signing and signs it
	// again with the IdP key: a shape the IdP "really signed".
	resign := func(f func(si *etree.Element)) mod {
		return afterSign(func(_, a *etree.Element) {
			sig := firstChild(a, "Signature")
			f(firstChild(sig, "SignedInfo"))
			if err := resignSignedInfo(k.rsa, sig, crypto.SHA256); err != nil {
				tb.Fatalf("resign: %v", err)
			}
		})
	}
	ec := func(e *expectation) { e.Certificates = []string{"ec-cert.pem"} }
	noSkew := func(e *expectation) { e.Skew = "0s" }
	values := func(f func(e *expectation)) func(*expectation) { return f }
	attrs := func(as ...attribute) func(*expectation) {
		return func(e *expectation) { e.Attributes = attrMap(as) }
	}

	var out []scenario
	ok := func(path, desc string, x func() []byte, set ...func(*expectation)) {
		out = append(out, scenario{path: path, desc: desc, xml: x, valid: true, set: chain(set)})
	}
	no := func(path string, r Reason, desc string, x func() []byte, set ...func(*expectation)) {
		out = append(out, scenario{path: path, desc: desc, xml: x, reason: r, set: chain(set)})
	}
	okForm := func(path, desc string, f func() string, set ...func(*expectation)) {
		out = append(out, scenario{path: path, desc: desc, form: f, valid: true, set: chain(set)})
	}
	noForm := func(path string, r Reason, desc string, f func() string, set ...func(*expectation)) {
		out = append(out, scenario{path: path, desc: desc, form: f, reason: r, set: chain(set)})
	}

	// Valid baselines: every signature variant.
	ok("baseline/maestrano", "the platform's shape: assertion signed by goxmldsig, exclusive c14n, RSA-SHA256, KeyInfo", doc())
	for _, v := range []struct{ name, alg string }{
		{"exc", C14N10Exclusive}, {"exc-comments", C14N10ExclusiveWithComments},
		{"inc", C14N10Inclusive}, {"inc-comments", C14N10InclusiveWithComments},
	} {
		ok("baseline/assertion-"+v.name, "assertion signed in place, "+v.alg, inplace(inPlace{alg: v.alg}))
		ok("baseline/response-"+v.name, "Response signed, assertion not, "+v.alg, inplace(inPlace{alg: v.alg, response: true, noAssert: true}))
		ok("baseline/both-"+v.name, "assertion and Response signed, "+v.alg, inplace(inPlace{alg: v.alg, response: true}))
	}
	ok("baseline/rsa-sha1", "RSA-SHA1 (the platform's default)", inplace(inPlace{method: SignatureMethodRSASHA1}))
	ok("baseline/rsa-sha384", "RSA-SHA384", inplace(inPlace{method: SignatureMethodRSASHA384}))
	ok("baseline/rsa-sha512", "RSA-SHA512", inplace(inPlace{method: SignatureMethodRSASHA512}))
	ok("baseline/ecdsa-sha256", "ECDSA P-256 SHA-256 on the assertion", inplace(inPlace{signer: k.ec, method: SignatureMethodECDSASHA256}), ec)
	ok("baseline/ecdsa-sha384", "ECDSA P-256 SHA-384", inplace(inPlace{signer: k.ec, method: SignatureMethodECDSASHA384}), ec)
	ok("baseline/ecdsa-sha512-response", "ECDSA SHA-512 on the Response, inclusive c14n", inplace(inPlace{signer: k.ec, method: SignatureMethodECDSASHA512, alg: C14N10Inclusive, response: true, noAssert: true}), ec)
	ok("baseline/goxmldsig-both", "assertion and Response signed by goxmldsig", doc(signResponseWith(k.rsa)))
	ok("baseline/no-keyinfo", "no KeyInfo: the configured certificate verifies", doc(withoutKeyInfo()))
	ok("baseline/rotation", "two configured certificates, the second signs, no KeyInfo", doc(withoutKeyInfo()),
		func(e *expectation) { e.Certificates = []string{"attacker-cert.pem", "rsa-cert.pem"} })
	ok("baseline/fingerprint-sha1", "no certificate configured, the KeyInfo certificate matches the pinned SHA-1", doc(),
		func(e *expectation) {
			e.Certificates, e.Fingerprints = nil, []string{FingerprintSHA1(k.rsa.cert).String()}
		})
	ok("baseline/fingerprint-sha256", "pinned SHA-256, lower case without colons", doc(),
		func(e *expectation) {
			e.Certificates = nil
			e.Fingerprints = []string{strings.ToLower(strings.ReplaceAll(FingerprintSHA256(k.rsa.cert).String(), ":", ""))}
		})
	ok("baseline/unsolicited", "IdP-initiated (no InResponseTo), unsolicited responses enabled, no request outstanding", doc(inResponseTo("")),
		func(e *expectation) { e.RequestID, e.Unsolicited, e.InResponseTo = "", true, "" })
	ok("baseline/no-destination", "Destination is optional", doc(afterSign(func(r, _ *etree.Element) { r.RemoveAttr("Destination") })))
	ok("baseline/skew-inside", "SubjectConfirmationData NotOnOrAfter passed, but within the skew", doc(setAttr("SubjectConfirmationData", "NotOnOrAfter", ts(testNow.Add(-DefaultClockSkew+time.Second)))),
		values(func(e *expectation) { e.NotOnOrAfter = ts(testNow.Add(-DefaultClockSkew + time.Second)) }))
	ok("baseline/comment-signed-with-comments", "a comment in NameID under exclusive c14n with comments (the #id reference drops it)",
		inplace(inPlace{alg: C14N10ExclusiveWithComments, before: func(_, a *etree.Element) {
			n := findDeep(a, "NameID")
			n.SetText("usr-")
			n.CreateComment(" part ")
			n.CreateText("1")
		}}))

	// Signature binding: the verified element is the used element.
	ew := func(f func(r, a *etree.Element)) func() []byte { return doc(afterSign(f)) }
	no("signature-binding/xsw1-extensions", ReasonStructure, "XSW1: signed assertion moved into Extensions, unsigned one in its place", ew(func(r, a *etree.Element) {
		evil := evilCopy(a, false, "_evil")
		swap(r, a, evil)
		ext := etree.NewElement("samlp:Extensions")
		ext.AddChild(a)
		r.InsertChildAt(firstChild(r, "Status").Index(), ext)
	}))
	no("signature-binding/xsw2-object", ReasonStructure, "XSW2: signed assertion inside ds:Object of the evil assertion's Signature", ew(func(r, a *etree.Element) {
		evil := evilCopy(a, true, "_evil")
		swap(r, a, evil)
		firstChild(evil, "Signature").CreateElement("ds:Object").AddChild(a)
	}))
	no("signature-binding/xsw3-in-signature", ReasonStructure, "XSW3: signed assertion as a child of the Signature itself", ew(func(r, a *etree.Element) {
		evil := evilCopy(a, true, "_evil")
		swap(r, a, evil)
		firstChild(evil, "Signature").AddChild(a)
	}))
	no("signature-binding/xsw4-wrapper", ReasonStructure, "XSW4: signed assertion wrapped in another element after the evil one", ew(func(r, a *etree.Element) {
		swap(r, a, evilCopy(a, false, "_evil"))
		r.CreateElement("Wrapper").AddChild(a)
	}))
	no("signature-binding/xsw5-inside-evil", ReasonStructure, "XSW5: signed assertion inside the evil assertion", ew(func(r, a *etree.Element) {
		evil := evilCopy(a, true, "_evil")
		swap(r, a, evil)
		evil.AddChild(a)
	}))
	no("signature-binding/xsw6-evil-subject", ReasonStructure, "XSW6: signed assertion inside the evil assertion's Subject", ew(func(r, a *etree.Element) {
		evil := evilCopy(a, false, "_evil")
		swap(r, a, evil)
		firstChild(evil, "Subject").AddChild(a)
	}))
	no("signature-binding/xsw7-advice", ReasonStructure, "XSW7: evil assertion inside the signed one (Advice)", ew(func(_, a *etree.Element) {
		adv := etree.NewElement("Advice")
		adv.AddChild(evilCopy(a, false, "_evil"))
		a.InsertChildAt(firstChild(a, "Conditions").Index()+1, adv)
	}))
	no("signature-binding/xsw8-evil-subject-first", ReasonSignature, "XSW8: an evil Subject before the signed one", ew(func(_, a *etree.Element) {
		s := firstChild(a, "Subject").Copy()
		findDeep(s, "NameID").SetText("usr-evil")
		a.InsertChildAt(firstChild(a, "Subject").Index(), s)
	}))
	no("signature-binding/two-assertions-signed-first", ReasonStructure, "signed assertion, then an unsigned one", ew(func(r, a *etree.Element) { r.AddChild(evilCopy(a, false, "_evil")) }))
	no("signature-binding/two-assertions-unsigned-first", ReasonStructure, "unsigned assertion, then the signed one", ew(func(r, a *etree.Element) { r.InsertChildAt(a.Index(), evilCopy(a, false, "_evil")) }))
	no("signature-binding/two-assertions-both-with-signature", ReasonStructure, "evil assertion carrying a copy of the signature, then the signed one", ew(func(r, a *etree.Element) { r.InsertChildAt(a.Index(), evilCopy(a, true, "_evil")) }))
	no("signature-binding/evil-with-signature", ReasonSignature, "the signed assertion replaced by an evil one carrying its signature", ew(func(r, a *etree.Element) { swap(r, a, evilCopy(a, true, "_evil")) }))
	no("signature-binding/evil-with-original-id", ReasonSignature, "evil assertion with the original ID and signature, original removed", ew(func(r, a *etree.Element) { swap(r, a, evilCopy(a, true, testAssertionID)) }))
	no("signature-binding/evil-with-original-id-original-in-extensions", ReasonStructure, "evil assertion with the original ID in place, the original in Extensions", ew(func(r, a *etree.Element) {
		swap(r, a, evilCopy(a, true, testAssertionID))
		ext := etree.NewElement("samlp:Extensions")
		ext.AddChild(a)
		r.InsertChildAt(firstChild(r, "Status").Index(), ext)
	}))
	no("signature-binding/original-hidden-by-namespace", ReasonSignature, "the signed assertion moved under a prefix rebound to another namespace, evil one in place", doc(prefixed("saml"), nsOnResponse(), afterSign(func(r, a *etree.Element) {
		swap(r, a, evilCopy(a, true, "_evil"))
		w := r.CreateElement("w")
		w.CreateAttr("xmlns:saml", "urn:evil")
		w.AddChild(a)
	})))
	no("signature-binding/response-signed-evil-root", ReasonStructure, "signed Response moved into the Extensions of a new Response with an evil assertion", doc(signResponseWith(k.rsa), afterSign(func(r, a *etree.Element) {
		d := r.Parent()
		nr := r.Copy()
		swap(nr, firstChild(nr, "Assertion"), evilCopy(a, false, "_evil"))
		nr.RemoveChild(firstChild(nr, "Signature"))
		nr.CreateAttr("ID", "_resp-evil")
		ext := etree.NewElement("samlp:Extensions")
		ext.AddChild(r)
		nr.InsertChildAt(firstChild(nr, "Status").Index(), ext)
		d.RemoveChild(r)
		d.AddChild(nr)
	})))
	no("signature-binding/response-signed-assertion-swapped", ReasonSignature, "Response signed (assertion not), assertion replaced after signing", inplace(inPlace{response: true, noAssert: true, after: func(r, a *etree.Element) {
		swap(r, a, evilCopy(a, true, testAssertionID)) // the assertion carries no signature
	}}))
	no("signature-binding/unsigned", ReasonSignature, "the assertion's signature removed, Response unsigned", ew(func(_, a *etree.Element) { a.RemoveChild(firstChild(a, "Signature")) }))
	no("signature-binding/content-added", ReasonSignature, "an Attribute added to the signed assertion", ew(func(_, a *etree.Element) {
		findDeep(a, "AttributeStatement").CreateElement("Attribute").CreateAttr("Name", "group_role")
	}))
	no("signature-binding/nameid-changed", ReasonSignature, "NameID changed after signing", ew(func(_, a *etree.Element) { findDeep(a, "NameID").SetText("usr-evil") }))
	no("signature-binding/attribute-changed", ReasonSignature, "an attribute value changed after signing", doc(replaceRaw(">Admin<", ">Super Admin<")))
	ok("signature-binding/foreign-assertion-ignored", "an unsigned Assertion in another namespace in Extensions: ignored, values from the signed one", ew(func(r, a *etree.Element) {
		ext := etree.NewElement("samlp:Extensions")
		e := evilCopy(a, false, "_evil")
		e.CreateAttr("xmlns", "urn:evil")
		ext.AddChild(e)
		r.InsertChildAt(firstChild(r, "Status").Index(), ext)
	}))

	// Reference URI and IDs.
	otherSig := func(target func(r *etree.Element) *etree.Element) func() []byte {
		return ew(func(r, a *etree.Element) {
			s, err := signElement(k.rsa, target(r), dsig.RSASHA256SignatureMethod, false)
			if err != nil {
				tb.Fatal(err)
			}
			swap(a, firstChild(a, "Signature"), s)
		})
	}
	refURI := func(u string) func() []byte {
		return doc(resign(func(si *etree.Element) { firstChild(si, "Reference").CreateAttr("URI", u) }))
	}
	no("reference/uri-to-status", ReasonSignature, "the assertion's Signature references the (signed) Status", otherSig(func(r *etree.Element) *etree.Element {
		st := firstChild(r, "Status")
		st.CreateAttr("ID", "_status")
		return st
	}))
	no("reference/uri-to-response", ReasonSignature, "the assertion's Signature references the Response", otherSig(func(r *etree.Element) *etree.Element { return r }))
	no("reference/empty-uri", ReasonSignature, `URI="" (the whole document)`, refURI(""))
	no("reference/uri-without-hash", ReasonSignature, "URI is the bare ID", refURI(testAssertionID))
	no("reference/xpointer", ReasonSignature, "URI #xpointer(id('...'))", refURI("#xpointer(id('"+testAssertionID+"'))"))
	no("reference/uri-leading-space", ReasonSignature, "URI with a leading space", refURI(" #"+testAssertionID))
	no("reference/uri-trailing-space", ReasonSignature, "URI with a trailing space", refURI("#"+testAssertionID+" "))
	no("reference/uri-percent-encoded", ReasonSignature, "URI with the ID percent-encoded", refURI("#%5Fassert-90b3c4"))
	no("reference/id-with-space", ReasonSignature, "the IdP signed an assertion whose ID holds a space (not an xs:ID)", inplace(inPlace{before: func(_, a *etree.Element) { a.CreateAttr("ID", "_assert 90b3c4") }}))
	no("reference/duplicate-id-on-status", ReasonStructure, "the Status carries the assertion's ID", ew(func(r, _ *etree.Element) { firstChild(r, "Status").CreateAttr("ID", testAssertionID) }))
	no("reference/response-id-equals-assertion-id", ReasonStructure, "the Response carries the assertion's ID", ew(func(r, _ *etree.Element) { r.CreateAttr("ID", testAssertionID) }))
	no("reference/duplicate-id-spelt-Id", ReasonStructure, "Id (not ID) elsewhere with the assertion's value", ew(func(r, _ *etree.Element) { firstChild(r, "Status").CreateAttr("Id", testAssertionID) }))
	no("reference/duplicate-id-spelt-id", ReasonStructure, "id (lower case) elsewhere with the assertion's value", ew(func(r, _ *etree.Element) { firstChild(r, "Status").CreateAttr("id", testAssertionID) }))
	no("reference/assertion-id-spelt-Id", ReasonSignature, "the IdP signed an assertion identified by Id, not ID", inplace(inPlace{before: func(_, a *etree.Element) {
		a.RemoveAttr("ID")
		a.CreateAttr("Id", testAssertionID)
	}}))
	ok("reference/prefixed-id-ignored", "x:ID (another namespace) before ID on the signed assertion: only the unprefixed ID identifies it", inplace(inPlace{before: func(_, a *etree.Element) {
		attrsFirst(a, etree.Attr{Space: "xmlns", Key: "x", Value: "urn:x"}, etree.Attr{Space: "x", Key: "ID", Value: "_other"})
	}}))

	// The one accepted Signature shape.
	no("signature-shape/two-signatures", ReasonSignature, "two Signature elements on the assertion", ew(func(_, a *etree.Element) {
		s := firstChild(a, "Signature")
		a.InsertChildAt(s.Index()+1, s.Copy())
	}))
	no("signature-shape/signature-deeper", ReasonSignature, "a copy of the Signature inside SubjectConfirmationData", ew(func(_, a *etree.Element) {
		findDeep(a, "SubjectConfirmationData").AddChild(firstChild(a, "Signature").Copy())
	}))
	no("signature-shape/signature-in-extensions", ReasonSignature, "a copy of the Signature in the Response's Extensions", ew(func(r, a *etree.Element) {
		ext := etree.NewElement("samlp:Extensions")
		ext.AddChild(firstChild(a, "Signature").Copy())
		r.InsertChildAt(firstChild(r, "Status").Index(), ext)
	}))
	no("signature-shape/two-signedinfo", ReasonSignature, "two SignedInfo elements", ew(func(_, a *etree.Element) {
		s := firstChild(a, "Signature")
		s.InsertChildAt(0, firstChild(s, "SignedInfo").Copy())
	}))
	no("signature-shape/two-references", ReasonSignature, "a second Reference (to the Status), signed", doc(resign(func(si *etree.Element) {
		ref := firstChild(si, "Reference").Copy()
		ref.CreateAttr("URI", "#_status")
		si.AddChild(ref)
	})))
	no("signature-shape/two-identical-references", ReasonSignature, "the Reference twice, signed", doc(resign(func(si *etree.Element) { si.AddChild(firstChild(si, "Reference").Copy()) })))
	no("signature-shape/extra-element-in-signedinfo", ReasonSignature, "a foreign element in SignedInfo, signed", doc(resign(func(si *etree.Element) {
		si.CreateElement("x:Extra").CreateAttr("xmlns:x", "urn:x")
	})))
	no("signature-shape/two-keyinfo", ReasonSignature, "two KeyInfo elements", ew(func(_, a *etree.Element) {
		s := firstChild(a, "Signature")
		s.AddChild(firstChild(s, "KeyInfo").Copy())
	}))
	no("signature-shape/object", ReasonSignature, "a ds:Object in the Signature", ew(func(_, a *etree.Element) { firstChild(a, "Signature").CreateElement("ds:Object").SetText("hello") }))
	no("signature-shape/manifest", ReasonSignature, "an unknown ds element in the Signature", ew(func(_, a *etree.Element) { firstChild(a, "Signature").CreateElement("ds:Manifest") }))
	no("signature-shape/missing-signaturevalue", ReasonSignature, "no SignatureValue", ew(func(_, a *etree.Element) {
		s := firstChild(a, "Signature")
		s.RemoveChild(firstChild(s, "SignatureValue"))
	}))
	no("signature-shape/empty-signaturevalue", ReasonSignature, "an empty SignatureValue", ew(func(_, a *etree.Element) { findDeep(a, "SignatureValue").SetText("") }))
	no("signature-shape/signaturevalue-not-base64", ReasonSignature, "SignatureValue is not base64", ew(func(_, a *etree.Element) { findDeep(a, "SignatureValue").SetText("***") }))
	no("signature-shape/missing-signedinfo", ReasonSignature, "no SignedInfo", ew(func(_, a *etree.Element) {
		s := firstChild(a, "Signature")
		s.RemoveChild(firstChild(s, "SignedInfo"))
	}))
	no("signature-shape/missing-digestvalue", ReasonSignature, "no DigestValue", ew(func(_, a *etree.Element) {
		r := findDeep(a, "Reference")
		r.RemoveChild(firstChild(r, "DigestValue"))
	}))
	no("signature-shape/assertion-without-id", ReasonSignature, "the signed assertion's ID removed", ew(func(_, a *etree.Element) { a.RemoveAttr("ID") }))
	no("signature-shape/hmac-output-length", ReasonSignature, "SignatureMethod with an HMACOutputLength child, signed", doc(resign(func(si *etree.Element) {
		firstChild(si, "SignatureMethod").CreateElement("ds:HMACOutputLength").SetText("160")
	})))

	// Algorithms.
	no("algorithms/hmac-sha1-keyed-with-certificate", ReasonSignature, "HMAC-SHA1 keyed with the public certificate (CVE-2017-11428 kin)", ew(func(_, a *etree.Element) {
		sig := firstChild(a, "Signature")
		si := firstChild(sig, "SignedInfo")
		firstChild(si, "SignatureMethod").CreateAttr("Algorithm", "http://www.w3.org/2000/09/xmldsig#hmac-sha1")
		nsCtx, _ := etreeutils.NSBuildParentContext(si)
		cp, _ := etreeutils.NSDetatch(nsCtx, si)
		canon, _ := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(cp)
		m := hmac.New(sha1.New, k.rsa.der)
		m.Write(canon)
		firstChild(sig, "SignatureValue").SetText(base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}))
	sm := func(uri string) func() []byte {
		return doc(resign(func(si *etree.Element) { firstChild(si, "SignatureMethod").CreateAttr("Algorithm", uri) }))
	}
	no("algorithms/hmac-sha256", ReasonSignature, "HMAC-SHA256 SignatureMethod", sm("http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"))
	no("algorithms/unknown-signature-method", ReasonSignature, "an unknown SignatureMethod", sm("urn:evil:none"))
	no("algorithms/rsa-sha1-not-configured", ReasonSignature, "RSA-SHA1 when only RSA-SHA256 is accepted", doc(sigMethod(dsig.RSASHA1SignatureMethod)),
		func(e *expectation) { e.SignatureMethods = []string{SignatureMethodRSASHA256} })
	dm := func(uri string) func() []byte {
		return doc(resign(func(si *etree.Element) { findDeep(si, "DigestMethod").CreateAttr("Algorithm", uri) }))
	}
	no("algorithms/md5-digest", ReasonSignature, "MD5 DigestMethod", dm("http://www.w3.org/2001/04/xmldsig-more#md5"))
	no("algorithms/unknown-digest", ReasonSignature, "an unknown DigestMethod", dm("urn:evil:digest"))
	no("algorithms/xpath-transform", ReasonSignature, "an XPath transform instead of enveloped-signature", doc(resign(func(si *etree.Element) {
		findDeep(si, "Transform").CreateAttr("Algorithm", "http://www.w3.org/TR/1999/REC-xpath-19991116")
	})))
	no("algorithms/xslt-third-transform", ReasonSignature, "a third (XSLT) transform", doc(resign(func(si *etree.Element) {
		findDeep(si, "Transforms").CreateElement("ds:Transform").CreateAttr("Algorithm", "http://www.w3.org/TR/1999/REC-xslt-19991116")
	})))
	no("algorithms/only-c14n-transform", ReasonSignature, "enveloped-signature transform missing", doc(resign(func(si *etree.Element) {
		trs := findDeep(si, "Transforms")
		trs.RemoveChild(trs.ChildElements()[0])
	})))
	no("algorithms/c14n11-transform", ReasonSignature, "Canonical XML 1.1 transform", doc(resign(func(si *etree.Element) {
		findDeep(si, "Transforms").ChildElements()[1].CreateAttr("Algorithm", string(dsig.CanonicalXML11AlgorithmId))
	})))
	no("algorithms/unknown-canonicalization", ReasonSignature, "an unknown SignedInfo CanonicalizationMethod", doc(resign(func(si *etree.Element) {
		firstChild(si, "CanonicalizationMethod").CreateAttr("Algorithm", "urn:evil:c14n")
	})))
	no("algorithms/ecdsa-signature-rsa-method", ReasonSignature, "an ECDSA signature claiming RSA-SHA256", inplace(inPlace{signer: k.ec, method: SignatureMethodECDSASHA256, after: func(_, a *etree.Element) {
		findDeep(a, "SignatureMethod").CreateAttr("Algorithm", SignatureMethodRSASHA256)
	}}), ec)
	no("algorithms/prefixed-algorithm-shadow", ReasonSignature, "x:Algorithm (enveloped) before Algorithm (XSLT) on the first Transform, signed", doc(resign(func(si *etree.Element) {
		tr := findDeep(si, "Transform")
		tr.CreateAttr("Algorithm", "http://www.w3.org/TR/1999/REC-xslt-19991116")
		attrsFirst(tr, etree.Attr{Space: "xmlns", Key: "x", Value: "urn:x"}, etree.Attr{Space: "x", Key: "Algorithm", Value: transformEnveloped})
	})))

	// Trust anchor.
	no("trust/attacker-key-attacker-cert", ReasonSignature, "signed by the attacker, attacker certificate in KeyInfo", doc(signedBy(k.attacker)))
	no("trust/attacker-key-no-keyinfo", ReasonSignature, "signed by the attacker, no KeyInfo", doc(signedBy(k.attacker), withoutKeyInfo()))
	no("trust/attacker-key-trusted-cert", ReasonSignature, "signed by the attacker, the trusted certificate in KeyInfo", doc(signedBy(k.attacker), keyInfoCert(k.rsa.der)))
	no("trust/trusted-key-attacker-cert", ReasonSignature, "signed by the IdP, the attacker certificate in KeyInfo", doc(keyInfoCert(k.attacker.der)))
	no("trust/garbage-keyinfo", ReasonSignature, "KeyInfo certificate is not a certificate", ew(func(_, a *etree.Element) { findDeep(a, "X509Certificate").SetText("AAAA") }))
	no("trust/response-signed-by-attacker", ReasonSignature, "assertion signed by the IdP, Response by the attacker", doc(signResponseWith(k.attacker)))
	no("trust/response-signature-broken", ReasonSignature, "both signed, the Response changed after signing", doc(signResponseWith(k.rsa), afterSign(func(r, _ *etree.Element) { r.CreateAttr("Consent", "urn:evil") })))
	no("trust/fingerprint-attacker-cert", ReasonSignature, "pinned fingerprint, attacker key and certificate", doc(signedBy(k.attacker)),
		func(e *expectation) {
			e.Certificates, e.Fingerprints = nil, []string{FingerprintSHA1(k.rsa.cert).String()}
		})
	no("trust/fingerprint-pinned-cert-attacker-key", ReasonSignature, "pinned fingerprint, attacker key with the pinned certificate in KeyInfo", doc(signedBy(k.attacker), keyInfoCert(k.rsa.der)),
		func(e *expectation) {
			e.Certificates, e.Fingerprints = nil, []string{FingerprintSHA1(k.rsa.cert).String()}
		})
	no("trust/fingerprint-no-keyinfo", ReasonSignature, "pinned fingerprint only, no KeyInfo", doc(withoutKeyInfo()),
		func(e *expectation) {
			e.Certificates, e.Fingerprints = nil, []string{FingerprintSHA1(k.rsa.cert).String()}
		})
	late := k.rsa.cert.NotAfter.Add(time.Hour)
	no("trust/certificate-expired", ReasonSignature, "the configured certificate expired before now", doc(issuedAt(late)),
		func(e *expectation) { e.Now = late.Format(time.RFC3339) })
	no("trust/ecdsa-key-rsa-cert", ReasonSignature, "ECDSA signature, only the RSA certificate configured", inplace(inPlace{signer: k.ec, method: SignatureMethodECDSASHA256}))

	// Text and canonicalization.
	evilNameID := func(wire string) func() []byte {
		return doc(withNameID("usr-1.evil"), replaceRaw(">usr-1.evil<", ">"+wire+"<"))
	}
	nid := func(v string) func(*expectation) { return func(e *expectation) { e.NameID = v } }
	ok("text/comment-in-nameid", "usr-1<!---->.evil: the whole text without the comment", evilNameID("usr-1<!---->.evil"), nid("usr-1.evil"))
	ok("text/comment-with-text-in-nameid", "usr-1<!-- x -->.evil", evilNameID("usr-1<!-- x -->.evil"), nid("usr-1.evil"))
	ok("text/comments-around-nameid", "comments before, inside and after the NameID text", evilNameID("<!---->usr-1<!---->.evil<!---->"), nid("usr-1.evil"))
	ok("text/cdata-in-nameid", "usr-1<![CDATA[.evil]]>", evilNameID("usr-1<![CDATA[.evil]]>"), nid("usr-1.evil"))
	ok("text/comment-in-attribute", "jane@example.com<!---->.evil.com in email", doc(
		beforeSign(func(a *etree.Element) {
			for _, v := range a.FindElements("//AttributeValue") {
				if v.Text() == "jane@example.com" {
					v.SetText("jane@example.com.evil.com")
				}
			}
		}),
		replaceRaw(">jane@example.com.evil.com<", ">jane@example.com<!---->.evil.com<")),
		values(func(e *expectation) { e.Attributes["email"] = []string{"jane@example.com.evil.com"} }))
	cr := func(signed, wire string) func() []byte {
		return doc(withAttrs(attribute{"company_name", []string{signed}}, attribute{"email", []string{"jane@example.com"}}),
			rawXML(func(x []byte) []byte { return []byte(strings.Replace(string(x), ">"+signed+"<", ">"+wire+"<", 1)) }))
	}
	crAttrs := func(v string) func(*expectation) {
		return attrs(attribute{"company_name", []string{v}}, attribute{"email", []string{"jane@example.com"}})
	}
	ok("text/cr-char-ref-before-lf", "&#13; then a line feed: verifies, CR kept", cr("line one\r\nline two", "line one&#13;\nline two"), crAttrs("line one\r\nline two"))
	ok("text/cr-char-ref-alone", "&#xD; alone", cr("a\rb", "a&#xD;b"), crAttrs("a\rb"))
	ok("text/literal-crlf", "a literal CRLF is a line feed", cr("line one\nline two", "line one\r\nline two"), crAttrs("line one\nline two"))
	ok("text/literal-cr", "a literal CR is a line feed", cr("a\nb", "a\rb"), crAttrs("a\nb"))
	ok("text/escapes", "& < as character references, > \" ' literal in signed text", doc(withAttrs(attribute{"company_name", []string{`a&b<c>d"e'f`}}, attribute{"email", []string{"jane@example.com"}}),
		replaceRaw(">a&amp;b&lt;c&gt;d&quot;e&apos;f<", ">a&#38;b&#x3C;c>d\"e'f<")), crAttrs(`a&b<c>d"e'f`))
	renamed := func(name string) func(*expectation) {
		return func(e *expectation) {
			e.Attributes[name] = e.Attributes["group_role"]
			delete(e.Attributes, "group_role")
		}
	}
	ok("text/attribute-literal-whitespace", "literal tab, CRLF, LF in attribute values are spaces (XML attribute-value normalization); the IdP signed the spaces", doc(
		beforeSign(func(a *etree.Element) {
			at := attrNamed(a, "group_role")
			at.CreateAttr("Name", "group role")
			at.CreateAttr("FriendlyName", "a b c")
		}),
		replaceRaw(`Name="group role" FriendlyName="a b c"`, "Name=\"group\trole\" FriendlyName=\"a\r\nb\nc\"")),
		renamed("group role"))
	ok("text/attribute-char-ref-tab", "&#9; in an attribute value is a tab, signed as such", doc(
		beforeSign(func(a *etree.Element) { attrNamed(a, "group_role").CreateAttr("Name", "group\trole") }),
		replaceRaw("Name=\"group\trole\"", `Name="group&#9;role"`)),
		renamed("group\trole"))
	no("text/attribute-literal-tab-for-signed-tab", ReasonSignature, "the IdP signed a tab, the wire has a literal tab (which means a space)", doc(
		beforeSign(func(a *etree.Element) { attrNamed(a, "group_role").CreateAttr("Name", "group\trole") })))
	ok("text/attribute-special-characters", "tab, LF, CR, &, <, \" as character references in a signed attribute value", doc(
		beforeSign(func(a *etree.Element) { attrNamed(a, "group_role").CreateAttr("FriendlyName", "t\tl\nc\r&<\">") }),
		replaceRaw("FriendlyName=\"t\tl\nc\r&amp;&lt;&quot;&gt;\"", `FriendlyName="t&#9;l&#10;c&#13;&amp;&lt;&quot;>"`)))

	// DOCTYPE and entities.
	pre := func(s string) mod { return rawXML(func(x []byte) []byte { return append([]byte(s), x...) }) }
	no("doctype/internal-entity", ReasonMalformed, "DOCTYPE with an internal entity used in NameID", doc(replaceRaw(">usr-1<", ">&e;<"), pre(`<!DOCTYPE r [<!ENTITY e "usr-evil">]>`)))
	no("doctype/billion-laughs", ReasonMalformed, "nested entity expansion", doc(replaceRaw(">usr-1<", ">&c;<"),
		pre(`<!DOCTYPE r [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>`)))
	no("doctype/external-entity", ReasonMalformed, "external entity (XXE)", doc(replaceRaw(">usr-1<", ">&x;<"), pre(`<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>`)))
	no("doctype/bare", ReasonMalformed, "a DOCTYPE without entities", doc(pre(`<!DOCTYPE samlp:Response>`)))
	no("doctype/after-declaration", ReasonMalformed, "XML declaration, then DOCTYPE", doc(pre(`<?xml version="1.0"?><!DOCTYPE samlp:Response>`)))
	no("doctype/undeclared-entity", ReasonMalformed, "an entity reference without DOCTYPE", doc(replaceRaw(">usr-1<", ">&e;<")))

	// Namespaces.
	ok("namespaces/saml-prefix-on-response", "saml: prefix declared on the Response only, exclusive c14n", doc(prefixed("saml"), nsOnResponse()))
	ok("namespaces/saml-prefix-on-response-inclusive", "saml: prefix declared on the Response only, inclusive c14n", inplace(inPlace{alg: C14N10Inclusive}, prefixed("saml"), nsOnResponse()))
	ok("namespaces/default-inherited", "default namespace declared on the Response, inherited by an unprefixed Assertion", doc(nsOnResponse()))
	ok("namespaces/default-inherited-inclusive", "inherited default namespace, inclusive c14n with comments", inplace(inPlace{alg: C14N10InclusiveWithComments}, nsOnResponse()))
	ok("namespaces/saml2-prefix", "saml2: prefix", doc(prefixed("saml2")))
	ok("namespaces/xsi-types", "xs/xsi declared on every AttributeValue (Okta, ADFS)", doc(prefixed("saml2"), beforeSign(xsiTypes)))
	no("namespaces/prefixed-attribute-shadow", ReasonExpired, "the IdP signed x:NotOnOrAfter (far future) before an expired NotOnOrAfter: only the unprefixed one counts", doc(beforeSign(func(a *etree.Element) {
		scd := findDeep(a, "SubjectConfirmationData")
		scd.CreateAttr("NotOnOrAfter", ts(testNow.Add(-time.Hour)))
		attrsFirst(scd, etree.Attr{Space: "xmlns", Key: "x", Value: "urn:x"}, etree.Attr{Space: "x", Key: "NotOnOrAfter", Value: "2099-01-01T00:00:00Z"})
	})))
	no("namespaces/ds-prefix-elsewhere", ReasonSignature, "the Signature's ds: prefix bound to another namespace: no signature", ew(func(_, a *etree.Element) {
		firstChild(a, "Signature").CreateAttr("xmlns:ds", "urn:evil:dsig")
	}))
	no("namespaces/assertion-other-namespace", ReasonStructure, "the signed assertion's namespace changed to SAML 1.0: no SAML 2.0 assertion", ew(func(_, a *etree.Element) {
		a.CreateAttr("xmlns", "urn:oasis:names:tc:SAML:1.0:assertion")
	}))
	no("namespaces/response-other-namespace", ReasonStructure, "Response in the SAML 1.0 protocol namespace", doc(replaceRaw(`xmlns:samlp="`+NSProtocol+`"`, `xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol"`)))
	no("namespaces/undeclared-prefix", ReasonMalformed, "an element with an undeclared prefix", doc(replaceRaw("<samlp:Status>", "<u:x/><samlp:Status>")))
	ok("namespaces/comments-outside-root", "comments and whitespace before and after the root element", doc(pre("<!-- before -->\n"), rawXML(func(x []byte) []byte { return append(x, "\n<!-- after -->\n"...) })))
	ok("namespaces/xml-declaration", "an XML declaration", doc(pre(`<?xml version="1.0" encoding="UTF-8"?>`+"\n")))
	ok("namespaces/byte-order-mark", "a UTF-8 byte order mark", doc(pre("\xEF\xBB\xBF")))
	no("namespaces/xml-declaration-after-comment", ReasonMalformed, "an XML declaration after a comment", doc(pre(`<!-- c --><?xml version="1.0"?>`)))
	no("namespaces/processing-instruction-after-root", ReasonMalformed, "a processing instruction after the root", doc(rawXML(func(x []byte) []byte { return append(x, "<?evil x?>"...) })))

	// Malformed input.
	no("malformed/second-root", ReasonMalformed, "a second root element", doc(rawXML(func(x []byte) []byte {
		return append(x, []byte(`<samlp:Response xmlns:samlp="`+NSProtocol+`"/>`)...)
	})))
	no("malformed/document-twice", ReasonMalformed, "the signed document twice", doc(rawXML(func(x []byte) []byte { return append(append([]byte{}, x...), x...) })))
	no("malformed/text-after-root", ReasonMalformed, "text after the root", doc(rawXML(func(x []byte) []byte { return append(x, "trailing"...) })))
	no("malformed/processing-instruction", ReasonMalformed, "a processing instruction inside the Response", doc(replaceRaw("<samlp:Status>", "<?evil x?><samlp:Status>")))
	no("malformed/non-utf8", ReasonMalformed, "declared ISO-8859-1", doc(pre(`<?xml version="1.0" encoding="ISO-8859-1"?>`)))
	no("malformed/mismatched-tags", ReasonMalformed, "</Subjekt> closes Subject", doc(replaceRaw("</Subject>", "</Subjekt>")))
	no("malformed/unclosed-quote", ReasonMalformed, "an attribute quote never closed", doc(replaceRaw(`Version="2.0"`, `Version="2.0`)))
	no("malformed/duplicate-attribute", ReasonMalformed, "Recipient twice in the signed SubjectConfirmationData", doc(replaceRaw(`Recipient="`+testACS+`"`, `Recipient="http://evil.example/" Recipient="`+testACS+`"`)))
	no("malformed/duplicate-attribute-two-prefixes", ReasonMalformed, "one namespaced attribute under two prefixes", doc(replaceRaw(`<samlp:Response `, `<samlp:Response xmlns:a="urn:x" xmlns:b="urn:x" a:k="1" b:k="2" `)))
	no("malformed/nul-byte", ReasonMalformed, "a NUL byte in NameID", doc(replaceRaw(">usr-1<", ">usr-1\x00<")))
	no("malformed/truncated-half", ReasonMalformed, "XML cut in half", func() []byte { x := doc()(); return x[:len(x)/2] })
	no("malformed/truncated-one-byte", ReasonMalformed, "XML without its last byte", func() []byte { x := doc()(); return x[:len(x)-1] })
	no("malformed/assertion-as-root", ReasonStructure, "the signed assertion alone, as the document root", func() []byte {
		d := etree.NewDocument()
		if err := d.ReadFromBytes(doc()()); err != nil {
			tb.Fatal(err)
		}
		nd := etree.NewDocument()
		nd.SetRoot(findDeep(d.Root(), "Assertion"))
		b, _ := nd.WriteToBytes()
		return b
	})
	no("malformed/no-assertion", ReasonStructure, "a Response without assertion", ew(func(r, a *etree.Element) { r.RemoveChild(a) }))
	no("malformed/encrypted-assertion", ReasonStructure, "an EncryptedAssertion", ew(func(r, _ *etree.Element) { r.CreateElement("EncryptedAssertion").CreateAttr("xmlns", NSAssertion) }))
	no("malformed/attribute-without-name", ReasonStructure, "a signed Attribute without Name", doc(beforeSign(func(a *etree.Element) { findDeep(a, "AttributeStatement").CreateElement("Attribute") })))
	no("malformed/issueinstant-not-datetime", ReasonMalformed, "IssueInstant=\"yesterday\"", doc(beforeSign(func(a *etree.Element) { a.CreateAttr("IssueInstant", "yesterday") })))
	no("malformed/notonorafter-not-datetime", ReasonMalformed, "NotOnOrAfter without T and zone", doc(setAttr("SubjectConfirmationData", "NotOnOrAfter", "2026-03-01 12:03")))
	no("malformed/no-issueinstant", ReasonStructure, "no IssueInstant", doc(beforeSign(func(a *etree.Element) { a.RemoveAttr("IssueInstant") })))
	no("malformed/xml-declaration-only", ReasonMalformed, "an XML declaration and nothing else", func() []byte { return []byte(`<?xml version="1.0"?>`) })
	no("malformed/comment-only", ReasonMalformed, "a comment and nothing else", func() []byte { return []byte(`<!-- -->`) })
	no("malformed/plain-text", ReasonMalformed, "not XML", func() []byte { return []byte("hello") })
	no("malformed/empty-document", ReasonMalformed, "zero bytes of XML", func() []byte { return []byte{} })
	noForm("malformed/empty-form-value", ReasonMalformed, "SAMLResponse is empty", func() string { return "" })
	noForm("malformed/whitespace-form-value", ReasonMalformed, "SAMLResponse is only whitespace", func() string { return " \r\n\t " })
	noForm("malformed/not-base64", ReasonMalformed, "raw XML instead of base64", func() string { return "<samlp:Response/>" })
	noForm("malformed/url-safe-base64", ReasonMalformed, "URL-safe base64 alphabet", form(func(x []byte) string { return base64.URLEncoding.EncodeToString(x) + "-_" }))
	noForm("malformed/truncated-base64", ReasonMalformed, "base64 cut short", form(func(x []byte) string { e := encode(x); return e[:len(e)-3] }))

	// Protocol checks.
	tm := func(tag, key string, at time.Time) func() []byte { return doc(setAttr(tag, key, ts(at))) }
	no("protocol/conditions-notonorafter-equals-now", ReasonExpired, "Conditions NotOnOrAfter == now, no skew", tm("Conditions", "NotOnOrAfter", testNow), noSkew)
	no("protocol/confirmation-notonorafter-equals-now", ReasonExpired, "SubjectConfirmationData NotOnOrAfter == now, no skew", tm("SubjectConfirmationData", "NotOnOrAfter", testNow), noSkew)
	no("protocol/notonorafter-plus-skew-equals-now", ReasonExpired, "NotOnOrAfter + skew == now", tm("SubjectConfirmationData", "NotOnOrAfter", testNow.Add(-DefaultClockSkew)))
	no("protocol/conditions-expired", ReasonExpired, "Conditions NotOnOrAfter an hour ago", tm("Conditions", "NotOnOrAfter", testNow.Add(-time.Hour)))
	no("protocol/session-expired", ReasonExpired, "SessionNotOnOrAfter an hour ago", tm("AuthnStatement", "SessionNotOnOrAfter", testNow.Add(-time.Hour)))
	no("protocol/notbefore-future", ReasonNotYetValid, "Conditions NotBefore in ten minutes", tm("Conditions", "NotBefore", testNow.Add(10*time.Minute)))
	no("protocol/notbefore-beyond-skew", ReasonNotYetValid, "NotBefore one second beyond the skew", tm("Conditions", "NotBefore", testNow.Add(DefaultClockSkew+time.Second)))
	ok("protocol/notbefore-within-skew", "NotBefore within the skew", tm("Conditions", "NotBefore", testNow.Add(DefaultClockSkew)))
	no("protocol/notbefore-future-no-skew", ReasonNotYetValid, "NotBefore one second ahead, no skew", tm("Conditions", "NotBefore", testNow.Add(time.Second)), noSkew)
	no("protocol/confirmation-notbefore-future", ReasonNotYetValid, "SubjectConfirmationData NotBefore in ten minutes", tm("SubjectConfirmationData", "NotBefore", testNow.Add(10*time.Minute)))
	no("protocol/issueinstant-future", ReasonNotYetValid, "IssueInstant an hour ahead", doc(beforeSign(func(a *etree.Element) { a.CreateAttr("IssueInstant", ts(testNow.Add(time.Hour))) })))
	no("protocol/no-expiry", ReasonExpired, "no NotOnOrAfter anywhere", doc(removeAttr("SubjectConfirmationData", "NotOnOrAfter"), removeAttr("Conditions", "NotOnOrAfter")))
	no("protocol/bearer-without-expiry", ReasonExpired, "Conditions expire, the bearer confirmation does not", doc(removeAttr("SubjectConfirmationData", "NotOnOrAfter")))
	no("protocol/from-yesterday", ReasonExpired, "the whole response issued a day ago", doc(issuedAt(testNow.Add(-24*time.Hour))))
	aud := func(f func(a *etree.Element)) func() []byte { return doc(beforeSign(f)) }
	no("protocol/audience-wrong", ReasonAudience, "Audience names another SP", aud(func(a *etree.Element) { findDeep(a, "Audience").SetText("https://evil.example.com/") }))
	no("protocol/audience-lookalike", ReasonAudience, "Audience with this SP as a prefix of the host", aud(func(a *etree.Element) { findDeep(a, "Audience").SetText("https://app.example.com.evil.com/") }))
	no("protocol/audience-empty", ReasonAudience, "an empty Audience", aud(func(a *etree.Element) { findDeep(a, "Audience").SetText("") }))
	no("protocol/no-audience-restriction", ReasonAudience, "Conditions without AudienceRestriction", aud(func(a *etree.Element) {
		c := findDeep(a, "Conditions")
		c.RemoveChild(firstChild(c, "AudienceRestriction"))
	}))
	no("protocol/second-audience-restriction", ReasonAudience, "a second AudienceRestriction for someone else (all must hold)", aud(func(a *etree.Element) {
		c := findDeep(a, "Conditions")
		ar := firstChild(c, "AudienceRestriction").Copy()
		findDeep(ar, "Audience").SetText("https://evil.example.com/")
		c.AddChild(ar)
	}))
	no("protocol/no-conditions", ReasonAudience, "no Conditions", aud(func(a *etree.Element) { a.RemoveChild(firstChild(a, "Conditions")) }))
	no("protocol/destination-wrong", ReasonDestination, "Destination is another ACS", ew(func(r, _ *etree.Element) { r.CreateAttr("Destination", "https://evil.example.com/acs") }))
	no("protocol/destination-longer-path", ReasonDestination, "Destination extends the ACS path", ew(func(r, _ *etree.Element) { r.CreateAttr("Destination", testACS+"/x") }))
	no("protocol/recipient-wrong", ReasonRecipient, "Recipient is another ACS", doc(setAttr("SubjectConfirmationData", "Recipient", "https://evil.example.com/acs")))
	no("protocol/recipient-missing", ReasonRecipient, "no Recipient", doc(removeAttr("SubjectConfirmationData", "Recipient")))
	no("protocol/inresponseto-wrong", ReasonInResponseTo, "the assertion answers another request", doc(setAttr("SubjectConfirmationData", "InResponseTo", "_other")))
	no("protocol/inresponseto-missing", ReasonInResponseTo, "the assertion answers no request while one is outstanding", doc(removeAttr("SubjectConfirmationData", "InResponseTo")))
	no("protocol/response-inresponseto-wrong", ReasonInResponseTo, "the Response's InResponseTo differs from the assertion's", ew(func(r, _ *etree.Element) { r.CreateAttr("InResponseTo", "_other") }))
	no("protocol/request-of-another-session", ReasonInResponseTo, "the outstanding request is another one", doc(), func(e *expectation) { e.RequestID = "_another-session" })
	no("protocol/unsolicited-not-enabled", ReasonInResponseTo, "IdP-initiated, unsolicited responses not enabled", doc(inResponseTo("")), func(e *expectation) { e.RequestID = "" })
	no("protocol/unsolicited-while-request-outstanding", ReasonInResponseTo, "IdP-initiated while a request is outstanding", doc(inResponseTo("")), func(e *expectation) { e.Unsolicited = true })
	no("protocol/unsolicited-mode-answers-a-request", ReasonInResponseTo, "unsolicited mode, no request of this session, but the assertion answers one", doc(), func(e *expectation) { e.RequestID, e.Unsolicited = "", true })
	no("protocol/status-responder", ReasonStatus, "StatusCode Responder with a message", ew(func(r, _ *etree.Element) {
		st := firstChild(r, "Status")
		firstChild(st, "StatusCode").CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Responder")
		st.CreateElement("samlp:StatusMessage").SetText("Access Denied")
	}))
	no("protocol/status-success-nested", ReasonStatus, "Success only as a nested second-level StatusCode", ew(func(r, _ *etree.Element) {
		sc := findDeep(r, "StatusCode")
		sc.CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Requester")
		sc.CreateElement("samlp:StatusCode").CreateAttr("Value", StatusSuccess)
	}))
	no("protocol/status-missing", ReasonStatus, "no Status", ew(func(r, _ *etree.Element) { r.RemoveChild(firstChild(r, "Status")) }))
	no("protocol/status-twice", ReasonStatus, "two Status elements", ew(func(r, _ *etree.Element) {
		st := firstChild(r, "Status")
		r.InsertChildAt(st.Index(), st.Copy())
	}))
	no("protocol/issuer-wrong", ReasonIssuer, "the assertion's Issuer is another IdP", doc(beforeSign(func(a *etree.Element) { firstChild(a, "Issuer").SetText("https://evil.example.com/api/v1/auth/saml") })))
	no("protocol/issuer-prefix", ReasonIssuer, "Issuer extends the IdP's", doc(beforeSign(func(a *etree.Element) { firstChild(a, "Issuer").SetText(testIdPIssuer + "x") })))
	no("protocol/issuer-missing", ReasonIssuer, "no Issuer in the assertion", doc(beforeSign(func(a *etree.Element) { a.RemoveChild(firstChild(a, "Issuer")) })))
	no("protocol/holder-of-key", ReasonSubject, "only a holder-of-key confirmation", doc(setAttr("SubjectConfirmation", "Method", "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key")))
	no("protocol/nameid-empty", ReasonSubject, "NameID is whitespace", doc(beforeSign(func(a *etree.Element) { findDeep(a, "NameID").SetText("  ") })))
	no("protocol/no-subject", ReasonSubject, "no Subject", doc(beforeSign(func(a *etree.Element) { a.RemoveChild(firstChild(a, "Subject")) })))
	no("protocol/replay", ReasonReplay, "the same response posted twice to one service provider", doc(), func(e *expectation) { e.Submissions = 2 })

	// Resource limits.
	no("limits/over-max-size", ReasonTooLarge, "SAMLResponse over the configured 4096-byte limit", doc(), func(e *expectation) { e.MaxResponseSize = 4096 })
	no("limits/deep-nesting-extensions", ReasonTooLarge, "200-deep nesting in Extensions", doc(replaceRaw("<samlp:Status>", "<samlp:Extensions>"+nested(200)+"</samlp:Extensions><samlp:Status>")))
	no("limits/deep-nesting-attribute-value", ReasonTooLarge, "200-deep nesting in an AttributeValue", doc(replaceRaw(">Admin<", ">"+nested(200)+"<")))
	no("limits/namespace-declarations", ReasonTooLarge, "4000 namespace declarations over 4000 elements", doc(
		replaceRaw("<samlp:Response ", "<samlp:Response"+manyAttrs(" xmlns:p%d=\"urn:p\"", 4000)+" "),
		replaceRaw("<samlp:Status>", "<samlp:Extensions>"+strings.Repeat("<a/>", 4000)+"</samlp:Extensions><samlp:Status>")))
	no("limits/many-attributes", ReasonTooLarge, "an element with 200 attributes", doc(replaceRaw("<samlp:Status>", "<samlp:Status"+manyAttrs(" a%d=\"\"", 200)+">")))
	no("limits/many-elements", ReasonTooLarge, "more than 100000 elements", doc(replaceRaw("<samlp:Status>", "<samlp:Extensions>"+strings.Repeat("<a/>", maxElements+1)+"</samlp:Extensions><samlp:Status>")))
	ok("limits/large-legitimate", "a legitimate assertion with 600 extra attributes (about 60 KB)", doc(withAttrs(fillerAttributes(600)...)), attrs(fillerAttributes(600)...))
	ok("limits/large-legitimate-xsi", "300 extra attributes, saml2: prefix, xsi:type and namespaces on every value (about 50 KB)", doc(withAttrs(fillerAttributes(300)...), prefixed("saml2"), beforeSign(func(a *etree.Element) {
		xsiTypes(a)
		for _, at := range a.FindElements("//Attribute") {
			at.CreateAttr("NameFormat", "urn:oasis:names:tc:SAML:2.0:attrname-format:basic")
			at.CreateAttr("FriendlyName", at.SelectAttrValue("Name", ""))
		}
	})), attrs(fillerAttributes(300)...))

	// Encoding.
	okForm("encoding/base64-lines-lf", "base64 in 60-column lines with LF", form(func(x []byte) string { return wrap(encode(x), 60, "\n") }))
	okForm("encoding/base64-lines-crlf", "base64 in 76-column lines with CRLF (MIME)", form(func(x []byte) string { return wrap(encode(x), 76, "\r\n") + "\r\n" }))
	okForm("encoding/base64-spaces", "base64 with spaces and tabs", form(func(x []byte) string { return wrap(encode(x), 8, " \t") }))
	ok("encoding/keyinfo-certificate-lines", "the KeyInfo X509Certificate in 64-column lines", ew(func(_, a *etree.Element) {
		c := findDeep(a, "X509Certificate")
		c.SetText("\n" + wrap(strings.TrimSpace(c.Text()), 64, "\n") + "\n")
	}))
	ok("encoding/multiple-attribute-values", "one Attribute with three values, in order", doc(withAttrs(attribute{"roles", []string{"admin", "billing", "admin"}})), attrs(attribute{"roles", []string{"admin", "billing", "admin"}}))
	ok("encoding/repeated-attribute-names", "the same Name in three Attribute elements: values merged in document order", doc(withAttrs(
		attribute{"groups", []string{"cld-3"}}, attribute{"email", []string{"jane@example.com"}}, attribute{"groups", []string{"cld-4", "cld-5"}}, attribute{"groups", []string{"cld-6"}})),
		attrs(attribute{"groups", []string{"cld-3", "cld-4", "cld-5", "cld-6"}}, attribute{"email", []string{"jane@example.com"}}))
	ok("encoding/empty-attribute-value", "an empty AttributeValue is an empty string", doc(withAttrs(attribute{"nickname", []string{""}}, attribute{"email", []string{"jane@example.com"}})),
		attrs(attribute{"nickname", []string{""}}, attribute{"email", []string{"jane@example.com"}}))
	ok("encoding/utf8-values", "non-ASCII NameID and values", doc(withNameID("usr-ü"), withAttrs(attribute{"name", []string{"Zoë 李"}})),
		nid("usr-ü"), attrs(attribute{"name", []string{"Zoë 李"}}))
	return out
}

func chain(fs []func(*expectation)) func(*expectation) {
	return func(e *expectation) {
		for _, f := range fs {
			f(e)
		}
	}
}

// attrsFirst puts attrs before el's own attributes.
func attrsFirst(el *etree.Element, attrs ...etree.Attr) {
	old := append([]etree.Attr(nil), el.Attr...)
	for _, a := range old {
		el.RemoveAttr(a.FullKey())
	}
	for _, a := range append(attrs, old...) {
		el.CreateAttr(a.FullKey(), a.Value)
	}
}

// attrNamed is the Attribute element named name.
func attrNamed(a *etree.Element, name string) *etree.Element {
	for _, at := range a.FindElements("//Attribute") {
		if at.SelectAttrValue("Name", "") == name {
			return at
		}
	}
	return nil
}
