package saml

// A test identity provider: it builds and signs SAML responses of the shape
// the Maestrano platform sends (platform-wire.md §2.4-2.5), with small hooks
// that let each threat test mutate the document before or after signing.

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// Fixed identities and clock shared by the tests.
const (
	testACS         = "https://app.example.com/maestrano/auth/saml/consume"
	testAudience    = "https://app.example.com/"
	testIdPIssuer   = "https://idp.example.com/api/v1/auth/saml"
	testRequestID   = "_req-4f1c9e"
	testResponseID  = "_resp-7d2a11"
	testAssertionID = "_assert-90b3c4"
	testNameID      = "usr-1"
)

// testNow is the fixed clock of every test ServiceProvider.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return testNow }

// keyPair is a signing key and its self-signed certificate.
type keyPair struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
	der  []byte
}

func newKeyPair(cn string) (*keyPair, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	cert, der, err := selfSigned(key, time.Now().UnixNano(), cn)
	if err != nil {
		return nil, err
	}
	return &keyPair{key: key, cert: cert, der: der}, nil
}

// selfSigned returns a signing certificate for key, valid from a year
// before testNow to ten years after it, and its DER.
func selfSigned(key crypto.Signer, serial int64, cn string) (*x509.Certificate, []byte, error) {
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             testNow.AddDate(-1, 0, 0),
		NotAfter:              testNow.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, der, nil
}

// The IdP key and an attacker key, generated once per test binary.
var (
	trustedKeys  = sync.OnceValues(func() (*keyPair, error) { return newKeyPair("idp.example.com") })
	attackerKeys = sync.OnceValues(func() (*keyPair, error) { return newKeyPair("idp.example.com") })
)

func trustedIdP(tb testing.TB) *keyPair {
	tb.Helper()
	kp, err := trustedKeys()
	if err != nil {
		tb.Fatalf("IdP key: %v", err)
	}
	return kp
}

func attackerIdP(tb testing.TB) *keyPair {
	tb.Helper()
	kp, err := attackerKeys()
	if err != nil {
		tb.Fatalf("attacker key: %v", err)
	}
	return kp
}

// attribute is one Attribute element of the AttributeStatement.
type attribute struct {
	name   string
	values []string
}

// maestranoAttributes is the SBX attribute set (platform-wire.md §2.5), plus
// a multi-valued attribute and a name repeated in two Attribute elements.
func maestranoAttributes() []attribute {
	one := func(n, v string) attribute { return attribute{n, []string{v}} }
	return []attribute{
		one("mno_uid", testNameID),
		one("mno_session", "7ahw1thqj0e8ctm4g3b6ga6kvh2xu1sd5bz3"),
		one("mno_session_recheck", "2026-03-01T12:03:00Z"),
		one("group_uid", "cld-3"),
		one("group_name", "Sandbox Group & Co <3>"),
		one("group_end_free_trial", "2026-04-01T12:00:00Z"),
		one("group_role", "Admin"),
		one("group_has_credit_card", "false"),
		one("group_email", "cld-3@example.com"),
		one("group_currency", "USD"),
		one("group_timezone", "America/Los_Angeles"),
		one("group_country", "US"),
		one("group_city", "Los Angeles"),
		one("group_reseller_id", "rsl-449s8fsd"),
		one("uid", testNameID),
		one("virtual_uid", "usr-1.cld-3"),
		one("email", "jane@example.com"),
		one("virtual_email", "usr-1.cld-3@mno-api-sandbox-mail.maestrano.com"),
		one("name", "Jane"),
		one("surname", "Doe"),
		one("country", "US"),
		one("company_name", "Doe Ltd"),
		one("app_owner", "true"),
		one("organizations", "{}"),
		{"roles", []string{"admin", "billing", "admin"}},
		one("groups", "cld-3"),
		{"groups", []string{"cld-4", "cld-5"}},
	}
}

// respBuilder describes one response the test IdP will produce.
type respBuilder struct {
	signer    *keyPair
	keyInfo   []byte // certificate (DER) in KeyInfo; nil means the signer's
	noKeyInfo bool
	sigMethod string
	prefix    string // assertion-namespace prefix: "" (default namespace, as Maestrano), "saml", "saml2"
	nsOnResp  bool   // declare the assertion namespace on the Response only
	nameID    string
	attrs     []attribute
	now       time.Time
	requestID string
	before    []func(a *etree.Element)
	after     []func(resp, a *etree.Element)
	raw       []func([]byte) []byte
	signResp  *keyPair // also sign the Response with this key
}

// mod is one change to the default response.
type mod func(*respBuilder)

// beforeSign mutates the Assertion before the IdP signs it.
func beforeSign(f func(a *etree.Element)) mod {
	return func(b *respBuilder) { b.before = append(b.before, f) }
}

// afterSign mutates the document after signing (what an attacker can do).
func afterSign(f func(resp, a *etree.Element)) mod {
	return func(b *respBuilder) { b.after = append(b.after, f) }
}

// rawXML rewrites the serialized document bytes.
func rawXML(f func([]byte) []byte) mod {
	return func(b *respBuilder) { b.raw = append(b.raw, f) }
}

// replaceRaw replaces the first occurrence of old in the serialized document,
// failing loudly (via a marker the test cannot miss) if old is absent.
func replaceRaw(old, new string) mod {
	return rawXML(func(x []byte) []byte {
		s := string(x)
		if !strings.Contains(s, old) {
			panic(fmt.Sprintf("replaceRaw: %q not in document", old))
		}
		return []byte(strings.Replace(s, old, new, 1))
	})
}

func signedBy(kp *keyPair) mod   { return func(b *respBuilder) { b.signer = kp } }
func keyInfoCert(der []byte) mod { return func(b *respBuilder) { b.keyInfo = der } }
func withoutKeyInfo() mod        { return func(b *respBuilder) { b.noKeyInfo = true } }
func sigMethod(m string) mod     { return func(b *respBuilder) { b.sigMethod = m } }
func prefixed(p string) mod      { return func(b *respBuilder) { b.prefix = p } }
func nsOnResponse() mod          { return func(b *respBuilder) { b.nsOnResp = true } }
func withNameID(v string) mod    { return func(b *respBuilder) { b.nameID = v } }
func withAttrs(a ...attribute) mod {
	return func(b *respBuilder) { b.attrs = a }
}
func inResponseTo(id string) mod       { return func(b *respBuilder) { b.requestID = id } }
func issuedAt(t time.Time) mod         { return func(b *respBuilder) { b.now = t } }
func signResponseWith(kp *keyPair) mod { return func(b *respBuilder) { b.signResp = kp } }

// fillerAttributes returns n attributes of about 80 bytes each.
func fillerAttributes(n int) []attribute {
	out := maestranoAttributes()
	for i := range n {
		out = append(out, attribute{fmt.Sprintf("extra_attribute_%04d", i), []string{fmt.Sprintf("value %04d of a large but legitimate assertion", i)}})
	}
	return out
}

// signedResponse returns the XML of a response genuinely signed by the test
// IdP key (or the key chosen with signedBy), with mods applied.
func signedResponse(tb testing.TB, mods ...mod) []byte {
	tb.Helper()
	b := &respBuilder{
		signer:    trustedIdP(tb),
		sigMethod: dsig.RSASHA256SignatureMethod,
		nameID:    testNameID,
		attrs:     maestranoAttributes(),
		now:       testNow,
		requestID: testRequestID,
	}
	for _, m := range mods {
		m(b)
	}
	out, err := b.build()
	if err != nil {
		tb.Fatalf("test IdP: %v", err)
	}
	return out
}

// encode is the POST binding's SAMLResponse value.
func encode(x []byte) string { return base64.StdEncoding.EncodeToString(x) }

// signedEncoded is signedResponse, base64-encoded.
func signedEncoded(tb testing.TB, mods ...mod) string {
	tb.Helper()
	return encode(signedResponse(tb, mods...))
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (b *respBuilder) build() ([]byte, error) {
	p := ""
	if b.prefix != "" {
		p = b.prefix + ":"
	}
	nsAttr := "xmlns"
	if b.prefix != "" {
		nsAttr = "xmlns:" + b.prefix
	}
	now := b.now
	issuer := testIdPIssuer + "?SAMLRequest=fZJNT8MwDIbv"

	doc := etree.NewDocument()
	resp := doc.CreateElement("samlp:Response")
	resp.CreateAttr("xmlns:samlp", NSProtocol)
	if b.nsOnResp {
		resp.CreateAttr(nsAttr, NSAssertion)
	}
	resp.CreateAttr("ID", testResponseID)
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", ts(now))
	resp.CreateAttr("Destination", testACS)
	resp.CreateAttr("Consent", "urn:oasis:names:tc:SAML:2.0:consent:unspecified")
	if b.requestID != "" {
		resp.CreateAttr("InResponseTo", b.requestID)
	}
	ri := resp.CreateElement(p + "Issuer")
	if !b.nsOnResp {
		ri.CreateAttr(nsAttr, NSAssertion)
	}
	ri.SetText(issuer)
	st := resp.CreateElement("samlp:Status")
	st.CreateElement("samlp:StatusCode").CreateAttr("Value", StatusSuccess)

	// The assertion is built standalone, with its namespace declared on it,
	// so that the IdP's exclusive c14n sees what the SP will see.
	a := etree.NewElement(p + "Assertion")
	a.CreateAttr(nsAttr, NSAssertion)
	a.CreateAttr("ID", testAssertionID)
	a.CreateAttr("IssueInstant", ts(now))
	a.CreateAttr("Version", "2.0")
	a.CreateElement(p + "Issuer").SetText(issuer)
	subj := a.CreateElement(p + "Subject")
	nid := subj.CreateElement(p + "NameID")
	nid.CreateAttr("Format", NameIDFormatPersistent)
	nid.SetText(b.nameID)
	sc := subj.CreateElement(p + "SubjectConfirmation")
	sc.CreateAttr("Method", MethodBearer)
	scd := sc.CreateElement(p + "SubjectConfirmationData")
	if b.requestID != "" {
		scd.CreateAttr("InResponseTo", b.requestID)
	}
	scd.CreateAttr("NotOnOrAfter", ts(now.Add(3*time.Minute)))
	scd.CreateAttr("Recipient", testACS)
	cond := a.CreateElement(p + "Conditions")
	cond.CreateAttr("NotBefore", ts(now.Add(-5*time.Second)))
	cond.CreateAttr("NotOnOrAfter", ts(now.Add(time.Hour)))
	cond.CreateElement(p + "AudienceRestriction").CreateElement(p + "Audience").SetText(testAudience)
	as := a.CreateElement(p + "AttributeStatement")
	for _, at := range b.attrs {
		ae := as.CreateElement(p + "Attribute")
		ae.CreateAttr("Name", at.name)
		for _, v := range at.values {
			ae.CreateElement(p + "AttributeValue").SetText(v)
		}
	}
	authn := a.CreateElement(p + "AuthnStatement")
	authn.CreateAttr("AuthnInstant", ts(now))
	authn.CreateAttr("SessionIndex", testAssertionID)
	authn.CreateElement(p + "AuthnContext").CreateElement(p + "AuthnContextClassRef").SetText("urn:federation:authentication:windows")

	for _, f := range b.before {
		f(a)
	}
	sig, err := b.sign(a)
	if err != nil {
		return nil, err
	}
	if iss := firstChild(a, "Issuer"); iss != nil {
		a.InsertChildAt(iss.Index()+1, sig)
	} else {
		a.InsertChildAt(0, sig)
	}
	if b.nsOnResp {
		a.RemoveAttr(nsAttr)
	}
	resp.AddChild(a)
	if b.signResp != nil {
		rs, err := signElement(b.signResp, resp, dsig.RSASHA256SignatureMethod, false)
		if err != nil {
			return nil, err
		}
		resp.InsertChildAt(ri.Index()+1, rs)
	}
	for _, f := range b.after {
		f(resp, a)
	}
	out, err := doc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	for _, f := range b.raw {
		out = f(out)
	}
	return out, nil
}

// sign returns the enveloped signature of (a copy of) a, the way the
// platform signs: exclusive c14n, enveloped-signature, KeyInfo/X509Data.
func (b *respBuilder) sign(a *etree.Element) (*etree.Element, error) {
	sig, err := signElement(b.signer, a, b.sigMethod, b.noKeyInfo)
	if err != nil {
		return nil, err
	}
	if b.keyInfo != nil {
		c := findDeep(sig, "X509Certificate")
		c.SetText(base64.StdEncoding.EncodeToString(b.keyInfo))
	}
	return sig, nil
}

func signElement(kp *keyPair, el *etree.Element, method string, noKeyInfo bool) (*etree.Element, error) {
	ctx, err := dsig.NewSigningContext(kp.key, [][]byte{kp.der})
	if err != nil {
		return nil, err
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(method); err != nil {
		return nil, err
	}
	// Sign a detached copy (ConstructSignature canonicalizes in place) that
	// declares the namespaces in scope. Not etreeutils.NSDetatch: it refuses
	// subtrees of more than 1000 elements.
	cp := el.Copy()
	for p := el.Parent(); p != nil; p = p.Parent() {
		for _, at := range p.Attr {
			if (at.Space == "xmlns" || (at.Space == "" && at.Key == "xmlns")) && cp.SelectAttr(at.FullKey()) == nil {
				cp.CreateAttr(at.FullKey(), at.Value)
			}
		}
	}
	sig, err := ctx.ConstructSignature(cp, true)
	if err != nil {
		return nil, err
	}
	if noKeyInfo {
		if ki := firstChild(sig, "KeyInfo"); ki != nil {
			sig.RemoveChild(ki)
		}
	}
	return sig, nil
}

// resignSignedInfo recomputes SignatureValue over the (mutated) SignedInfo of
// sig with kp's key, so that a shape the SP must refuse still carries a
// cryptographically valid signature, and only the SP's own rules decide.
func resignSignedInfo(kp *keyPair, sig *etree.Element, hash crypto.Hash) error {
	si := firstChild(sig, "SignedInfo")
	if si == nil {
		return errors.New("no SignedInfo")
	}
	nsCtx, err := etreeutils.NSBuildParentContext(si)
	if err != nil {
		return err
	}
	cp, err := etreeutils.NSDetatch(nsCtx, si)
	if err != nil {
		return err
	}
	canon, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(cp)
	if err != nil {
		return err
	}
	h := hash.New()
	h.Write(canon)
	v, err := rsa.SignPKCS1v15(rand.Reader, kp.key, hash, h.Sum(nil))
	if err != nil {
		return err
	}
	firstChild(sig, "SignatureValue").SetText(base64.StdEncoding.EncodeToString(v))
	return nil
}

// firstChild returns el's first child element whose local name is tag.
func firstChild(el *etree.Element, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == tag {
			return c
		}
	}
	return nil
}

// findDeep returns the first descendant (or el) whose local name is tag.
func findDeep(el *etree.Element, tag string) *etree.Element {
	if el.Tag == tag {
		return el
	}
	for _, c := range el.ChildElements() {
		if f := findDeep(c, tag); f != nil {
			return f
		}
	}
	return nil
}

// newTestSP is the service provider under test: the ACS above, the IdP
// certificate, the fixed clock and the configured IdP issuer.
func newTestSP(tb testing.TB, opts ...Option) *ServiceProvider {
	tb.Helper()
	base := []Option{WithClock(fixedClock), WithIDPIssuer(testIdPIssuer)}
	sp, err := NewServiceProvider(testACS, []*x509.Certificate{trustedIdP(tb).cert}, append(base, opts...)...)
	if err != nil {
		tb.Fatalf("NewServiceProvider: %v", err)
	}
	return sp
}

// wantRefused asserts a refusal with reason want and no assertion.
func wantRefused(tb testing.TB, a *Assertion, err error, want Reason) {
	tb.Helper()
	if a != nil {
		tb.Errorf("got assertion %+v, want none", a)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		tb.Fatalf("err = %v (%T), want *ValidationError with reason %q", err, err, want)
	}
	if ve.Reason != want {
		tb.Errorf("reason = %q (%v), want %q", ve.Reason, err, want)
	}
}

// cryptographicallyValid reports whether the assertion's signature verifies
// with plain goxmldsig against the trusted certificate: a control that the
// shape tests refuse for the SP's own reasons, not because RSA failed.
func cryptographicallyValid(tb testing.TB, x []byte) error {
	tb.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(x); err != nil {
		return err
	}
	a := findDeep(doc.Root(), "Assertion")
	nsCtx, err := etreeutils.NSBuildParentContext(a)
	if err != nil {
		return err
	}
	d, err := etreeutils.NSDetatch(nsCtx, a)
	if err != nil {
		return err
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{trustedIdP(tb).cert}})
	vc.Clock = dsig.NewFakeClockAt(testNow)
	_, err = vc.Validate(d)
	return err
}
