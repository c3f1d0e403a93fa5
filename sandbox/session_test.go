package sandbox_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/sandbox"
)

func checkSession(t *testing.T, e *env, uid, token string) sandbox.SessionCheckResponse {
	t.Helper()
	status, hdr, body := e.do(t, "GET", "/api/v1/auth/saml/"+url.PathEscape(uid)+"?session="+url.QueryEscape(token), nil)
	if status != http.StatusOK {
		t.Fatalf("session check %s: status %d: %s", uid, status, body)
	}
	if !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Errorf("Content-Type %q", hdr.Get("Content-Type"))
	}
	return decodeJSON[sandbox.SessionCheckResponse](t, body)
}

func TestSessionCheck(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	token := attributes(e.login(t, "usr-1", ""))["mno_session"]
	other := attributes(e.login(t, "usr-2", ""))["mno_session"]
	tests := []struct {
		name, uid, token string
		valid            bool
	}{
		{"uid", "usr-1", token, true},
		{"virtual uid", "usr-1.cld-1", token, true},
		{"virtual uid other group", "usr-1.cld-2", token, true},
		{"virtual email", "usr-1.cld-1@mno-api-sandbox-mail.maestrano.com", token, true},
		{"wrong token", "usr-1", token[:35] + "!", false},
		{"other user's token", "usr-1", other, false},
		{"token prefix", "usr-1", token[:10], false},
		{"blank token", "usr-1", "", false},
		{"spaces token", "usr-1", "   ", false},
		{"unknown user", "usr-404", token, false},
		{"blank uid", ".cld-1", token, false},
		{"virtual email, production domain", "usr-1.cld-2@mail.maestrano.com", token, true},
		{"virtual uid, trailing dot", "usr-1.", token, true},
		{"virtual uid, wrong token", "usr-1.cld-1", other, false},
		{"virtual uid of another user", "usr-2.cld-1", token, false},
		{"virtual uid of unknown user", "usr-404.cld-1", token, false},
		{"virtual email, blank token", "usr-1.cld-1@mno-api-sandbox-mail.maestrano.com", "", false},
		{"uid with spaces", " usr-1 .cld-1", token, true},
		{"uid is an email without group", "usr-1@mail.maestrano.com", token, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := checkSession(t, e, tt.uid, tt.token)
			if got.Valid != tt.valid {
				t.Errorf("valid = %v, want %v", got.Valid, tt.valid)
			}
			if got.Recheck != "2030-01-02T03:07:05Z" {
				t.Errorf("recheck = %q", got.Recheck)
			}
		})
	}
	if status, _, _ := e.do(t, "GET", "/api/v1/auth/saml/usr-1?session="+strings.Repeat("a", 600), nil); status != http.StatusBadRequest {
		t.Errorf("oversized token: status %d, want 400", status)
	}
}

func TestSessionRotation(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	ctx := t.Context()

	// Go API.
	token := attributes(e.login(t, "usr-1", ""))["mno_session"]
	if !checkSession(t, e, "usr-1", token).Valid {
		t.Fatal("seeded token invalid")
	}
	if err := e.sb.RotateSession(ctx, "usr-1"); err != nil {
		t.Fatal(err)
	}
	if checkSession(t, e, "usr-1", token).Valid {
		t.Error("token still valid after RotateSession")
	}
	if err := e.sb.RotateSession(ctx, "usr-404"); err == nil {
		t.Error("RotateSession(unknown) succeeded")
	}

	// HTTP endpoint for scripts.
	token = attributes(e.login(t, "usr-1", ""))["mno_session"]
	if !checkSession(t, e, "usr-1", token).Valid {
		t.Fatal("new token invalid")
	}
	tests := []struct {
		name, uid string
		hdr       http.Header
		status    int
		want      string
	}{
		{"no credentials", "usr-1", nil, 401, `{"error":"invalid environment credentials"}`},
		{"bad credentials", "usr-1", basic("a", "b"), 401, `{"error":"invalid environment credentials"}`},
		{"unknown user", "usr-404", e.authHeader(), 404, `{"error":"unknown user usr-404"}`},
		{"ok", "usr-1", e.authHeader(), 200, `{"uid":"usr-1","rotated":true}`},
	}
	for _, tt := range tests {
		status, _, body := e.do(t, "POST", "/api/sandbox/v1/users/"+tt.uid+"/rotate_session", tt.hdr)
		if status != tt.status || strings.TrimSpace(body) != tt.want {
			t.Errorf("%s: %d %s, want %d %s", tt.name, status, body, tt.status, tt.want)
		}
	}
	if checkSession(t, e, "usr-1", token).Valid {
		t.Error("token still valid after HTTP rotate")
	}
	if got := attributes(e.login(t, "usr-1", ""))["mno_session"]; got == token || !checkSession(t, e, "usr-1.cld-1", got).Valid {
		t.Error("login after rotation does not carry the new valid token")
	}
}

// TestSessionVirtualUIDRotationAndLogout: rotation and the logout page take
// a user's virtual uid or virtual email as well as the uid.
func TestSessionVirtualUIDRotationAndLogout(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	for _, uid := range []string{"usr-1.cld-2", "usr-1.cld-1@mno-api-sandbox-mail.maestrano.com"} {
		token := attributes(e.login(t, "usr-1", ""))["mno_session"]
		status, _, body := e.do(t, "POST", "/api/sandbox/v1/users/"+url.PathEscape(uid)+"/rotate_session", e.authHeader())
		if status != 200 || strings.TrimSpace(body) != `{"uid":"usr-1","rotated":true}` {
			t.Errorf("rotate %s: %d %s", uid, status, body)
		}
		if checkSession(t, e, uid, token).Valid || checkSession(t, e, "usr-1", token).Valid {
			t.Errorf("%s: old token still valid", uid)
		}
	}
	if err := e.sb.RotateSession(t.Context(), "usr-2.cld-1"); err != nil {
		t.Errorf("RotateSession(virtual uid): %v", err)
	}
	for _, uid := range []string{".cld-1", "usr-404.cld-1"} {
		if status, _, body := e.do(t, "POST", "/api/sandbox/v1/users/"+url.PathEscape(uid)+"/rotate_session", e.authHeader()); status != 404 || !strings.Contains(body, `"error":"unknown user`) {
			t.Errorf("rotate %s: %d %s", uid, status, body)
		}
	}
	body := e.page(t, "/app_logout?user_uid="+url.QueryEscape("usr-1.cld-1@mno-api-sandbox-mail.maestrano.com"))
	if !strings.Contains(body, "User <code>usr-1</code> has been logged out") {
		t.Errorf("logout page:\n%s", body)
	}
}

func TestSessionRecheckInterval(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{SessionRecheck: 90 * time.Second})
	if got := checkSession(t, e, "usr-1", "x").Recheck; got != "2030-01-02T03:05:35Z" {
		t.Errorf("recheck %q", got)
	}
	if got := attributes(e.login(t, "usr-1", ""))["mno_session_recheck"]; got != "2030-01-02T03:05:35Z" {
		t.Errorf("mno_session_recheck %q", got)
	}
}

func TestAppHost(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	if err := e.sb.SetAppHost(t.Context(), sandbox.DemoAppUID, "http://127.0.0.1:3000/"); err != nil {
		t.Fatal(err)
	}
	if got, err := e.sb.AppHost(t.Context(), sandbox.DemoAppUID); err != nil || got != "http://127.0.0.1:3000" {
		t.Fatalf("AppHost = %q, %v", got, err)
	}
	if _, err := e.sb.AppHost(t.Context(), "app-nope"); err == nil {
		t.Fatal("unknown app accepted")
	}
}
