package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every command answers --help on stdout with exit status 0, a usage line
// and examples, as config, bills and connec do.
func TestHelpOfEveryCommand(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "--help"}, {"sandbox", "--help"}, {"sandbox", "env", "--help"}, {"sandbox", "env", "-h"},
		{"version", "--help"}, {"saml", "--help"}, {"saml", "verify", "--help"}, {"saml", "decode", "--help"},
	} {
		r := mno(t, nil, args...)
		if r.code != 0 {
			t.Errorf("mno %v: exit status %d, want 0\nstderr: %s", args, r.code, r.stderr)
			continue
		}
		for _, want := range []string{"usage: mno ", "examples:"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("mno %v: help lacks %q:\n%s", args, want, r.stdout)
			}
		}
	}
}

// A bad command line exits with status 2, says once what is wrong and how
// to fix it, and never stutters "mno: mno".
func TestBadCommandLinesExit2(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.json")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	env := map[string]string{"MNO_DEVPL_HOST": "http://127.0.0.1:1", "MNO_DEVPL_ENV_KEY": "k", "MNO_DEVPL_ENV_SECRET": "s"}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"demo", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"sandbox", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"sandbox", "env", "--bogus", "app-1"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"demo", "extra-arg"}, 2, `unexpected argument "extra-arg"`},
		{[]string{"version", "extra-arg"}, 2, `unexpected argument "extra-arg"`},
		{[]string{"demo", "--sandbox-addr", "0.0.0.0:0", "--data", dir}, 2, "--sandbox-addr"},
		{[]string{"sandbox", "--addr", "0.0.0.0:0", "--data", dir}, 2, "loopback"},
		{[]string{"sandbox", "--base-url", "ftp://x", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "b")}, 2, "--base-url"},
		{[]string{"sandbox", "--app-url", "notaurl", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "c")}, 2, "--app-url"},
		{[]string{"sandbox", "--seed", missing, "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "d")}, 2, "--seed"},
		{[]string{"config", "show", "--config", missing}, 2, "--config"},
		{[]string{"connec", "create", "people", "--group", "cld-1", "--file", missing}, 2, "--file"},
		// A port in use is no command-line mistake, but the message says what to do.
		{[]string{"sandbox", "--addr", busy.Addr().String(), "--data", filepath.Join(dir, "e")}, 1, "--addr"},
		{[]string{"demo", "--sandbox-addr", busy.Addr().String(), "--data", filepath.Join(dir, "f")}, 1, "--sandbox-addr"},
	} {
		r := mno(t, env, c.args...)
		if r.code != c.code {
			t.Errorf("mno %v: exit status %d, want %d\nstderr: %s", c.args, r.code, c.code, r.stderr)
		}
		if !strings.Contains(r.stderr, c.want) {
			t.Errorf("mno %v: stderr lacks %q:\n%s", c.args, c.want, r.stderr)
		}
		if strings.Contains(r.stderr, "mno: mno") || strings.Count(r.stderr, "flag provided") > 1 {
			t.Errorf("mno %v: stutters:\n%s", c.args, r.stderr)
		}
	}
}

// An unreadable file named on the command line is exit status 2 (a
// directory, here, so that the test also holds as root).
func TestUnreadableFilesExit2(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub")
	for _, args := range [][]string{
		{"config", "show", "--config", sub},
		{"connec", "create", "people", "--group", "cld-1", "--file", sub},
		{"sandbox", "--seed", sub, "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "d")},
	} {
		if r := mno(t, nil, args...); r.code != 2 {
			t.Errorf("mno %v: exit status %d, want 2\nstderr: %s", args, r.code, r.stderr)
		}
	}
}

// connec export takes --json like every read command (its output is JSON
// Lines either way).
func TestExportAcceptsJSON(t *testing.T) {
	r := mno(t, nil, "connec", "export", "organizations", "--group", "cld-1", "--json")
	// Without credentials the command gets past its flags and stops at the
	// environment: exit status 1, not the 2 of a refused flag.
	if r.code != 1 || strings.Contains(r.stderr, "flag provided but not defined") || !strings.Contains(r.stderr, "MNO_DEVPL_ENV_KEY") {
		t.Errorf("--json refused or not reaching the credentials: exit %d\n%s", r.code, r.stderr)
	}
}
