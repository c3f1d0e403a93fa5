package saml

import (
	"crypto/x509"
	"strings"
	"testing"
)

// VerifyResponse checks what it is told to check and accepts only the
// signature methods it can verify: an unknown method in SignatureMethods is
// a configuration error, not a panic when a document names it.
func TestVerifyResponse(t *testing.T) {
	t.Parallel()
	certs := []*x509.Certificate{trustedIdP(t).cert}
	x := signedResponse(t)
	a, err := VerifyResponse(x, VerifyConfig{Certificates: certs, Now: testNow, Issuer: testIdPIssuer, Audience: testAudience, Destination: testACS, RequestID: testRequestID})
	if err != nil {
		t.Fatalf("VerifyResponse: %v", err)
	}
	if a.ID != testAssertionID || a.NameID != testNameID {
		t.Errorf("assertion %q for %q, want %q for %q", a.ID, a.NameID, testAssertionID, testNameID)
	}
	a, err = VerifyResponse(x, VerifyConfig{Certificates: certs, Now: testNow, RequestID: "_other"})
	wantRefused(t, a, err, ReasonInResponseTo)

	const hmac = "http://www.w3.org/2000/09/xmldsig#hmac-sha1"
	x = signedResponse(t, replaceRaw(`Algorithm="`+SignatureMethodRSASHA256+`"`, `Algorithm="`+hmac+`"`))
	a, err = VerifyResponse(x, VerifyConfig{Certificates: certs, Now: testNow, SignatureMethods: []string{hmac}})
	if err == nil || a != nil {
		t.Fatalf("VerifyResponse with SignatureMethods %q = %v, %v; want an error", hmac, a, err)
	}
	if !strings.Contains(err.Error(), hmac) {
		t.Errorf("err = %v, want it to name %q", err, hmac)
	}
}
