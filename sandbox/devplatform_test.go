package sandbox_test

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maestrano-go/maestrano/sandbox"
	"github.com/maestrano-go/maestrano/sandbox/store"
)

// wireEntry mirrors the developer-platform JSON independently of the
// sandbox's exported types, so a renamed JSON key fails the test.
type wireEntry struct {
	Marketplace string `json:"marketplace"`
	NID         string `json:"nid"`
	Environment string `json:"environment"`
	App         struct {
		Host                      string `json:"host"`
		SynchronizationStartPath  string `json:"synchronization_start_path"`
		SynchronizationTogglePath string `json:"synchronization_toggle_path"`
		SynchronizationStatusPath string `json:"synchronization_status_path"`
	} `json:"app"`
	API struct {
		ID   string `json:"id"`
		Key  string `json:"key"`
		Host string `json:"host"`
		Base string `json:"base"`
	} `json:"api"`
	SSO struct {
		IdM             string `json:"idm"`
		InitPath        string `json:"init_path"`
		ConsumePath     string `json:"consume_path"`
		IdP             string `json:"idp"`
		X509Fingerprint string `json:"x509_fingerprint"`
		X509Certificate string `json:"x509_certificate"`
	} `json:"sso"`
	Connec struct {
		Host     string `json:"host"`
		BasePath string `json:"base_path"`
		Timeout  int    `json:"timeout"`
	} `json:"connec"`
	Webhooks struct {
		Account struct {
			GroupPath     string `json:"group_path"`
			GroupUserPath string `json:"group_user_path"`
		} `json:"account"`
		Connec struct {
			ExternalIDs        bool    `json:"external_ids"`
			InitializationPath *string `json:"initialization_path"`
			NotificationPath   string  `json:"notification_path"`
		} `json:"connec"`
	} `json:"webhooks"`
}

func TestDevPlatformAuth(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	dp := e.sb.DevPlatform()
	tests := []struct {
		name   string
		path   string
		hdr    http.Header
		status int
	}{
		{"ok", "/api/config/v1/marketplaces", basic(dp.EnvKey, dp.EnvSecret), http.StatusOK},
		{"doubled slash", "/api/config/v1//marketplaces", basic(dp.EnvKey, dp.EnvSecret), http.StatusOK},
		{"trailing slash", "/api/config/v1/marketplaces/", basic(dp.EnvKey, dp.EnvSecret), http.StatusOK},
		{"bad secret", "/api/config/v1/marketplaces", basic(dp.EnvKey, dp.EnvSecret+"x"), http.StatusUnauthorized},
		{"bad key", "/api/config/v1/marketplaces", basic("x"+dp.EnvKey, dp.EnvSecret), http.StatusUnauthorized},
		{"swapped", "/api/config/v1/marketplaces", basic(dp.EnvSecret, dp.EnvKey), http.StatusUnauthorized},
		{"empty", "/api/config/v1/marketplaces", basic("", ""), http.StatusUnauthorized},
		{"missing", "/api/config/v1/marketplaces", nil, http.StatusUnauthorized},
		{"not basic", "/api/config/v1/marketplaces", http.Header{"Authorization": {"Bearer " + dp.EnvSecret}}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, hdr, body := e.do(t, "GET", tt.path, tt.hdr)
			if status != tt.status {
				t.Fatalf("status = %d, want %d; body %s", status, tt.status, body)
			}
			if !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type = %q", hdr.Get("Content-Type"))
			}
			if status == http.StatusUnauthorized {
				if got := decodeJSON[sandbox.ErrorResponse](t, body); got.Error != "invalid environment credentials" {
					t.Errorf("error = %q", got.Error)
				}
				if !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic ") {
					t.Errorf("WWW-Authenticate = %q", hdr.Get("WWW-Authenticate"))
				}
				if strings.Contains(body, dp.EnvSecret) {
					t.Error("error body leaks the secret")
				}
			}
		})
	}
}

func TestDevPlatformShape(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	dp := e.sb.DevPlatform()
	if dp.Host != e.srv.URL || dp.APIPath != "/api/config/v1" || dp.EnvKey == "" || len(dp.EnvSecret) < 32 {
		t.Fatalf("DevPlatform() = {Host:%q APIPath:%q, key %d chars, secret %d chars}", dp.Host, dp.APIPath, len(dp.EnvKey), len(dp.EnvSecret))
	}
	status, _, body := e.do(t, "GET", dp.APIPath+"/marketplaces", e.authHeader())
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	got := decodeJSON[struct {
		Marketplaces []wireEntry `json:"marketplaces"`
	}](t, body)
	if len(got.Marketplaces) != 1 {
		t.Fatalf("%d marketplaces, want 1", len(got.Marketplaces))
	}
	m := got.Marketplaces[0]
	base := e.srv.URL
	checks := []struct{ name, got, want string }{
		{"marketplace", m.Marketplace, sandbox.DefaultMarketplace},
		{"nid", m.NID, "demo-app"},
		{"environment", m.Environment, "sandbox"},
		{"app.host", m.App.Host, "http://127.0.0.1:8081"},
		{"app.synchronization_start_path", m.App.SynchronizationStartPath, "/maestrano/synchronizations"},
		{"api.id", m.API.ID, sandbox.DemoAppUID},
		{"api.host", m.API.Host, base},
		{"api.base", m.API.Base, "/api/v1/"},
		{"sso.idm", m.SSO.IdM, "http://127.0.0.1:8081"},
		{"sso.init_path", m.SSO.InitPath, "/maestrano/auth/saml/init/maestrano"},
		{"sso.consume_path", m.SSO.ConsumePath, "/maestrano/auth/saml/consume/maestrano"},
		{"sso.idp", m.SSO.IdP, base},
		{"connec.host", m.Connec.Host, base},
		{"connec.base_path", m.Connec.BasePath, "/api/v2"},
		{"webhooks.account.group_path", m.Webhooks.Account.GroupPath, "/maestrano/account/groups/:id/maestrano"},
		{"webhooks.account.group_user_path", m.Webhooks.Account.GroupUserPath, "/maestrano/account/groups/:group_id/users/:id/maestrano"},
		{"webhooks.connec.notification_path", m.Webhooks.Connec.NotificationPath, "/maestrano/connec/notifications/maestrano"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if m.Connec.Timeout != 60 || !m.Webhooks.Connec.ExternalIDs || m.Webhooks.Connec.InitializationPath != nil {
		t.Errorf("connec.timeout=%d external_ids=%v initialization_path=%v", m.Connec.Timeout, m.Webhooks.Connec.ExternalIDs, m.Webhooks.Connec.InitializationPath)
	}
	if len(m.API.Key) != 48 || strings.Trim(m.API.Key, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
		t.Errorf("api.key %q is not 48 [a-z0-9]", m.API.Key)
	}
	if !strings.Contains(body, `"initialization_path":null`) {
		t.Error("initialization_path is not JSON null")
	}

	block, rest := pem.Decode([]byte(m.SSO.X509Certificate))
	if block == nil || block.Type != "CERTIFICATE" || len(strings.TrimSpace(string(rest))) != 0 {
		t.Fatalf("x509_certificate is not one PEM certificate: %q", m.SSO.X509Certificate)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !cert.Equal(e.sb.Certificate()) {
		t.Error("published certificate differs from Certificate()")
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	if cert.NotAfter.Sub(cert.NotBefore).Hours() < 10*365*24-1 || cert.NotBefore.After(testNow) {
		t.Errorf("validity %v .. %v", cert.NotBefore, cert.NotAfter)
	}
	sum := sha1.Sum(cert.Raw)
	var hexParts []string
	for _, b := range sum {
		hexParts = append(hexParts, fmt.Sprintf("%02x", b))
	}
	if want := strings.Join(hexParts, ":"); m.SSO.X509Fingerprint != want {
		t.Errorf("x509_fingerprint = %q, want %q", m.SSO.X509Fingerprint, want)
	}

	// The exported response type decodes the same body.
	var typed sandbox.MarketplacesResponse
	if err := json.Unmarshal([]byte(body), &typed); err != nil || typed.Marketplaces[0].SSO.X509Fingerprint != m.SSO.X509Fingerprint {
		t.Errorf("MarketplacesResponse: %v", err)
	}
}

func TestPersistence(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	ctx := t.Context()
	open := func() *sandbox.Sandbox {
		sb, err := sandbox.Open(ctx, sandbox.Config{DataDir: dir, BaseURL: "http://127.0.0.1:7000"})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return sb
	}
	sb := open()
	dp1, cert1 := sb.DevPlatform(), sb.Certificate()
	if err := sb.RotateSession(ctx, "usr-1"); err != nil {
		t.Fatal(err)
	}
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}

	sb = open()
	dp2, cert2 := sb.DevPlatform(), sb.Certificate()
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	if dp1 != dp2 {
		t.Error("credentials changed across restarts")
	}
	if !cert1.Equal(cert2) {
		t.Error("certificate changed across restarts")
	}

	for name, wantPerm := range map[string]os.FileMode{"idp.key": 0o600, "idp.crt": 0o644, ".": 0o700} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != wantPerm {
			t.Errorf("%s mode %v, want %v", name, fi.Mode().Perm(), wantPerm)
		}
	}

	st, err := store.Open(ctx, filepath.Join(dir, "sandbox.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	users, err := st.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mems, err := st.Memberships(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 3 || len(mems) != 4 {
		t.Errorf("%d users, %d memberships after two opens; want 3, 4", len(users), len(mems))
	}
}

func TestOpenConfigErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  sandbox.Config
		want string
	}{
		{"no data dir", sandbox.Config{BaseURL: "http://127.0.0.1:7000"}, "DataDir is required"},
		{"no base url", sandbox.Config{DataDir: dir}, "BaseURL is required"},
		{"relative base url", sandbox.Config{DataDir: dir, BaseURL: "127.0.0.1:7000"}, "BaseURL"},
		{"base url with path", sandbox.Config{DataDir: dir, BaseURL: "http://127.0.0.1:7000/x"}, "must not have a path"},
		{"bad algorithm", sandbox.Config{DataDir: dir, BaseURL: "http://127.0.0.1:7000", SignatureAlgorithm: "md5"}, "SignatureAlgorithm"},
		{"negative recheck", sandbox.Config{DataDir: dir, BaseURL: "http://127.0.0.1:7000", SessionRecheck: -1}, "SessionRecheck"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb, err := sandbox.Open(t.Context(), tt.cfg)
			if err == nil {
				sb.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestSetAppHost(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	ctx := t.Context()
	for _, bad := range []string{"", "127.0.0.1:9000", "ftp://x", "http://", "http://x/?q=1", "http://u:p@x"} {
		if err := e.sb.SetAppHost(ctx, sandbox.DemoAppUID, bad); err == nil {
			t.Errorf("SetAppHost(%q) succeeded", bad)
		}
	}
	if err := e.sb.SetAppHost(ctx, "app-404", "http://127.0.0.1:9000"); err == nil {
		t.Error("SetAppHost(unknown app) succeeded")
	}
	if err := e.sb.SetAppHost(ctx, sandbox.DemoAppUID, "http://localhost:9000/"); err != nil {
		t.Fatal(err)
	}
	_, _, body := e.do(t, "GET", "/api/config/v1/marketplaces", e.authHeader())
	m := decodeJSON[struct {
		Marketplaces []wireEntry `json:"marketplaces"`
	}](t, body).Marketplaces[0]
	if m.App.Host != "http://localhost:9000" || m.SSO.IdM != "http://localhost:9000" {
		t.Errorf("app.host %q, sso.idm %q", m.App.Host, m.SSO.IdM)
	}
	// The IdP now posts to the new origin only.
	newACS := "http://localhost:9000/maestrano/auth/saml/consume/maestrano"
	if status, _, body := e.do(t, "GET", ssoPath(encodeRequest(t, []byte(authnRequestXML("_r", "app-1", newACS))), "user_uid", "usr-1"), nil); status != http.StatusOK {
		t.Errorf("new origin: status %d: %s", status, body)
	}
	if status, _, _ := e.do(t, "GET", ssoPath(encodeRequest(t, []byte(authnRequestXML("_r", "app-1", defaultACS))), "user_uid", "usr-1"), nil); status != http.StatusBadRequest {
		t.Errorf("old origin: status %d, want 400", status)
	}
}
