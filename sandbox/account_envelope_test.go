package sandbox_test

import (
	"strings"
	"testing"
)

// error.message is "<param> <message>" for a request parameter
// ("price_cents must be greater than 0"), and the message alone for an
// error about the request as a whole: never "request request body too
// large" or "authentication Invalid API token".
func TestAccountErrorMessageReads(t *testing.T) {
	t.Parallel()
	e := setupWorld(t)
	for _, tc := range []struct {
		name, method, path, body, ctype string
		param, message                  string
	}{
		{"param", "POST", "/api/v1/account/bills", "group_id=cld-1&price_cents=-1&description=x", "application/x-www-form-urlencoded", "price_cents", "price_cents must be greater than 0"},
		{"whole request", "POST", "/api/v1/account/bills", "%zz=1", "application/x-www-form-urlencoded", "request", "malformed form body"},
		{"too large", "POST", "/api/v1/account/bills", "description=" + strings.Repeat("x", 100<<10), "application/x-www-form-urlencoded", "request", "request body too large"},
		{"unknown resource", "GET", "/api/v1/account/nope", "", "", "resource", "no such resource"},
	} {
		_, env := e.call(t, tc.method, tc.path, app1, tc.ctype, tc.body)
		if env.Error == nil {
			t.Errorf("%s: no error member: %+v", tc.name, env)
			continue
		}
		if env.Error.Param != tc.param || !strings.HasPrefix(env.Error.Message, tc.message) {
			t.Errorf("%s: error = %+v, want param %q and a message starting %q", tc.name, *env.Error, tc.param, tc.message)
		}
	}
	_, env := e.call(t, "GET", "/api/v1/account/bills", nil, "", "")
	if env.Error == nil || env.Error.Message != "Invalid API token" {
		t.Errorf("no credentials: error = %+v, want the message alone", env.Error)
	}
}
