package account_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/maestrano-go/maestrano/account"
)

// TestUserSessionTokenStaysOutOfLogs: User.SSOSession is a credential. A
// user logged whole — with a JSON or text slog handler, or printed with any
// fmt verb, alone or inside another value — must not show it. (JSON encoding
// of a value holding a User keeps the token, as for every maestrano.Secret.)
func TestUserSessionTokenStaysOutOfLogs(t *testing.T) {
	t.Parallel()
	const token = "sso-token-must-not-leak"
	var u account.User
	if err := json.Unmarshal([]byte(`{"object":"account_user","id":"usr-1","email":"j@example.com","sso_session":"`+token+`"}`), &u); err != nil {
		t.Fatal(err)
	}
	if u.SSOSession.Reveal() != token {
		t.Fatalf("token %q not decoded", u.SSOSession.Reveal())
	}
	var out bytes.Buffer
	slog.New(slog.NewJSONHandler(&out, nil)).Info("user", "user", u, "ptr", &u)
	slog.New(slog.NewTextHandler(&out, nil)).Info("user", "user", u, "ptr", &u, "list", []account.User{u}, "wrapped", struct{ U account.User }{u})
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		fmt.Fprintf(&out, verb+"\n", u)
		fmt.Fprintf(&out, verb+"\n", struct{ U account.User }{u})
	}
	if strings.Contains(out.String(), token) {
		t.Errorf("token in output:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "usr-1") {
		t.Errorf("the user is not shown at all:\n%s", out.String())
	}
}
