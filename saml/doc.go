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
// failed: the input is bounded in size, depth and attributes in scope, is
// base64 of one UTF-8 XML document (a byte order mark is allowed) without
// DOCTYPE or an attribute repeated on an element, and survives an
// encoding/xml round trip; the
// document holds exactly one Assertion, a child of the Response, and no two
// elements share an ID; the Assertion carries exactly one enveloped
// signature of the one accepted shape (one Reference to the Assertion's ID,
// enveloped-signature then exclusive c14n, an allowed RSA algorithm) that
// verifies against a configured certificate, never a certificate carried in
// the document; the StatusCode is Success; the Issuer is the configured IdP
// (when set); Conditions and SubjectConfirmationData are within their time
// windows (with the configured clock skew; NotOnOrAfter equal to now is
// expired); the Audience names this service provider; Destination and
// Recipient equal the ACS URL; InResponseTo names an outstanding request;
// and the Assertion ID was not consumed before ([ReplayCache]).
//
// Everything in the returned [Assertion] is read from the verified,
// canonical bytes of the signed Assertion, never from the original tree.
//
// # Algorithms
//
// RSA with SHA-256, SHA-384, SHA-512 and, because the Maestrano platform
// signs with it, SHA-1 are accepted by default. An app whose IdP signs with
// SHA-256 should drop SHA-1 with [WithSignatureMethods]. Only exclusive
// canonicalization (without comments) is accepted.
package saml
