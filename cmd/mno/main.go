// Command mno runs the local Maestrano platform sandbox and a demo app.
//
//	mno demo      start the sandbox and the demo app, wired together
//	mno sandbox   start the sandbox only, and print the dev-platform settings
//	mno config    show what the developer platform returns (secrets masked)
//	mno saml      verify or decode SAML messages offline
//	mno connec    read, write and export a group's Connec! data
//	mno bills     list, create and cancel bills of a group
//	mno version   print the SDK version
//
// Run "mno <command> -h" for the flags of a command.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first Ctrl-C, restore the default: a second one kills.
		<-ctx.Done()
		stop()
	}()
	err := NewMain(os.Stdout, os.Stderr).Run(ctx, os.Args[1:])
	stop()
	os.Exit(report(os.Stderr, err))
}

// report prints err and returns the exit status: 0 success, 1 failure,
// 2 usage (bad command line).
func report(w io.Writer, err error) int {
	var (
		usage   *usageError
		command *commandError
	)
	var exit *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if exit.err != nil {
			fmt.Fprintln(w, prefixed(exit.err.Error()))
		}
		return exit.code
	case errors.Is(err, flag.ErrHelp):
		return 2
	case errors.As(err, &command):
		fmt.Fprintln(w, prefixed(command.msg))
		fmt.Fprint(w, usageText)
		return 2
	case errors.As(err, &usage):
		fmt.Fprintln(w, prefixed(usage.msg))
		return 2
	default:
		fmt.Fprintln(w, prefixed(err.Error()))
		return 1
	}
}

// prefixed puts "mno: " before msg unless it already names the command
// ("mno bills create: ...").
func prefixed(msg string) string {
	if strings.HasPrefix(msg, "mno ") {
		return msg
	}
	return "mno: " + msg
}

const usageText = `usage: mno <command> [flags]

commands:
  demo      start the sandbox and the demo app, wired together
  sandbox   start the sandbox only, and print each app's dev-platform settings
            (sandbox env APP prints them as export lines)
  config    show what the developer platform returns (secrets masked)
  saml      verify or decode SAML messages offline (mno saml -h)
  connec    get, list, create, update and export a group's Connec! data
  bills     list, create and cancel bills of a group
  version   print the SDK version

Run "mno <command> --help" for the flags and examples of a command.
`

// Main is the mno program.
type Main struct {
	// Stdout receives the program's normal output; Stderr receives flag
	// errors and logs.
	Stdout, Stderr io.Writer
	// Getenv reads the MNO_DEVPL_* credentials (os.Getenv by default).
	Getenv func(string) string
	// HTTPClient, when set, makes the platform calls (nil: the SDK's default).
	HTTPClient *http.Client
	// StderrIsTerminal says whether progress may be drawn on Stderr.
	StderrIsTerminal bool
	// Stdin is read by commands that take input ("-"); nil means os.Stdin.
	Stdin io.Reader
}

// NewMain returns a Main writing to the given streams.
func NewMain(stdout, stderr io.Writer) *Main {
	m := &Main{Stdout: stdout, Stderr: stderr, Getenv: os.Getenv}
	if f, ok := stderr.(*os.File); ok {
		m.StderrIsTerminal = term.IsTerminal(int(f.Fd()))
	}
	return m
}

type usageError struct{ msg string }

// commandError says the command itself is missing or unknown: the list of
// commands follows it.
type commandError struct{ msg string }

// Error returns the usage problem.
func (e *commandError) Error() string { return e.msg }

// Error returns the usage problem.
func (e *usageError) Error() string { return e.msg }

// Run runs the command named by args[0] until ctx is done.
func (m *Main) Run(ctx context.Context, args []string) error {
	err := m.run(ctx, args)
	if errors.Is(err, errHelpShown) {
		return nil
	}
	return err
}

func (m *Main) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return &commandError{"no command"}
	}
	switch args[0] {
	case "demo":
		return m.runDemo(ctx, args[1:])
	case "sandbox":
		return m.runSandbox(ctx, args[1:])
	case "saml":
		return m.runSAML(ctx, args[1:])
	case "version":
		return m.runVersion(args[1:])
	case "config":
		return m.runConfig(ctx, args[1:])
	case "connec":
		return m.runConnec(ctx, args[1:])
	case "bills":
		return m.runBills(ctx, args[1:])

	case "-h", "-help", "--help", "help":
		fmt.Fprint(m.Stdout, usageText)
		return nil
	default:
		return &commandError{fmt.Sprintf("unknown command %q", args[0])}
	}
}
