package sandbox_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/maestrano-go/maestrano/sandbox"
)

// TestIdPACSMustBeConsumeURL checks that the IdP posts the assertion only to
// the app's registered consume URL (sso.idm + sso.consume_path), not to any
// other URL of the app's origin.
func TestIdPACSMustBeConsumeURL(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	const origin = "http://127.0.0.1:8081"
	const wantMsg = `is not the app's registered consume URL "` + defaultACS + `"`
	tests := []struct {
		name string
		acs  string
		ok   bool
	}{
		{"registered consume URL", defaultACS, true},
		{"logout handler", origin + "/logout", false},
		{"origin root", origin + "/", false},
		{"origin without slash", origin, false},
		{"init path", origin + "/maestrano/auth/saml/init/maestrano", false},
		{"other marketplace", origin + "/maestrano/auth/saml/consume/other", false},
		{"prefix of consume path", origin + "/maestrano/auth/saml/consume", false},
		{"consume path extended", defaultACS + "x", false},
		{"trailing slash", defaultACS + "/", false},
		{"sub path", defaultACS + "/logout", false},
		{"dot segments", defaultACS + "/../../../../../logout", false},
		{"encoded dot segments", defaultACS + "/%2e%2e/%2e%2e/logout", false},
		{"double slash", origin + "//maestrano/auth/saml/consume/maestrano", false},
		{"query", defaultACS + "?next=/logout", false},
		{"empty query", defaultACS + "?", false},
		{"fragment", defaultACS + "#x", false},
		{"upper-case path", origin + strings.ToUpper(defaultACS[len(origin):]), false},
		{"upper-case scheme", "HTTP://127.0.0.1:8081/maestrano/auth/saml/consume/maestrano", false},
		{"explicit default port elsewhere", "http://127.0.0.1:80/maestrano/auth/saml/consume/maestrano", false},
		{"percent-encoded path", origin + "/maestrano/auth/saml/consume/%6daestrano", false},
		{"other host same path", "http://127.0.0.2:8081/maestrano/auth/saml/consume/maestrano", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := encodeRequest(t, []byte(authnRequestXML("_r1", "app-1", tt.acs)))
			for _, extra := range [][]string{nil, {"user_uid", "usr-1"}} {
				status, _, body := e.do(t, "GET", ssoPath(req, extra...), nil)
				if tt.ok {
					if status != http.StatusOK {
						t.Fatalf("%v: status %d: %s", extra, status, body)
					}
					if extra != nil {
						if action, _ := postedResponse(t, body); action != defaultACS {
							t.Errorf("form action %q", action)
						}
					}
					continue
				}
				if status != http.StatusBadRequest {
					t.Fatalf("%v: status %d, want 400; body %s", extra, status, body)
				}
				if !strings.Contains(body, wantMsg) {
					t.Errorf("body %q does not name the registered consume URL", body)
				}
				if strings.Contains(body, "SAMLResponse") || strings.Contains(body, "<form") {
					t.Error("refusal carries a form or a SAMLResponse")
				}
			}
		})
	}
}

// TestIdPACSEchoTruncated checks that a long refused ACS is echoed only in
// part.
func TestIdPACSEchoTruncated(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	acs := "http://127.0.0.1:8081/" + strings.Repeat("a", 900) + "TAIL"
	status, _, body := e.do(t, "GET", ssoPath(encodeRequest(t, []byte(authnRequestXML("_r1", "app-1", acs)))), nil)
	if status != http.StatusBadRequest {
		t.Fatalf("status %d: %s", status, body)
	}
	if strings.Contains(body, "TAIL") || len(body) > 400 {
		t.Errorf("refused URL echoed in full (%d bytes): %s", len(body), body)
	}
	if !strings.Contains(body, `"http://127.0.0.1:8081/aaaa`) || !strings.Contains(body, defaultACS) {
		t.Errorf("body %q", body)
	}
}

// TestIdPACSFollowsRegisteredIdM checks that the consume URL is sso.idm
// joined with sso.consume_path, also when sso.idm has a path.
func TestIdPACSFollowsRegisteredIdM(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	if err := e.sb.SetAppHost(t.Context(), sandbox.DemoAppUID, "http://127.0.0.1:9000/mounted/"); err != nil {
		t.Fatal(err)
	}
	for acs, want := range map[string]int{
		"http://127.0.0.1:9000/mounted/maestrano/auth/saml/consume/maestrano":  http.StatusOK,
		"http://127.0.0.1:9000/maestrano/auth/saml/consume/maestrano":          http.StatusBadRequest,
		"http://127.0.0.1:9000/mounted//maestrano/auth/saml/consume/maestrano": http.StatusBadRequest,
		defaultACS: http.StatusBadRequest,
	} {
		status, _, body := e.do(t, "GET", ssoPath(encodeRequest(t, []byte(authnRequestXML("_r1", "app-1", acs))), "user_uid", "usr-1"), nil)
		if status != want {
			t.Errorf("%s: status %d, want %d: %s", acs, status, want, body)
		}
	}
}
