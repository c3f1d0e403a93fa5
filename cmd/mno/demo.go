package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/demo"
	"github.com/maestrano-go/maestrano/sandbox"
)

// Defaults of the demo and sandbox commands.
const (
	defaultSandboxAddr = "127.0.0.1:7000"
	defaultAppAddr     = "127.0.0.1:8081"
	defaultDataDir     = ".mno"
	// demoDataSubdir holds the demo app's own database inside --data.
	demoDataSubdir = "demo-app"
	// shutdownGrace is how long in-flight requests get after Ctrl-C.
	shutdownGrace = 2 * time.Second
)

type serveFlags struct {
	sandboxAddr, appAddr, dataDir, appURL string
	seedFile, baseURL                     string
	recheck                               time.Duration
	verbose                               bool
}

// Help texts of the commands that serve.
const (
	demoUsage    = "demo [--sandbox-addr ADDR] [--app-addr ADDR] [--data DIR] [--session-recheck D] [-v]"
	demoExamples = `  # the sandbox on :7000 and the demo app on :8081; open http://127.0.0.1:8081
  mno demo
  # other ports and data directory, sessions re-checked every 10 seconds, logs on stderr
  mno demo --sandbox-addr 127.0.0.1:7100 --app-addr 127.0.0.1:8181 --data /tmp/mno --session-recheck 10s -v`
	demoNote = `Stop with Ctrl-C. The data directory keeps the platform's state (SQLite) and the
IdP key across runs; one sandbox at a time uses it. Addresses must be loopback.
`
	sandboxUsage    = "sandbox [--addr ADDR] [--app-url URL] [--base-url URL] [--seed FILE] [--data DIR] [-v]\n       mno sandbox env [--data DIR] [--base-url URL] APP"
	sandboxExamples = `  # the platform alone, for your own app on port 3000
  mno sandbox --app-url http://127.0.0.1:3000
  # a world of several marketplaces and apps, in a fresh data directory
  mno sandbox --seed world.yaml --data /tmp/world
  # in another shell: point an SDK (or mno config/bills/connec) at app-1
  eval "$(mno sandbox env app-1)"`
	sandboxNote = `At start the sandbox prints each app's MNO_DEVPL_* settings; "mno sandbox env APP"
prints them again as export lines, also while the sandbox runs. Stop with Ctrl-C.
`
	sandboxEnvUsage    = "sandbox env [--data DIR] [--base-url URL] APP"
	sandboxEnvExamples = `  eval "$(mno sandbox env app-1)"
  mno sandbox env --data /tmp/world app-2`
)

func (m *Main) flags(name string, withApp bool) (*commandFlags, *serveFlags) {
	f := &serveFlags{}
	var fs *commandFlags
	if withApp {
		fs = newFlags(name, demoUsage, demoExamples)
		fs.note = demoNote
	} else {
		fs = newFlags(name, sandboxUsage, sandboxExamples)
		fs.note = sandboxNote
	}
	fs.StringVar(&f.sandboxAddr, "sandbox-addr", defaultSandboxAddr, "listen address of the platform sandbox")
	if withApp {
		fs.StringVar(&f.appAddr, "app-addr", defaultAppAddr, "listen address of the demo app")
	} else {
		fs.StringVar(&f.sandboxAddr, "addr", defaultSandboxAddr, "listen address of the platform sandbox (same as --sandbox-addr)")
		fs.StringVar(&f.appURL, "app-url", "", "base URL of your app (sso.idm and app.host of app-1), e.g. http://127.0.0.1:3000; empty keeps the stored one")
		fs.StringVar(&f.seedFile, "seed", "", "JSON or YAML seed file describing the world (environments, apps, groups, users, bills) of a fresh data directory")
		fs.StringVar(&f.baseURL, "base-url", "", "public base URL the sandbox publishes (api.host, sso.idp, connec.host); default http://<addr>")
	}
	fs.StringVar(&f.dataDir, "data", defaultDataDir, "data directory of the sandbox (SQLite database, IdP key)")
	fs.DurationVar(&f.recheck, "session-recheck", sandbox.DefaultSessionRecheck, "how long apps may trust an SSO session before asking the sandbox again")
	fs.BoolVar(&f.verbose, "v", false, "log SSO decisions, refusals and admin actions to stderr")
	return fs, f
}

// parse parses args and checks what flag cannot: everything a command line
// can get wrong is a usage error (exit status 2).
func (m *Main) parseServe(fs *commandFlags, f *serveFlags, args []string) error {
	if err := m.parse(fs, args, -1); err != nil {
		return err
	}
	name := fs.Name()
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("%s: unexpected argument %q (see %s --help)", name, fs.Arg(0), name)}
	}
	if f.dataDir == "" {
		return &usageError{name + ": --data must not be empty"}
	}
	if f.recheck < time.Second {
		return &usageError{name + ": --session-recheck must be at least 1s"}
	}
	for _, u := range []struct{ flag, v string }{{"--base-url", f.baseURL}, {"--app-url", f.appURL}} {
		if u.v == "" {
			continue
		}
		if p, err := url.Parse(u.v); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return &usageError{fmt.Sprintf("%s: %s %q: must be an absolute http or https URL, e.g. http://127.0.0.1:3000", name, u.flag, u.v)}
		}
	}
	if f.seedFile != "" {
		if err := checkReadable("--seed", f.seedFile, "give the path of a JSON or YAML seed file (see sandbox/testdata/account/world/seed.yaml)"); err != nil {
			return err
		}
	}
	addrs := []struct{ flag, v string }{{"--sandbox-addr", f.sandboxAddr}}
	if f.appAddr != "" {
		addrs = append(addrs, struct{ flag, v string }{"--app-addr", f.appAddr})
	}
	if f.appAddr == "" { // mno sandbox: --addr is the documented name
		addrs[0].flag = "--addr"
	}
	for _, a := range addrs {
		if err := checkLoopback(a.v); err != nil {
			return &usageError{fmt.Sprintf("%s: %s: %v", name, a.flag, err)}
		}
	}
	return nil
}

func (f *serveFlags) logger(m *Main) *slog.Logger {
	if !f.verbose {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// checkLoopback refuses an address that is malformed or not on loopback.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("address %q is not a loopback address (use 127.0.0.1:PORT or localhost:PORT)", addr)
	}
	return nil
}

// listenFix adds to a listen error what to do about it.
func listenFix(err error, flagName string) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%w\n  fix: another program (another mno demo or sandbox?) uses that port: stop it, or pass %s 127.0.0.1:PORT with a free port", err, flagName)
	}
	return err
}

// listen opens a loopback listener; a non-loopback address is refused, the
// sandbox being a development tool with unauthenticated admin pages.
func listen(addr string) (net.Listener, string, error) {
	if err := checkLoopback(addr); err != nil {
		return nil, "", err
	}
	host, _, _ := net.SplitHostPort(addr)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", err
	}
	// Keep the host as given: a browser that opened "localhost" keeps
	// its cookies there, so the URLs the sandbox publishes must say it too.
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return ln, "http://" + net.JoinHostPort(host, port), nil
}

func (m *Main) runDemo(ctx context.Context, args []string) error {
	fs, f := m.flags("demo", true)
	if err := m.parseServe(fs, f, args); err != nil {
		return err
	}
	logger := f.logger(m)
	sbLn, sbURL, err := listen(f.sandboxAddr)
	if err != nil {
		return fmt.Errorf("sandbox: %w", listenFix(err, "--sandbox-addr"))
	}
	defer sbLn.Close()
	appLn, appURL, err := listen(f.appAddr)
	if err != nil {
		return fmt.Errorf("demo app: %w", listenFix(err, "--app-addr"))
	}
	defer appLn.Close()

	sb, err := sandbox.Open(ctx, sandbox.Config{DataDir: f.dataDir, BaseURL: sbURL, Logger: logger.With("component", "sandbox"), SessionRecheck: f.recheck})
	if err != nil {
		return err
	}
	defer sb.Close()
	if err := sb.SetAppHost(ctx, sandbox.DemoAppUID, appURL); err != nil {
		return err
	}
	sbSrv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- serve(sbSrv, sbLn) }()

	// The app configures itself over HTTP from the sandbox's developer
	// platform, exactly as it would from the real one.
	dp := sb.DevPlatform()
	reg, err := maestrano.AutoConfigure(ctx, devPlatformOf(dp), maestrano.WithLogger(logger))
	if err != nil {
		shutdown(sbSrv)
		return fmt.Errorf("demo app: auto-configure: %w", err)
	}
	app, err := demo.New(ctx, reg, demo.WithLogger(logger.With("component", "demo")), demo.WithDataDir(filepath.Join(f.dataDir, demoDataSubdir)))
	if err != nil {
		shutdown(sbSrv)
		return err
	}
	defer app.Close()
	appSrv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second}
	go func() { errc <- serve(appSrv, appLn) }()

	fmt.Fprintf(m.Stdout, "Maestrano sandbox  %s   (admin page: %s/admin)\n", sbURL, sbURL)
	fmt.Fprintf(m.Stdout, "Demo app           %s   (open it and click \"Log in with Maestrano\")\n", appURL)
	fmt.Fprintf(m.Stdout, "Data directory     %s   (SSO sessions are re-checked every %s)\n\n", f.dataDir, f.recheck)
	fmt.Fprintln(m.Stdout, "To configure your own app against the sandbox:")
	m.printExports(dp, "  ")
	fmt.Fprintln(m.Stdout)
	fmt.Fprintln(m.Stdout, "Press Ctrl-C to stop.")
	return m.wait(ctx, errc, appSrv, sbSrv)
}

// wait serves until ctx is done or a server fails, then stops the servers
// together.
func (m *Main) wait(ctx context.Context, errc <-chan error, srvs ...*http.Server) error {
	var err error
	select {
	case <-ctx.Done():
		fmt.Fprintln(m.Stdout, "Stopping…")
	case err = <-errc:
	}
	var wg sync.WaitGroup
	for _, s := range srvs {
		wg.Go(func() { shutdown(s) })
	}
	wg.Wait()
	fmt.Fprintln(m.Stdout, "Stopped.")
	return err
}

func (m *Main) runSandbox(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "env" {
		return m.runSandboxEnv(ctx, args[1:])
	}
	fs, f := m.flags("sandbox", false)
	if err := m.parseServe(fs, f, args); err != nil {
		return err
	}
	logger := f.logger(m)
	ln, sbURL, err := listen(f.sandboxAddr)
	if err != nil {
		return fmt.Errorf("sandbox: %w", listenFix(err, "--addr"))
	}
	defer ln.Close()
	if f.baseURL != "" {
		sbURL = strings.TrimSuffix(f.baseURL, "/")
	}
	sb, err := sandbox.Open(ctx, sandbox.Config{DataDir: f.dataDir, BaseURL: sbURL, Logger: logger, SessionRecheck: f.recheck, SeedFile: f.seedFile})
	if err != nil {
		return err
	}
	defer sb.Close()
	if f.appURL != "" {
		if err := sb.SetAppHost(ctx, sandbox.DemoAppUID, f.appURL); err != nil {
			return &usageError{"mno sandbox: --app-url: " + strings.TrimPrefix(err.Error(), "sandbox: ")}
		}
	}
	apps, err := sb.Apps(ctx)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- serve(srv, ln) }()
	fmt.Fprintf(m.Stdout, "Maestrano sandbox %s (admin page: %s/admin)\n", sbURL, sbURL)
	if f.seedFile != "" && !sb.Seeded() {
		fmt.Fprintf(m.Stdout, "(%s was seeded before: --seed %s ignored; use a fresh --data directory to apply it)\n", f.dataDir, f.seedFile)
	}
	fmt.Fprintln(m.Stdout)
	for _, a := range apps {
		fmt.Fprintf(m.Stdout, "%s %q on marketplace %s (environment %s), app at %s. To configure it against the sandbox:\n",
			a.UID, a.Name, a.Marketplace, a.Environment, a.Host)
		m.printExports(a.DevPlatform, "  ")
		fmt.Fprintln(m.Stdout)
	}
	fmt.Fprintf(m.Stdout, "Your app is %s at %s: it must serve the sso.init_path and sso.consume_path of its configuration there (--app-url changes it).\n", sandbox.DemoAppUID, m.appHost(ctx, sb))
	fmt.Fprintf(m.Stdout, "\"mno sandbox env APP\" prints an app's settings as export lines.\n\n")
	fmt.Fprintln(m.Stdout, "Press Ctrl-C to stop.")
	return m.wait(ctx, errc, srv)
}

// printExports prints the four MNO_DEVPL_* settings of dp as export lines.
func (m *Main) printExports(dp sandbox.DevPlatform, indent string) {
	for _, kv := range [][2]string{
		{maestrano.EnvDevPlatformHost, dp.Host}, {maestrano.EnvDevPlatformAPIPath, dp.APIPath},
		{maestrano.EnvDevPlatformKey, dp.EnvKey}, {maestrano.EnvDevPlatformSecret, dp.EnvSecret},
	} {
		fmt.Fprintf(m.Stdout, "%sexport %s=%s\n", indent, kv[0], shellQuote(kv[1]))
	}
}

// shellQuote quotes v for a POSIX shell when it holds anything but safe
// characters.
func shellQuote(v string) string {
	safe := v != ""
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./:@%+=,", c)) {
			safe = false
			break
		}
	}
	if safe {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// runSandboxEnv serves "mno sandbox env [--data DIR] [--base-url URL] APP":
// the app's MNO_DEVPL_* settings as export lines, for eval in a shell. It
// reads the data directory without opening the sandbox, so it works while
// the sandbox runs.
func (m *Main) runSandboxEnv(ctx context.Context, args []string) error {
	fs := newFlags("sandbox env", sandboxEnvUsage, sandboxEnvExamples)
	fs.note = "The lines set MNO_DEVPL_HOST, MNO_DEVPL_API_PATH, MNO_DEVPL_ENV_KEY and MNO_DEVPL_ENV_SECRET\nfor the app's environment, read from the data directory (the sandbox may be running).\n"
	dataDir := fs.String("data", defaultDataDir, "data directory of the sandbox")
	baseURL := fs.String("base-url", "", "base URL of the sandbox; default: the one it last published")
	if err := m.parse(fs, args, -1); err != nil {
		return err
	}
	switch {
	case fs.NArg() == 0:
		return &usageError{"mno sandbox env: missing app id (e.g. app-1; see mno sandbox env --help)"}
	case fs.NArg() > 1:
		return &usageError{fmt.Sprintf("mno sandbox env: unexpected argument %q", fs.Arg(1))}
	}
	info, err := sandbox.LookupApp(ctx, *dataDir, fs.Arg(0), *baseURL)
	if err != nil {
		return err
	}
	m.printExports(info.DevPlatform, "")
	return nil
}

// appHost returns the stored sso.idm of the demo app, as apps will see it.
func (m *Main) appHost(ctx context.Context, sb *sandbox.Sandbox) string {
	host, err := sb.AppHost(ctx, sandbox.DemoAppUID)
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return host
}

// devPlatformOf is the SDK's view of the sandbox's developer-platform
// settings.
func devPlatformOf(dp sandbox.DevPlatform) maestrano.DevPlatform {
	return maestrano.DevPlatform{Host: dp.Host, APIPath: dp.APIPath, EnvKey: dp.EnvKey, EnvSecret: maestrano.Secret(dp.EnvSecret)}
}

func (m *Main) runVersion(args []string) error {
	fs := newFlags("version", "version", "  mno version")
	fs.note = ""
	if err := m.parse(fs, args, -1); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("mno version: unexpected argument %q", fs.Arg(0))}
	}
	fmt.Fprintln(m.Stdout, "mno", maestrano.Version)
	return nil
}

func serve(srv *http.Server, ln net.Listener) error {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func shutdown(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
	}
}
