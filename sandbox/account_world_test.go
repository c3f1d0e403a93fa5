package sandbox_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maestrano-go/maestrano/sandbox"
)

const worldSeed = "testdata/account/world/seed.yaml"

// setupWorld starts a sandbox seeded with the account-API test world.
func setupWorld(t *testing.T) *env {
	t.Helper()
	return setup(t, sandbox.Config{SeedFile: worldSeed})
}

func TestDevPlatformServesEachEnvironment(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	for _, tc := range []struct {
		key, secret string
		want        []string // marketplace/app
	}{
		{"acme-env-key-0001", "acme-env-secret-0001", []string{"maestrano/app-1", "maestrano-uat/app-2"}},
		{"other-env-key-0001", "other-env-secret-0001", []string{"maestrano/app-3"}},
	} {
		// Every client URL form: PHP (trailing slash, hence "//"), Java, Ruby.
		for _, path := range []string{"/api/config/v1/marketplaces", "/api/config/v1/marketplaces/", "/api/config/v1//marketplaces"} {
			status, _, body := e.do(t, "GET", path, basic(tc.key, tc.secret))
			if status != http.StatusOK {
				t.Fatalf("%s %s: %d %s", tc.key, path, status, body)
			}
			resp := decodeJSON[sandbox.MarketplacesResponse](t, body)
			var got []string
			for _, m := range resp.Marketplaces {
				got = append(got, m.Marketplace+"/"+m.API.ID)
				if m.API.Key == "" || m.SSO.X509Certificate == "" || m.SSO.IdP != e.srv.URL || m.API.Host != e.srv.URL ||
					m.Connec.Host != e.srv.URL || m.Webhooks.Account.GroupPath == "" || m.Environment == "" || m.NID == "" {
					t.Errorf("incomplete entry %+v", m)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("%s %s: marketplaces %v, want %v", tc.key, path, got, tc.want)
			}
		}
	}
	status, _, body := e.do(t, "GET", "/api/config/v1/marketplaces", basic("acme-env-key-0001", "other-env-secret-0001"))
	if status != http.StatusUnauthorized || decodeJSON[sandbox.ErrorResponse](t, body).Error == "" {
		t.Errorf("mixed credentials: %d %s", status, body)
	}
}

func TestAppsAndDevPlatformSettings(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	apps, err := e.sb.Apps(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(apps) != 3 || apps[0].UID != "app-1" || apps[1].Marketplace != "maestrano-uat" || apps[2].Environment != "other" ||
		apps[2].DevPlatform.EnvKey != "other-env-key-0001" || apps[0].Host != "http://127.0.0.1:3000" {
		t.Errorf("apps %+v", apps)
	}
	dp, err := e.sb.AppDevPlatform(t.Context(), "app-2")
	if err != nil || dp.EnvKey != "acme-env-key-0001" || dp.EnvSecret != "acme-env-secret-0001" || dp.Host != e.srv.URL {
		t.Errorf("app-2 dev platform %+v, %v", dp, err)
	}
	if _, err := e.sb.AppDevPlatform(t.Context(), "app-9"); err == nil {
		t.Error("unknown app accepted")
	}
	if !e.sb.Seeded() {
		t.Error("Seeded false on a fresh data dir")
	}
}

func TestSeedFileErrorsAndReopen(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	writeFile(t, bad, "apps: [{id: nope}]\n")
	if sb, err := sandbox.Open(t.Context(), sandbox.Config{DataDir: dir, BaseURL: "http://127.0.0.1:1", SeedFile: bad}); err == nil {
		sb.Close()
		t.Fatal("bad seed file accepted")
	} else if !strings.Contains(err.Error(), "apps[0].id") {
		t.Errorf("error %v does not name the field", err)
	}
	sb, err := sandbox.Open(t.Context(), sandbox.Config{DataDir: dir, BaseURL: "http://127.0.0.1:1", SeedFile: worldSeed})
	if err != nil {
		t.Fatal(err)
	}
	key := sb.DevPlatform().EnvKey
	sb.Close()
	// Reopened with another seed: the stored world is kept.
	sb, err = sandbox.Open(t.Context(), sandbox.Config{DataDir: dir, BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	if sb.Seeded() || sb.DevPlatform().EnvKey != key || key != "acme-env-key-0001" {
		t.Errorf("reopen: seeded %v, key %q", sb.Seeded(), sb.DevPlatform().EnvKey)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
