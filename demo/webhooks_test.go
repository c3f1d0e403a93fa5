package demo_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/maestrano-go/maestrano/internal/flowtest"
	"github.com/maestrano-go/maestrano/sandbox"
)

// deleteWebhook sends an account webhook as the platform does: DELETE with
// the app's own api.id:api.key.
func (p *platform) deleteWebhook(t *testing.T, path, user, pass string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodDelete, p.appURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func (p *platform) appCredentials(t *testing.T) (string, string) {
	t.Helper()
	mp, err := p.reg.Get(sandbox.DefaultMarketplace)
	if err != nil {
		t.Fatal(err)
	}
	return mp.API.ID, mp.API.Key.Reveal()
}

func wantRefused(t *testing.T, b *flowtest.Browser, appURL, wantMsg string) {
	t.Helper()
	page := b.Get(appURL + "/")
	if page.Status != http.StatusForbidden || flowtest.Text(page.Body, "error-title") != "Access removed" {
		t.Fatalf("status %d title %q, want 403 Access removed", page.Status, flowtest.Text(page.Body, "error-title"))
	}
	if msg := flowtest.Text(page.Body, "error-message"); !strings.Contains(msg, wantMsg) {
		t.Errorf("message %q, want it to say %q", msg, wantMsg)
	}
	if home := b.Get(appURL + "/"); !strings.Contains(home.Body, "Log in with Maestrano") {
		t.Fatal("after the refusal the session is still there")
	}
}

func TestWebhookGroupRemoved(t *testing.T) {
	t.Parallel()
	p := start(t)
	john, jane, johnGlobex := flowtest.NewBrowser(t), flowtest.NewBrowser(t), flowtest.NewBrowser(t)
	john.Login(p.initURL, "usr-1", "cld-1")
	jane.Login(p.initURL, "usr-2", "")
	johnGlobex.Login(p.initURL, "usr-1", "cld-2")
	id, key := p.appCredentials(t)

	const path = "/maestrano/account/groups/cld-1/maestrano"
	for name, creds := range map[string][2]string{"none": {"", ""}, "wrong key": {id, key + "x"}, "wrong id": {"app-2", key}} {
		if got := p.deleteWebhook(t, path, creds[0], creds[1]); got != http.StatusUnauthorized {
			t.Errorf("%s credentials: status %d, want 401", name, got)
		}
	}
	wantIdentity(t, john.Get(p.appURL+"/"), map[string]string{"group-uid": "cld-1"})

	if got := p.deleteWebhook(t, path, id, key); got != http.StatusOK {
		t.Fatalf("webhook: status %d, want 200", got)
	}
	wantRefused(t, john, p.appURL, "no longer uses this app")
	wantRefused(t, jane, p.appURL, "no longer uses this app")
	// The same user in another group keeps access.
	wantIdentity(t, johnGlobex.Get(p.appURL+"/"), map[string]string{"group-uid": "cld-2"})
	// A repeated delivery changes nothing and still succeeds.
	if got := p.deleteWebhook(t, path, id, key); got != http.StatusOK {
		t.Fatalf("repeated webhook: status %d, want 200", got)
	}
}

func TestWebhookMemberRemoved(t *testing.T) {
	t.Parallel()
	p := start(t)
	john, jane := flowtest.NewBrowser(t), flowtest.NewBrowser(t)
	john.Login(p.initURL, "usr-1", "cld-1")
	jane.Login(p.initURL, "usr-2", "")
	id, key := p.appCredentials(t)
	// The platform may name the user by its virtual uid.
	if got := p.deleteWebhook(t, "/maestrano/account/groups/cld-1/users/usr-1.cld-1/maestrano", id, key); got != http.StatusOK {
		t.Fatalf("webhook: status %d, want 200", got)
	}
	wantRefused(t, john, p.appURL, "no longer a member of Acme Corp")
	wantIdentity(t, jane.Get(p.appURL+"/"), map[string]string{"user-uid": "usr-2"})

	events := jane.Get(p.appURL + "/events")
	if events.Status != http.StatusOK || !strings.Contains(events.Body, "Member removed") || !strings.Contains(events.Body, "Removed the membership") {
		t.Fatalf("events page (status %d) does not show the webhook: %.2000s", events.Status, events.Body)
	}
	// Logging in again through the platform brings the membership back:
	// the IdP is the authority on who belongs to the group.
	wantIdentity(t, john.Login(p.initURL, "usr-1", "cld-1"), map[string]string{"user-uid": "usr-1", "role": "Admin"})
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	p := start(t)
	b := flowtest.NewBrowser(t)
	home := b.Login(p.initURL, "usr-1", "")
	token := flowtest.Field(home.Body, "csrf_token")
	if len(token) < 40 {
		t.Fatalf("csrf token %q", token)
	}
	other := flowtest.NewBrowser(t)
	otherToken := flowtest.Field(other.Login(p.initURL, "usr-2", "").Body, "csrf_token")
	for name, vals := range map[string]url.Values{
		"missing":           nil,
		"empty":             {"csrf_token": {""}},
		"another session's": {"csrf_token": {otherToken}},
		"truncated":         {"csrf_token": {token[:len(token)-1]}},
	} {
		if page := b.PostForm(p.appURL+"/logout", vals); page.Status != http.StatusForbidden {
			t.Errorf("logout with %s token: status %d, want 403", name, page.Status)
		}
	}
	wantIdentity(t, b.Get(p.appURL+"/"), map[string]string{"user-uid": "usr-1"})
}

// TestCSRFBoundToSession: the token belongs to one login session, not to
// the user: two logins of the same user get different tokens, and after a
// new login the old session's token is refused.
func TestCSRFBoundToSession(t *testing.T) {
	t.Parallel()
	p := start(t)
	b := flowtest.NewBrowser(t)
	first := flowtest.Field(b.Login(p.initURL, "usr-1", "cld-1").Body, "csrf_token")
	other := flowtest.NewBrowser(t)
	elsewhere := flowtest.Field(other.Login(p.initURL, "usr-1", "cld-1").Body, "csrf_token")
	second := flowtest.Field(b.Login(p.initURL, "usr-1", "cld-1").Body, "csrf_token")
	if first == "" || first == elsewhere || first == second || second == elsewhere {
		t.Fatalf("tokens of three logins of usr-1 in cld-1: %q %q %q", first, elsewhere, second)
	}
	// The token is stable within a session.
	if again := flowtest.Field(b.Get(p.appURL+"/").Body, "csrf_token"); again != second {
		t.Errorf("token changed within the session: %q then %q", second, again)
	}
	for name, token := range map[string]string{"the old session's": first, "the same user's other session's": elsewhere} {
		page := b.PostForm(p.appURL+"/data/organizations", url.Values{"csrf_token": {token}, "name": {"Stale"}})
		if page.Status != http.StatusForbidden || !strings.Contains(page.Body, "CSRF") {
			t.Errorf("post with %s token: status %d, want 403", name, page.Status)
		}
	}
	if page := b.PostForm(p.appURL+"/data/organizations", url.Values{"csrf_token": {second}, "name": {"Fresh"}}); page.Status >= 400 {
		t.Errorf("post with the session's token: status %d: %.500s", page.Status, page.Body)
	}
	// The other browser's session goes on with its own token.
	if page := other.PostForm(p.appURL+"/data/organizations", url.Values{"csrf_token": {elsewhere}, "name": {"Other"}}); page.Status >= 400 {
		t.Errorf("post in the other session: status %d: %.500s", page.Status, page.Body)
	}
}
