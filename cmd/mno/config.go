package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/maestrano-go/maestrano"
)

const configHelp = `usage: mno config show [flags]

Shows what the developer platform returns for the environment: one block
per marketplace the app is published on, secrets masked.

examples:
  eval "$(mno sandbox env app-1)"     # point at a running sandbox
  mno config show
  mno config show --json --marketplace maestrano
  mno config show --config dev-platform.json

Run "mno config show --help" for the flags.
`

func (m *Main) runConfig(ctx context.Context, args []string) error {
	return m.subcommand(args, configHelp, map[string]func([]string) error{
		"show": func(args []string) error { return m.runConfigShow(ctx, args) },
	})
}

// subcommand runs the subcommand named by args[0]; "help", -h and --help
// print help.
func (m *Main) subcommand(args []string, help string, cmds map[string]func([]string) error) error {
	if len(args) == 0 {
		return &usageError{"missing subcommand\n" + help}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(m.Stdout, help)
		return nil
	}
	run, ok := cmds[args[0]]
	if !ok {
		return &usageError{fmt.Sprintf("unknown subcommand %q\n%s", args[0], help)}
	}
	return run(args[1:])
}

func (m *Main) runConfigShow(ctx context.Context, args []string) error {
	cf := newFlags("config show", "config show [--marketplace NAME] [--json] [--config FILE]", `  # what the local sandbox publishes (after: eval "$(mno sandbox env app-1)" or the exports it printed)
  mno config show
  # one marketplace, as JSON
  mno config show --marketplace maestrano --json
  # from a dev-platform.json file
  mno config show --config dev-platform.json`)
	pf := cf.platform(true)
	if err := m.parse(cf, args, 0); err != nil {
		return err
	}
	reg, err := m.registry(ctx, pf)
	if err != nil {
		return err
	}
	names := reg.Names()
	if pf.marketplace != "" {
		if _, err := namedMarketplace(reg, pf.marketplace); err != nil {
			return err
		}
		names = []string{pf.marketplace}
	}
	mps := make([]*maestrano.Marketplace, 0, len(names))
	for _, n := range names {
		mp, _ := reg.Get(n)
		// The copy is the command's own: mask the key before it prints.
		mp.API.Key = maestrano.Secret(maskSecret(mp.API.Key))
		mps = append(mps, mp)
	}
	if pf.json {
		return m.printJSON(map[string]any{"marketplaces": mps})
	}
	if len(mps) == 0 {
		fmt.Fprintln(m.Stdout, "The developer platform lists no marketplace for this environment.")
		return nil
	}
	for i, mp := range mps {
		if i > 0 {
			fmt.Fprintln(m.Stdout)
		}
		printMarketplace(m.Stdout, mp)
	}
	return nil
}

func printMarketplace(w io.Writer, mp *maestrano.Marketplace) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", k, v)
	}
	fmt.Fprintf(tw, "marketplace %s\n", mp.Name)
	row("nid", mp.NID)
	row("environment", mp.Environment)
	row("app.host", mp.App.Host)
	row("api.id", mp.API.ID)
	row("api.key", mp.API.Key.Reveal()) // already masked
	row("api.host", mp.API.Host)
	row("api.base", mp.API.Base)
	row("sso.idm", mp.SSO.IDM)
	row("sso.init_path", mp.SSO.InitPath)
	row("sso.consume_path", mp.SSO.ConsumePath)
	row("sso.idp", mp.SSO.IDP)
	row("sso.x509_fingerprint", mp.SSO.X509Fingerprint)
	if cert, err := mp.Certificate(); err == nil {
		row("sso.x509_certificate", fmt.Sprintf("%s, valid until %s", cert.Subject, cert.NotAfter.UTC().Format(time.DateOnly)))
	} else {
		row("sso.x509_certificate", "unreadable: "+err.Error())
	}
	row("connec.host", mp.Connec.Host)
	row("connec.base_path", mp.Connec.BasePath)
	if mp.Connec.Timeout > 0 {
		row("connec.timeout", fmt.Sprintf("%ds", mp.Connec.Timeout))
	}
	row("webhooks.account.group_path", mp.Webhooks.Account.GroupPath)
	row("webhooks.account.group_user_path", mp.Webhooks.Account.GroupUserPath)
	row("webhooks.connec.notification_path", mp.Webhooks.Connec.NotificationPath)
	row("webhooks.connec.external_ids", fmt.Sprint(mp.Webhooks.Connec.ExternalIDs))
	tw.Flush()
}
