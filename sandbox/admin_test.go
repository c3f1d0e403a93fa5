package sandbox_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/maestrano-go/maestrano/sandbox"
)

func TestAdminPage(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	for _, path := range []string{"/", "/admin"} {
		status, hdr, body := e.do(t, "GET", path, nil)
		if status != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: status %d, type %q", path, status, hdr.Get("Content-Type"))
		}
		for _, want := range []string{
			"<code>maestrano</code>", "<code>app-1</code>", "http://127.0.0.1:8081",
			"Acme Corp", "Globex Ltd", "John Doe", "jane.roe@example.com", "Alan Smithee",
			"Acme Corp (<code>cld-1</code>): Admin", "Globex Ltd (<code>cld-2</code>): Super Admin",
			`action="/admin/users/usr-3/rotate_session"`, "Rotate SSO session",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
		if strings.Contains(body, e.sb.DevPlatform().EnvSecret) {
			t.Errorf("%s shows the environment secret", path)
		}
	}
}

func TestAdminRotate(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	tests := []struct {
		name   string
		uid    string
		hdr    http.Header
		status int
		rotate bool
	}{
		{"cross-site fetch", "usr-1", http.Header{"Sec-Fetch-Site": {"cross-site"}}, 403, false},
		{"same-site fetch", "usr-1", http.Header{"Sec-Fetch-Site": {"same-site"}}, 403, false},
		{"foreign origin", "usr-1", http.Header{"Origin": {"https://evil.example"}}, 403, false},
		{"null origin", "usr-1", http.Header{"Origin": {"null"}}, 403, false},
		{"unknown user", "usr-404", nil, 404, false},
		{"browser same-origin", "usr-1", http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {e.srv.URL}}, 303, true},
		{"no fetch metadata", "usr-1", nil, 303, true},
	}
	for _, tt := range tests {
		// Sequential: each case depends on whether the previous rotated.
		token := attributes(e.login(t, "usr-1", ""))["mno_session"]
		status, hdr, body := e.do(t, "POST", "/admin/users/"+tt.uid+"/rotate_session", tt.hdr)
		if status != tt.status {
			t.Errorf("%s: status %d, want %d: %s", tt.name, status, tt.status, body)
			continue
		}
		if status == 303 && hdr.Get("Location") != "/admin" {
			t.Errorf("%s: Location %q", tt.name, hdr.Get("Location"))
		}
		if rotated := !checkSession(t, e, "usr-1", token).Valid; rotated != tt.rotate {
			t.Errorf("%s: rotated = %v, want %v", tt.name, rotated, tt.rotate)
		}
	}
	if status, _, _ := e.do(t, "GET", "/admin/users/usr-1/rotate_session", nil); status != http.StatusMethodNotAllowed {
		t.Errorf("GET rotate: status %d, want 405", status)
	}
}

func TestLogoutPages(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	tests := []struct {
		path, want, notWant string
	}{
		{"/app_logout?user_uid=usr-1", "You are logged out", ""},
		{"/app_logout?user_uid=%3Cscript%3Ealert(1)%3C/script%3E", "&lt;script&gt;alert(1)&lt;/script&gt;", "<script>"},
		{"/app_logout", "You are logged out", ""},
		{"/app_access_unauthorized?err=internal", "<code>internal</code>", ""},
		{"/app_access_unauthorized?err=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E", "&lt;img src=x onerror=alert(1)&gt;", "<img"},
		{"/app_access_unauthorized", "Access unauthorized", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			status, _, body := e.do(t, "GET", tt.path, nil)
			if status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("body lacks %q:\n%s", tt.want, body)
			}
			if tt.notWant != "" && strings.Contains(body, tt.notWant) {
				t.Errorf("body contains unescaped %q", tt.notWant)
			}
		})
	}
}
