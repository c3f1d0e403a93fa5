package main

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/maestrano-go/maestrano/sandbox"
)

// sandboxEnv runs an in-process sandbox on a loopback server and returns
// the MNO_DEVPL_* variables a developer would export for it.
type sandboxEnv struct {
	sb  *sandbox.Sandbox
	url string
	env map[string]string
}

func startSandbox(t *testing.T) *sandboxEnv {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	u := "http://" + srv.Listener.Addr().String()
	sb, err := sandbox.Open(t.Context(), sandbox.Config{DataDir: t.TempDir(), BaseURL: u})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	srv.Config.Handler = sb
	srv.Start()
	t.Cleanup(srv.Close)
	dp := sb.DevPlatform()
	return &sandboxEnv{sb: sb, url: u, env: map[string]string{
		"MNO_DEVPL_HOST": dp.Host, "MNO_DEVPL_API_PATH": dp.APIPath,
		"MNO_DEVPL_ENV_KEY": dp.EnvKey, "MNO_DEVPL_ENV_SECRET": dp.EnvSecret,
	}}
}

// result is one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// mno runs the command in-process, with env as its environment, and
// returns its exit status and output as main would.
func mno(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	m := NewMain(&stdout, &stderr)
	m.Getenv = func(k string) string { return env[k] }
	err := m.Run(t.Context(), args)
	code := report(&stderr, err)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func (r result) want(t *testing.T, code int, stdoutHas ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit status %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
	for _, s := range stdoutHas {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
		}
	}
}

// Flags may follow the positional arguments; after "--" everything is
// positional.
func TestParseInterspersed(t *testing.T) {
	for _, c := range []struct {
		args  []string
		group string
		pos   []string
	}{
		{[]string{"get", "x", "--group", "g"}, "g", []string{"get", "x"}},
		{[]string{"--group=g", "get", "x"}, "g", []string{"get", "x"}},
		{[]string{"get", "--group", "g", "x"}, "g", []string{"get", "x"}},
		{[]string{"get", "--", "--group", "-x"}, "", []string{"get", "--group", "-x"}},
		{nil, "", nil},
	} {
		cf := newFlags("t", "t", "")
		pf := cf.platform(true)
		cf.group(pf)
		if err := cf.parseInterspersed(c.args); err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		if pf.group != c.group || strings.Join(cf.Args(), " ") != strings.Join(c.pos, " ") || cf.NArg() != len(c.pos) {
			t.Errorf("%q: group %q args %q", c.args, pf.group, cf.Args())
		}
	}
}
