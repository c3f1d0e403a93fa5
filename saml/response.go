package saml

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// DecodeResponse turns the SAMLResponse form value into XML: base64 with any
// line breaks or spaces, bounded by maxSize encoded bytes.
func DecodeResponse(encoded string, maxSize int) ([]byte, error) {
	if len(encoded) > maxSize {
		return nil, refuse(ReasonTooLarge, "SAMLResponse is %d bytes, limit %d", len(encoded), maxSize)
	}
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, encoded)
	if clean == "" {
		return nil, refuse(ReasonMalformed, "SAMLResponse is empty")
	}
	data, err := base64.StdEncoding.DecodeString(clean)
	if err != nil {
		return nil, refuse(ReasonMalformed, "SAMLResponse is not base64: %v", err)
	}
	// A UTF-8 byte order mark is allowed by XML and harmless.
	return bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")), nil
}

// ParseResponse verifies a base64 SAMLResponse (the POST binding's form
// value) and returns its assertion. requestIDs are the IDs of the
// AuthnRequests this user has outstanding; the assertion must answer one of
// them unless [WithUnsolicitedResponses] was set and none is given. On
// failure the error is a [*ValidationError].
func (sp *ServiceProvider) ParseResponse(ctx context.Context, encoded string, requestIDs ...string) (*Assertion, error) {
	data, err := DecodeResponse(encoded, sp.maxSize)
	if err != nil {
		return nil, err
	}
	return sp.ParseResponseXML(ctx, data, requestIDs...)
}

// ParseResponseXML is [ServiceProvider.ParseResponse] for a decoded document.
func (sp *ServiceProvider) ParseResponseXML(ctx context.Context, data []byte, requestIDs ...string) (*Assertion, error) {
	if len(data) > sp.maxSize {
		return nil, refuse(ReasonTooLarge, "response is %d bytes, limit %d", len(data), sp.maxSize)
	}
	if len(requestIDs) == 0 && !sp.allowUnsolicited {
		return nil, refuse(ReasonInResponseTo, "no outstanding AuthnRequest for this session (unsolicited responses are not accepted)")
	}
	doc, err := parseStrict(data, sp.maxDepth)
	if err != nil {
		return nil, err
	}
	root := doc.Root()
	if !is(root, NSProtocol, "Response") {
		return nil, refuse(ReasonStructure, "root element is %s, want samlp:Response", root.Tag)
	}
	now := sp.now()

	// Structure of the whole document, before any signature work.
	assertion, respSig, err := sp.checkStructure(root)
	if err != nil {
		return nil, err
	}
	if err := checkStatus(root); err != nil {
		return nil, err
	}
	if dest := root.SelectAttrValue("Destination", ""); dest != "" && dest != sp.acsURL {
		return nil, refuse(ReasonDestination, "Destination %q is not this ACS URL %q", truncate(dest, 200), sp.acsURL)
	}
	if respSig != nil {
		if _, err := sp.verify(root, respSig, now); err != nil {
			return nil, err
		}
	}
	sig, err := oneChild(assertion, NSDSig, "Signature")
	if err != nil {
		return nil, &ValidationError{Reason: ReasonSignature, Detail: "the assertion is not signed exactly once", Err: err}
	}
	verified, err := sp.verify(assertion, sig, now)
	if err != nil {
		return nil, err
	}
	// From here on, read only the verified canonical assertion.
	a, err := sp.readAssertion(verified, now, requestIDs)
	if err != nil {
		return nil, err
	}
	if irt := root.SelectAttrValue("InResponseTo", ""); irt != "" && irt != a.InResponseTo {
		return nil, refuse(ReasonInResponseTo, "Response InResponseTo %q differs from the signed assertion's %q", irt, a.InResponseTo)
	}
	fresh, err := sp.replay.Consume(ctx, a.ID, a.NotOnOrAfter.Add(sp.skew))
	if err != nil {
		return nil, &ValidationError{Reason: ReasonReplay, Detail: "replay cache: " + err.Error(), Err: err}
	}
	if !fresh {
		return nil, refuse(ReasonReplay, "assertion %s was already used", a.ID)
	}
	return a, nil
}

// checkStructure finds the one Assertion (a child of the Response) and the
// Response's own signature, if any, and refuses documents with duplicate IDs,
// encrypted assertions or signatures elsewhere.
func (sp *ServiceProvider) checkStructure(root *etree.Element) (assertion, respSig *etree.Element, err error) {
	ids := map[string]bool{}
	var assertions, sigs []*etree.Element
	err = walk(root, func(el *etree.Element) error {
		// Two attributes may not share a namespace and a name, whatever
		// their prefixes (Namespaces in XML, §6.3).
		seen := map[[2]string]bool{}
		for _, at := range el.Attr {
			if at.Space == "xmlns" || (at.Space == "" && at.Key == "xmlns") {
				continue
			}
			k := [2]string{at.NamespaceURI(), at.Key}
			if seen[k] {
				return refuse(ReasonMalformed, "attribute {%s}%s appears twice on element %s", k[0], k[1], el.Tag)
			}
			seen[k] = true
		}
		for _, at := range el.Attr {
			if at.Space == "" && (at.Key == "ID" || at.Key == "Id" || at.Key == "id") {
				if ids[at.Value] {
					return refuse(ReasonStructure, "ID %q appears more than once", at.Value)
				}
				ids[at.Value] = true
			}
		}
		switch {
		case is(el, NSAssertion, "Assertion"):
			assertions = append(assertions, el)
		case is(el, NSAssertion, "EncryptedAssertion"):
			return refuse(ReasonStructure, "encrypted assertions are not supported")
		case is(el, NSDSig, "Signature"):
			sigs = append(sigs, el)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if len(assertions) != 1 {
		return nil, nil, refuse(ReasonStructure, "response holds %d assertions, want exactly one", len(assertions))
	}
	assertion = assertions[0]
	if assertion.Parent() != root {
		return nil, nil, refuse(ReasonStructure, "the assertion is not a child of the Response")
	}
	for _, s := range sigs {
		switch s.Parent() {
		case assertion:
		case root:
			if respSig != nil {
				return nil, nil, refuse(ReasonSignature, "the Response is signed more than once")
			}
			respSig = s
		default:
			return nil, nil, refuse(ReasonSignature, "a Signature element is neither on the Response nor on the Assertion")
		}
	}
	return assertion, respSig, nil
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
	if v := code.SelectAttrValue("Value", ""); v != StatusSuccess {
		msg := ""
		if m, _ := optionalChild(status, NSProtocol, "StatusMessage"); m != nil {
			msg = ": " + truncate(strings.TrimSpace(textOf(m)), 200)
		}
		return refuse(ReasonStatus, "IdP answered %q%s", v, msg)
	}
	return nil
}

// verify checks the one accepted signature shape on el and the signature
// itself, against the configured certificates only, and returns the
// verified canonical copy of el.
func (sp *ServiceProvider) verify(el, sig *etree.Element, now time.Time) (*etree.Element, error) {
	id := el.SelectAttrValue("ID", "")
	if id == "" {
		return nil, refuse(ReasonSignature, "signed %s has no ID", el.Tag)
	}
	if err := sp.checkSignatureShape(sig, id); err != nil {
		return nil, err
	}
	// Detach with the namespace declarations in scope, so that prefixes
	// declared on the Response still resolve inside the Assertion.
	nsCtx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, &ValidationError{Reason: ReasonMalformed, Detail: "namespace context", Err: err}
	}
	detached, err := detach(nsCtx, el)
	if err != nil {
		return nil, &ValidationError{Reason: ReasonMalformed, Detail: "namespace context", Err: err}
	}
	validate := func(roots ...*x509.Certificate) (*etree.Element, error) {
		vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: roots})
		vc.Clock = dsig.NewFakeClockAt(now)
		return vc.Validate(detached)
	}
	verified, err := validate(sp.certs...)
	// goxmldsig takes the certificate from KeyInfo (it must equal a
	// configured one) or, without KeyInfo, the only configured one: with
	// several configured certificates and no KeyInfo, try each in turn.
	if ki, _ := optionalChild(sig, NSDSig, "KeyInfo"); err != nil && ki == nil && len(sp.certs) > 1 {
		for _, c := range sp.certs {
			if v, cerr := validate(c); cerr == nil {
				verified, err = v, nil
				break
			}
		}
	}
	if err != nil {
		return nil, &ValidationError{Reason: ReasonSignature, Detail: fmt.Sprintf("the %s signature does not verify against the configured IdP certificate: %v", el.Tag, err), Err: err}
	}
	if verified.Tag != el.Tag || verified.NamespaceURI() != el.NamespaceURI() || verified.SelectAttrValue("ID", "") != id {
		return nil, refuse(ReasonSignature, "the verified element is not the signed %s", el.Tag)
	}
	return verified, nil
}

// detach is etreeutils.NSDetatch without its traversal limit: a copy of el
// that declares every namespace in scope. NSDetatch refuses subtrees of more
// than 1000 elements, which a legitimate assertion with a few hundred
// attributes exceeds; parseStrict already bounds size, depth and elements.
func detach(ctx etreeutils.NSContext, el *etree.Element) (*etree.Element, error) {
	ctx, err := ctx.SubContext(el)
	if err != nil {
		return nil, err
	}
	el = el.Copy()
	attrs := make([]etree.Attr, 0, len(el.Attr))
	for _, at := range el.Attr {
		if at.Space == "xmlns" || (at.Space == "" && at.Key == "xmlns") {
			continue
		}
		attrs = append(attrs, at)
	}
	for prefix, ns := range ctx.Prefixes() {
		switch {
		case prefix == "xml" || prefix == "xmlns":
		case prefix == "" && ns == etreeutils.XMLNamespace: // the implicit default, not a declaration
		case prefix == "":
			attrs = append(attrs, etree.Attr{Key: "xmlns", Value: ns})
		default:
			attrs = append(attrs, etree.Attr{Space: "xmlns", Key: prefix, Value: ns})
		}
	}
	sort.Sort(etreeutils.SortedAttrs(attrs))
	el.Attr = attrs
	return el, nil
}

// checkSignatureShape accepts exactly: SignedInfo with exclusive c14n, an
// allowed signature method, one Reference to "#id" with the transforms
// enveloped-signature then exclusive c14n and an allowed digest; one
// SignatureValue; at most one KeyInfo.
func (sp *ServiceProvider) checkSignatureShape(sig *etree.Element, id string) error {
	bad := func(format string, args ...any) error {
		return refuse(ReasonSignature, "signature shape: "+format, args...)
	}
	for _, c := range sig.ChildElements() {
		if c.NamespaceURI() != NSDSig || (c.Tag != "SignedInfo" && c.Tag != "SignatureValue" && c.Tag != "KeyInfo" && c.Tag != "Object") {
			return bad("unexpected element %s", c.Tag)
		}
		if c.Tag == "Object" {
			return bad("ds:Object is not accepted")
		}
	}
	si, err := oneChild(sig, NSDSig, "SignedInfo")
	if err != nil {
		return bad("%v", err)
	}
	if _, err := oneChild(sig, NSDSig, "SignatureValue"); err != nil {
		return bad("%v", err)
	}
	if _, err := optionalChild(sig, NSDSig, "KeyInfo"); err != nil {
		return bad("%v", err)
	}
	cm, err := oneChild(si, NSDSig, "CanonicalizationMethod")
	if err != nil {
		return bad("%v", err)
	}
	if alg := cm.SelectAttrValue("Algorithm", ""); alg != string(dsig.CanonicalXML10ExclusiveAlgorithmId) {
		return bad("canonicalization %q is not exclusive c14n", alg)
	}
	sm, err := oneChild(si, NSDSig, "SignatureMethod")
	if err != nil {
		return bad("%v", err)
	}
	if alg := sm.SelectAttrValue("Algorithm", ""); !sp.sigMethods[alg] {
		return bad("signature method %q is not accepted", alg)
	}
	ref, err := oneChild(si, NSDSig, "Reference")
	if err != nil {
		return bad("%v", err)
	}
	if len(si.ChildElements()) != 3 {
		return bad("SignedInfo has unexpected children")
	}
	if uri := ref.SelectAttrValue("URI", ""); uri != "#"+id {
		return bad("Reference URI %q does not point at the signed element #%s", uri, id)
	}
	dm, err := oneChild(ref, NSDSig, "DigestMethod")
	if err != nil {
		return bad("%v", err)
	}
	if alg := dm.SelectAttrValue("Algorithm", ""); !isDigestMethod(alg) {
		return bad("digest method %q is not accepted", alg)
	}
	if _, err := oneChild(ref, NSDSig, "DigestValue"); err != nil {
		return bad("%v", err)
	}
	trs, err := oneChild(ref, NSDSig, "Transforms")
	if err != nil {
		return bad("%v", err)
	}
	ts := trs.ChildElements()
	if len(ts) != 2 || !is(ts[0], NSDSig, "Transform") || !is(ts[1], NSDSig, "Transform") ||
		ts[0].SelectAttrValue("Algorithm", "") != string(dsig.EnvelopedSignatureAltorithmId) ||
		ts[1].SelectAttrValue("Algorithm", "") != string(dsig.CanonicalXML10ExclusiveAlgorithmId) {
		return bad("transforms must be enveloped-signature then exclusive c14n")
	}
	return nil
}

// readAssertion reads and checks the verified assertion.
func (sp *ServiceProvider) readAssertion(el *etree.Element, now time.Time, requestIDs []string) (*Assertion, error) {
	a := &Assertion{ID: el.SelectAttrValue("ID", ""), Attributes: Attributes{}}
	var err error
	if a.IssueInstant, err = parseTime(el, "IssueInstant", true); err != nil {
		return nil, err
	}
	iss, err := oneChild(el, NSAssertion, "Issuer")
	if err != nil {
		return nil, &ValidationError{Reason: ReasonIssuer, Detail: "assertion has no single Issuer", Err: err}
	}
	a.Issuer = strings.TrimSpace(textOf(iss))
	if sp.idpIssuer != "" && stripQuery(a.Issuer) != sp.idpIssuer {
		return nil, refuse(ReasonIssuer, "Issuer %q is not the configured IdP %q", truncate(a.Issuer, 200), sp.idpIssuer)
	}
	if a.IssueInstant.After(now.Add(sp.skew)) {
		return nil, refuse(ReasonNotYetValid, "IssueInstant %s is in the future", a.IssueInstant.Format(time.RFC3339))
	}
	var expiries []time.Time

	// Subject and its bearer confirmation.
	subj, err := oneChild(el, NSAssertion, "Subject")
	if err != nil {
		return nil, &ValidationError{Reason: ReasonSubject, Detail: "assertion has no single Subject", Err: err}
	}
	nameID, err := oneChild(subj, NSAssertion, "NameID")
	if err != nil {
		return nil, &ValidationError{Reason: ReasonSubject, Detail: "Subject has no single NameID", Err: err}
	}
	a.NameID = strings.TrimSpace(textOf(nameID))
	a.NameIDFormat = nameID.SelectAttrValue("Format", "")
	if a.NameID == "" {
		return nil, refuse(ReasonSubject, "NameID is empty")
	}
	exp, irt, err := sp.checkConfirmation(subj, now, requestIDs)
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
	if !notBefore.IsZero() && now.Add(sp.skew).Before(notBefore) {
		return nil, refuse(ReasonNotYetValid, "Conditions NotBefore %s is after now %s", notBefore.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	notOnOrAfter, err := parseTime(cond, "NotOnOrAfter", false)
	if err != nil {
		return nil, err
	}
	if !notOnOrAfter.IsZero() {
		if expired(now, notOnOrAfter, sp.skew) {
			return nil, refuse(ReasonExpired, "Conditions NotOnOrAfter %s has passed", notOnOrAfter.Format(time.RFC3339))
		}
		expiries = append(expiries, notOnOrAfter)
	}
	if err := sp.checkAudience(cond); err != nil {
		return nil, err
	}

	// Authn statement (session expiry) and attributes.
	for _, as := range childrenOf(el, NSAssertion, "AuthnStatement") {
		if a.SessionIndex == "" {
			a.SessionIndex = as.SelectAttrValue("SessionIndex", "")
		}
		sno, err := parseTime(as, "SessionNotOnOrAfter", false)
		if err != nil {
			return nil, err
		}
		if !sno.IsZero() && expired(now, sno, sp.skew) {
			return nil, refuse(ReasonExpired, "AuthnStatement SessionNotOnOrAfter %s has passed", sno.Format(time.RFC3339))
		}
	}
	for _, st := range childrenOf(el, NSAssertion, "AttributeStatement") {
		for _, at := range childrenOf(st, NSAssertion, "Attribute") {
			name := at.SelectAttrValue("Name", "")
			if name == "" {
				return nil, refuse(ReasonStructure, "an Attribute has no Name")
			}
			vals := a.Attributes[name]
			for _, v := range childrenOf(at, NSAssertion, "AttributeValue") {
				vals = append(vals, textOf(v))
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
// this ACS as Recipient, an outstanding request as InResponseTo and an
// expiry that has not passed. It returns that expiry and InResponseTo.
func (sp *ServiceProvider) checkConfirmation(subj *etree.Element, now time.Time, requestIDs []string) (time.Time, string, error) {
	var firstErr error
	for _, sc := range childrenOf(subj, NSAssertion, "SubjectConfirmation") {
		if sc.SelectAttrValue("Method", "") != MethodBearer {
			continue
		}
		exp, irt, err := sp.checkConfirmationData(sc, now, requestIDs)
		if err == nil {
			return exp, irt, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = refuse(ReasonSubject, "no bearer SubjectConfirmation")
	}
	return time.Time{}, "", firstErr
}

func (sp *ServiceProvider) checkConfirmationData(sc *etree.Element, now time.Time, requestIDs []string) (time.Time, string, error) {
	d, err := oneChild(sc, NSAssertion, "SubjectConfirmationData")
	if err != nil {
		return time.Time{}, "", &ValidationError{Reason: ReasonSubject, Detail: "bearer SubjectConfirmation has no single SubjectConfirmationData", Err: err}
	}
	if r := d.SelectAttrValue("Recipient", ""); r != sp.acsURL {
		return time.Time{}, "", refuse(ReasonRecipient, "Recipient %q is not this ACS URL %q", truncate(r, 300), sp.acsURL)
	}
	nb, err := parseTime(d, "NotBefore", false)
	if err != nil {
		return time.Time{}, "", err
	}
	if !nb.IsZero() && now.Add(sp.skew).Before(nb) {
		return time.Time{}, "", refuse(ReasonNotYetValid, "SubjectConfirmationData NotBefore %s is after now", nb.Format(time.RFC3339))
	}
	exp, err := parseTime(d, "NotOnOrAfter", false)
	if err != nil {
		return time.Time{}, "", err
	}
	if exp.IsZero() {
		return time.Time{}, "", refuse(ReasonExpired, "SubjectConfirmationData has no NotOnOrAfter: a bearer assertion must expire")
	}
	if expired(now, exp, sp.skew) {
		return time.Time{}, "", refuse(ReasonExpired, "SubjectConfirmationData NotOnOrAfter %s has passed (now %s)", exp.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	irt := d.SelectAttrValue("InResponseTo", "")
	if len(requestIDs) == 0 && irt != "" {
		// Unsolicited mode: an IdP-initiated response answers no request.
		// One that answers a request answers another session's.
		return time.Time{}, "", refuse(ReasonInResponseTo, "InResponseTo %q names a request this session did not send", truncate(irt, 100))
	}
	if len(requestIDs) > 0 {
		ok := false
		for _, id := range requestIDs {
			if id != "" && id == irt {
				ok = true
			}
		}
		if !ok {
			if irt == "" {
				return time.Time{}, "", refuse(ReasonInResponseTo, "assertion answers no request, but one is outstanding")
			}
			return time.Time{}, "", refuse(ReasonInResponseTo, "InResponseTo %q is not an outstanding request of this session", truncate(irt, 100))
		}
	}
	return exp, irt, nil
}

func (sp *ServiceProvider) checkAudience(cond *etree.Element) error {
	restrictions := childrenOf(cond, NSAssertion, "AudienceRestriction")
	if len(restrictions) == 0 {
		return refuse(ReasonAudience, "Conditions has no AudienceRestriction")
	}
	for _, ar := range restrictions {
		ok := false
		var seen []string
		for _, aud := range childrenOf(ar, NSAssertion, "Audience") {
			got := strings.TrimSpace(textOf(aud))
			seen = append(seen, truncate(got, 200))
			for _, want := range sp.audiences {
				if audienceMatches(got, want) {
					ok = true
				}
			}
		}
		if !ok {
			return refuse(ReasonAudience, "audience %q does not name this service provider (%s)", seen, strings.Join(sp.audiences, ", "))
		}
	}
	return nil
}

func expired(now, notOnOrAfter time.Time, skew time.Duration) bool {
	return !now.Before(notOnOrAfter.Add(skew))
}

func parseTime(el *etree.Element, attr string, required bool) (time.Time, error) {
	v := el.SelectAttrValue(attr, "")
	if v == "" {
		if required {
			return time.Time{}, refuse(ReasonStructure, "%s has no %s", el.Tag, attr)
		}
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, refuse(ReasonMalformed, "%s %s %q is not an xs:dateTime", el.Tag, attr, truncate(v, 60))
	}
	return t, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
