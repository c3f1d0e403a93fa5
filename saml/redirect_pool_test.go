package saml

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// A pooled compressor writes what a fresh one writes, call after call and
// for messages of other sizes, concurrently.
func TestEncodeRedirectPooledMatchesFresh(t *testing.T) {
	var pool sync.Pool
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				xml := []byte(fmt.Sprintf(`<samlp:AuthnRequest ID="_%d_%d">%s</samlp:AuthnRequest>`, g, i, strings.Repeat("x", (i*37)%900)))
				want, err := EncodeRedirect(xml)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := encodeRedirect(&pool, xml)
				if err != nil || got != want {
					t.Errorf("pooled encoding of message %d/%d differs (%v)", g, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkEncodeRedirect: a fresh compressor per message (EncodeRedirect)
// against the pool RedirectURL uses.
func BenchmarkEncodeRedirect(b *testing.B) {
	xml := []byte(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1b2c3d4e5f60718293a4b5c6d7e8f90" Version="2.0" IssueInstant="2030-01-02T03:04:05Z" Destination="http://127.0.0.1:7000/api/v1/auth/saml" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" AssertionConsumerServiceURL="http://127.0.0.1:8081/maestrano/auth/saml/consume/maestrano"><saml:Issuer>app-1</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" AllowCreate="true"/><samlp:RequestedAuthnContext Comparison="exact"><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></samlp:RequestedAuthnContext></samlp:AuthnRequest>`)
	b.Run("fresh", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := EncodeRedirect(xml); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pooled", func(b *testing.B) {
		var pool sync.Pool
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodeRedirect(&pool, xml); err != nil {
				b.Fatal(err)
			}
		}
	})
}
