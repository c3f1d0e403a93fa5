// Package bench compares the SDK's SAML response verification with a named
// peer, github.com/russellhaering/gosaml2. It holds test files only, so that
// no SDK package imports the peer.
package bench

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	saml2 "github.com/russellhaering/gosaml2"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/maestrano-go/maestrano/saml"
)

const (
	acs       = "https://app.example.com/maestrano/auth/saml/consume"
	audience  = "https://app.example.com/"
	idpIssuer = "https://idp.example.com/api/v1/auth/saml"
	requestID = "_req-4f1c9e"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type idp struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
	der  []byte
}

var testIdP = sync.OnceValues(func() (*idp, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp.example.com"},
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(10, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &idp{key, cert, der}, nil
})

// response returns a base64 SAMLResponse of the Maestrano shape
// (platform-wire.md §2.4) with the given attributes, its Assertion signed
// (RSA-SHA256, exclusive c14n) by the test IdP.
func response(tb testing.TB, k *idp, attrs [][2]string) string {
	tb.Helper()
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	doc := etree.NewDocument()
	resp := doc.CreateElement("samlp:Response")
	resp.CreateAttr("xmlns:samlp", saml.NSProtocol)
	resp.CreateAttr("ID", "_resp-1")
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", ts(now))
	resp.CreateAttr("Destination", acs)
	resp.CreateAttr("InResponseTo", requestID)
	iss := resp.CreateElement("Issuer")
	iss.CreateAttr("xmlns", saml.NSAssertion)
	iss.SetText(idpIssuer)
	resp.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", saml.StatusSuccess)

	a := etree.NewElement("Assertion")
	a.CreateAttr("xmlns", saml.NSAssertion)
	a.CreateAttr("ID", "_assert-1")
	a.CreateAttr("IssueInstant", ts(now))
	a.CreateAttr("Version", "2.0")
	a.CreateElement("Issuer").SetText(idpIssuer)
	subj := a.CreateElement("Subject")
	nid := subj.CreateElement("NameID")
	nid.CreateAttr("Format", saml.NameIDFormatPersistent)
	nid.SetText("usr-1")
	sc := subj.CreateElement("SubjectConfirmation")
	sc.CreateAttr("Method", saml.MethodBearer)
	scd := sc.CreateElement("SubjectConfirmationData")
	scd.CreateAttr("InResponseTo", requestID)
	scd.CreateAttr("NotOnOrAfter", ts(now.Add(3*time.Minute)))
	scd.CreateAttr("Recipient", acs)
	cond := a.CreateElement("Conditions")
	cond.CreateAttr("NotBefore", ts(now.Add(-5*time.Second)))
	cond.CreateAttr("NotOnOrAfter", ts(now.Add(time.Hour)))
	cond.CreateElement("AudienceRestriction").CreateElement("Audience").SetText(audience)
	as := a.CreateElement("AttributeStatement")
	for _, kv := range attrs {
		at := as.CreateElement("Attribute")
		at.CreateAttr("Name", kv[0])
		at.CreateElement("AttributeValue").SetText(kv[1])
	}
	authn := a.CreateElement("AuthnStatement")
	authn.CreateAttr("AuthnInstant", ts(now))
	authn.CreateAttr("SessionIndex", "_assert-1")
	authn.CreateElement("AuthnContext").CreateElement("AuthnContextClassRef").SetText("urn:federation:authentication:windows")

	ctx, err := dsig.NewSigningContext(k.key, [][]byte{k.der})
	if err != nil {
		tb.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		tb.Fatal(err)
	}
	sig, err := ctx.ConstructSignature(a.Copy(), true)
	if err != nil {
		tb.Fatal(err)
	}
	a.InsertChildAt(1, sig)
	resp.AddChild(a)
	x, err := doc.WriteToBytes()
	if err != nil {
		tb.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(x)
}

// typical is the Maestrano attribute set: 25 attributes.
func typical() [][2]string {
	var out [][2]string
	for _, n := range []string{"mno_uid", "mno_session", "mno_session_recheck", "group_uid", "group_name",
		"group_end_free_trial", "group_role", "group_has_credit_card", "group_email", "group_currency",
		"group_timezone", "group_country", "group_city", "group_reseller_id", "uid", "virtual_uid", "email",
		"virtual_email", "name", "surname", "country", "company_name", "app_owner", "organizations", "group_org_uid"} {
		out = append(out, [2]string{n, "value of " + n})
	}
	return out
}

// large is about 50 KB of XML with n extra attributes of valueLen bytes.
func large(n, valueLen int) [][2]string {
	out := typical()
	pad := make([]byte, valueLen)
	for i := range pad {
		pad[i] = 'a' + byte(i%26)
	}
	for i := range n {
		out = append(out, [2]string{fmt.Sprintf("extra_attribute_%04d", i), string(pad)})
	}
	return out
}

// noReplay lets the same response be parsed on every iteration (gosaml2
// keeps no replay cache either).
type noReplay struct{}

func (noReplay) Consume(context.Context, string, time.Time) (bool, error) { return true, nil }

func ours(tb testing.TB, k *idp) *saml.ServiceProvider {
	sp, err := saml.NewServiceProvider(acs, []*x509.Certificate{k.cert},
		saml.WithClock(func() time.Time { return now }), saml.WithIDPIssuer(idpIssuer), saml.WithReplayCache(noReplay{}))
	if err != nil {
		tb.Fatal(err)
	}
	return sp
}

func peer(k *idp) *saml2.SAMLServiceProvider {
	return &saml2.SAMLServiceProvider{
		IdentityProviderIssuer:      idpIssuer,
		AssertionConsumerServiceURL: acs,
		AudienceURI:                 audience,
		IDPCertificateStore:         &dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{k.cert}},
		Clock:                       dsig.NewFakeClockAt(now),
	}
}

// The cases: a typical response, and two of about 50 KB: 200 longer
// attributes (within gosaml2's limits) and 400 short ones (beyond them:
// gosaml2 then fails with goxmldsig's "traversal limit reached", and its
// benchmark is skipped).
var cases = []struct {
	name  string
	attrs func() [][2]string
}{
	{"typical_25attrs", typical},
	{"50KB_200attrs", func() [][2]string { return large(175, 150) }},
	{"50KB_400attrs", func() [][2]string { return large(375, 25) }},
}

func BenchmarkParseResponse_Ours(b *testing.B) {
	k, err := testIdP()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			enc := response(b, k, c.attrs())
			sp := ours(b, k)
			ctx := context.Background()
			a, err := sp.ParseResponse(ctx, enc, requestID)
			if err != nil {
				b.Fatalf("ours refuses the response: %v", err)
			}
			if a.NameID != "usr-1" || len(a.Attributes) != len(c.attrs()) {
				b.Fatalf("ours: NameID %q, %d attributes", a.NameID, len(a.Attributes))
			}
			b.SetBytes(int64(base64.StdEncoding.DecodedLen(len(enc))))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sp.ParseResponse(ctx, enc, requestID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseResponse_Gosaml2(b *testing.B) {
	k, err := testIdP()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			enc := response(b, k, c.attrs())
			sp := peer(k)
			info, err := sp.RetrieveAssertionInfo(enc)
			if err != nil {
				b.Skipf("gosaml2 refuses the response: %v", err)
			}
			if info.NameID != "usr-1" || len(info.Values) != len(c.attrs()) || info.WarningInfo.InvalidTime || info.WarningInfo.NotInAudience {
				b.Fatalf("gosaml2: NameID %q, %d attributes, warnings %+v", info.NameID, len(info.Values), info.WarningInfo)
			}
			b.SetBytes(int64(base64.StdEncoding.DecodedLen(len(enc))))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sp.RetrieveAssertionInfo(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestResponsesAreRealistic checks the benchmark inputs: sizes as claimed,
// and both implementations accept them (gosaml2 within its limits).
func TestResponsesAreRealistic(t *testing.T) {
	k, err := testIdP()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		enc := response(t, k, c.attrs())
		n := base64.StdEncoding.DecodedLen(len(enc))
		t.Logf("%s: %d bytes of XML", c.name, n)
		if c.name != "typical_25attrs" && (n < 45_000 || n > 60_000) {
			t.Errorf("%s: %d bytes, want about 50 KB", c.name, n)
		}
		if _, err := ours(t, k).ParseResponse(context.Background(), enc, requestID); err != nil {
			t.Errorf("%s: ours: %v", c.name, err)
		}
		if _, err := peer(k).RetrieveAssertionInfo(enc); err != nil {
			t.Logf("%s: gosaml2: %v", c.name, err)
		}
	}
}
