package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
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

func (m *Main) flags(name string, withApp bool) (*flag.FlagSet, *serveFlags) {
	f := &serveFlags{}
	fs := flag.NewFlagSet("mno "+name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
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

// parse parses args and checks what flag cannot.
func (f *serveFlags) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	if f.dataDir == "" {
		return &usageError{fs.Name() + ": --data must not be empty"}
	}
	if f.recheck < time.Second {
		return &usageError{fs.Name() + ": --session-recheck must be at least 1s"}
	}
	return nil
}

func (f *serveFlags) logger(m *Main) *slog.Logger {
	if !f.verbose {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// listen opens a loopback listener; a non-loopback address is refused, the
// sandbox being a development tool with unauthenticated admin pages.
func listen(addr string) (net.Listener, string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, "", fmt.Errorf("address %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, "", fmt.Errorf("address %q is not a loopback address", addr)
	}
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
	if err := f.parse(fs, args); err != nil {
		return err
	}
	logger := f.logger(m)
	sbLn, sbURL, err := listen(f.sandboxAddr)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	defer sbLn.Close()
	appLn, appURL, err := listen(f.appAddr)
	if err != nil {
		return fmt.Errorf("demo app: %w", err)
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
	reg, err := maestrano.AutoConfigure(ctx, devPlatformOf(sb), maestrano.WithLogger(logger))
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
	m.printDevPlatform(dp)
	fmt.Fprintln(m.Stdout, "Press Ctrl-C to stop.")
	return m.wait(ctx, errc, appSrv, sbSrv)
}

// printDevPlatform prints the settings another app needs to configure
// itself against this sandbox.
func (m *Main) printDevPlatform(dp sandbox.DevPlatform) {
	fmt.Fprintln(m.Stdout, "To configure your own app against the sandbox:")
	fmt.Fprintf(m.Stdout, "  export %s=%s\n  export %s=%s\n  export %s=%s\n  export %s=%s\n\n",
		maestrano.EnvDevPlatformHost, dp.Host, maestrano.EnvDevPlatformAPIPath, dp.APIPath,
		maestrano.EnvDevPlatformKey, dp.EnvKey, maestrano.EnvDevPlatformSecret, dp.EnvSecret)
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
	if err := f.parse(fs, args); err != nil {
		return err
	}
	logger := f.logger(m)
	ln, sbURL, err := listen(f.sandboxAddr)
	if err != nil {
		return err
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
			return &usageError{"mno sandbox: --app-url: " + err.Error()}
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
	fs := flag.NewFlagSet("mno sandbox env", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	dataDir := fs.String("data", defaultDataDir, "data directory of the sandbox")
	baseURL := fs.String("base-url", "", "base URL of the sandbox; default: the one it last published")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return &usageError{"mno sandbox env: missing app id (e.g. app-1)"}
	}
	app := rest[0]
	if err := fs.Parse(rest[1:]); err != nil { // flags after the app id
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("mno sandbox env: unexpected argument %q", fs.Arg(0))}
	}
	info, err := sandbox.LookupApp(ctx, *dataDir, app, *baseURL)
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

func devPlatformOf(sb *sandbox.Sandbox) maestrano.DevPlatform {
	dp := sb.DevPlatform()
	return maestrano.DevPlatform{Host: dp.Host, APIPath: dp.APIPath, EnvKey: dp.EnvKey, EnvSecret: maestrano.Secret(dp.EnvSecret)}
}

func (m *Main) runVersion() error {
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
