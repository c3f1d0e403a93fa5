package sandbox

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"io"
	"strings"

	"github.com/beevik/etree"
)

// SAML namespaces and constants.
const (
	nsProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	nsAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
)

// Bounds on a SAMLRequest.
const (
	maxSAMLRequestEncoded  = 64 << 10  // base64 text
	maxSAMLRequestInflated = 256 << 10 // AuthnRequest XML
	maxAuthnRequestField   = 1024      // ID, Issuer, ACS URL
)

// errSAMLRequestTooLarge is the answer to an oversized or deflate-bomb request.
var errSAMLRequestTooLarge = errors.New("SAMLRequest too large")

// authnRequest is what the IdP takes from a SAML AuthnRequest.
type authnRequest struct {
	ID     string // echoed as InResponseTo
	ACSURL string // AssertionConsumerServiceURL
	Issuer string // the app uid
}

// decodeAuthnRequest decodes the SAMLRequest parameter of the HTTP-Redirect
// binding: base64 (standard alphabet; line breaks tolerated) of the raw
// DEFLATE of an AuthnRequest. Sizes are bounded before and after inflation;
// DTDs are refused. Every error message is safe to show to the client.
func decodeAuthnRequest(encoded string) (*authnRequest, error) {
	if len(encoded) > maxSAMLRequestEncoded {
		return nil, errSAMLRequestTooLarge
	}
	encoded = strings.Map(func(r rune) rune {
		switch r {
		case '\r', '\n', '\t':
			return -1
		case ' ': // a '+' that was not percent-encoded in the query string
			return '+'
		}
		return r
	}, strings.TrimSpace(encoded))
	if encoded == "" {
		return nil, errors.New("SAMLRequest is empty")
	}
	compressed, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		if compressed, err = base64.RawStdEncoding.DecodeString(encoded); err != nil {
			return nil, errors.New("SAMLRequest is not valid base64")
		}
	}
	fr := flate.NewReader(bytes.NewReader(compressed))
	defer fr.Close()
	xmlBytes, err := io.ReadAll(io.LimitReader(fr, maxSAMLRequestInflated+1))
	if err != nil {
		return nil, errors.New("SAMLRequest is not valid raw DEFLATE data")
	}
	if len(xmlBytes) > maxSAMLRequestInflated {
		return nil, errSAMLRequestTooLarge
	}
	return parseAuthnRequest(xmlBytes)
}

// parseAuthnRequest parses AuthnRequest XML.
func parseAuthnRequest(b []byte) (*authnRequest, error) {
	lower := bytes.ToLower(b)
	if bytes.Contains(lower, []byte("<!doctype")) || bytes.Contains(lower, []byte("<!entity")) {
		return nil, errors.New("AuthnRequest must not contain a DOCTYPE or entity declarations")
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, errors.New("AuthnRequest is not well-formed XML")
	}
	for _, t := range doc.Child {
		if _, ok := t.(*etree.Directive); ok {
			return nil, errors.New("AuthnRequest must not contain a DOCTYPE or entity declarations")
		}
	}
	root := doc.Root()
	if root == nil || root.Tag != "AuthnRequest" || root.NamespaceURI() != nsProtocol {
		return nil, errors.New("SAMLRequest is not a SAML 2.0 AuthnRequest")
	}
	req := &authnRequest{
		ID:     strings.TrimSpace(root.SelectAttrValue("ID", "")),
		ACSURL: strings.TrimSpace(root.SelectAttrValue("AssertionConsumerServiceURL", "")),
	}
	for _, el := range root.ChildElements() {
		if el.Tag == "Issuer" && el.NamespaceURI() == nsAssertion {
			req.Issuer = strings.TrimSpace(el.Text())
			break
		}
	}
	switch {
	case req.ID == "":
		return nil, errors.New("AuthnRequest has no ID")
	case req.ACSURL == "":
		return nil, errors.New("AuthnRequest has no AssertionConsumerServiceURL")
	case req.Issuer == "":
		return nil, errors.New("AuthnRequest has no Issuer")
	case len(req.ID) > maxAuthnRequestField || len(req.ACSURL) > maxAuthnRequestField || len(req.Issuer) > maxAuthnRequestField:
		return nil, errors.New("AuthnRequest field too long")
	}
	return req, nil
}
