package maestrano_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/sandbox"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadDevPlatform(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		file    string
		env     map[string]string
		want    maestrano.DevPlatform
		wantErr string
	}{
		{name: "php file", file: "testdata/devplatform/php/dev-platform.json",
			want: maestrano.DevPlatform{Host: "https://developer.maestrano.com", APIPath: "/api/config/v1/", EnvName: "my-environment",
				EnvKey: "5e351c6a-b385-425d-b7d2-bafdb22f9476", EnvSecret: "SFHrk0XVRZXfQS9hO8stYA"}},
		{name: "ruby file", file: "testdata/devplatform/ruby/dev-platform.json",
			want: maestrano.DevPlatform{Host: "http://localhost:5000", APIPath: "/api/config/v1/marketplaces", EnvName: "test", EnvKey: "123", EnvSecret: "123"}},
		{name: "env overrides file", file: "testdata/devplatform/php/dev-platform.json",
			env: map[string]string{"MNO_DEVPL_HOST": "http://127.0.0.1:7000", "MNO_DEVPL_ENV_SECRET": "other"},
			want: maestrano.DevPlatform{Host: "http://127.0.0.1:7000", APIPath: "/api/config/v1/", EnvName: "my-environment",
				EnvKey: "5e351c6a-b385-425d-b7d2-bafdb22f9476", EnvSecret: "other"}},
		{name: "env only", env: map[string]string{"MNO_DEVPL_ENV_KEY": "k", "MNO_DEVPL_ENV_SECRET": "s"},
			want: maestrano.DevPlatform{EnvKey: "k", EnvSecret: "s"}},
		{name: "nothing", wantErr: "environment api_key (MNO_DEVPL_ENV_KEY) is empty; environment api_secret (MNO_DEVPL_ENV_SECRET) is empty"},
		{name: "unknown field", file: "testdata/devplatform/unknown-field/dev-platform.json", wantErr: `unknown field "apiPath"`},
		{name: "trailing data", file: "testdata/devplatform/trailing-data/dev-platform.json", wantErr: "data after the JSON object"},
		{name: "missing file", file: "testdata/devplatform/none.json", wantErr: "no such file"},
		{name: "plain http to a remote host", env: map[string]string{"MNO_DEVPL_HOST": "http://developer.example.com", "MNO_DEVPL_ENV_KEY": "k", "MNO_DEVPL_ENV_SECRET": "s"},
			wantErr: "uses plain http on a non-loopback host"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := maestrano.LoadDevPlatform(c.file, env(c.env))
			if c.wantErr != "" {
				var cerr *maestrano.ConfigError
				if !errors.As(err, &cerr) || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want a *ConfigError containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestLoadDevPlatformBoundsTheFile(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(p, bytes.Repeat([]byte(" "), 2<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := maestrano.LoadDevPlatform(p, nil); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("error %v, want a size error", err)
	}
}

func TestMarketplacesURL(t *testing.T) {
	t.Parallel()
	cases := []struct{ host, path, want string }{
		{"", "", "https://developer.maestrano.com/api/config/v1/marketplaces"},
		{"https://developer.maestrano.com", "/api/config/v1/", "https://developer.maestrano.com/api/config/v1/marketplaces"}, // PHP
		{"https://developer.maestrano.com/", "/api/config/v1", "https://developer.maestrano.com/api/config/v1/marketplaces"}, // Java
		{"http://localhost:5000", "/api/config/v1/marketplaces", "http://localhost:5000/api/config/v1/marketplaces"},         // Ruby
		{"http://127.0.0.1:7000", "api/config/v1//", "http://127.0.0.1:7000/api/config/v1/marketplaces"},                     // sloppy
		{"http://[::1]:7000", "", "http://[::1]:7000/api/config/v1/marketplaces"},
	}
	for _, c := range cases {
		got, err := maestrano.DevPlatform{Host: c.host, APIPath: c.path}.MarketplacesURL()
		if err != nil || got != c.want {
			t.Errorf("host %q path %q: got %q, %v; want %q", c.host, c.path, got, err, c.want)
		}
	}
	for _, bad := range []string{"developer.maestrano.com", "ftp://x", "http://10.0.0.1", "http://"} {
		if _, err := (maestrano.DevPlatform{Host: bad}).MarketplacesURL(); err == nil {
			t.Errorf("host %q accepted", bad)
		}
	}
}

// openSandbox runs a real sandbox on loopback.
func openSandbox(t *testing.T) (*sandbox.Sandbox, maestrano.DevPlatform) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	sb, err := sandbox.Open(t.Context(), sandbox.Config{DataDir: t.TempDir(), BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	srv.Config.Handler = sb
	srv.Start()
	t.Cleanup(srv.Close)
	dp := sb.DevPlatform()
	return sb, maestrano.DevPlatform{Host: dp.Host, APIPath: dp.APIPath, EnvKey: dp.EnvKey, EnvSecret: maestrano.Secret(dp.EnvSecret)}
}

func TestAutoConfigureFromSandbox(t *testing.T) {
	t.Parallel()
	sb, dp := openSandbox(t)
	reg, err := maestrano.AutoConfigure(t.Context(), dp)
	if err != nil {
		t.Fatal(err)
	}
	if got := reg.Names(); len(got) != 1 || got[0] != "maestrano" {
		t.Fatalf("names %v", got)
	}
	mp, err := reg.Get("maestrano")
	if err != nil {
		t.Fatal(err)
	}
	if mp.API.ID != "app-1" || mp.API.Base != "/api/v1/" || mp.SSO.IDP != dp.Host || mp.API.Host != dp.Host {
		t.Errorf("api/sso: %+v %+v", mp.API, mp.SSO)
	}
	if mp.SSO.InitPath != "/maestrano/auth/saml/init/maestrano" || mp.SSO.ConsumePath != "/maestrano/auth/saml/consume/maestrano" {
		t.Errorf("sso paths: %+v", mp.SSO)
	}
	if mp.Webhooks.Account.GroupPath != "/maestrano/account/groups/:id/maestrano" || !mp.Webhooks.Connec.ExternalIDs {
		t.Errorf("webhooks: %+v", mp.Webhooks)
	}
	cert, err := mp.Certificate()
	if err != nil || !cert.Equal(sb.Certificate()) {
		t.Fatalf("certificate: %v", err)
	}
	if mp.SSO.X509Fingerprint != maestrano.Fingerprint(sb.Certificate()) {
		t.Errorf("fingerprint %s, want %s", mp.SSO.X509Fingerprint, maestrano.Fingerprint(sb.Certificate()))
	}
	if !reg.Authenticate("maestrano", mp.API.ID, mp.API.Key.Reveal()) || reg.Authenticate("maestrano", mp.API.ID, "wrong") || reg.Authenticate("other", mp.API.ID, mp.API.Key.Reveal()) {
		t.Error("Authenticate")
	}

	bad := dp
	bad.EnvSecret = "wrong"
	_, err = maestrano.AutoConfigure(t.Context(), bad)
	var apiErr *maestrano.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad secret: %v, want *APIError 401", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error leaks the secret: %v", err)
	}
}

func TestAutoConfigureAnswers(t *testing.T) {
	t.Parallel()
	sb, _ := openSandbox(t)
	cert := sb.Certificate()
	good := validMarketplace(cert)
	cases := []struct {
		name    string
		answers []func(w http.ResponseWriter)
		wantErr string
		calls   int
	}{
		{"error key with 200", []func(http.ResponseWriter){jsonAnswer(200, `{"error":"environment disabled"}`)}, "environment disabled", 1},
		{"404 plain text", []func(http.ResponseWriter){jsonAnswer(404, `not here`)}, "HTTP 404: not here", 1},
		{"no marketplaces key", []func(http.ResponseWriter){jsonAnswer(200, `{}`)}, `no "marketplaces" array`, 1},
		{"not json", []func(http.ResponseWriter){jsonAnswer(200, `<html>`)}, "answer is not JSON", 1},
		{"object instead of array", []func(http.ResponseWriter){jsonAnswer(200, `{"marketplaces":{"a":1}}`)}, "answer is not JSON", 1},
		{"bad fingerprint", []func(http.ResponseWriter){jsonAnswer(200, mustJSON(map[string]any{"marketplaces": []any{withFingerprint(good, "00:11")}}))},
			"sso.x509_fingerprint does not match", 1},
		{"plain http IdP elsewhere", []func(http.ResponseWriter){jsonAnswer(200, mustJSON(map[string]any{"marketplaces": []any{withIdP(good, "http://idp.example.com")}}))},
			"sso.idp uses plain http to a non-loopback host", 1},
		{"plain http IdP on a look-alike host", []func(http.ResponseWriter){jsonAnswer(200, mustJSON(map[string]any{"marketplaces": []any{withIdP(good, "http://127.evil.example")}}))},
			"sso.idp uses plain http to a non-loopback host", 1},
		{"two 503 then ok", []func(http.ResponseWriter){jsonAnswer(503, `busy`), jsonAnswer(503, `busy`), jsonAnswer(200, mustJSON(map[string]any{"marketplaces": []any{good}}))}, "", 3},
		{"three 503", []func(http.ResponseWriter){jsonAnswer(503, `busy`), jsonAnswer(503, `busy`), jsonAnswer(503, `still busy`)}, "HTTP 503: still busy", 3},
		{"too large", []func(http.ResponseWriter){jsonAnswer(200, `{"marketplaces":[`+strings.Repeat(" ", 9<<20)+`]}`)}, "answer larger than", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				if u, p, ok := r.BasicAuth(); !ok || u != "k" || p != "s" {
					t.Errorf("request without the environment credentials")
				}
				c.answers[min(i, len(c.answers)-1)](w)
			}))
			defer srv.Close()
			_, err := maestrano.AutoConfigure(t.Context(), maestrano.DevPlatform{Host: srv.URL, EnvKey: "k", EnvSecret: "s"}, maestrano.WithRetrySleep(noSleep))
			if c.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("error %v, want %q", err, c.wantErr)
			}
			if int(n.Load()) != c.calls {
				t.Errorf("%d calls, want %d", n.Load(), c.calls)
			}
		})
	}
}

// A redirect is never followed: it could carry the environment credentials
// to another origin or from https to plain http.
func TestAutoConfigureDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	var leaked atomic.Int64
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Add(1)
		}
		w.Write([]byte(`{"marketplaces":[]}`))
	}))
	defer target.Close()
	for _, status := range []int{301, 302, 307, 308} {
		src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/api/config/v1/marketplaces", status)
		}))
		_, err := maestrano.AutoConfigure(t.Context(), maestrano.DevPlatform{Host: src.URL, EnvKey: "k", EnvSecret: "s"})
		src.Close()
		var apiErr *maestrano.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != status || !strings.Contains(err.Error(), "not followed") || !strings.Contains(err.Error(), src.URL) {
			t.Errorf("%d: error %v, want an *APIError naming the refused redirect and the URL called", status, err)
		}
	}
	if n := leaked.Load(); n != 0 {
		t.Fatalf("the redirect target received the credentials %d times", n)
	}
}

func TestAutoConfigureHonoursContext(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := maestrano.AutoConfigure(ctx, maestrano.DevPlatform{Host: srv.URL, EnvKey: "k", EnvSecret: "s"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestSecretsStayOutOfOutput(t *testing.T) {
	t.Parallel()
	sb, _ := openSandbox(t)
	mp := validMarketplace(sb.Certificate())
	mp.API.Key = "super-secret-api-key"
	dp := maestrano.DevPlatform{EnvKey: "k", EnvSecret: "super-secret-env"}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "mp", mp, "dp", dp, "key", mp.API.Key)
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", mp, mp, mp, mp.API.Key), fmt.Sprintf("%v %+v %#v", dp, dp, dp), logs.String()} {
		if strings.Contains(s, "super-secret") {
			t.Errorf("secret printed: %s", s)
		}
	}
	if b, _ := json.Marshal(mp); !strings.Contains(string(b), "super-secret-api-key") {
		t.Error("JSON encoding must keep the key, so that a configuration can be written back")
	}
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	sb, _ := openSandbox(t)
	a := validMarketplace(sb.Certificate())
	initSync := "/init-sync"
	a.Webhooks.Connec.InitializationPath = &initSync
	b := validMarketplace(sb.Certificate())
	b.Name = "other"
	reg, err := maestrano.NewRegistry(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if got := reg.Names(); strings.Join(got, ",") != "maestrano,other" {
		t.Fatalf("names %v", got)
	}
	_, err = reg.Get("nope")
	var unknown *maestrano.UnknownMarketplaceError
	if !errors.As(err, &unknown) || unknown.Name != "nope" {
		t.Fatalf("Get(nope): %v", err)
	}
	got, _ := reg.Get("maestrano")
	got.API.ID = "changed"
	*got.Webhooks.Connec.InitializationPath = "/changed"
	if again, _ := reg.Get("maestrano"); again.API.ID != "app-1" || *again.Webhooks.Connec.InitializationPath != "/init-sync" {
		t.Fatal("Get returned the registry's own value")
	}
	*a.Webhooks.Connec.InitializationPath = "/changed-by-caller"
	if again, _ := reg.Get("maestrano"); *again.Webhooks.Connec.InitializationPath != "/init-sync" {
		t.Fatal("NewRegistry kept the caller's pointer")
	}
	if _, err := maestrano.NewRegistry(a, a); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Fatalf("duplicate: %v", err)
	}
	noInit := validMarketplace(sb.Certificate())
	noInit.SSO.InitPath = ""
	if _, err := maestrano.NewRegistry(noInit); err == nil || !strings.Contains(err.Error(), "sso.init_path is empty") {
		t.Fatalf("missing init path: %v", err)
	}
	req := httptest.NewRequest("DELETE", "/maestrano/account/groups/cld-1/maestrano", nil)
	req.SetBasicAuth("app-1", a.API.Key.Reveal())
	if !reg.AuthenticateRequest(req, "maestrano") {
		t.Fatal("AuthenticateRequest refused good credentials")
	}
	req.SetBasicAuth("app-1", a.API.Key.Reveal()+"x")
	if reg.AuthenticateRequest(req, "maestrano") {
		t.Fatal("AuthenticateRequest accepted a wrong key")
	}
}

func TestFingerprintMatches(t *testing.T) {
	t.Parallel()
	sb, _ := openSandbox(t)
	cert := sb.Certificate()
	fp := maestrano.Fingerprint(cert)
	for _, ok := range []string{fp, strings.ToUpper(fp), strings.ReplaceAll(fp, ":", "")} {
		if !maestrano.FingerprintMatches(cert, ok) {
			t.Errorf("%q does not match", ok)
		}
	}
	for _, bad := range []string{"", "zz", fp[:len(fp)-2] + "00"} {
		if maestrano.FingerprintMatches(cert, bad) {
			t.Errorf("%q matches", bad)
		}
	}
}

func TestParseCertificateForms(t *testing.T) {
	t.Parallel()
	sb, _ := openSandbox(t)
	mp := validMarketplace(sb.Certificate())
	pemText := mp.SSO.X509Certificate
	body := strings.Join(strings.Split(pemText, "\n")[1:len(strings.Split(strings.TrimSpace(pemText), "\n"))-1], "\n")
	for name, s := range map[string]string{
		"pem": pemText, "pem crlf": strings.ReplaceAll(pemText, "\n", "\r\n"), "bare base64 with breaks": body, "bare one line": strings.ReplaceAll(body, "\n", ""),
	} {
		c, err := maestrano.ParseCertificate(s)
		if err != nil || !c.Equal(sb.Certificate()) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, s := range map[string]string{"empty": "", "garbage": "hello", "wrong pem": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"} {
		if _, err := maestrano.ParseCertificate(s); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func validMarketplace(cert *x509.Certificate) *maestrano.Marketplace {
	var pemBuf bytes.Buffer
	pemBuf.WriteString("-----BEGIN CERTIFICATE-----\n")
	enc := base64Lines(cert.Raw)
	pemBuf.WriteString(enc)
	pemBuf.WriteString("-----END CERTIFICATE-----\n")
	mp := &maestrano.Marketplace{Name: "maestrano"}
	mp.API.ID, mp.API.Key, mp.API.Host, mp.API.Base = "app-1", "key", "http://127.0.0.1:7000", "/api/v1/"
	mp.SSO.IDM, mp.SSO.IDP = "http://127.0.0.1:8081", "http://127.0.0.1:7000"
	mp.SSO.InitPath, mp.SSO.ConsumePath = "/init", "/consume"
	mp.SSO.X509Certificate, mp.SSO.X509Fingerprint = pemBuf.String(), maestrano.Fingerprint(cert)
	return mp
}

func withIdP(mp *maestrano.Marketplace, idp string) *maestrano.Marketplace {
	cp := *mp
	cp.SSO.IDP = idp
	return &cp
}

func withFingerprint(mp *maestrano.Marketplace, fp string) *maestrano.Marketplace {
	cp := *mp
	cp.SSO.X509Fingerprint = fp
	return &cp
}

func jsonAnswer(status int, body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestAutoConfigureErrorTextIsValidUTF8: what a hostile or broken developer
// platform sends ends up in an error message (and a log line); it must come
// out as valid UTF-8, also when the bound cuts a multi-byte character.
func TestAutoConfigureErrorTextIsValidUTF8(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"invalid bytes":    "\xff\xfe not json \xc3",
		"cut in a rune":    strings.Repeat("é", 400),
		"error member cut": `{"error":"` + strings.Repeat("€", 300) + `"}`,
	} {
		d := newDevPlatform(t, "")
		d.set(func(w http.ResponseWriter) { w.WriteHeader(http.StatusUnauthorized); io.WriteString(w, body) })
		_, err := maestrano.AutoConfigure(t.Context(), d.dp(), maestrano.WithRetries(0))
		if err == nil || !utf8.ValidString(err.Error()) {
			t.Errorf("%s: error %q is not valid UTF-8", name, err)
		}
	}
}
