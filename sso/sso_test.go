package sso_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/sso"
)

func noSleep(context.Context, time.Duration) error { return nil }

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// testCert is one self-signed IdP certificate for the whole test binary
// (RSA key generation is slow under the race detector).
func testCert(t testing.TB) *x509.Certificate {
	t.Helper()
	c, err := sharedCert()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var sharedCert = sync.OnceValues(func() (*x509.Certificate, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test idp"},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
})

func marketplace(t testing.TB, idp string) *maestrano.Marketplace {
	t.Helper()
	cert := testCert(t)
	mp := &maestrano.Marketplace{Name: "maestrano"}
	mp.API.ID, mp.API.Key, mp.API.Host, mp.API.Base = "app-1", "key", idp, "/api/v1/"
	mp.SSO.IDM, mp.SSO.IDP = "https://app.example.com", idp
	mp.SSO.InitPath, mp.SSO.ConsumePath = "/maestrano/auth/saml/init/maestrano", "/maestrano/auth/saml/consume/maestrano"
	mp.SSO.X509Certificate = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	mp.SSO.X509Fingerprint = maestrano.Fingerprint(cert)
	return mp
}

func TestURLs(t *testing.T) {
	t.Parallel()
	svc, err := sso.New(marketplace(t, "https://hub.example.com/"))
	if err != nil {
		t.Fatal(err)
	}
	for got, want := range map[string]string{
		svc.InitURL():                           "https://app.example.com/maestrano/auth/saml/init/maestrano",
		svc.ACSURL():                            "https://app.example.com/maestrano/auth/saml/consume/maestrano",
		svc.IdPURL():                            "https://hub.example.com/api/v1/auth/saml",
		svc.LogoutURL("usr-1"):                  "https://hub.example.com/app_logout?user_uid=usr-1",
		svc.LogoutURL(""):                       "https://hub.example.com/app_logout",
		svc.UnauthorizedURL():                   "https://hub.example.com/app_access_unauthorized",
		svc.SessionCheckURL("usr-1", "a b&c/d"): "https://hub.example.com/api/v1/auth/saml/usr-1?session=a+b%26c%2Fd",
		svc.SessionCheckURL("usr/../x", "t"):    "https://hub.example.com/api/v1/auth/saml/usr%2F..%2Fx?session=t",
	} {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
	redirect, id, err := svc.StartLogin(url.Values{"group_id": {"cld-2"}})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(redirect)
	if u.Scheme+"://"+u.Host+u.Path != svc.IdPURL() || u.Query().Get("SAMLRequest") == "" || u.Query().Get("group_id") != "cld-2" || !strings.HasPrefix(id, "_") {
		t.Fatalf("StartLogin: %s, %s", redirect, id)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	mp := marketplace(t, "https://hub.example.com")
	mp.SSO.X509Fingerprint = "00:01"
	_, err := sso.New(mp)
	var cerr *maestrano.ConfigError
	if !errors.As(err, &cerr) || !strings.Contains(err.Error(), "fingerprint") {
		t.Fatalf("error %v, want a *ConfigError about the fingerprint", err)
	}
	if _, err := sso.New(nil); err == nil {
		t.Fatal("nil marketplace accepted")
	}
}

// idp is a session-check endpoint with programmable answers.
type idp struct {
	srv     *httptest.Server
	calls   atomic.Int64
	answers []func(w http.ResponseWriter, r *http.Request)
}

func newIdP(t *testing.T, answers ...func(w http.ResponseWriter, r *http.Request)) *idp {
	d := &idp{answers: answers}
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(d.calls.Add(1)) - 1
		d.answers[min(i, len(d.answers)-1)](w, r)
	}))
	t.Cleanup(d.srv.Close)
	return d
}

func answer(status int, body string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status); fmt.Fprint(w, body) }
}

func TestCheckSession(t *testing.T) {
	t.Parallel()
	later := t0.Add(3 * time.Minute).Format(time.RFC3339)
	cases := []struct {
		name        string
		answers     []func(http.ResponseWriter, *http.Request)
		recheck     time.Time
		wantValid   bool
		wantCalls   int64
		wantErr     string
		wantRecheck time.Time
	}{
		{name: "before recheck: no call", recheck: t0.Add(time.Second), wantValid: true, wantCalls: 0, wantRecheck: t0.Add(time.Second)},
		{name: "valid", answers: []func(http.ResponseWriter, *http.Request){answer(200, `{"valid":true,"recheck":"`+later+`"}`)},
			recheck: t0, wantValid: true, wantCalls: 1, wantRecheck: t0.Add(3 * time.Minute)},
		{name: "valid as string (Java tolerance)", answers: []func(http.ResponseWriter, *http.Request){answer(200, `{"valid":"true","recheck":"`+later+`"}`)},
			recheck: t0.Add(-time.Hour), wantValid: true, wantCalls: 1, wantRecheck: t0.Add(3 * time.Minute)},
		{name: "valid without recheck", answers: []func(http.ResponseWriter, *http.Request){answer(200, `{"valid":true}`)},
			recheck: t0, wantValid: true, wantCalls: 1, wantRecheck: t0.Add(sso.DefaultRecheck)},
		{name: "recheck capped", answers: []func(http.ResponseWriter, *http.Request){answer(200, `{"valid":true,"recheck":"2099-01-01T00:00:00Z"}`)},
			recheck: t0, wantValid: true, wantCalls: 1, wantRecheck: t0.Add(sso.MaxRecheck)},
		{name: "recheck in the past", answers: []func(http.ResponseWriter, *http.Request){answer(200, `{"valid":true,"recheck":"2000-01-01T00:00:00Z"}`)},
			recheck: t0, wantValid: true, wantCalls: 1, wantRecheck: t0.Add(sso.DefaultRecheck)},
		{name: "redirect not followed", answers: []func(http.ResponseWriter, *http.Request){func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://elsewhere.example/?"+r.URL.RawQuery, http.StatusFound)
		}}, recheck: t0, wantValid: false, wantCalls: 1, wantErr: "redirect not followed", wantRecheck: t0},
		{name: "invalid", answers: []func(http.ResponseWriter, *http.Request){answer(200, `{"valid":false,"recheck":"`+later+`"}`)},
			recheck: t0, wantValid: false, wantCalls: 1, wantRecheck: t0},
		{name: "503 then valid", answers: []func(http.ResponseWriter, *http.Request){answer(503, ``), answer(200, `{"valid":true,"recheck":"`+later+`"}`)},
			recheck: t0, wantValid: true, wantCalls: 2, wantRecheck: t0.Add(3 * time.Minute)},
		{name: "always 500: fail closed", answers: []func(http.ResponseWriter, *http.Request){answer(500, `oops`)},
			recheck: t0, wantValid: false, wantCalls: 1 + sso.DefaultCheckRetries, wantErr: "sso: session check: HTTP 500", wantRecheck: t0},
		{name: "garbage", answers: []func(http.ResponseWriter, *http.Request){answer(200, `<html>`)},
			recheck: t0, wantValid: false, wantCalls: 1, wantErr: "answer is not JSON", wantRecheck: t0},
		{name: "huge", answers: []func(http.ResponseWriter, *http.Request){answer(200, `{"valid":true,"x":"`+strings.Repeat("a", 100<<10)+`"}`)},
			recheck: t0, wantValid: false, wantCalls: 1, wantErr: "answer too large", wantRecheck: t0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := newIdP(t, append(c.answers, answer(599, "unexpected extra call"))[:max(len(c.answers), 1)]...)
			svc, err := sso.New(marketplace(t, d.srv.URL), sso.WithClock(func() time.Time { return t0 }), sso.WithRetrySleep(noSleep))
			if err != nil {
				t.Fatal(err)
			}
			sess := &sso.Session{UserUID: "usr-1", GroupUID: "cld-1", Token: "tok", Recheck: c.recheck}
			valid, err := svc.CheckSession(t.Context(), sess)
			if valid != c.wantValid || d.calls.Load() != c.wantCalls {
				t.Fatalf("valid %v after %d calls, want %v after %d (err %v)", valid, d.calls.Load(), c.wantValid, c.wantCalls, err)
			}
			if c.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if c.wantErr != "" {
				var cerr *sso.SessionCheckError
				if !errors.As(err, &cerr) || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want *SessionCheckError with %q", err, c.wantErr)
				}
			}
			if !sess.Recheck.Equal(c.wantRecheck) {
				t.Errorf("recheck %v, want %v", sess.Recheck, c.wantRecheck)
			}
		})
	}
}

func TestCheckSessionSendsEscapedTokenAndNeverLeaksIt(t *testing.T) {
	t.Parallel()
	var gotPath, gotToken string
	d := newIdP(t, func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotToken = r.URL.Path, r.URL.Query().Get("session")
		fmt.Fprint(w, `{"valid":true}`)
	})
	svc, _ := sso.New(marketplace(t, d.srv.URL), sso.WithClock(func() time.Time { return t0 }))
	sess := &sso.Session{UserUID: "usr-1.cld-1", Token: "a&b=c d"}
	if ok, err := svc.CheckSession(t.Context(), sess); !ok || err != nil {
		t.Fatalf("%v %v", ok, err)
	}
	if gotPath != "/api/v1/auth/saml/usr-1.cld-1" || gotToken != "a&b=c d" {
		t.Fatalf("path %q token %q", gotPath, gotToken)
	}

	// An unreachable IdP: the error names the URL, without the token.
	dead := httptest.NewServer(nil)
	deadURL := dead.URL
	dead.Close()
	svc, _ = sso.New(marketplace(t, deadURL), sso.WithRetrySleep(noSleep))
	_, err := svc.CheckSession(t.Context(), &sso.Session{UserUID: "usr-1", Token: "very-secret-token"})
	if err == nil || strings.Contains(err.Error(), "very-secret-token") || !strings.Contains(err.Error(), "redacted") {
		t.Fatalf("error %v: want a redacted transport error", err)
	}
}

func TestCheckSessionRetries(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 3} {
		d := newIdP(t, answer(503, ""))
		svc, err := sso.New(marketplace(t, d.srv.URL), sso.WithRetries(n), sso.WithRetrySleep(noSleep), sso.WithClock(func() time.Time { return t0 }))
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := svc.CheckSession(t.Context(), &sso.Session{UserUID: "usr-1", Token: "t"}); ok || err == nil {
			t.Fatalf("retries %d: %v %v", n, ok, err)
		}
		if got := d.calls.Load(); got != int64(n+1) {
			t.Errorf("retries %d: %d calls, want %d", n, got, n+1)
		}
	}
	for name, opt := range map[string]sso.Option{"negative retries": sso.WithRetries(-1), "empty UA": sso.WithUserAgent(" "), "UA newline": sso.WithUserAgent("a\nb")} {
		if _, err := sso.New(marketplace(t, "https://hub.example.com"), opt); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// A cancelled request is not a logout: the error is the context's, so the
// app can tell it from "the platform ended the session".
func TestCheckSessionCancelled(t *testing.T) {
	t.Parallel()
	d := newIdP(t, answer(503, ""))
	svc, _ := sso.New(marketplace(t, d.srv.URL), sso.WithClock(func() time.Time { return t0 }))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ok, err := svc.CheckSession(ctx, &sso.Session{UserUID: "usr-1", Token: "t"})
	if ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("%v %v, want false with context.Canceled", ok, err)
	}
	var cerr *sso.SessionCheckError
	if errors.As(err, &cerr) {
		t.Fatal("a cancelled check reads as an IdP failure")
	}
}

func TestCheckSessionWithoutSession(t *testing.T) {
	t.Parallel()
	svc, _ := sso.New(marketplace(t, "https://hub.example.com"))
	for _, s := range []*sso.Session{nil, {}, {UserUID: "usr-1"}, {Token: "t"}} {
		if ok, err := svc.CheckSession(t.Context(), s); ok || err != nil {
			t.Errorf("%+v: %v %v", s, ok, err)
		}
	}
}

func TestSessionEncoding(t *testing.T) {
	t.Parallel()
	s := sso.Session{Marketplace: "maestrano", UserUID: "usr-1", GroupUID: "cld-1", Token: "tok", Recheck: t0}
	got, err := sso.DecodeSession(s.Encode())
	if err != nil || got != s {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	// Written by the PHP SDK (ISO 8601 with +0000) and the Java SDK (millis).
	for name, v := range map[string]string{
		"php":  `{"uid":"usr-1","group_uid":"cld-1","session":"tok","session_recheck":"2030-01-02T03:04:05+0000"}`,
		"java": `{"uid":"usr-1","group_uid":"cld-1","session":"tok","session_recheck":"2030-01-02T03:04:05.000Z"}`,
	} {
		got, err := sso.DecodeSession(b64(v))
		if err != nil || !got.Recheck.Equal(t0) || got.UserUID != "usr-1" || got.Token != "tok" {
			t.Errorf("%s: %+v %v", name, got, err)
		}
	}
	// .NET writes no zone: unreadable recheck means "check now".
	got, err = sso.DecodeSession(b64(`{"uid":"usr-1","session":"tok","session_recheck":"2030-01-02T03:04:05"}`))
	if err != nil || !got.Recheck.IsZero() {
		t.Errorf("dotnet: %+v %v", got, err)
	}
	for name, v := range map[string]string{"not base64": "%%%", "not json": b64("hello"), "too long": strings.Repeat("A", 9000)} {
		if _, err := sso.DecodeSession(v); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if strings.Contains(fmt.Sprintf("%v %+v", s, s), "tok") {
		t.Error("the session token is printed")
	}
}
