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
