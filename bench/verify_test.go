package bench

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
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

// now is the one clock of every implementation.
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

// response returns a base64 SAMLResponse of the Maestrano shape with n
// attributes, its Assertion signed (RSA-SHA256, exclusive c14n).
func response(tb testing.TB, k *idp, n int) string {
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
	authn := a.CreateElement("AuthnStatement")
	authn.CreateAttr("AuthnInstant", ts(now))
	authn.CreateAttr("SessionIndex", "_assert-1")
	authn.CreateElement("AuthnContext").CreateElement("AuthnContextClassRef").SetText("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
	as := a.CreateElement("AttributeStatement")
	for i := range n {
		at := as.CreateElement("Attribute")
		at.CreateAttr("Name", fmt.Sprintf("attribute_%04d", i))
		at.CreateElement("AttributeValue").SetText(fmt.Sprintf("value %04d of a legitimate assertion", i))
	}

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

// sizes: attribute counts giving about 6, 20 and 60 KB of XML.
var sizes = []struct {
	name  string
	attrs int
}{
	{"6KB", 25},
	{"20KB", 150},
	{"60KB", 500},
}

// noReplay lets the same response be parsed on every iteration (the peers
// keep no replay cache either).
type noReplay struct{}

func (noReplay) Consume(context.Context, string, time.Time) (bool, error) { return true, nil }

type verifier func(enc string) (nameID string, attrs int, err error)

func ours(k *idp) (verifier, error) {
	sp, err := saml.NewServiceProvider(acs, []*x509.Certificate{k.cert},
		saml.WithClock(func() time.Time { return now }), saml.WithIDPIssuer(idpIssuer), saml.WithReplayCache(noReplay{}))
	if err != nil {
		return nil, err
	}
	return func(enc string) (string, int, error) {
		a, err := sp.ParseResponse(context.Background(), enc, requestID)
		if err != nil {
			return "", 0, err
		}
		return a.NameID, len(a.Attributes), nil
	}, nil
}

func gosaml2(k *idp) verifier {
	sp := &saml2.SAMLServiceProvider{
		IdentityProviderIssuer:      idpIssuer,
		AssertionConsumerServiceURL: acs,
		AudienceURI:                 audience,
		IDPCertificateStore:         &dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{k.cert}},
		Clock:                       dsig.NewFakeClockAt(now),
	}
	return func(enc string) (string, int, error) {
		info, err := sp.RetrieveAssertionInfo(enc)
		if err != nil {
			return "", 0, err
		}
		if info.WarningInfo.InvalidTime || info.WarningInfo.NotInAudience {
			return "", 0, fmt.Errorf("gosaml2 warnings %+v", info.WarningInfo)
		}
		return info.NameID, len(info.Values), nil
	}
}

// crewjamOnce sets crewjam's package clock (it has no per-SP clock).
var crewjamOnce sync.Once

func crewjamSP(k *idp) verifier {
	crewjamOnce.Do(func() { crewjam.TimeNow = func() time.Time { return now } })
	cert := base64.StdEncoding.EncodeToString(k.der)
	acsURL, _ := url.Parse(acs)
	sp := &crewjam.ServiceProvider{
		EntityID:       audience,
		AcsURL:         *acsURL,
		IDPMetadata:    &crewjam.EntityDescriptor{EntityID: idpIssuer},
		IDPCertificate: &cert,
	}
	return func(enc string) (string, int, error) {
		x, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return "", 0, err
		}
		a, err := sp.ParseXMLResponse(x, []string{requestID}, *acsURL)
		if err != nil {
			if ie, ok := err.(*crewjam.InvalidResponseError); ok {
				return "", 0, fmt.Errorf("%v: %v", ie, ie.PrivateErr)
			}
			return "", 0, err
		}
		n := 0
		for _, st := range a.AttributeStatements {
			n += len(st.Attributes)
		}
		return a.Subject.NameID.Value, n, nil
	}
}

// floor is the least any verifier must do: decode, one etree parse, one
// SHA-256 over the document, one RSA verification.
func floor(k *idp) verifier {
	sig := make([]byte, 256)
	digest := sha256.Sum256([]byte("signed info"))
	s, _ := rsa.SignPKCS1v15(rand.Reader, k.key, crypto.SHA256, digest[:])
	copy(sig, s)
	return func(enc string) (string, int, error) {
		x, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return "", 0, err
		}
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(x); err != nil {
			return "", 0, err
		}
		_ = sha256.Sum256(x)
		if err := rsa.VerifyPKCS1v15(k.cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, digest[:], sig); err != nil {
			return "", 0, err
		}
		return "usr-1", -1, nil
	}
}

// readsBack reports whether a verifier read the subject and all attrs
// attributes of a response (n is -1 for the floor, which reads none).
func readsBack(nameID string, n, attrs int) bool {
	return nameID == "usr-1" && (n == -1 || n == attrs)
}

func verifiers(tb testing.TB) (map[string]verifier, []string) {
	k, err := testIdP()
	if err != nil {
		tb.Fatal(err)
	}
	o, err := ours(k)
	if err != nil {
		tb.Fatal(err)
	}
	return map[string]verifier{"mno": o, "crewjam": crewjamSP(k), "gosaml2": gosaml2(k), "floor": floor(k)},
		[]string{"mno", "crewjam", "gosaml2", "floor"}
}

func BenchmarkVerify(b *testing.B) {
	k, err := testIdP()
	if err != nil {
		b.Fatal(err)
	}
	vs, order := verifiers(b)
	for _, sz := range sizes {
		enc := response(b, k, sz.attrs)
		for _, name := range order {
			v := vs[name]
			b.Run(sz.name+"/"+name, func(b *testing.B) {
				nameID, n, err := v(enc)
				if err != nil {
					b.Skipf("%s refuses the %s response: %v", name, sz.name, err)
				}
				if !readsBack(nameID, n, sz.attrs) {
					b.Fatalf("%s: NameID %q, %d attributes", name, nameID, n)
				}
				b.SetBytes(int64(base64.StdEncoding.DecodedLen(len(enc))))
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := v(enc); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestResponsesAreRealistic checks the benchmark inputs: sizes as named,
// and every implementation reads the subject and every attribute back (or
// its refusal is logged).
func TestResponsesAreRealistic(t *testing.T) {
	k, err := testIdP()
	if err != nil {
		t.Fatal(err)
	}
	vs, order := verifiers(t)
	for _, sz := range sizes {
		enc := response(t, k, sz.attrs)
		n := base64.StdEncoding.DecodedLen(len(enc))
		t.Logf("%s: %d bytes of XML, %d attributes", sz.name, n, sz.attrs)
		var want int
		fmt.Sscanf(sz.name, "%dKB", &want)
		if n < want*1000*8/10 || n > want*1000*12/10 {
			t.Errorf("%s: %d bytes", sz.name, n)
		}
		for _, name := range order {
			nameID, got, err := vs[name](enc)
			switch {
			case err != nil && (name == "mno" || name == "floor"):
				t.Errorf("%s %s: %v", sz.name, name, err)
			case err != nil:
				t.Logf("%s %s refuses: %v", sz.name, name, err)
			case !readsBack(nameID, got, sz.attrs):
				t.Errorf("%s %s: NameID %q, %d attributes, want usr-1 and %d", sz.name, name, nameID, got, sz.attrs)
			}
		}
	}
}
