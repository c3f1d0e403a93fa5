package saml

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	dsig "github.com/russellhaering/goxmldsig"
)

// Defaults of a [ServiceProvider].
const (
	// DefaultClockSkew is how far the IdP's clock may be off ours.
	DefaultClockSkew = 90 * time.Second
	// DefaultMaxResponseSize bounds the base64 SAMLResponse (about 1.5 MiB
	// of XML): far above a legitimate assertion with hundreds of attributes.
	DefaultMaxResponseSize = 2 << 20
	// DefaultMaxDepth bounds XML element nesting.
	DefaultMaxDepth = 64
)

// Namespaces and identifiers used on the wire.
const (
	NSProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	NSAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	NSDSig      = "http://www.w3.org/2000/09/xmldsig#"

	StatusSuccess          = "urn:oasis:names:tc:SAML:2.0:status:Success"
	BindingHTTPPost        = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
	NameIDFormatPersistent = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	MethodBearer           = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	AuthnContextPassword   = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
)

// defaultSignatureMethods are the signature methods a ServiceProvider
// accepts by default. RSA-SHA1 is included because the Maestrano platform
// signs with it; remove it with [WithSignatureMethods] when your IdP signs
// with SHA-256.
func defaultSignatureMethods() []string {
	return []string{
		dsig.RSASHA256SignatureMethod,
		dsig.RSASHA384SignatureMethod,
		dsig.RSASHA512SignatureMethod,
		dsig.RSASHA1SignatureMethod,
	}
}

// isDigestMethod reports whether uri is an accepted digest method.
func isDigestMethod(uri string) bool {
	switch uri {
	case "http://www.w3.org/2000/09/xmldsig#sha1",
		"http://www.w3.org/2001/04/xmlenc#sha256",
		"http://www.w3.org/2001/04/xmldsig-more#sha384",
		"http://www.w3.org/2001/04/xmlenc#sha512":
		return true
	}
	return false
}

// ServiceProvider verifies SAML responses for one app on one IdP and builds
// its AuthnRequests. It is safe for concurrent use.
type ServiceProvider struct {
	acsURL           string
	audiences        []string
	certs            []*x509.Certificate
	issuer           string
	idpIssuer        string
	now              func() time.Time
	skew             time.Duration
	replay           ReplayCache
	allowUnsolicited bool
	sigMethods       map[string]bool
	maxSize          int
	maxDepth         int
	newID            func() (string, error)
}

// Option configures a [ServiceProvider].
type Option func(*ServiceProvider) error

// WithIssuer sets the Issuer of AuthnRequests (Maestrano: the app's api.id).
func WithIssuer(issuer string) Option {
	return func(sp *ServiceProvider) error { sp.issuer = issuer; return nil }
}

// WithIDPIssuer makes responses whose Issuer differs from issuer invalid.
// Query strings are ignored on both sides, because the original Maestrano
// IdP appends the request to its Issuer.
func WithIDPIssuer(issuer string) Option {
	return func(sp *ServiceProvider) error { sp.idpIssuer = stripQuery(issuer); return nil }
}

// WithAudiences replaces the accepted audiences (default: the ACS URL's
// origin with a trailing slash, which is what Maestrano sends).
func WithAudiences(aud ...string) Option {
	return func(sp *ServiceProvider) error {
		if len(aud) == 0 {
			return errors.New("saml: WithAudiences: no audience")
		}
		sp.audiences = append([]string(nil), aud...)
		return nil
	}
}

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(sp *ServiceProvider) error {
		if now == nil {
			return errors.New("saml: WithClock: nil clock")
		}
		sp.now = now
		return nil
	}
}

// WithClockSkew sets the tolerated clock difference (default DefaultClockSkew).
func WithClockSkew(d time.Duration) Option {
	return func(sp *ServiceProvider) error {
		if d < 0 || d > 10*time.Minute {
			return errors.New("saml: WithClockSkew: skew must be between 0 and 10 minutes")
		}
		sp.skew = d
		return nil
	}
}

// WithReplayCache sets where consumed assertion IDs are remembered
// (default: a [MemoryReplayCache] of this ServiceProvider).
func WithReplayCache(c ReplayCache) Option {
	return func(sp *ServiceProvider) error {
		if c == nil {
			return errors.New("saml: WithReplayCache: nil cache")
		}
		sp.replay = c
		return nil
	}
}

// WithUnsolicitedResponses accepts IdP-initiated responses: a response
// parsed without request IDs is then accepted whatever its InResponseTo.
// Off by default: Maestrano logins always start at the app.
func WithUnsolicitedResponses() Option {
	return func(sp *ServiceProvider) error { sp.allowUnsolicited = true; return nil }
}

// WithSignatureMethods replaces the accepted XML-DSig signature method URIs.
func WithSignatureMethods(methods ...string) Option {
	return func(sp *ServiceProvider) error {
		if len(methods) == 0 {
			return errors.New("saml: WithSignatureMethods: no method")
		}
		sp.sigMethods = map[string]bool{}
		for _, m := range methods {
			sp.sigMethods[m] = true
		}
		return nil
	}
}

// WithMaxResponseSize bounds the encoded SAMLResponse in bytes.
func WithMaxResponseSize(n int) Option {
	return func(sp *ServiceProvider) error {
		if n <= 0 {
			return errors.New("saml: WithMaxResponseSize: size must be positive")
		}
		sp.maxSize = n
		return nil
	}
}

// withIDGenerator replaces the request ID source (tests).
func withIDGenerator(f func() (string, error)) Option {
	return func(sp *ServiceProvider) error { sp.newID = f; return nil }
}

// NewServiceProvider returns a ServiceProvider for the ACS URL acsURL that
// trusts signatures made by the keys of certs only.
func NewServiceProvider(acsURL string, certs []*x509.Certificate, opts ...Option) (*ServiceProvider, error) {
	u, err := url.Parse(acsURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("saml: ACS URL %q is not an absolute http(s) URL", acsURL)
	}
	if len(certs) == 0 {
		return nil, errors.New("saml: no IdP certificate")
	}
	for i, c := range certs {
		if c == nil {
			return nil, fmt.Errorf("saml: IdP certificate %d is nil", i)
		}
	}
	sp := &ServiceProvider{
		acsURL:    acsURL,
		audiences: []string{u.Scheme + "://" + u.Host + "/"},
		certs:     append([]*x509.Certificate(nil), certs...),
		now:       time.Now,
		skew:      DefaultClockSkew,
		maxSize:   DefaultMaxResponseSize,
		maxDepth:  DefaultMaxDepth,
		newID:     randomID,
	}
	sp.sigMethods = map[string]bool{}
	for _, m := range defaultSignatureMethods() {
		sp.sigMethods[m] = true
	}
	for _, opt := range opts {
		if err := opt(sp); err != nil {
			return nil, err
		}
	}
	if sp.replay == nil {
		sp.replay = NewMemoryReplayCache(0, sp.now)
	}
	return sp, nil
}

// ACSURL returns the Assertion Consumer Service URL.
func (sp *ServiceProvider) ACSURL() string { return sp.acsURL }

func stripQuery(s string) string {
	if i := strings.IndexByte(s, '?'); i >= 0 {
		return s[:i]
	}
	return s
}

func audienceMatches(got, want string) bool {
	return got == want || strings.TrimSuffix(got, "/") == strings.TrimSuffix(want, "/")
}
