package sandbox_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/maestrano-go/maestrano/sandbox"
)

// TestMalformedQuery checks that a query string that does not parse is
// refused as such, instead of looking like missing parameters, on every
// handler that reads the query; JSON under /api/ (except the IdP page).
func TestMalformedQuery(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	valid := encodeRequest(t, []byte(authnRequestXML("_r1", "app-1", defaultACS)))
	tests := []struct {
		name     string
		path     string
		json     bool
		wantBody string
	}{
		{"IdP bad escape", "/api/v1/auth/saml?SAMLRequest=%%%%", false, `malformed query string: invalid URL escape "%%%"`},
		{"IdP bad escape in other parameter", ssoPath(valid) + "&user_uid=%zz", false, "malformed query string"},
		{"IdP semicolon", ssoPath(valid) + ";user_uid=usr-1", false, "malformed query string"},
		{"session check", "/api/v1/auth/saml/usr-1?session=%g0", true, "malformed query string"},
		{"logout page", "/app_logout?user_uid=%", false, "malformed query string"},
		{"access unauthorized page", "/app_access_unauthorized?err=%x", false, "malformed query string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, hdr, body := e.do(t, "GET", tt.path, nil)
			if status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", status, body)
			}
			if tt.json {
				if got := decodeJSON[sandbox.ErrorResponse](t, body).Error; !strings.HasPrefix(got, tt.wantBody) {
					t.Errorf("error %q, want prefix %q", got, tt.wantBody)
				}
				return
			}
			if !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") || !strings.HasPrefix(body, tt.wantBody) {
				t.Errorf("body %q (%s), want prefix %q", body, hdr.Get("Content-Type"), tt.wantBody)
			}
			if strings.Contains(body, "missing SAMLRequest") {
				t.Error("malformed query reported as missing SAMLRequest")
			}
		})
	}
}

// TestUnroutedAnswers checks the answers to unknown paths and wrong methods:
// JSON under /api/, an HTML page elsewhere, with 405 carrying Allow.
func TestUnroutedAnswers(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	tests := []struct {
		method, path string
		status       int
		allow        string
		json         bool
	}{
		{"GET", "/api/nope", 404, "", true},
		{"GET", "/api", 404, "", true},
		{"GET", "/api/", 404, "", true},
		{"GET", "/api/config/v1/nope", 404, "", true},
		{"GET", "/api/v1/auth/saml/usr-1/extra", 404, "", true},
		{"POST", "/api/config/v1/marketplaces", 405, "GET, HEAD", true},
		{"DELETE", "/api/v1/auth/saml/usr-1", 405, "GET, HEAD", true},
		{"PUT", "/api/v1/auth/saml", 405, "GET, HEAD", true},
		{"GET", "/api/sandbox/v1/users/usr-1/rotate_session", 405, "POST", true},
		{"GET", "/nope", 404, "", false},
		{"GET", "/admin/nope", 404, "", false},
		{"POST", "/admin", 405, "GET, HEAD", false},
		{"DELETE", "/", 405, "GET, HEAD", false},
		{"GET", "/admin/users/usr-1/rotate_session", 405, "POST", false},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			t.Parallel()
			status, hdr, body := e.do(t, tt.method, tt.path, nil)
			if status != tt.status {
				t.Fatalf("status %d, want %d; body %s", status, tt.status, body)
			}
			if got := hdr.Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
			ct := hdr.Get("Content-Type")
			if tt.json {
				if ct != "application/json; charset=utf-8" {
					t.Errorf("Content-Type %q", ct)
				}
				want := "not found"
				if tt.status == 405 {
					want = "method " + tt.method + " not allowed"
				}
				if got := decodeJSON[sandbox.ErrorResponse](t, body).Error; got != want {
					t.Errorf("error %q, want %q", got, want)
				}
				return
			}
			if !strings.HasPrefix(ct, "text/html") || !strings.Contains(body, "<h1>"+http.StatusText(tt.status)+"</h1>") {
				t.Errorf("not an HTML error page (%s): %s", ct, body)
			}
		})
	}

	// Routed paths and the mux's path-cleaning redirects are unchanged.
	if status, _, body := e.do(t, "GET", "/api/config/v1/marketplaces", e.authHeader()); status != 200 {
		t.Errorf("marketplaces: status %d: %s", status, body)
	}
	for path, loc := range map[string]string{
		"/api/x/../config/v1/marketplaces": "/api/config/v1/marketplaces",
		"/api/x/../nope":                   "/api/nope",
	} {
		if status, hdr, _ := e.do(t, "GET", path, nil); status/100 != 3 || hdr.Get("Location") != loc {
			t.Errorf("%s: status %d, Location %q; want a redirect to %s", path, status, hdr.Get("Location"), loc)
		}
	}
	// Errors found before routing are JSON under /api/ too.
	status, hdr, body := e.do(t, "GET", "/api/v1/auth/saml/usr-1?session="+strings.Repeat("A", 400<<10), nil)
	if status != 400 || hdr.Get("Content-Type") != "application/json; charset=utf-8" || decodeJSON[sandbox.ErrorResponse](t, body).Error != "query string too large" {
		t.Errorf("query too large under /api/: %d %s %s", status, hdr.Get("Content-Type"), body)
	}
}
