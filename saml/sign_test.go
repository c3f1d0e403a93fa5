package saml

// A second test signer: it signs elements in place, in their final
// document context, with any of the accepted canonicalizations, RSA or
// ECDSA, on the Assertion, the Response or both. Its canonical bytes come
// from goxmldsig's canonicalizers, an implementation independent of the
// one under test.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// signer is a key of either kind and its certificate.
type signer struct {
	key  crypto.Signer
	cert *x509.Certificate
	der  []byte
}

func rsaSigner(tb testing.TB) *signer {
	kp := trustedIdP(tb)
	return &signer{key: kp.key, cert: kp.cert, der: kp.der}
}

var ecKeys = sync.OnceValues(func() (*signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	cert, der, err := selfSigned(key, 7, "idp.example.com")
	if err != nil {
		return nil, err
	}
	return &signer{key: key, cert: cert, der: der}, nil
})

func ecSigner(tb testing.TB) *signer {
	tb.Helper()
	s, err := ecKeys()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// referenceCanonicalize is goxmldsig's canonical form of el in its document.
func referenceCanonicalize(tb testing.TB, el *etree.Element, alg string) []byte {
	tb.Helper()
	out, err := referenceC14N(el, alg)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func referenceC14N(el *etree.Element, alg string) ([]byte, error) {
	switch alg {
	case C14N10Exclusive:
		return dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(detachedCopy(el))
	case C14N10ExclusiveWithComments:
		return dsig.MakeC14N10ExclusiveWithCommentsCanonicalizerWithPrefixList("").Canonicalize(detachedCopy(el))
	case C14N10Inclusive:
		return dsig.MakeC14N10RecCanonicalizer().Canonicalize(el)
	case C14N10InclusiveWithComments:
		return dsig.MakeC14N10WithCommentsCanonicalizer().Canonicalize(el)
	}
	return nil, fmt.Errorf("no reference canonicalizer for %s", alg)
}

// detachedCopy is a copy of el that declares the namespaces in scope.
func detachedCopy(el *etree.Element) *etree.Element {
	cp := el.Copy()
	for p := el.Parent(); p != nil; p = p.Parent() {
		for _, at := range p.Attr {
			if (at.Space == "xmlns" || (at.Space == "" && at.Key == "xmlns")) && cp.SelectAttr(at.FullKey()) == nil {
				cp.CreateAttr(at.FullKey(), at.Value)
			}
		}
	}
	return cp
}

// signInPlace signs el where it stands: the digest over el's canonical form
// (alg), a Signature inserted after el's Issuer (or first), and the
// SignatureValue over the canonical SignedInfo in context.
func signInPlace(tb testing.TB, s *signer, el *etree.Element, alg, method string) {
	tb.Helper()
	_, h, ok := signatureMethod(method)
	if !ok {
		tb.Fatalf("method %s", method)
	}
	// "#id" references exclude comments (XML-DSig §4.4.3.3).
	refAlg := map[string]string{C14N10ExclusiveWithComments: C14N10Exclusive, C14N10InclusiveWithComments: C14N10Inclusive}[alg]
	if refAlg == "" {
		refAlg = alg
	}
	d := crypto.SHA256.New()
	d.Write(referenceCanonicalize(tb, el, refAlg))

	sig := etree.NewElement("ds:Signature")
	sig.CreateAttr("xmlns:ds", NSDSig)
	si := sig.CreateElement("ds:SignedInfo")
	si.CreateElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", alg)
	si.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", method)
	ref := si.CreateElement("ds:Reference")
	id := attr(el, "ID")
	if id == "" {
		id = attr(el, "Id")
	}
	ref.CreateAttr("URI", "#"+id)
	trs := ref.CreateElement("ds:Transforms")
	trs.CreateElement("ds:Transform").CreateAttr("Algorithm", transformEnveloped)
	trs.CreateElement("ds:Transform").CreateAttr("Algorithm", alg)
	ref.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", "http://www.w3.org/2001/04/xmlenc#sha256")
	ref.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(d.Sum(nil)))
	sv := sig.CreateElement("ds:SignatureValue")
	sig.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").SetText(base64.StdEncoding.EncodeToString(s.der))
	if iss := firstChild(el, "Issuer"); iss != nil {
		el.InsertChildAt(iss.Index()+1, sig)
	} else {
		el.InsertChildAt(0, sig)
	}

	hh := h.New()
	hh.Write(referenceCanonicalize(tb, si, alg))
	v, err := s.key.Sign(rand.Reader, hh.Sum(nil), h)
	if err != nil {
		tb.Fatal(err)
	}
	if pub, ok := s.key.Public().(*ecdsa.PublicKey); ok {
		// ASN.1 (r, s) to XML-DSig r || s.
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(v, &rs); err != nil {
			tb.Fatal(err)
		}
		n := (pub.Curve.Params().BitSize + 7) / 8
		v = make([]byte, 2*n)
		rs.R.FillBytes(v[:n])
		rs.S.FillBytes(v[n:])
	}
	sv.SetText(base64.StdEncoding.EncodeToString(v))
}

// inPlace describes a response signed by signInPlace.
type inPlace struct {
	signer   *signer
	alg      string
	method   string
	response bool // sign the Response
	noAssert bool // do not sign the Assertion
	before   func(resp, a *etree.Element)
	after    func(resp, a *etree.Element)
}

// signedInPlace builds the default response unsigned, then signs it as p says.
func signedInPlace(tb testing.TB, p inPlace, mods ...mod) []byte {
	tb.Helper()
	if p.signer == nil {
		p.signer = rsaSigner(tb)
	}
	if p.alg == "" {
		p.alg = C14N10Exclusive
	}
	if p.method == "" {
		p.method = SignatureMethodRSASHA256
	}
	var out []byte
	mods = append(mods, afterSign(func(resp, a *etree.Element) {
		a.RemoveChild(firstChild(a, "Signature"))
		if p.before != nil {
			p.before(resp, a)
		}
		if !p.noAssert {
			signInPlace(tb, p.signer, a, p.alg, p.method)
		}
		if p.response {
			signInPlace(tb, p.signer, resp, p.alg, p.method)
		}
		if p.after != nil {
			p.after(resp, a)
		}
	}))
	out = signedResponse(tb, mods...)
	return out
}

// spFor is the test SP trusting s.
func spFor(tb testing.TB, s *signer, opts ...Option) *ServiceProvider {
	tb.Helper()
	base := []Option{WithClock(fixedClock), WithIDPIssuer(testIdPIssuer)}
	sp, err := NewServiceProvider(testACS, []*x509.Certificate{s.cert}, append(base, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return sp
}

var _ = time.Second
