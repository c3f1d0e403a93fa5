// Package saml implements the service-provider side of SAML 2.0 web browser
// SSO as a Maestrano-style marketplace uses it: an AuthnRequest sent with the
// HTTP-Redirect binding and a Response, whose Assertion is signed, received
// with the HTTP-POST binding.
//
// A [ServiceProvider] is built once per marketplace from the IdP certificate
// and the app's Assertion Consumer Service URL:
//
//	sp, err := saml.NewServiceProvider(acsURL, []*x509.Certificate{cert}, saml.WithIssuer("app-1"))
//	req, err := sp.NewAuthnRequest()
//	redirect, err := sp.RedirectURL(idpSSOURL, req, nil)
//	// ... later, on POST to the ACS:
//	a, err := sp.ParseResponse(ctx, r.PostFormValue("SAMLResponse"), req.ID)
//
// # What is verified
//
// [ServiceProvider.ParseResponse] accepts a response only if all of these
// hold, and otherwise returns a [*ValidationError] whose Reason says which
// failed and whose Detail says what to fix ([ValidationError.PublicMessage]
// is the text for end users): the input is bounded in size, depth and
// attributes in scope, is base64 of one UTF-8 XML document (a byte order
// mark is allowed) without DOCTYPE, processing instructions, undeclared
// prefixes or an attribute repeated on an element, parsed in one pass by a
// strict tokenizer whose rules include those of
// github.com/mattermost/xml-roundtrip-validator (a fuzz target holds it to
// that); the document holds exactly one Assertion, a child of the Response,
// and no two elements share an ID; the Assertion, the Response or both carry
// an enveloped signature of the one accepted shape (one Reference to the
// signed element's ID, enveloped-signature then exclusive or inclusive
// Canonical XML 1.0, with or without comments, an allowed RSA or ECDSA
// method), and every signature present verifies against a configured
// certificate or a certificate whose pinned fingerprint it matches, never a
// KeyInfo certificate on its own; the StatusCode is Success; the Issuer is
// the configured IdP (when set); Conditions and SubjectConfirmationData are
// within their time windows (with the configured clock skew; NotOnOrAfter
// equal to now is expired; a bearer confirmation without expiry is
// refused); the Audience names this service provider; Destination and
// Recipient equal the ACS URL; InResponseTo names an outstanding request
// (passed in, or redeemed from a [RequestTracker]); and the Assertion ID
// was not consumed before ([ReplayCache]).
//
// Everything in the returned [Assertion] is read from the signed element
// itself: the very subtree whose canonical bytes were digested, never a
// sibling, a copy or a re-serialization.
//
// # Algorithms
//
// RSA with SHA-256, SHA-384, SHA-512 and, because the Maestrano platform
// signs with it, SHA-1, and ECDSA with SHA-256, SHA-384 and SHA-512 are
// accepted by default. An app whose IdP signs with SHA-256 should drop
// SHA-1 with [WithSignatureMethods]. Canonical XML 1.1 and every transform
// other than enveloped-signature and one canonicalization are refused.
package saml
