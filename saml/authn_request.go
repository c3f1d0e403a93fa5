package saml

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
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
}

// NewAuthnRequest returns a request with a fresh random ID.
func (sp *ServiceProvider) NewAuthnRequest() (*AuthnRequest, error) {
	id, err := sp.newID()
	if err != nil {
		return nil, fmt.Errorf("saml: request ID: %w", err)
	}
	return &AuthnRequest{ID: id, IssueInstant: sp.now().UTC(), Issuer: sp.issuer, ACSURL: sp.acsURL}, nil
}

// XML returns the request document: persistent NameID, HTTP-POST binding,
// PasswordProtectedTransport as requested context (what every Maestrano SDK sends).
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
	pol := req.CreateElement("samlp:NameIDPolicy")
	pol.CreateAttr("Format", NameIDFormatPersistent)
	pol.CreateAttr("AllowCreate", "true")
	ctx := req.CreateElement("samlp:RequestedAuthnContext")
	ctx.CreateAttr("Comparison", "exact")
	ctx.CreateElement("saml:AuthnContextClassRef").SetText(AuthnContextPassword)
	return doc.WriteToBytes()
}

// EncodeRedirect deflates (raw DEFLATE, no zlib header) and base64-encodes
// an XML message for the HTTP-Redirect binding.
func EncodeRedirect(xml []byte) (string, error) {
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return "", err
	}
	if _, err := w.Write(xml); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// RedirectURL returns the IdP URL that carries req: SAMLRequest first, then
// the extra parameters (Maestrano passes the init request's own parameters,
// such as group_id, through). It uses "&" when idpURL already has a query.
func (sp *ServiceProvider) RedirectURL(idpURL string, req *AuthnRequest, extra url.Values) (string, error) {
	u, err := url.Parse(idpURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("saml: IdP URL %q is not an absolute http(s) URL", idpURL)
	}
	if u.Fragment != "" || strings.Contains(idpURL, "#") {
		return "", fmt.Errorf("saml: IdP URL %q has a fragment; the query would land after it and never reach the IdP", idpURL)
	}
	doc, err := req.XML()
	if err != nil {
		return "", err
	}
	enc, err := EncodeRedirect(doc)
	if err != nil {
		return "", err
	}
	var q strings.Builder
	q.WriteString("SAMLRequest=")
	q.WriteString(url.QueryEscape(enc))
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		if k == "SAMLRequest" {
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

const timeFormat = "2006-01-02T15:04:05Z"

func randomID() (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "_" + hex.EncodeToString(b), nil
}
