package saml

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode"

	"github.com/beevik/etree"

	_ "crypto/sha1" // hash implementations for crypto.Hash.New
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/maestrano-go/maestrano/internal/clip"
)

// XML-DSig signature methods.
const (
	SignatureMethodRSASHA1     = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	SignatureMethodRSASHA256   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	SignatureMethodRSASHA384   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
	SignatureMethodRSASHA512   = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
	SignatureMethodECDSASHA1   = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1"
	SignatureMethodECDSASHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	SignatureMethodECDSASHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
	SignatureMethodECDSASHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"

	transformEnveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
)

// signatureMethod returns the public-key algorithm and hash of a signature
// method URI.
func signatureMethod(uri string) (x509.PublicKeyAlgorithm, crypto.Hash, bool) {
	switch uri {
	case SignatureMethodRSASHA1:
		return x509.RSA, crypto.SHA1, true
	case SignatureMethodRSASHA256:
		return x509.RSA, crypto.SHA256, true
	case SignatureMethodRSASHA384:
		return x509.RSA, crypto.SHA384, true
	case SignatureMethodRSASHA512:
		return x509.RSA, crypto.SHA512, true
	case SignatureMethodECDSASHA1:
		return x509.ECDSA, crypto.SHA1, true
	case SignatureMethodECDSASHA256:
		return x509.ECDSA, crypto.SHA256, true
	case SignatureMethodECDSASHA384:
		return x509.ECDSA, crypto.SHA384, true
	case SignatureMethodECDSASHA512:
		return x509.ECDSA, crypto.SHA512, true
	}
	return 0, 0, false
}

// digestMethod returns the hash of an accepted digest method URI.
func digestMethod(uri string) (crypto.Hash, bool) {
	switch uri {
	case "http://www.w3.org/2000/09/xmldsig#sha1":
		return crypto.SHA1, true
	case "http://www.w3.org/2001/04/xmlenc#sha256":
		return crypto.SHA256, true
	case "http://www.w3.org/2001/04/xmldsig-more#sha384":
		return crypto.SHA384, true
	case "http://www.w3.org/2001/04/xmlenc#sha512":
		return crypto.SHA512, true
	}
	return 0, false
}

// signature is a ds:Signature of the one accepted shape, read.
type signature struct {
	el         *etree.Element
	signedInfo *etree.Element
	siC14N     c14n
	keyAlg     x509.PublicKeyAlgorithm
	sigHash    crypto.Hash
	refC14N    c14n
	digestHash crypto.Hash
	digest     []byte
	value      []byte
	cert       []byte // DER of the first KeyInfo X509Certificate; nil if none
}

// readSignature accepts exactly: SignedInfo with an accepted
// canonicalization, an allowed signature method, one Reference to "#id"
// with the transforms enveloped-signature then an accepted canonicalization
// (or enveloped-signature alone, meaning Canonical XML 1.0) and an allowed
// digest; one SignatureValue; at most one KeyInfo; nothing else.
func (v *verifier) readSignature(sig *etree.Element, id string) (*signature, error) {
	bad := func(format string, args ...any) error {
		return refuse(ReasonSignature, "signature shape: "+format, args...)
	}
	s := &signature{el: sig}
	var si, sv, ki *etree.Element
	for _, c := range sig.ChildElements() {
		if c.NamespaceURI() != NSDSig {
			return nil, bad("unexpected element %s", c.Tag)
		}
		switch c.Tag {
		case "SignedInfo":
			if si != nil {
				return nil, bad("more than one SignedInfo")
			}
			si = c
		case "SignatureValue":
			if sv != nil {
				return nil, bad("more than one SignatureValue")
			}
			sv = c
		case "KeyInfo":
			if ki != nil {
				return nil, bad("more than one KeyInfo")
			}
			ki = c
		case "Object":
			return nil, bad("ds:Object is not accepted")
		default:
			return nil, bad("unexpected element %s", c.Tag)
		}
	}
	if si == nil {
		return nil, bad("no SignedInfo")
	}
	if sv == nil {
		return nil, bad("no SignatureValue")
	}
	s.signedInfo = si
	kids := si.ChildElements()
	if len(kids) != 3 || !is(kids[0], NSDSig, "CanonicalizationMethod") || !is(kids[1], NSDSig, "SignatureMethod") || !is(kids[2], NSDSig, "Reference") {
		return nil, bad("SignedInfo must hold CanonicalizationMethod, SignatureMethod and one Reference, in this order")
	}
	var err error
	if s.siC14N, err = readC14N(kids[0]); err != nil {
		return nil, err
	}
	alg := attr(kids[1], "Algorithm")
	if !v.sigMethods[alg] {
		return nil, bad("signature method %q is not accepted (accepted: %s)", clip.String(alg, 100), strings.Join(v.sigMethodList(), ", "))
	}
	s.keyAlg, s.sigHash, _ = signatureMethod(alg)
	if len(kids[1].ChildElements()) > 0 {
		return nil, bad("SignatureMethod has children (HMACOutputLength is not accepted)")
	}

	ref := kids[2]
	if uri := attr(ref, "URI"); uri != "#"+id {
		return nil, bad("Reference URI %q does not point at the signed element #%s", clip.String(uri, 100), id)
	}
	rk := ref.ChildElements()
	if len(rk) != 3 || !is(rk[0], NSDSig, "Transforms") || !is(rk[1], NSDSig, "DigestMethod") || !is(rk[2], NSDSig, "DigestValue") {
		return nil, bad("Reference must hold Transforms, DigestMethod and DigestValue, in this order")
	}
	ts := rk[0].ChildElements()
	for _, t := range ts {
		if !is(t, NSDSig, "Transform") {
			return nil, bad("unexpected element %s in Transforms", t.Tag)
		}
	}
	switch {
	case len(ts) == 1 && attr(ts[0], "Algorithm") == transformEnveloped && len(ts[0].ChildElements()) == 0:
		s.refC14N = c14n{} // the default: Canonical XML 1.0 without comments
	case len(ts) == 2 && attr(ts[0], "Algorithm") == transformEnveloped && len(ts[0].ChildElements()) == 0:
		if s.refC14N, err = readC14N(ts[1]); err != nil {
			return nil, err
		}
	default:
		return nil, bad("transforms must be enveloped-signature, then one canonicalization")
	}
	// A same-document reference "#id" selects the element without its
	// comments (XML-DSig §4.4.3.3), whatever the canonicalization says.
	s.refC14N.comments = false
	var ok bool
	if s.digestHash, ok = digestMethod(attr(rk[1], "Algorithm")); !ok {
		return nil, bad("digest method %q is not accepted", clip.String(attr(rk[1], "Algorithm"), 100))
	}
	if s.digest, err = decodeBase64Spaced(textOf(rk[2])); err != nil || len(s.digest) != s.digestHash.Size() {
		return nil, bad("DigestValue is not the base64 of a %v digest", s.digestHash)
	}
	if s.value, err = decodeBase64Spaced(textOf(sv)); err != nil || len(s.value) == 0 {
		return nil, bad("SignatureValue is empty or not base64")
	}
	if ki != nil {
		if s.cert, err = keyInfoCertificate(ki); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// readC14N reads a CanonicalizationMethod or Transform naming one of the
// accepted canonicalizations; exclusive c14n may carry an
// InclusiveNamespaces PrefixList.
func readC14N(el *etree.Element) (c14n, error) {
	alg := attr(el, "Algorithm")
	m, ok := c14nFor(alg)
	if !ok {
		return c14n{}, refuse(ReasonSignature, "signature shape: canonicalization %q is not accepted (accepted: exclusive and inclusive Canonical XML 1.0, with or without comments)", clip.String(alg, 100))
	}
	kids := el.ChildElements()
	switch {
	case len(kids) == 0:
	case len(kids) == 1 && m.exclusive && is(kids[0], nsExcC14N, "InclusiveNamespaces") && len(kids[0].ChildElements()) == 0:
		for _, p := range strings.Fields(attr(kids[0], "PrefixList")) {
			if p == "#default" {
				p = ""
			}
			m.inclusive = append(m.inclusive, p)
		}
	default:
		return c14n{}, refuse(ReasonSignature, "signature shape: unexpected content in %s", el.Tag)
	}
	return m, nil
}

// keyInfoCertificate returns the DER of the first X509Certificate in
// KeyInfo/X509Data, or nil if there is none.
func keyInfoCertificate(ki *etree.Element) ([]byte, error) {
	for _, xd := range childrenOf(ki, NSDSig, "X509Data") {
		for _, c := range childrenOf(xd, NSDSig, "X509Certificate") {
			der, err := decodeBase64Spaced(textOf(c))
			if err != nil || len(der) == 0 {
				return nil, refuse(ReasonSignature, "KeyInfo X509Certificate is not base64")
			}
			return der, nil
		}
	}
	return nil, nil
}

// candidates returns the certificates whose keys may have made a signature
// carrying the KeyInfo certificate kiCert (nil if none): a configured
// certificate equal to it, else the KeyInfo certificate itself if a pinned
// fingerprint matches it; without a KeyInfo certificate, every configured
// one. A KeyInfo certificate is never trusted on its own.
func (v *verifier) candidates(kiCert []byte, now time.Time) ([]*x509.Certificate, error) {
	var cands []*x509.Certificate
	if kiCert != nil {
		for _, c := range v.certs {
			if bytes.Equal(c.Raw, kiCert) {
				cands = []*x509.Certificate{c}
				break
			}
		}
		if cands == nil {
			for _, f := range v.fingerprints {
				if f.Matches(kiCert) {
					c, err := x509.ParseCertificate(kiCert)
					if err != nil {
						return nil, refuse(ReasonSignature, "the KeyInfo certificate matches the pinned fingerprint but does not parse: %v", err)
					}
					cands = []*x509.Certificate{c}
					break
				}
			}
		}
		if cands == nil {
			return nil, refuse(ReasonSignature, "the signature carries a certificate (SHA-256 %s) that is not a configured IdP certificate%s; if the IdP rotated its key, configure the new certificate", sha256Fingerprint(kiCert), v.trustSummary())
		}
	} else {
		if len(v.certs) == 0 {
			return nil, refuse(ReasonSignature, "the signature carries no KeyInfo certificate and only a fingerprint is configured; configure the IdP certificate itself")
		}
		cands = v.certs
	}
	var valid []*x509.Certificate
	for _, c := range cands {
		if now.Before(c.NotBefore) || now.After(c.NotAfter) {
			continue
		}
		valid = append(valid, c)
	}
	if len(valid) == 0 {
		c := cands[0]
		return nil, refuse(ReasonSignature, "the IdP certificate %q (SHA-256 %s) is valid from %s to %s, but now is %s; configure the IdP's current certificate, or check the clock",
			clip.String(c.Subject.CommonName, 80), FingerprintSHA256(c), c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return valid, nil
}

func (v *verifier) trustSummary() string {
	if len(v.certs) == 0 {
		return " and matches no pinned fingerprint"
	}
	return " (configured: SHA-256 " + sha256List(v.certs) + ")"
}

// verify checks the signature sig on el: its shape, then SignatureValue over
// the canonical SignedInfo with a trusted key, then the digest over the
// canonical el without sig. On success, el is exactly the subtree whose
// canonical bytes were digested; callers read from el and nothing outside.
func (v *verifier) verify(el, sig *etree.Element, now time.Time) error {
	id := attr(el, "ID")
	if id == "" {
		return refuse(ReasonSignature, "the signed %s has no ID", el.Tag)
	}
	// An xs:ID has no whitespace; verifiers that normalize or split it
	// would resolve "#id" to something else than this element.
	if strings.IndexFunc(id, unicode.IsSpace) >= 0 {
		return refuse(ReasonSignature, "the signed %s's ID %q contains whitespace; it is not an XML ID", el.Tag, clip.String(id, 100))
	}
	s, err := v.readSignature(sig, id)
	if err != nil {
		return err
	}
	certs, err := v.candidates(s.cert, now)
	if err != nil {
		return err
	}
	h := s.sigHash.New()
	h.Write(s.siC14N.canonicalize(nil, s.signedInfo, nil))
	sum := h.Sum(nil)
	var verr error
	ok := false
	for _, c := range certs {
		if verr = verifyWith(c, s.keyAlg, s.sigHash, sum, s.value); verr == nil {
			ok = true
			break
		}
	}
	if !ok {
		return &ValidationError{Reason: ReasonSignature, Err: verr, Detail: fmt.Sprintf(
			"the %s signature was not made by the configured IdP key%s; check that the certificate is the IdP's current one", el.Tag, " (tried SHA-256 "+sha256List(certs)+")")}
	}
	buf := v.getBuffer()
	defer v.putBuffer(buf)
	*buf = s.refC14N.canonicalize((*buf)[:0], el, sig)
	d := s.digestHash.New()
	d.Write(*buf)
	if subtle.ConstantTimeCompare(d.Sum(nil), s.digest) != 1 {
		return refuse(ReasonSignature, "the signed %s %s was changed after signing (digest mismatch)", el.Tag, clip.String(id, 100))
	}
	return nil
}

// sha256List returns the SHA-256 fingerprints of certs, comma-separated.
func sha256List(certs []*x509.Certificate) string {
	fps := make([]string, len(certs))
	for i, c := range certs {
		fps[i] = FingerprintSHA256(c).String()
	}
	return strings.Join(fps, ", ")
}

// verifyWith verifies an XML-DSig SignatureValue over digest with cert's key.
func verifyWith(cert *x509.Certificate, alg x509.PublicKeyAlgorithm, h crypto.Hash, digest, value []byte) error {
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if alg != x509.RSA {
			return fmt.Errorf("an RSA key cannot verify a %v signature", alg)
		}
		return rsa.VerifyPKCS1v15(pub, h, digest, value)
	case *ecdsa.PublicKey:
		if alg != x509.ECDSA {
			return fmt.Errorf("an ECDSA key cannot verify a %v signature", alg)
		}
		// XML-DSig ECDSA values are r || s, each as wide as the curve order.
		n := (pub.Curve.Params().BitSize + 7) / 8
		if len(value) != 2*n {
			return fmt.Errorf("ECDSA signature is %d bytes, want %d", len(value), 2*n)
		}
		r, s := new(big.Int).SetBytes(value[:n]), new(big.Int).SetBytes(value[n:])
		if !ecdsa.Verify(pub, digest, r, s) {
			return fmt.Errorf("ECDSA verification failed")
		}
		return nil
	}
	return fmt.Errorf("unsupported key type %T", cert.PublicKey)
}
