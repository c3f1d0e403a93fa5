package saml

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/maestrano-go/maestrano/internal/clip"
)

// DecodeResponse turns the SAMLResponse form value into XML: base64 with any
// line breaks or spaces, bounded by maxSize encoded bytes.
func DecodeResponse(encoded string, maxSize int) ([]byte, error) {
	if len(encoded) > maxSize {
		return nil, refuse(ReasonTooLarge, "SAMLResponse is %d bytes, limit %d", len(encoded), maxSize)
	}
	if strings.TrimSpace(encoded) == "" {
		return nil, refuse(ReasonMalformed, "SAMLResponse is empty")
	}
	data, err := decodeBase64Spaced(encoded)
	if err != nil {
		return nil, refuse(ReasonMalformed, "SAMLResponse is not base64: %v", err)
	}
	// A UTF-8 byte order mark is allowed by XML and harmless.
	return bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")), nil
}

// ParseResponse verifies a base64 SAMLResponse (the POST binding's form
// value) and returns its assertion. requestIDs are the IDs of the
// AuthnRequests this user has outstanding; the assertion must answer one of
// them. Without requestIDs, a [RequestTracker] (see [WithRequestTracker])
// must redeem its InResponseTo, or, with [WithUnsolicitedResponses], it
// must answer no request at all. On failure the error is a
// [*ValidationError].
func (sp *ServiceProvider) ParseResponse(ctx context.Context, encoded string, requestIDs ...string) (*Assertion, error) {
	data, err := DecodeResponse(encoded, sp.maxSize)
	if err != nil {
		return nil, err
	}
	return sp.ParseResponseXML(ctx, data, requestIDs...)
}

// ParseResponseXML is [ServiceProvider.ParseResponse] for a decoded document.
func (sp *ServiceProvider) ParseResponseXML(ctx context.Context, data []byte, requestIDs ...string) (*Assertion, error) {
	if len(requestIDs) == 0 && sp.tracker == nil && !sp.allowUnsolicited {
		return nil, refuse(ReasonInResponseTo, "no outstanding AuthnRequest for this session (unsolicited responses are not accepted; keep the request ID from NewAuthnRequest and pass it here)")
	}
	sol := solicitation{ids: requestIDs, unsolicited: sp.allowUnsolicited, tracked: len(requestIDs) == 0 && sp.tracker != nil}
	a, err := sp.verifier.parse(data, sp.now(), sol)
	if err != nil {
		return nil, err
	}
	if sol.tracked && a.InResponseTo != "" {
		ok, err := sp.tracker.Redeem(ctx, a.InResponseTo)
		if err != nil {
			return nil, &ValidationError{Reason: ReasonInResponseTo, Detail: "request tracker: " + err.Error(), Err: err}
		}
		if !ok {
			return nil, refuse(ReasonInResponseTo, "InResponseTo %q is not an outstanding request (answered already, expired after %s, or never sent by this service provider)", clip.String(a.InResponseTo, 100), DefaultRequestLifetime)
		}
	}
	fresh, err := sp.replay.Consume(ctx, a.ID, a.NotOnOrAfter.Add(sp.skew))
	if err != nil {
		return nil, &ValidationError{Reason: ReasonReplay, Detail: "replay cache: " + err.Error(), Err: err}
	}
	if !fresh {
		return nil, refuse(ReasonReplay, "assertion %s was already used; every login needs a fresh response", clip.String(a.ID, 100))
	}
	return a, nil
}

// solicitation says which InResponseTo values are acceptable.
type solicitation struct {
	ids         []string // the outstanding requests; one must be answered
	unsolicited bool     // with no ids: an assertion answering no request is fine
	tracked     bool     // with no ids: a tracker will redeem InResponseTo
	any         bool     // tools: InResponseTo is not checked
}

// VerifyConfig configures [VerifyResponse].
type VerifyConfig struct {
	// Certificates are the trusted IdP certificates.
	Certificates []*x509.Certificate
	// Fingerprints pin IdP certificates carried in KeyInfo.
	Fingerprints []Fingerprint
	// Now is the instant at which times are evaluated (zero: time.Now()).
	Now time.Time
	// Skew is the tolerated clock difference (zero: none).
	Skew time.Duration
	// Issuer, if set, must be the assertion's Issuer (query ignored).
	Issuer string
	// Audience, if set, must be named by every AudienceRestriction.
	Audience string
	// Destination, if set, is the ACS URL that Destination (when present)
	// and Recipient must equal.
	Destination string
	// RequestID, if set, must be the InResponseTo of the assertion.
	RequestID string
	// SignatureMethods replaces the accepted signature methods.
	SignatureMethods []string
}

// VerifyResponse verifies a decoded SAML response once, for tools and
// diagnostics: the structure, the signature and the time window always; the
// issuer, audience, destination and InResponseTo only when cfg names them;
// no replay cache. Apps use a [ServiceProvider], which checks everything.
func VerifyResponse(data []byte, cfg VerifyConfig) (*Assertion, error) {
	if len(cfg.Certificates) == 0 && len(cfg.Fingerprints) == 0 {
		return nil, errors.New("saml: no IdP certificate or fingerprint")
	}
	v := &verifier{
		certs:        cfg.Certificates,
		fingerprints: cfg.Fingerprints,
		maxSize:      DefaultMaxResponseSize,
		maxDepth:     DefaultMaxDepth,
		skew:         cfg.Skew,
		idpIssuer:    stripQuery(cfg.Issuer),
		acsURL:       cfg.Destination,
	}
	if cfg.Audience != "" {
		v.audiences = []string{cfg.Audience}
	}
	methods := cfg.SignatureMethods
	if len(methods) == 0 {
		methods = defaultSignatureMethods()
	}
	var err error
	if v.sigMethods, err = signatureMethodSet(methods); err != nil {
		return nil, fmt.Errorf("saml: VerifyConfig.SignatureMethods: %w", err)
	}
	now := cfg.Now
	if now.IsZero() {
		now = time.Now()
	}
	sol := solicitation{any: true}
	if cfg.RequestID != "" {
		sol = solicitation{ids: []string{cfg.RequestID}}
	}
	return v.parse(data, now, sol)
}

// parse verifies a decoded response and reads its assertion.
func (v *verifier) parse(data []byte, now time.Time, sol solicitation) (*Assertion, error) {
	if len(data) > v.maxSize {
		return nil, refuse(ReasonTooLarge, "response is %d bytes, limit %d", len(data), v.maxSize)
	}
	p, err := parseStrict(data, v.maxDepth)
	if err != nil {
		return nil, err
	}
	root := p.doc.Root()
	if !is(root, NSProtocol, "Response") {
		return nil, refuse(ReasonStructure, "root element is %s in namespace %q, want samlp:Response in %s", root.Tag, clip.String(root.NamespaceURI(), 100), NSProtocol)
	}

	// Structure of the whole document, before any signature work.
	assertion, aSig, rSig, err := checkStructure(root, p)
	if err != nil {
		return nil, err
	}
	if rSig != nil {
		if err := v.verify(root, rSig, now); err != nil {
			return nil, err
		}
	}
	if aSig != nil {
		if err := v.verify(assertion, aSig, now); err != nil {
			return nil, err
		}
	}
	// From here on, read only verified elements: the Response if it is
	// signed (the assertion is inside it), else the signed assertion.
	if err := checkStatus(root); err != nil {
		return nil, err
	}
	if dest := attr(root, "Destination"); v.acsURL != "" && dest != "" && dest != v.acsURL {
		return nil, refuse(ReasonDestination, "Destination %q is not this ACS URL %q; the IdP posts to another URL than the one configured", clip.String(dest, 200), v.acsURL)
	}
	a, err := v.readAssertion(assertion, now, sol)
	if err != nil {
		return nil, err
	}
	if irt := attr(root, "InResponseTo"); irt != "" && irt != a.InResponseTo {
		return nil, refuse(ReasonInResponseTo, "Response InResponseTo %q differs from the assertion's %q", clip.String(irt, 100), clip.String(a.InResponseTo, 100))
	}
	return a, nil
}

// checkStructure finds the one Assertion (a child of the Response) and the
// signatures of the assertion and of the Response, and refuses encrypted
// assertions, signatures elsewhere and unsigned documents.
func checkStructure(root *etree.Element, p *parsed) (assertion, aSig, rSig *etree.Element, err error) {
	if p.encrypted {
		return nil, nil, nil, refuse(ReasonStructure, "encrypted assertions are not supported; configure the IdP to send the assertion unencrypted (TLS protects it)")
	}
	if len(p.assertions) != 1 {
		return nil, nil, nil, refuse(ReasonStructure, "response holds %d assertions, want exactly one", len(p.assertions))
	}
	assertion = p.assertions[0]
	if assertion.Parent() != root {
		return nil, nil, nil, refuse(ReasonStructure, "the assertion is not a child of the Response")
	}
	for _, s := range p.signatures {
		switch s.Parent() {
		case assertion:
			if aSig != nil {
				return nil, nil, nil, refuse(ReasonSignature, "the assertion is signed more than once")
			}
			aSig = s
		case root:
			if rSig != nil {
				return nil, nil, nil, refuse(ReasonSignature, "the Response is signed more than once")
			}
			rSig = s
		default:
			return nil, nil, nil, refuse(ReasonSignature, "a Signature element is neither on the Response nor on the Assertion")
		}
	}
	if aSig == nil && rSig == nil {
		return nil, nil, nil, refuse(ReasonSignature, "neither the assertion nor the Response is signed; configure the IdP to sign the assertion")
	}
	return assertion, aSig, rSig, nil
}

func checkStatus(root *etree.Element) error {
	status, err := oneChild(root, NSProtocol, "Status")
	if err != nil {
		return &ValidationError{Reason: ReasonStatus, Detail: "response has no single Status", Err: err}
	}
	code, err := oneChild(status, NSProtocol, "StatusCode")
	if err != nil {
		return &ValidationError{Reason: ReasonStatus, Detail: "Status has no single StatusCode", Err: err}
	}
	if v := attr(code, "Value"); v != StatusSuccess {
		msg := ""
		if m, _ := optionalChild(status, NSProtocol, "StatusMessage"); m != nil {
			msg = ": " + clip.String(strings.TrimSpace(textOf(m)), 200)
		}
		return refuse(ReasonStatus, "the IdP answered %q%s, not Success; see the IdP's logs", clip.String(v, 200), msg)
	}
	return nil
}

// readAssertion reads and checks the verified assertion.
func (v *verifier) readAssertion(el *etree.Element, now time.Time, sol solicitation) (*Assertion, error) {
	a := &Assertion{ID: attr(el, "ID"), Attributes: Attributes{}}
	var err error
	if a.IssueInstant, err = parseTime(el, "IssueInstant", true); err != nil {
		return nil, err
	}
	iss, err := oneChild(el, NSAssertion, "Issuer")
	if err != nil {
		return nil, &ValidationError{Reason: ReasonIssuer, Detail: "assertion has no single Issuer", Err: err}
	}
	a.Issuer = strings.TrimSpace(textOf(iss))
	if v.idpIssuer != "" && stripQuery(a.Issuer) != v.idpIssuer {
		return nil, refuse(ReasonIssuer, "Issuer %q is not the configured IdP %q; check the IdP URL in the configuration", clip.String(a.Issuer, 200), v.idpIssuer)
	}
	if a.IssueInstant.After(now.Add(v.skew)) {
		return nil, v.notYet("assertion IssueInstant", a.IssueInstant, now)
	}
	var expiries []time.Time

	// Subject and its bearer confirmation.
	subj, err := oneChild(el, NSAssertion, "Subject")
	if err != nil {
		return nil, &ValidationError{Reason: ReasonSubject, Detail: "assertion has no single Subject", Err: err}
	}
	nameID, err := oneChild(subj, NSAssertion, "NameID")
	if err != nil {
		return nil, &ValidationError{Reason: ReasonSubject, Detail: "Subject has no single NameID (encrypted NameIDs are not supported)", Err: err}
	}
	a.NameID = strings.TrimSpace(textOf(nameID))
	a.NameIDFormat = attr(nameID, "Format")
	if a.NameID == "" {
		return nil, refuse(ReasonSubject, "NameID is empty")
	}
	exp, irt, err := v.checkConfirmation(subj, now, sol)
	if err != nil {
		return nil, err
	}
	a.InResponseTo = irt
	expiries = append(expiries, exp)

	// Conditions: time window and audience.
	cond, err := oneChild(el, NSAssertion, "Conditions")
	if err != nil {
		return nil, &ValidationError{Reason: ReasonAudience, Detail: "assertion has no single Conditions", Err: err}
	}
	notBefore, err := parseTime(cond, "NotBefore", false)
	if err != nil {
		return nil, err
	}
	if !notBefore.IsZero() && now.Add(v.skew).Before(notBefore) {
		return nil, v.notYet("Conditions NotBefore", notBefore, now)
	}
	notOnOrAfter, err := parseTime(cond, "NotOnOrAfter", false)
	if err != nil {
		return nil, err
	}
	if !notOnOrAfter.IsZero() {
		if expired(now, notOnOrAfter, v.skew) {
			return nil, v.expired("Conditions NotOnOrAfter", notOnOrAfter, now)
		}
		expiries = append(expiries, notOnOrAfter)
	}
	if err := v.checkAudience(cond); err != nil {
		return nil, err
	}

	// Authn statement (session expiry) and attributes.
	for _, as := range childrenOf(el, NSAssertion, "AuthnStatement") {
		if a.SessionIndex == "" {
			a.SessionIndex = attr(as, "SessionIndex")
		}
		sno, err := parseTime(as, "SessionNotOnOrAfter", false)
		if err != nil {
			return nil, err
		}
		if !sno.IsZero() && expired(now, sno, v.skew) {
			return nil, v.expired("AuthnStatement SessionNotOnOrAfter", sno, now)
		}
	}
	for _, st := range childrenOf(el, NSAssertion, "AttributeStatement") {
		for _, at := range childrenOf(st, NSAssertion, "Attribute") {
			name := attr(at, "Name")
			if name == "" {
				return nil, refuse(ReasonStructure, "an Attribute has no Name")
			}
			vals := a.Attributes[name]
			for _, val := range childrenOf(at, NSAssertion, "AttributeValue") {
				vals = append(vals, textOf(val))
			}
			a.Attributes[name] = vals
		}
	}
	a.NotOnOrAfter = expiries[0]
	for _, e := range expiries[1:] {
		if e.Before(a.NotOnOrAfter) {
			a.NotOnOrAfter = e
		}
	}
	return a, nil
}

// checkConfirmation requires a bearer SubjectConfirmation whose data names
// this ACS as Recipient, an acceptable InResponseTo and an expiry that has
// not passed. It returns that expiry and InResponseTo.
func (v *verifier) checkConfirmation(subj *etree.Element, now time.Time, sol solicitation) (time.Time, string, error) {
	var firstErr error
	for _, sc := range childrenOf(subj, NSAssertion, "SubjectConfirmation") {
		if attr(sc, "Method") != MethodBearer {
			continue
		}
		exp, irt, err := v.checkConfirmationData(sc, now, sol)
		if err == nil {
			return exp, irt, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = refuse(ReasonSubject, "no bearer SubjectConfirmation (holder-of-key and sender-vouches are not supported)")
	}
	return time.Time{}, "", firstErr
}

func (v *verifier) checkConfirmationData(sc *etree.Element, now time.Time, sol solicitation) (time.Time, string, error) {
	d, err := oneChild(sc, NSAssertion, "SubjectConfirmationData")
	if err != nil {
		return time.Time{}, "", &ValidationError{Reason: ReasonSubject, Detail: "bearer SubjectConfirmation has no single SubjectConfirmationData", Err: err}
	}
	if r := attr(d, "Recipient"); v.acsURL != "" && r != v.acsURL {
		return time.Time{}, "", refuse(ReasonRecipient, "Recipient %q is not this ACS URL %q; the IdP must be configured with the same ACS URL", clip.String(r, 300), v.acsURL)
	}
	nb, err := parseTime(d, "NotBefore", false)
	if err != nil {
		return time.Time{}, "", err
	}
	if !nb.IsZero() && now.Add(v.skew).Before(nb) {
		return time.Time{}, "", v.notYet("SubjectConfirmationData NotBefore", nb, now)
	}
	exp, err := parseTime(d, "NotOnOrAfter", false)
	if err != nil {
		return time.Time{}, "", err
	}
	if exp.IsZero() {
		return time.Time{}, "", refuse(ReasonExpired, "SubjectConfirmationData has no NotOnOrAfter: a bearer assertion must expire; configure the IdP to set one")
	}
	if expired(now, exp, v.skew) {
		return time.Time{}, "", v.expired("assertion (SubjectConfirmationData NotOnOrAfter)", exp, now)
	}
	irt := attr(d, "InResponseTo")
	switch {
	case sol.any:
	case len(sol.ids) > 0:
		if irt == "" || !slices.Contains(sol.ids, irt) {
			if irt == "" {
				return time.Time{}, "", refuse(ReasonInResponseTo, "assertion answers no request, but one is outstanding (an IdP-initiated login while an app-initiated one is pending)")
			}
			return time.Time{}, "", refuse(ReasonInResponseTo, "InResponseTo %q is not an outstanding request of this session (another browser's login, or a stale one)", clip.String(irt, 100))
		}
	case irt == "":
		if !sol.unsolicited {
			return time.Time{}, "", refuse(ReasonInResponseTo, "the assertion answers no request (IdP-initiated login) and unsolicited responses are not accepted")
		}
	case !sol.tracked:
		// Unsolicited mode: an IdP-initiated response answers no request.
		// One that answers a request answers another session's.
		return time.Time{}, "", refuse(ReasonInResponseTo, "InResponseTo %q names a request this session did not send", clip.String(irt, 100))
	}
	return exp, irt, nil
}

func (v *verifier) checkAudience(cond *etree.Element) error {
	if v.audiences == nil {
		return nil
	}
	restrictions := childrenOf(cond, NSAssertion, "AudienceRestriction")
	if len(restrictions) == 0 {
		return refuse(ReasonAudience, "Conditions has no AudienceRestriction: the assertion would be good for any service provider")
	}
	for _, ar := range restrictions {
		ok := false
		var seen []string
		for _, aud := range childrenOf(ar, NSAssertion, "Audience") {
			got := strings.TrimSpace(textOf(aud))
			seen = append(seen, clip.String(got, 200))
			for _, want := range v.audiences {
				if audienceMatches(got, want) {
					ok = true
				}
			}
		}
		if !ok {
			return refuse(ReasonAudience, "audience %q does not name this service provider (%s); configure the IdP with this entity ID", seen, strings.Join(v.audiences, ", "))
		}
	}
	return nil
}

func expired(now, notOnOrAfter time.Time, skew time.Duration) bool {
	return !now.Before(notOnOrAfter.Add(skew))
}

func (v *verifier) expired(what string, at, now time.Time) error {
	return refuse(ReasonExpired, "%s expired at %s, now is %s, allowed skew %s; check the clock of this server and of the IdP, then log in again",
		what, at.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), v.skew)
}

func (v *verifier) notYet(what string, at, now time.Time) error {
	return refuse(ReasonNotYetValid, "%s is %s, later than now (%s) by more than the allowed skew %s; check the clock of this server and of the IdP",
		what, at.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), v.skew)
}

func parseTime(el *etree.Element, name string, required bool) (time.Time, error) {
	v := attr(el, name)
	if v == "" {
		if required {
			return time.Time{}, refuse(ReasonStructure, "%s has no %s", el.Tag, name)
		}
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, refuse(ReasonMalformed, "%s %s %q is not an xs:dateTime", el.Tag, name, clip.String(v, 60))
	}
	return t, nil
}
