package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/maestrano-go/maestrano/account"
)

const billsHelp = `usage: mno bills <list|create|cancel> [flags]

  list     list the app's bills (or recurring bills) on the marketplace
  create   charge a group a one-off (or recurring) bill
  cancel   cancel a bill (or a recurring bill) by id

Run "mno bills <subcommand> --help" for the flags and examples.
`

func (m *Main) runBills(ctx context.Context, args []string) error {
	return m.subcommand(args, billsHelp, map[string]func([]string) error{
		"list":   func(args []string) error { return m.runBillsList(ctx, args) },
		"create": func(args []string) error { return m.runBillsCreate(ctx, args) },
		"cancel": func(args []string) error { return m.runBillsCancel(ctx, args) },
	})
}

// accountClient builds the account API client of the chosen marketplace.
func (m *Main) accountClient(ctx context.Context, pf *platformFlags) (*account.Client, error) {
	mp, err := m.marketplace(ctx, pf)
	if err != nil {
		return nil, err
	}
	var opts []account.Option
	if m.HTTPClient != nil {
		opts = append(opts, account.WithHTTPClient(m.HTTPClient))
	}
	return account.New(mp, opts...)
}

func (m *Main) runBillsList(ctx context.Context, args []string) error {
	cf := newFlags("bills list", "bills list [--group UID] [--status STATUS] [--recurring] [--json]", `  mno bills list
  mno bills list --group cld-1 --status submitted
  mno bills list --recurring --json`)
	pf := cf.platform(true)
	group := cf.String("group", "", "only the bills of this group `uid`, e.g. cld-1")
	status := cf.String("status", "", "only bills with this `status` (submitted, invoiced, cancelled; recurring: submitted, active, expired, cancelled)")
	recurring := cf.Bool("recurring", false, "list recurring bills instead of one-off bills")
	if err := m.parse(cf, args, 0); err != nil {
		return err
	}
	c, err := m.accountClient(ctx, pf)
	if err != nil {
		return err
	}
	opts := &account.ListOptions{GroupID: *group}
	if *status != "" {
		opts.Where("status", account.Eq, *status)
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	if *recurring {
		bills, err := c.RecurringBills.List(ctx, opts)
		if err != nil {
			return accountProblem(err)
		}
		if pf.json {
			return m.printJSON(nonNil(bills))
		}
		fmt.Fprintln(tw, "ID\tGROUP\tSTATUS\tAMOUNT\tEVERY\tSTART\tDESCRIPTION")
		for _, b := range bills {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d %s\t%s\t%s\n", b.ID, b.GroupID, b.Status, cents(b.PriceCents, b.Currency), max(b.Frequency, 1), b.Period, day(b.StartDate), b.Description)
		}
		return tw.Flush()
	}
	bills, err := c.Bills.List(ctx, opts)
	if err != nil {
		return accountProblem(err)
	}
	if pf.json {
		return m.printJSON(nonNil(bills))
	}
	fmt.Fprintln(tw, "ID\tGROUP\tSTATUS\tAMOUNT\tCREATED\tDESCRIPTION")
	for _, b := range bills {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", b.ID, b.GroupID, b.Status, cents(b.PriceCents, b.Currency), day(b.CreatedAt), b.Description)
	}
	return tw.Flush()
}

func (m *Main) runBillsCreate(ctx context.Context, args []string) error {
	cf := newFlags("bills create", "bills create --group UID --price-cents N --description TEXT [flags]", `  # charge Acme Corp 12.50 USD once
  mno bills create --group cld-1 --price-cents 1250 --currency USD --description "Extra storage"
  # a monthly subscription of 9.99, for 12 months
  mno bills create --recurring --group cld-1 --price-cents 999 --period month --cycles 12 --description "Pro plan"`)
	pf := cf.platform(true)
	group := cf.String("group", "", "group `uid` to charge (required), e.g. cld-1")
	price := cf.Int64("price-cents", 0, "price in `cents` (required, > 0)")
	desc := cf.String("description", "", "what is billed (required)")
	currency := cf.String("currency", "", "ISO 4217 `code`; empty means the platform's default")
	units := cf.Float64("units", 0, "quantity (one-off bills; 0 means 1)")
	recurring := cf.Bool("recurring", false, "create a recurring bill")
	period := cf.String("period", "month", "recurring: cycle `unit` (day, week, semimonth, month, year)")
	frequency := cf.Int("frequency", 1, "recurring: periods per cycle")
	cycles := cf.Int("cycles", 0, "recurring: number of cycles (0: unlimited)")
	if err := m.parse(cf, args, 0); err != nil {
		return err
	}
	var missing []string
	if *group == "" {
		missing = append(missing, "--group")
	}
	if *price <= 0 {
		missing = append(missing, "--price-cents (> 0)")
	}
	if strings.TrimSpace(*desc) == "" {
		missing = append(missing, "--description")
	}
	if len(missing) > 0 {
		return &usageError{"mno bills create: missing " + strings.Join(missing, ", ") + " (see mno bills create --help)"}
	}
	c, err := m.accountClient(ctx, pf)
	if err != nil {
		return err
	}
	if *recurring {
		req := account.RecurringBillRequest{GroupID: *group, PriceCents: *price, Description: *desc, Currency: *currency,
			Period: account.Period(strings.ToLower(*period)), Frequency: *frequency}
		if *cycles > 0 {
			req.Cycles = cycles
		}
		b, err := c.RecurringBills.Create(ctx, req)
		if err != nil {
			return accountProblem(err)
		}
		if pf.json {
			return m.printJSON(b)
		}
		fmt.Fprintf(m.Stdout, "%s\t%s\t%s every %d %s\n", b.ID, b.Status, cents(b.PriceCents, b.Currency), max(b.Frequency, 1), b.Period)
		return nil
	}
	b, err := c.Bills.Create(ctx, account.BillRequest{GroupID: *group, PriceCents: *price, Description: *desc, Currency: *currency, Units: *units})
	if err != nil {
		return accountProblem(err)
	}
	if pf.json {
		return m.printJSON(b)
	}
	fmt.Fprintf(m.Stdout, "%s\t%s\t%s\n", b.ID, b.Status, cents(b.PriceCents, b.Currency))
	return nil
}

func (m *Main) runBillsCancel(ctx context.Context, args []string) error {
	cf := newFlags("bills cancel", "bills cancel [--recurring] ID", `  mno bills cancel bill-3
  mno bills cancel --recurring rbill-1`)
	pf := cf.platform(true)
	recurring := cf.Bool("recurring", false, "the id is a recurring bill's")
	if err := m.parse(cf, args, 1); err != nil {
		return err
	}
	c, err := m.accountClient(ctx, pf)
	if err != nil {
		return err
	}
	id := cf.Arg(0)
	var out any
	var status string
	if *recurring {
		b, err := c.RecurringBills.Cancel(ctx, id)
		if err != nil {
			return accountProblem(err)
		}
		out, status = b, b.Status
	} else {
		b, err := c.Bills.Cancel(ctx, id)
		if err != nil {
			return accountProblem(err)
		}
		out, status = b, b.Status
	}
	if pf.json {
		return m.printJSON(out)
	}
	fmt.Fprintf(m.Stdout, "%s\t%s\n", id, status)
	return nil
}

// accountProblem adds what to do to an account API error.
func accountProblem(err error) error {
	var apiErr *account.APIError
	if !errors.As(err, &apiErr) {
		return fmt.Errorf("%w\n  fix: check that the platform (api.host, see mno config show) is reachable", err)
	}
	switch apiErr.Kind {
	case account.KindAuthentication:
		return fmt.Errorf("%w\n  fix: the platform refused the app's api.id/api.key; check the environment (mno config show)", err)
	case account.KindNotFound:
		return fmt.Errorf("%w\n  fix: check the id (mno bills list shows the app's bills)", err)
	case account.KindValidation:
		var lines []string
		for _, f := range slices.Sorted(maps.Keys(apiErr.Errors)) {
			lines = append(lines, "  "+f+": "+strings.Join(apiErr.Errors[f], ", "))
		}
		return fmt.Errorf("%w\n  fix the request:\n%s", err, strings.Join(lines, "\n"))
	}
	return err
}

func cents(n int64, currency string) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, n/100, n%100, currency)
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.DateOnly)
}

// nonNil makes an empty list print as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
