package saml

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"

	"github.com/maestrano-go/maestrano/internal/clip"
)

// AuthnRequest is an SP-initiated authentication request.
type AuthnRequest struct {
	// ID must come back as InResponseTo; keep it (for example in the
	// user's session) until the response arrives.
	ID string
	// IssueInstant is when the request was made (UTC).
	IssueInstant time.Time
	// Issuer names the app to the IdP (Maestrano: the app's api.id).
	Issuer string
	// ACSURL is where the IdP must post the response.
	ACSURL string
	// NameIDFormat is the NameIDPolicy Format ("" for no NameIDPolicy).
	NameIDFormat string
	// RelayState, if set, travels to the IdP and back with the response
	// (at most 80 bytes, SAML bindings §3.4.3). It is not a secret and not
	// integrity-protected unless the redirect is signed.
	RelayState string
}

// maxRelayState is the HTTP-Redirect binding's RelayState limit.
const maxRelayState = 80

// NewAuthnRequest returns a request with a fresh random ID. With a
// [RequestTracker], use [ServiceProvider.NewAuthnRequestContext].
func (sp *ServiceProvider) NewAuthnRequest() (*AuthnRequest, error) {
	return sp.NewAuthnRequestContext(context.Background())
}

// NewAuthnRequestContext returns a request with a fresh random ID and, if
// a [RequestTracker] is configured, records it there as outstanding for
// [DefaultRequestLifetime].
func (sp *ServiceProvider) NewAuthnRequestContext(ctx context.Context) (*AuthnRequest, error) {
	id, err := sp.newID()
	if err != nil {
		return nil, fmt.Errorf("saml: request ID: %w", err)
	}
	now := sp.now().UTC()
	if sp.tracker != nil {
		if err := sp.tracker.Track(ctx, id, now.Add(DefaultRequestLifetime)); err != nil {
			return nil, fmt.Errorf("saml: track request: %w", err)
		}
	}
	return &AuthnRequest{ID: id, IssueInstant: now, Issuer: sp.issuer, ACSURL: sp.acsURL, NameIDFormat: sp.nameIDFormat}, nil
}

// XML returns the request document: NameIDPolicy (persistent by default),
// HTTP-POST binding, PasswordProtectedTransport as requested context (what
// every Maestrano SDK sends).
func (r *AuthnRequest) XML() ([]byte, error) {
	doc := etree.NewDocument()
	req := doc.CreateElement("samlp:AuthnRequest")
	req.CreateAttr("xmlns:samlp", NSProtocol)
	req.CreateAttr("xmlns:saml", NSAssertion)
	req.CreateAttr("ID", r.ID)
	req.CreateAttr("Version", "2.0")
	req.CreateAttr("IssueInstant", r.IssueInstant.UTC().Format(timeFormat))
	req.CreateAttr("ProtocolBinding", BindingHTTPPost)
	req.CreateAttr("AssertionConsumerServiceURL", r.ACSURL)
	req.CreateElement("saml:Issuer").SetText(r.Issuer)
	if r.NameIDFormat != "" {
		pol := req.CreateElement("samlp:NameIDPolicy")
		pol.CreateAttr("Format", r.NameIDFormat)
		pol.CreateAttr("AllowCreate", "true")
	}
	ctx := req.CreateElement("samlp:RequestedAuthnContext")
	ctx.CreateAttr("Comparison", "exact")
	ctx.CreateElement("saml:AuthnContextClassRef").SetText(AuthnContextPassword)
	return doc.WriteToBytes()
}

// EncodeRedirect deflates (raw DEFLATE, no zlib header) and base64-encodes
// an XML message for the HTTP-Redirect binding.
func EncodeRedirect(xml []byte) (string, error) {
	return encodeRedirect(nil, xml)
}

// encodeRedirect is EncodeRedirect with a pool of compressors (nil: a new
// one). A flate.Writer at BestCompression allocates and clears about 1 MB
// of state, which was the largest cost of starting a login; reset, it
// writes the same bytes.
func encodeRedirect(pool *sync.Pool, xml []byte) (string, error) {
	var buf bytes.Buffer
	var w *flate.Writer
	if pool != nil {
		w, _ = pool.Get().(*flate.Writer)
	}
	if w == nil {
		var err error
		if w, err = flate.NewWriter(&buf, flate.BestCompression); err != nil {
			return "", err
		}
	} else {
		w.Reset(&buf)
	}
	if _, err := w.Write(xml); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	if pool != nil {
		w.Reset(nil) // drop the reference to buf
		pool.Put(w)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// RedirectURL returns the IdP URL that carries req: SAMLRequest, then
// RelayState (if set), then SigAlg and Signature (if [WithRedirectSigning]
// is configured; the signature covers exactly the preceding part of the
// query, as SAML bindings §3.4.4.1 says), then the extra parameters
// (Maestrano passes the init request's own parameters, such as group_id,
// through; extra SAMLRequest, RelayState, SigAlg and Signature values are
// dropped). It joins with "&" when idpURL already has a query, "?" if not.
func (sp *ServiceProvider) RedirectURL(idpURL string, req *AuthnRequest, extra url.Values) (string, error) {
	u, err := url.Parse(idpURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("saml: IdP URL %q is not an absolute http(s) URL", idpURL)
	}
	if u.Fragment != "" || strings.Contains(idpURL, "#") {
		return "", fmt.Errorf("saml: IdP URL %q has a fragment; the query would land after it and never reach the IdP", idpURL)
	}
	if len(req.RelayState) > maxRelayState {
		return "", fmt.Errorf("saml: RelayState is %d bytes, the HTTP-Redirect binding allows %d; keep a short key and look the state up on return", len(req.RelayState), maxRelayState)
	}
	doc, err := req.XML()
	if err != nil {
		return "", err
	}
	enc, err := encodeRedirect(&sp.deflaters, doc)
	if err != nil {
		return "", err
	}
	var q strings.Builder
	q.WriteString("SAMLRequest=")
	q.WriteString(url.QueryEscape(enc))
	if req.RelayState != "" {
		q.WriteString("&RelayState=")
		q.WriteString(url.QueryEscape(req.RelayState))
	}
	if sp.redirectKey != nil {
		q.WriteString("&SigAlg=")
		q.WriteString(url.QueryEscape(sp.redirectAlg))
		sig, err := signRedirect(sp.redirectKey, sp.redirectAlg, q.String())
		if err != nil {
			return "", err
		}
		q.WriteString("&Signature=")
		q.WriteString(url.QueryEscape(sig))
	}
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		switch k {
		case "SAMLRequest", "RelayState", "SigAlg", "Signature":
			continue
		}
		for _, v := range extra[k] {
			q.WriteString("&" + url.QueryEscape(k) + "=" + url.QueryEscape(v))
		}
	}
	sep := "?"
	if u.RawQuery != "" {
		sep = "&"
	}
	return strings.TrimSuffix(idpURL, "?") + sep + q.String(), nil
}

// signRedirect signs the octets of the query string signed with key.
func signRedirect(key crypto.Signer, method, signed string) (string, error) {
	_, h, _ := signatureMethod(method)
	d := h.New()
	d.Write([]byte(signed))
	sig, err := key.Sign(rand.Reader, d.Sum(nil), h)
	if err != nil {
		return "", fmt.Errorf("saml: sign redirect: %w", err)
	}
	if pub, ok := key.Public().(*ecdsa.PublicKey); ok {
		// XML-DSig ECDSA values are r || s, not ASN.1.
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(sig, &rs); err != nil {
			return "", fmt.Errorf("saml: sign redirect: %w", err)
		}
		n := (pub.Curve.Params().BitSize + 7) / 8
		sig = make([]byte, 2*n)
		rs.R.FillBytes(sig[:n])
		rs.S.FillBytes(sig[n:])
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// VerifyRedirectSignature checks the SigAlg and Signature of an
// HTTP-Redirect query (rawQuery as received, not re-encoded) against cert:
// the signature must cover SAMLRequest (or SAMLResponse), RelayState if
// present and SigAlg, in this order, exactly as they appear in the query.
// IdPs and tests use it to check [ServiceProvider.RedirectURL].
func VerifyRedirectSignature(rawQuery string, cert *x509.Certificate) error {
	var msg, relay, alg, sig string
	for _, part := range strings.Split(rawQuery, "&") {
		k, _, _ := strings.Cut(part, "=")
		switch k {
		case "SAMLRequest", "SAMLResponse":
			if msg != "" {
				return errors.New("saml: more than one SAML message in the query")
			}
			msg = part
		case "RelayState":
			relay = part
		case "SigAlg":
			alg = part
		case "Signature":
			sig = part
		}
	}
	if msg == "" || alg == "" || sig == "" {
		return errors.New("saml: the query has no SAML message, SigAlg or Signature")
	}
	signed := msg
	if relay != "" {
		signed += "&" + relay
	}
	signed += "&" + alg
	method, err := url.QueryUnescape(strings.TrimPrefix(alg, "SigAlg="))
	if err != nil {
		return fmt.Errorf("saml: SigAlg: %w", err)
	}
	keyAlg, h, ok := signatureMethod(method)
	if !ok {
		return fmt.Errorf("saml: SigAlg %q is not accepted", clip.String(method, 100))
	}
	sv, err := url.QueryUnescape(strings.TrimPrefix(sig, "Signature="))
	if err != nil {
		return fmt.Errorf("saml: Signature: %w", err)
	}
	raw, err := base64.StdEncoding.DecodeString(sv)
	if err != nil {
		return fmt.Errorf("saml: Signature is not base64: %w", err)
	}
	d := h.New()
	d.Write([]byte(signed))
	if err := verifyWith(cert, keyAlg, h, d.Sum(nil), raw); err != nil {
		return fmt.Errorf("saml: redirect signature does not verify: %w", err)
	}
	return nil
}

// maxInflated bounds a decoded HTTP-Redirect message: a deflate bomb stops here.
const maxInflated = 1 << 20

// DecodeRedirect undoes the HTTP-Redirect binding's encoding of a
// SAMLRequest or SAMLResponse value (already URL-decoded): base64 (line
// breaks allowed), then raw DEFLATE, bounded to 1 MiB of output.
func DecodeRedirect(value string) ([]byte, error) {
	if len(value) > maxInflated {
		return nil, fmt.Errorf("saml: redirect message is %d bytes, limit %d", len(value), maxInflated)
	}
	raw, err := decodeBase64Spaced(value)
	if err != nil {
		return nil, fmt.Errorf("saml: redirect message is not base64: %w", err)
	}
	r := flate.NewReader(bytes.NewReader(raw))
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, maxInflated+1))
	if err != nil {
		return nil, fmt.Errorf("saml: redirect message does not inflate: %w", err)
	}
	if len(out) > maxInflated {
		return nil, fmt.Errorf("saml: redirect message inflates to more than %d bytes", maxInflated)
	}
	return out, nil
}

const timeFormat = "2006-01-02T15:04:05Z"

func randomID() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "_" + hex.EncodeToString(b), nil
}
