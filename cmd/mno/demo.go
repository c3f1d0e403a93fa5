package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
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
)

type serveFlags struct {
	sandboxAddr, appAddr, dataDir string
	verbose                       bool
}

func (m *Main) flags(name string, withApp bool) (*flag.FlagSet, *serveFlags) {
	f := &serveFlags{}
	fs := flag.NewFlagSet("mno "+name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.StringVar(&f.sandboxAddr, "sandbox-addr", defaultSandboxAddr, "listen address of the platform sandbox")
	if withApp {
		fs.StringVar(&f.appAddr, "app-addr", defaultAppAddr, "listen address of the demo app")
	}
	fs.StringVar(&f.dataDir, "data", defaultDataDir, "data directory of the sandbox (SQLite database, IdP key)")
	fs.BoolVar(&f.verbose, "v", false, "log requests and SSO decisions to stderr")
	return fs, f
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
	return ln, "http://" + ln.Addr().String(), nil
}

func (m *Main) runDemo(ctx context.Context, args []string) error {
	fs, f := m.flags("demo", true)
	if err := fs.Parse(args); err != nil {
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

	sb, err := sandbox.Open(ctx, sandbox.Config{DataDir: f.dataDir, BaseURL: sbURL, Logger: logger.With("component", "sandbox")})
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
	reg, err := maestrano.AutoConfigure(ctx, maestrano.DevPlatform{
		Host: dp.Host, APIPath: dp.APIPath, EnvKey: dp.EnvKey, EnvSecret: maestrano.Secret(dp.EnvSecret),
	}, maestrano.WithLogger(logger))
	if err != nil {
		shutdown(sbSrv)
		return fmt.Errorf("demo app: auto-configure: %w", err)
	}
	app, err := demo.New(reg, demo.WithLogger(logger.With("component", "demo")))
	if err != nil {
		shutdown(sbSrv)
		return err
	}
	appSrv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second}
	go func() { errc <- serve(appSrv, appLn) }()

	fmt.Fprintf(m.Stdout, "Maestrano sandbox  %s   (admin page: %s/admin)\n", sbURL, sbURL)
	fmt.Fprintf(m.Stdout, "Demo app           %s   (open it and click \"Log in with Maestrano\")\n", appURL)
	fmt.Fprintf(m.Stdout, "Data directory     %s\n", f.dataDir)
	fmt.Fprintln(m.Stdout, "Press Ctrl-C to stop.")

	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shutdown(appSrv)
	shutdown(sbSrv)
	fmt.Fprintln(m.Stdout, "Stopped.")
	return err
}

func (m *Main) runSandbox(ctx context.Context, args []string) error {
	fs, f := m.flags("sandbox", false)
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := f.logger(m)
	ln, sbURL, err := listen(f.sandboxAddr)
	if err != nil {
		return err
	}
	defer ln.Close()
	sb, err := sandbox.Open(ctx, sandbox.Config{DataDir: f.dataDir, BaseURL: sbURL, Logger: logger})
	if err != nil {
		return err
	}
	defer sb.Close()
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- serve(srv, ln) }()
	dp := sb.DevPlatform()
	fmt.Fprintf(m.Stdout, "Maestrano sandbox %s (admin page: %s/admin)\n\n", sbURL, sbURL)
	fmt.Fprintln(m.Stdout, "Configure an app against it with:")
	fmt.Fprintf(m.Stdout, "  export %s=%s\n  export %s=%s\n  export %s=%s\n  export %s=%s\n\n",
		maestrano.EnvDevPlatformHost, dp.Host, maestrano.EnvDevPlatformAPIPath, dp.APIPath,
		maestrano.EnvDevPlatformKey, dp.EnvKey, maestrano.EnvDevPlatformSecret, dp.EnvSecret)
	fmt.Fprintln(m.Stdout, "Press Ctrl-C to stop.")
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shutdown(srv)
	return err
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
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
	}
}
