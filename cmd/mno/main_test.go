package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/internal/flowtest"
)

var urlLine = regexp.MustCompile(`^(Maestrano sandbox|Demo app)\s+(http://\S+)`)

// readURLs reads the banner of "mno demo" and returns the sandbox and app URLs.
func readURLs(t *testing.T, r io.Reader) (sandboxURL, appURL string) {
	t.Helper()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if m := urlLine.FindStringSubmatch(sc.Text()); m != nil {
			if m[1] == "Demo app" {
				appURL = m[2]
			} else {
				sandboxURL = m[2]
			}
		}
		if strings.HasPrefix(sc.Text(), "Press Ctrl-C") {
			break
		}
	}
	if sandboxURL == "" || appURL == "" {
		t.Fatalf("banner lacks URLs (scan error %v)", sc.Err())
	}
	go io.Copy(io.Discard, r)
	return sandboxURL, appURL
}

// TestDemoCommand builds mno, runs "mno demo" on free loopback ports, logs in
// as a script would, then presses Ctrl-C (SIGINT) and expects a clean exit.
func TestDemoCommand(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "mno")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(t.TempDir(), "data")
	cmd := exec.Command(bin, "demo", "--sandbox-addr", "127.0.0.1:0", "--app-addr", "127.0.0.1:0", "--data", data)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	_, appURL := readURLs(t, stdout)

	b := flowtest.NewBrowser(t)
	home := b.Login(appURL+"/maestrano/auth/saml/init/maestrano", "usr-1", "")
	for id, want := range map[string]string{"user-name": "John Doe", "user-uid": "usr-1", "group-uid": "cld-1", "group-name": "Acme Corp", "role": "Admin"} {
		if got := flowtest.Text(home.Body, id); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("mno demo exited with %v after Ctrl-C; stderr: %s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("mno demo did not stop within 15 s of Ctrl-C")
	}
	for _, f := range []string{"sandbox.db", "idp.key", "idp.crt"} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			t.Errorf("data directory: %v", err)
		}
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{nil, "no command"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"demo", "--sandbox-addr", "0.0.0.0:0", "--data", t.TempDir()}, "is not a loopback address"},
		{[]string{"demo", "--app-addr", "nonsense", "--sandbox-addr", "127.0.0.1:0", "--data", t.TempDir()}, "missing port"},
		{[]string{"demo", "--no-such-flag"}, "flag provided but not defined"},
		{[]string{"demo", "extra-arg"}, `unexpected argument "extra-arg"`},
		{[]string{"sandbox", "--data", ""}, "--data must not be empty"},
		{[]string{"demo", "--session-recheck", "0s"}, "--session-recheck must be at least 1s"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		err := NewMain(&out, &errOut).Run(context.Background(), c.args)
		msg := ""
		if err != nil {
			msg = err.Error() + errOut.String()
		}
		if !strings.Contains(msg, c.want) {
			t.Errorf("mno %v: error %q, want it to mention %q", c.args, msg, c.want)
		}
	}
}

func TestListenKeepsTheHostName(t *testing.T) {
	t.Parallel()
	for _, host := range []string{"127.0.0.1", "localhost"} {
		ln, u, err := listen(host + ":0")
		if err != nil {
			t.Fatal(err)
		}
		ln.Close()
		if !strings.HasPrefix(u, "http://"+host+":") {
			t.Errorf("listen(%s:0) published %s", host, u)
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := NewMain(&out, io.Discard).Run(context.Background(), []string{"version"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "mno ") {
		t.Fatalf("version output %q", out.String())
	}
}

func TestSandboxCommandSetsTheAppURL(t *testing.T) {
	t.Parallel()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- NewMain(pw, io.Discard).Run(ctx, []string{"sandbox", "--sandbox-addr", "127.0.0.1:0", "--data", t.TempDir(), "--app-url", "http://127.0.0.1:3000"})
		pw.Close()
	}()
	var banner strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		banner.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "Press Ctrl-C") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	for _, want := range []string{"export MNO_DEVPL_ENV_KEY=", "export MNO_DEVPL_ENV_SECRET=", "Your app is app-1 at http://127.0.0.1:3000:"} {
		if !strings.Contains(banner.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, banner.String())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("mno sandbox: %v", err)
	}
}

// runSandboxUntilBanner starts "mno sandbox args..." and returns its banner
// (up to "Press Ctrl-C") and a stop function.
func runSandboxUntilBanner(t *testing.T, args ...string) (string, func()) {
	t.Helper()
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- NewMain(pw, io.Discard).Run(ctx, append([]string{"sandbox"}, args...))
		pw.Close()
	}()
	var banner strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		banner.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "Press Ctrl-C") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	return banner.String(), func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("mno sandbox: %v", err)
		}
	}
}

func TestSandboxCommandSeedBaseURLAndEnv(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	banner, stop := runSandboxUntilBanner(t, "--addr", "127.0.0.1:0", "--data", data,
		"--seed", "testdata/sandbox/seed/world.yaml", "--base-url", "http://localhost:7999/")
	for _, want := range []string{
		"Maestrano sandbox http://localhost:7999 ",
		`app-1 "CRM" on marketplace maestrano (environment team)`,
		`app-2 "CRM UAT" on marketplace maestrano-uat (environment team)`,
		`app-3 "Books" on marketplace maestrano (environment ci)`,
		"  export MNO_DEVPL_HOST=http://localhost:7999\n  export MNO_DEVPL_API_PATH=/api/config/v1\n  export MNO_DEVPL_ENV_KEY=team-env-key-0001\n  export MNO_DEVPL_ENV_SECRET=team-secret+0001\n",
	} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	if strings.Count(banner, "export MNO_DEVPL_ENV_KEY=") != 3 {
		t.Errorf("want the settings of three apps:\n%s", banner)
	}
	// "env" works while the sandbox runs (it does not take the lock).
	var out bytes.Buffer
	if err := NewMain(&out, io.Discard).Run(t.Context(), []string{"sandbox", "env", "--data", data, "app-2"}); err != nil {
		t.Fatal(err)
	}
	want := "export MNO_DEVPL_HOST=http://localhost:7999\nexport MNO_DEVPL_API_PATH=/api/config/v1\nexport MNO_DEVPL_ENV_KEY=team-env-key-0001\nexport MNO_DEVPL_ENV_SECRET=team-secret+0001\n"
	if out.String() != want {
		t.Errorf("env app-2:\n%s\nwant:\n%s", out.String(), want)
	}
	out.Reset()
	if err := NewMain(&out, io.Discard).Run(t.Context(), []string{"sandbox", "env", "app-3", "--data", data, "--base-url", "http://127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "export MNO_DEVPL_HOST=http://127.0.0.1:1\n") || strings.Contains(out.String(), "team-env-key") {
		t.Errorf("env app-3:\n%s", out.String())
	}
	stop()
	// Restarted with the seed again: the stored world is kept, and said so.
	banner, stop = runSandboxUntilBanner(t, "--addr", "127.0.0.1:0", "--data", data, "--seed", "testdata/sandbox/seed/world.yaml")
	if !strings.Contains(banner, "was seeded before") || !strings.Contains(banner, "MNO_DEVPL_ENV_KEY=team-env-key-0001") {
		t.Errorf("restart banner:\n%s", banner)
	}
	stop()
}

func TestSandboxEnvErrors(t *testing.T) {
	t.Parallel()
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sandbox", "env"}, "missing app id"},
		{[]string{"sandbox", "env", "--data", empty, "app-1"}, "no sandbox data"},
		{[]string{"sandbox", "env", "app-1", "extra"}, `unexpected argument "extra"`},
		{[]string{"sandbox", "--seed", "testdata/sandbox/seed/missing.yaml", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, "no such file"},
		{[]string{"sandbox", "--base-url", "ftp://x", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, "--base-url"},
	} {
		var errOut bytes.Buffer
		err := NewMain(io.Discard, &errOut).Run(t.Context(), tc.args)
		if err == nil || !strings.Contains(err.Error()+errOut.String(), tc.want) {
			t.Errorf("mno %v: %v, want %q", tc.args, err, tc.want)
		}
	}
	// An unknown app of an existing data directory.
	data := t.TempDir()
	_, stop := runSandboxUntilBanner(t, "--addr", "127.0.0.1:0", "--data", data)
	err := NewMain(io.Discard, io.Discard).Run(t.Context(), []string{"sandbox", "env", "--data", data, "app-9"})
	if err == nil || !strings.Contains(err.Error(), `unknown app "app-9" (the apps are app-1)`) {
		t.Errorf("unknown app: %v", err)
	}
	stop()
}
