package saml

import (
	"crypto/x509"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

func TestAuthnRequest_NameIDFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []Option
		want string // "" means no NameIDPolicy
	}{
		{name: "default persistent", want: NameIDFormatPersistent},
		{name: "email", opts: []Option{WithNameIDFormat("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")}, want: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"},
		{name: "none", opts: []Option{WithNameIDFormat("")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := newTestSP(t, tc.opts...).NewAuthnRequest()
			if err != nil {
				t.Fatal(err)
			}
			x, err := req.XML()
			if err != nil {
				t.Fatal(err)
			}
			p, err := parseStrict(x, DefaultMaxDepth)
			if err != nil {
				t.Fatal(err)
			}
			pol, err := optionalChild(p.doc.Root(), NSProtocol, "NameIDPolicy")
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.want == "" && pol != nil:
				t.Errorf("NameIDPolicy present: %s", x)
			case tc.want != "" && (pol == nil || pol.SelectAttrValue("Format", "") != tc.want):
				t.Errorf("NameIDPolicy wrong, want %s: %s", tc.want, x)
			}
		})
	}
}

func TestRedirectURL_RelayStateAndSignature(t *testing.T) {
	t.Parallel()
	rsaKey := trustedIdP(t)
	ec := ecSigner(t)
	for _, tc := range []struct {
		name   string
		opts   []Option
		relay  string
		sigAlg string
		verify *signer
	}{
		{name: "unsigned with RelayState", relay: "/dashboard?tab=1"},
		{name: "RSA-SHA256 by default", opts: []Option{WithRedirectSigning(rsaKey.key, "")}, sigAlg: SignatureMethodRSASHA256, verify: rsaSigner(t)},
		{name: "RSA-SHA256 with RelayState", opts: []Option{WithRedirectSigning(rsaKey.key, "")}, relay: "state & more", sigAlg: SignatureMethodRSASHA256, verify: rsaSigner(t)},
		{name: "RSA-SHA512", opts: []Option{WithRedirectSigning(rsaKey.key, SignatureMethodRSASHA512)}, sigAlg: SignatureMethodRSASHA512, verify: rsaSigner(t)},
		{name: "ECDSA-SHA256", opts: []Option{WithRedirectSigning(ec.key, "")}, relay: "r", sigAlg: SignatureMethodECDSASHA256, verify: ec},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sp := newTestSP(t, tc.opts...)
			req, err := sp.NewAuthnRequest()
			if err != nil {
				t.Fatal(err)
			}
			req.RelayState = tc.relay
			extra := url.Values{"group_id": {"cld-3"}, "Signature": {"forged"}, "SigAlg": {"forged"}, "RelayState": {"forged"}}
			got, err := sp.RedirectURL("https://idp.example.com/sso?tenant=eu", req, extra)
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(got)
			q := u.Query()
			if q.Get("tenant") != "eu" || q.Get("group_id") != "cld-3" {
				t.Errorf("query lost parameters: %s", u.RawQuery)
			}
			if len(q["RelayState"]) > 1 || q.Get("RelayState") != tc.relay {
				t.Errorf("RelayState = %q, want %q", q["RelayState"], tc.relay)
			}
			if tc.verify == nil {
				if q.Has("Signature") || q.Has("SigAlg") {
					t.Errorf("unsigned redirect carries a signature: %s", u.RawQuery)
				}
				return
			}
			if len(q["Signature"]) != 1 || q.Get("SigAlg") != tc.sigAlg {
				t.Fatalf("SigAlg %q Signature %q", q["SigAlg"], q["Signature"])
			}
			if err := VerifyRedirectSignature(u.RawQuery, tc.verify.cert); err != nil {
				t.Errorf("VerifyRedirectSignature: %v", err)
			}
			// The signature covers the exact octets: a changed RelayState
			// or SAMLRequest fails, as does another key.
			tampered := strings.Replace(u.RawQuery, "SAMLRequest=", "SAMLRequest=x", 1)
			if err := VerifyRedirectSignature(tampered, tc.verify.cert); err == nil {
				t.Error("tampered SAMLRequest verifies")
			}
			if tc.relay != "" {
				tampered := strings.Replace(u.RawQuery, "RelayState=", "RelayState=x", 1)
				if err := VerifyRedirectSignature(tampered, tc.verify.cert); err == nil {
					t.Error("tampered RelayState verifies")
				}
			}
			if err := VerifyRedirectSignature(u.RawQuery, attackerIdP(t).cert); err == nil {
				t.Error("verifies with another key")
			}
		})
	}
	sp := newTestSP(t)
	req, _ := sp.NewAuthnRequest()
	req.RelayState = strings.Repeat("r", 81)
	if _, err := sp.RedirectURL("https://idp.example.com/sso", req, nil); err == nil || !strings.Contains(err.Error(), "80") {
		t.Errorf("81-byte RelayState: err %v, want the limit named", err)
	}
	if _, err := NewServiceProvider(testACS, []*x509.Certificate{trustedIdP(t).cert}, WithRedirectSigning(ec.key, SignatureMethodRSASHA256)); err == nil {
		t.Error("ECDSA key with an RSA method accepted")
	}
}

func TestRequestTracker(t *testing.T) {
	t.Parallel()
	clock := testNow
	now := func() time.Time { return clock }
	tr := NewMemoryRequestTracker(0, now)
	sp := newTestSP(t, WithRequestTracker(tr), WithClock(now), fixedIDs(testRequestID, "_req-2"))
	req, err := sp.NewAuthnRequestContext(t.Context())
	if err != nil || req.ID != testRequestID {
		t.Fatalf("request %v %v", req, err)
	}
	// Tracked: accepted without passing the ID, once.
	if _, err := sp.ParseResponse(t.Context(), signedEncoded(t)); err != nil {
		t.Fatalf("tracked request: %v", err)
	}
	a, err := sp.ParseResponse(t.Context(), signedEncoded(t, afterSign(func(_, _ *etree.Element) {})))
	wantRefused(t, a, err, ReasonInResponseTo) // redeemed already (before the replay cache)
	// Never sent: refused.
	a, err = sp.ParseResponse(t.Context(), signedEncoded(t, inResponseTo("_never-sent")))
	wantRefused(t, a, err, ReasonInResponseTo)
	// IdP-initiated: refused without WithUnsolicitedResponses.
	a, err = sp.ParseResponse(t.Context(), signedEncoded(t, inResponseTo("")))
	wantRefused(t, a, err, ReasonInResponseTo)
	// Expired: refused.
	req2, err := sp.NewAuthnRequestContext(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(DefaultRequestLifetime)
	if ok, _ := tr.Redeem(t.Context(), req2.ID); ok {
		t.Error("expired request redeemed")
	}
	// Full tracker fails closed.
	small := NewMemoryRequestTracker(1, now)
	if err := small.Track(t.Context(), "a", clock.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := small.Track(t.Context(), "b", clock.Add(time.Minute)); err == nil {
		t.Error("full tracker accepted a request")
	}
	clock = clock.Add(time.Minute)
	if err := small.Track(t.Context(), "b", clock.Add(time.Minute)); err != nil {
		t.Errorf("expired entries not dropped: %v", err)
	}
}

func TestValidationError_PublicMessage(t *testing.T) {
	t.Parallel()
	a, err := newTestSP(t).ParseResponse(t.Context(), signedEncoded(t, setAttr("SubjectConfirmationData", "NotOnOrAfter", ts(testNow.Add(-time.Hour)))), testRequestID)
	wantRefused(t, a, err, ReasonExpired)
	ve := err.(*ValidationError)
	for _, want := range []string{"expired at 2026-03-01T11:00:00Z", "now is 2026-03-01T12:00:00Z", "allowed skew 1m30s", "check the clock"} {
		if !strings.Contains(ve.Detail, want) {
			t.Errorf("Detail %q lacks %q", ve.Detail, want)
		}
	}
	for _, r := range []Reason{ReasonExpired, ReasonSignature, ReasonIssuer, ReasonReplay, ReasonMalformed} {
		msg := (&ValidationError{Reason: r, Detail: "secret detail _assert-90b3c4"}).PublicMessage()
		if msg == "" || strings.Contains(msg, "secret") || strings.Contains(msg, "_assert") || strings.Contains(msg, string(r)) {
			t.Errorf("%s: public message %q", r, msg)
		}
	}
}
