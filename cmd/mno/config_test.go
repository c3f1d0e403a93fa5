package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/maestrano-go/maestrano"
)

func TestConfigShow(t *testing.T) {
	e := startSandbox(t)
	// The real key, to check it never prints.
	reg, err := maestrano.AutoConfigure(t.Context(), maestrano.DevPlatformFromEnv(func(k string) string { return e.env[k] }))
	if err != nil {
		t.Fatal(err)
	}
	mp, _ := reg.Get("maestrano")
	key := mp.API.Key.Reveal()

	text := mno(t, e.env, "config", "show")
	text.want(t, 0, "marketplace maestrano", "api.id", "app-1", "sso.x509_fingerprint", mp.SSO.X509Fingerprint,
		"webhooks.account.group_path", "/maestrano/account/groups/:id/maestrano", "ends "+key[len(key)-4:])
	js := mno(t, e.env, "config", "show", "--json", "--marketplace", "maestrano")
	js.want(t, 0)
	for _, out := range []string{text.stdout, text.stderr, js.stdout, js.stderr} {
		if strings.Contains(out, key) || strings.Contains(out, e.env["MNO_DEVPL_ENV_SECRET"]) {
			t.Fatalf("a secret was printed:\n%s", out)
		}
	}
	var got struct {
		Marketplaces []maestrano.Marketplace `json:"marketplaces"`
	}
	if err := json.Unmarshal([]byte(js.stdout), &got); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, js.stdout)
	}
	if len(got.Marketplaces) != 1 || got.Marketplaces[0].API.ID != "app-1" || got.Marketplaces[0].SSO.IDP != e.url {
		t.Fatalf("--json: %+v", got.Marketplaces)
	}
}

func TestConfigShowErrors(t *testing.T) {
	e := startSandbox(t)
	wrong := map[string]string{}
	for k, v := range e.env {
		wrong[k] = v
	}
	wrong["MNO_DEVPL_ENV_SECRET"] = "not-the-secret"
	cases := []struct {
		name    string
		env     map[string]string
		args    []string
		code    int
		wantErr string
	}{
		{"no credentials", nil, []string{"config", "show"}, 1, "fix: set MNO_DEVPL_ENV_KEY and MNO_DEVPL_ENV_SECRET"},
		{"wrong secret", wrong, []string{"config", "show"}, 1, "fix: check MNO_DEVPL_ENV_KEY and MNO_DEVPL_ENV_SECRET"},
		{"unknown marketplace", e.env, []string{"config", "show", "--marketplace", "nope"}, 1, "one of: maestrano"},
		{"missing file", nil, []string{"config", "show", "--config", "/nonexistent/dev-platform.json"}, 2, "--config: open /nonexistent/dev-platform.json"},
		{"unknown flag", e.env, []string{"config", "show", "--jsn"}, 2, "see mno config show --help"},
		{"extra argument", e.env, []string{"config", "show", "x"}, 2, "want 0 argument"},
		{"no subcommand", e.env, []string{"config"}, 2, "missing subcommand"},
		{"unknown subcommand", e.env, []string{"config", "list"}, 2, `unknown subcommand "list"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mno(t, c.env, c.args...)
			if r.code != c.code || !strings.Contains(r.stderr, c.wantErr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, c.code, c.wantErr)
			}
		})
	}
}

// Every command and subcommand answers --help with examples and exit 0.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"config", "show", "--help"}, {"config", "--help"}, {"--help"},
	} {
		r := mno(t, nil, args...)
		r.want(t, 0)
		if len(args) > 2 && !strings.Contains(r.stdout, "examples:") {
			t.Errorf("%v: no examples in\n%s", args, r.stdout)
		}
	}
}
