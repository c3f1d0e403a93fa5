// Command mno runs the local Maestrano platform sandbox and a demo app.
//
//	mno demo      start the sandbox and the demo app, wired together
//	mno sandbox   start the sandbox only, and print the dev-platform settings
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
	"os"
	"os/signal"
	"syscall"
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
	var usage *usageError
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case errors.As(err, &usage):
		fmt.Fprintln(os.Stderr, "mno:", usage.msg)
		fmt.Fprint(os.Stderr, usageText)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "mno:", err)
		os.Exit(1)
	}
}

const usageText = `usage: mno <command> [flags]

commands:
  demo      start the sandbox and the demo app, wired together
  sandbox   start the sandbox only, and print each app's dev-platform settings
            (sandbox env APP prints them as export lines)
  version   print the SDK version
`

// Main is the mno program.
type Main struct {
	// Stdout receives the program's normal output; Stderr receives flag
	// errors and logs.
	Stdout, Stderr io.Writer
}

// NewMain returns a Main writing to the given streams.
func NewMain(stdout, stderr io.Writer) *Main { return &Main{Stdout: stdout, Stderr: stderr} }

type usageError struct{ msg string }

// Error returns the usage problem.
func (e *usageError) Error() string { return e.msg }

// Run runs the command named by args[0] until ctx is done.
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return &usageError{"no command"}
	}
	switch args[0] {
	case "demo":
		return m.runDemo(ctx, args[1:])
	case "sandbox":
		return m.runSandbox(ctx, args[1:])
	case "version":
		return m.runVersion()
	case "-h", "-help", "--help", "help":
		fmt.Fprint(m.Stdout, usageText)
		return nil
	default:
		return &usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
}
