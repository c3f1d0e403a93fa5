package saml

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
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
// accepts by default: RSA and ECDSA with SHA-256, SHA-384 and SHA-512 and,
// because the Maestrano platform signs with it, RSA-SHA1. Remove RSA-SHA1
// with [WithSignatureMethods] when your IdP signs with SHA-256.
func defaultSignatureMethods() []string {
	return []string{
		SignatureMethodRSASHA256,
		SignatureMethodRSASHA384,
		SignatureMethodRSASHA512,
		SignatureMethodRSASHA1,
		SignatureMethodECDSASHA256,
		SignatureMethodECDSASHA384,
		SignatureMethodECDSASHA512,
	}
}

// ServiceProvider verifies SAML responses for one app on one IdP and builds
// its AuthnRequests. It is safe for concurrent use.
type ServiceProvider struct {
	verifier
	issuer           string
	now              func() time.Time
	replay           ReplayCache
	tracker          RequestTracker
	allowUnsolicited bool
	nameIDFormat     string
	redirectKey      crypto.Signer
	redirectAlg      string
	newID            func() (string, error)
	deflaters        sync.Pool // of *flate.Writer, for RedirectURL
}

// verifier holds what response verification needs; a [ServiceProvider] and
// [VerifyResponse] share it.
type verifier struct {
	certs        []*x509.Certificate
	fingerprints []Fingerprint
	sigMethods   map[string]bool
	maxSize      int
	maxDepth     int
	skew         time.Duration
	idpIssuer    string   // "": not checked
	acsURL       string   // "": Destination and Recipient not checked (tools only)
	audiences    []string // nil: not checked (tools only)
	bufs         sync.Pool
}

func (v *verifier) getBuffer() *[]byte {
	if b, ok := v.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 64<<10)
	return &b
}

func (v *verifier) putBuffer(b *[]byte) {
	if cap(*b) <= 4<<20 {
		v.bufs.Put(b)
	}
}

func (v *verifier) sigMethodList() []string {
	return slices.Sorted(maps.Keys(v.sigMethods))
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
		set, err := signatureMethodSet(methods)
		if err != nil {
			return fmt.Errorf("saml: WithSignatureMethods: %w", err)
		}
		sp.sigMethods = set
		return nil
	}
}

// signatureMethodSet returns methods as a set, refusing any that
// [signatureMethod] does not know: the verifier can check only those.
func signatureMethodSet(methods []string) (map[string]bool, error) {
	set := make(map[string]bool, len(methods))
	for _, m := range methods {
		if _, _, ok := signatureMethod(m); !ok {
			return nil, fmt.Errorf("%q is not a supported RSA or ECDSA signature method", m)
		}
		set[m] = true
	}
	return set, nil
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

// WithFingerprints trusts, besides any configured certificates, the
// certificate a signature carries in KeyInfo when its SHA-1 or SHA-256
// fingerprint is one of fps (see [ParseFingerprint]). With fingerprints
// only, a signature without a KeyInfo certificate is refused.
func WithFingerprints(fps ...Fingerprint) Option {
	return func(sp *ServiceProvider) error {
		for _, f := range fps {
			if len(f) != 20 && len(f) != 32 {
				return fmt.Errorf("saml: WithFingerprints: fingerprint of %d bytes, want 20 (SHA-1) or 32 (SHA-256)", len(f))
			}
			sp.fingerprints = append(sp.fingerprints, slices.Clone(f))
		}
		return nil
	}
}

// WithRequestTracker records every request made by
// [ServiceProvider.NewAuthnRequestContext] in t, and lets
// [ServiceProvider.ParseResponse] called without request IDs accept a
// response whose InResponseTo t redeems. Responses without InResponseTo
// still need [WithUnsolicitedResponses].
func WithRequestTracker(t RequestTracker) Option {
	return func(sp *ServiceProvider) error {
		if t == nil {
			return errors.New("saml: WithRequestTracker: nil tracker")
		}
		sp.tracker = t
		return nil
	}
}

// WithNameIDFormat sets the NameIDPolicy Format of AuthnRequests (default
// [NameIDFormatPersistent], what Maestrano sends); "" leaves NameIDPolicy
// out.
func WithNameIDFormat(format string) Option {
	return func(sp *ServiceProvider) error { sp.nameIDFormat = format; return nil }
}

// WithRedirectSigning signs HTTP-Redirect AuthnRequests with key: SigAlg
// and Signature over the exact query string (SAML bindings §3.4.4.1).
// method is an RSA or ECDSA signature method URI matching the key; ""
// means SHA-256 ([SignatureMethodRSASHA256] for RSA keys).
func WithRedirectSigning(key crypto.Signer, method string) Option {
	return func(sp *ServiceProvider) error {
		if key == nil {
			return errors.New("saml: WithRedirectSigning: nil key")
		}
		var want x509.PublicKeyAlgorithm
		switch key.Public().(type) {
		case *rsa.PublicKey:
			want = x509.RSA
			if method == "" {
				method = SignatureMethodRSASHA256
			}
		case *ecdsa.PublicKey:
			want = x509.ECDSA
			if method == "" {
				method = SignatureMethodECDSASHA256
			}
		default:
			return fmt.Errorf("saml: WithRedirectSigning: unsupported key type %T", key.Public())
		}
		if alg, _, ok := signatureMethod(method); !ok || alg != want {
			return fmt.Errorf("saml: WithRedirectSigning: %q is not a signature method for this key", method)
		}
		sp.redirectKey, sp.redirectAlg = key, method
		return nil
	}
}

// withIDGenerator replaces the request ID source (tests).
func withIDGenerator(f func() (string, error)) Option {
	return func(sp *ServiceProvider) error { sp.newID = f; return nil }
}

// NewServiceProvider returns a ServiceProvider for the ACS URL acsURL that
// trusts signatures made by the keys of certs only (certs may be empty if
// [WithFingerprints] pins the IdP certificate instead).
func NewServiceProvider(acsURL string, certs []*x509.Certificate, opts ...Option) (*ServiceProvider, error) {
	u, err := url.Parse(acsURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("saml: ACS URL %q is not an absolute http(s) URL", acsURL)
	}
	for i, c := range certs {
		if c == nil {
			return nil, fmt.Errorf("saml: IdP certificate %d is nil", i)
		}
	}
	sp := &ServiceProvider{
		verifier: verifier{
			acsURL:    acsURL,
			audiences: []string{u.Scheme + "://" + u.Host + "/"},
			certs:     append([]*x509.Certificate(nil), certs...),
			skew:      DefaultClockSkew,
			maxSize:   DefaultMaxResponseSize,
			maxDepth:  DefaultMaxDepth,
		},
		now:          time.Now,
		nameIDFormat: NameIDFormatPersistent,
		newID:        randomID,
	}
	sp.sigMethods, _ = signatureMethodSet(defaultSignatureMethods())
	for _, opt := range opts {
		if err := opt(sp); err != nil {
			return nil, err
		}
	}
	if len(sp.certs) == 0 && len(sp.fingerprints) == 0 {
		return nil, errors.New("saml: no IdP certificate or fingerprint")
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
