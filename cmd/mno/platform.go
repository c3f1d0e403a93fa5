package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/maestrano-go/maestrano"
)

// platformFlags are the flags of the commands that talk to the platform
// with an app's credentials (config, bills, connec).
type platformFlags struct {
	configFile  string
	marketplace string
	json        bool
	group       string // --group, for the commands scoped to a group
}

// credentialsHelp says where the commands find the credentials.
const credentialsHelp = `Credentials: the developer-platform environment, as the SDK reads it
(maestrano.LoadDevPlatform): the file given with --config (the
dev-platform.json of the original SDKs), then the variables
MNO_DEVPL_HOST, MNO_DEVPL_API_PATH, MNO_DEVPL_ENV_KEY and
MNO_DEVPL_ENV_SECRET, which override it. "mno sandbox" prints them for the
local sandbox.
`

// commandFlags is a flag set with its help text. Flags may come before,
// between or after the positional arguments ([Main.parse]).
type commandFlags struct {
	*flag.FlagSet
	usage, examples string
	note            string   // printed after the examples (credentialsHelp by default)
	args            []string // positional arguments
}

// Args returns the positional arguments.
func (cf *commandFlags) Args() []string { return cf.args }

// NArg returns the number of positional arguments.
func (cf *commandFlags) NArg() int { return len(cf.args) }

// Arg returns positional argument i, or "".
func (cf *commandFlags) Arg(i int) string {
	if i < 0 || i >= len(cf.args) {
		return ""
	}
	return cf.args[i]
}

// newFlags returns a flag set for "mno <name>". Parse errors are reported
// by [Main.parse], never printed by the flag package.
func newFlags(name, usage, examples string) *commandFlags {
	fs := flag.NewFlagSet("mno "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &commandFlags{FlagSet: fs, usage: usage, examples: examples, note: credentialsHelp}
}

// platform adds the flags of the commands that call the platform.
func (cf *commandFlags) platform(withJSON bool) *platformFlags {
	pf := &platformFlags{}
	cf.StringVar(&pf.configFile, "config", "", "dev-platform.json `file` (environment key and secret); MNO_DEVPL_* variables override it")
	cf.StringVar(&pf.marketplace, "marketplace", "", "marketplace `name` (needed when the environment has several)")
	if withJSON {
		cf.BoolVar(&pf.json, "json", false, "print JSON instead of text")
	}
	return pf
}

// group adds --group, the group (customer account) a command works on.
func (cf *commandFlags) group(pf *platformFlags) {
	cf.StringVar(&pf.group, "group", "", "group `uid` (customer account) whose data to use, e.g. cld-1 (required)")
}

// help writes the usage, the flags, the examples and the credentials note.
func (cf *commandFlags) help(w io.Writer) {
	fmt.Fprintf(w, "usage: mno %s\n\nflags:\n", cf.usage)
	cf.SetOutput(w)
	cf.PrintDefaults()
	cf.SetOutput(io.Discard)
	fmt.Fprintf(w, "\nexamples:\n%s\n", cf.examples)
	if cf.note != "" {
		fmt.Fprintf(w, "\n%s", cf.note)
	}
}

// parse parses args. -h/--help prints the help on stdout and ends the
// command with success ([errHelpShown]); a mistake is a usage error (exit
// status 2) that points at --help. want is the number of positional
// arguments (-1: any).
func (m *Main) parse(cf *commandFlags, args []string, want int) error {
	err := cf.parseInterspersed(args)
	if errors.Is(err, flag.ErrHelp) {
		cf.help(m.Stdout)
		return errHelpShown
	}
	if err != nil {
		return &usageError{fmt.Sprintf("%s: %v (see %s --help)", cf.Name(), err, cf.Name())}
	}
	if want >= 0 && cf.NArg() != want {
		return &usageError{fmt.Sprintf("%s: want %d argument(s), got %d (see %s --help)", cf.Name(), want, cf.NArg(), cf.Name())}
	}
	return nil
}

// parseInterspersed parses flags wherever they are among the positional
// arguments ("get organizations ID --group cld-1"); everything after "--"
// is positional.
func (cf *commandFlags) parseInterspersed(args []string) error {
	cf.args = nil
	for {
		if err := cf.Parse(args); err != nil {
			return err
		}
		rest := cf.FlagSet.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			cf.args = append(cf.args, rest...)
			return nil
		}
		if len(rest) == 0 {
			return nil
		}
		cf.args = append(cf.args, rest[0])
		args = rest[1:]
	}
}

// checkReadable returns a usage error (exit status 2) naming flagName when
// the file path given with it cannot be opened and read.
func checkReadable(flagName, path, fix string) error {
	f, err := os.Open(path)
	if err == nil {
		var b [1]byte
		_, err = f.Read(b[:])
		f.Close()
		if errors.Is(err, io.EOF) {
			err = nil
		}
	}
	if err != nil {
		return &usageError{fmt.Sprintf("%s: %v\n  fix: %s", flagName, err, fix)}
	}
	return nil
}

// errHelpShown ends a command whose help was printed; Run turns it into
// success.
var errHelpShown = errors.New("help shown")

// registry fetches the marketplaces of the environment.
func (m *Main) registry(ctx context.Context, pf *platformFlags) (*maestrano.Registry, error) {
	if pf.configFile != "" {
		if err := checkReadable("--config", pf.configFile, "give the path of a dev-platform.json file, or drop --config and set the MNO_DEVPL_* variables"); err != nil {
			return nil, err
		}
	}
	dp, err := maestrano.LoadDevPlatform(pf.configFile, m.Getenv)
	if err != nil {
		return nil, fmt.Errorf("%w\n  fix: set %s and %s (\"mno sandbox\" prints them for the local sandbox), or pass --config dev-platform.json",
			err, maestrano.EnvDevPlatformKey, maestrano.EnvDevPlatformSecret)
	}
	opts := []maestrano.Option{}
	if m.HTTPClient != nil {
		opts = append(opts, maestrano.WithHTTPClient(m.HTTPClient))
	}
	reg, err := maestrano.AutoConfigure(ctx, dp, opts...)
	if err != nil {
		var apiErr *maestrano.APIError
		if errors.As(err, &apiErr) && apiErr.StatusCode == 401 {
			return nil, fmt.Errorf("%w\n  fix: check %s and %s: the developer platform refused them", err, maestrano.EnvDevPlatformKey, maestrano.EnvDevPlatformSecret)
		}
		return nil, err
	}
	return reg, nil
}

// marketplace returns the marketplace chosen with --marketplace, or the
// only one.
func (m *Main) marketplace(ctx context.Context, pf *platformFlags) (*maestrano.Marketplace, error) {
	reg, err := m.registry(ctx, pf)
	if err != nil {
		return nil, err
	}
	names := reg.Names()
	switch {
	case pf.marketplace != "":
		return namedMarketplace(reg, pf.marketplace)
	case len(names) == 1:
		return reg.Get(names[0])
	case len(names) == 0:
		return nil, errors.New("the developer platform lists no marketplace for this environment\n  fix: publish the app on a marketplace, or check the environment credentials")
	default:
		return nil, &usageError{fmt.Sprintf("the environment has %d marketplaces (%s): choose one with --marketplace", len(names), strings.Join(names, ", "))}
	}
}

// namedMarketplace returns the marketplace given with --marketplace; an
// unknown name gets the list of known ones.
func namedMarketplace(reg *maestrano.Registry, name string) (*maestrano.Marketplace, error) {
	mp, err := reg.Get(name)
	if err != nil {
		return nil, fmt.Errorf("%w\n  fix: pass --marketplace with one of: %s", err, strings.Join(reg.Names(), ", "))
	}
	return mp, nil
}

// printJSON writes v indented, one document.
func (m *Main) printJSON(v any) error {
	enc := json.NewEncoder(m.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// maskSecret shows enough of a secret to tell two apart, never enough to
// use it: its length and last four characters (none for short ones).
func maskSecret(s maestrano.Secret) string {
	v := s.Reveal()
	switch {
	case v == "":
		return ""
	case len(v) < 16:
		return fmt.Sprintf("[redacted, %d chars]", len(v))
	default:
		return fmt.Sprintf("[redacted, %d chars, ends %s]", len(v), v[len(v)-4:])
	}
}
