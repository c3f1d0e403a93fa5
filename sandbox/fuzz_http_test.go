package sandbox_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/sandbox"
)

// FuzzSandboxHTTP sends arbitrary requests to every endpoint family of the
// sandbox, with no, environment or app credentials: whatever the input, the
// answer is a 4xx or a success, never a 5xx (the handlers recover panics
// into 500s, so a panic shows up here too).
func FuzzSandboxHTTP(f *testing.F) {
	dir := filepath.Join(f.TempDir(), "data")
	sb, err := sandbox.Open(f.Context(), sandbox.Config{
		DataDir:  dir,
		BaseURL:  "http://127.0.0.1:7000",
		Now:      func() time.Time { return time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC) },
		Webhooks: sandbox.WebhookConfig{Manual: true},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = sb.Close() })
	dp := sb.DevPlatform()
	appID, appKey := appCredentials(f, sb, dp)

	seeds := []struct {
		method, target, ctype, body string
		auth                        uint8
	}{
		{"GET", "/api/config/v1/marketplaces", "", "", 1},
		{"GET", "/api/v1/auth/saml?SAMLRequest=%%%", "", "", 0},
		{"GET", "/api/v1/auth/saml/usr-1?session=x", "", "", 0},
		{"POST", "/api/v1/account/bills", "application/json", `{"group_id":"cld-1","price_cents":100,"description":"x","currency":"USD"}`, 2},
		{"POST", "/api/v1/account/bills", "application/x-www-form-urlencoded", "bill[group_id]=cld-1&bill[price_cents]=-1", 2},
		{"GET", "/api/v1/account/bills?created_at_after=2020-01-01T00:00:00&group_id=cld-1", "", "", 2},
		{"DELETE", "/api/v1/account/bills/bill-999", "", "", 2},
		{"GET", "/api/v2/cld-1/organizations?$filter=name eq 'a' and (x gt 1 or y le '2020-01-01')&$orderby=name desc&$top=5", "", "", 2},
		{"POST", "/api/v2/cld-1/people", "application/vnd.api+json", `{"people":{"first_name":"Ada","address":{"billing":{"city":"X"}}}}`, 2},
		{"PUT", "/connec/api/v2/cld-1/company", "application/json", `{"company":{"name":{"x":1}}}`, 2},
		{"POST", "/batch", "application/json", `{"ops":[{"method":"post","url":"/api/v2/cld-1/items/","params":{"items":{"name":"i"}}}]}`, 2},
		{"GET", "/api/reports/cld-1/profit_and_loss?from=2026-01-01&to=2026-12-31&period=MONTHLY", "", "", 2},
		{"PATCH", "/api/sandbox/v1/apps/app-1", "application/json", `{"name":"n"}`, 1},
		{"POST", "/api/sandbox/v1/users/usr-1/rotate_session", "", "", 1},
		{"DELETE", "/api/sandbox/v1/groups/cld-9/users/usr-9", "", "", 1},
		{"POST", "/admin/groups/cld-1/remove", "application/x-www-form-urlencoded", "", 0},
		{"GET", "/admin/webhooks?state=dead&limit=-1", "", "", 0},
	}
	for _, s := range seeds {
		f.Add(s.method, s.target, s.ctype, []byte(s.body), s.auth)
	}
	f.Fuzz(func(t *testing.T, method, target, ctype string, body []byte, auth uint8) {
		if !strings.HasPrefix(target, "/") || len(target) > 4096 || len(body) > 1<<16 {
			return
		}
		req, err := http.NewRequest(method, "http://127.0.0.1:7000"+target, bytes.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		switch auth % 3 {
		case 1:
			req.SetBasicAuth(dp.EnvKey, dp.EnvSecret)
		case 2:
			req.SetBasicAuth(appID, appKey)
		}
		req.Header.Set("Origin", "http://127.0.0.1:7000")
		w := httptest.NewRecorder()
		sb.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %q (%s, auth %d): %d %s", method, target, ctype, auth%3, w.Code, clipBody(w.Body.String()))
		}
	})
}

func clipBody(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// appCredentials reads app-1's api id and key from the developer platform,
// as an app would.
func appCredentials(f *testing.F, sb *sandbox.Sandbox, dp sandbox.DevPlatform) (string, string) {
	req := httptest.NewRequest("GET", "/api/config/v1/marketplaces", nil)
	req.SetBasicAuth(dp.EnvKey, dp.EnvSecret)
	w := httptest.NewRecorder()
	sb.ServeHTTP(w, req)
	var body struct {
		Marketplaces []struct {
			API struct {
				ID  string `json:"id"`
				Key string `json:"key"`
			} `json:"api"`
		} `json:"marketplaces"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || len(body.Marketplaces) == 0 {
		f.Fatalf("dev platform: %d %s (%v)", w.Code, clipBody(w.Body.String()), err)
	}
	return body.Marketplaces[0].API.ID, body.Marketplaces[0].API.Key
}
