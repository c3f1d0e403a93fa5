package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/connec"
)

const connecHelp = `usage: mno connec <get|list|create|update|export> [flags]

  get      print one record of a group's collection
  list     list one page of a group's collection
  create   create a record from JSON
  update   merge JSON into a record
  export   write every record of a collection as JSON Lines

Collections: organizations, people, items, invoices, payments, accounts,
tax_codes, company (get and update only, without an id), and any other
Connec! collection by name.

Run "mno connec <subcommand> --help" for the flags and examples.
`

// maxRecordInput bounds the JSON read by create and update.
const maxRecordInput = 8 << 20

func (m *Main) runConnec(ctx context.Context, args []string) error {
	return m.subcommand(args, connecHelp, map[string]func([]string) error{
		"get":    func(args []string) error { return m.runConnecGet(ctx, args) },
		"list":   func(args []string) error { return m.runConnecList(ctx, args) },
		"create": func(args []string) error { return m.runConnecWrite(ctx, "create", args) },
		"update": func(args []string) error { return m.runConnecWrite(ctx, "update", args) },
		"export": func(args []string) error { return m.runConnecExport(ctx, args) },
	})
}

// connecClient builds the Connec! client of the chosen marketplace and
// --group.
func (m *Main) connecClient(ctx context.Context, cf *commandFlags, pf *platformFlags) (*connec.Client, error) {
	if pf.group == "" {
		return nil, &usageError{fmt.Sprintf("%s: --group is required: the group (customer account) whose data to use, e.g. --group cld-1 (see %s --help)", cf.Name(), cf.Name())}
	}
	mp, err := m.marketplace(ctx, pf)
	if err != nil {
		return nil, err
	}
	var opts []connec.Option
	if m.HTTPClient != nil {
		opts = append(opts, connec.WithHTTPClient(m.HTTPClient))
	}
	c, err := connec.New(mp, pf.group, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w\n  fix: check the marketplace's connec.host and api credentials (mno config show)", err)
	}
	return c, nil
}

// collectionArg checks a collection name given on the command line.
func collectionArg(cf *commandFlags, name string) error {
	if name == connec.CollectionCompany {
		return nil
	}
	valid := name != ""
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			valid = false
		}
	}
	if !valid {
		return &usageError{fmt.Sprintf("%s: %q is not a collection name such as organizations, people or invoices (see %s --help)", cf.Name(), name, cf.Name())}
	}
	return nil
}

// connecProblem adds what to do to a Connec! error.
func connecProblem(err error, pf *platformFlags, collection, id string) error {
	var (
		apiErr *connec.APIError
		conn   *maestrano.ConnectionError
		dec    *connec.DecodeError
	)
	switch {
	case errors.Is(err, connec.ErrUnauthorized), errors.Is(err, connec.ErrForbidden):
		return fmt.Errorf("%w\n  fix: Connec! refused the app for group %s: check --group (a group that has the app) and the environment's credentials (mno config show)", err, pf.group)
	case errors.Is(err, connec.ErrNotFound) && id != "":
		return fmt.Errorf("%w\n  fix: check the id: mno connec list %s --group %s lists the records", err, collection, pf.group)
	case errors.Is(err, connec.ErrNotFound):
		return fmt.Errorf("%w\n  fix: check the collection name (organizations, people, invoices, ...)", err)
	case errors.Is(err, connec.ErrBadRequest), errors.Is(err, connec.ErrConflict):
		var lines []string
		if errors.As(err, &apiErr) && len(apiErr.Errors) > 1 {
			for _, it := range apiErr.Errors {
				lines = append(lines, "\n    "+strings.Trim(it.Title+": "+it.Detail, ": "))
			}
		}
		return fmt.Errorf("%w\n  fix the request (the record or the query) as Connec! says%s", err, strings.Join(lines, ""))
	case errors.Is(err, connec.ErrRateLimited):
		return fmt.Errorf("%w\n  fix: wait a minute and run the command again", err)
	case errors.As(err, &conn):
		return fmt.Errorf("%w\n  fix: check that Connec! (connec.host, see mno config show) is reachable; for the local sandbox, is mno sandbox running?", err)
	case errors.As(err, &dec):
		return fmt.Errorf("%w\n  fix: connec.host may not be a Connec! API (see mno config show)", err)
	}
	return err
}

// queryFlags are the flags that build a list query.
type queryFlags struct {
	where        []string
	orderBy      []string
	search       string
	updatedSince string
}

func (cf *commandFlags) query() *queryFlags {
	qf := &queryFlags{}
	cf.Func("where", "filter `'FIELD OP VALUE'`, OP one of eq ne gt ge lt le (repeatable; joined with and); VALUE is a number, true, false, null, or text ('quotes' optional)", func(s string) error {
		qf.where = append(qf.where, s)
		return nil
	})
	cf.Func("orderby", "sort by `'FIELD [asc|desc]'` (repeatable)", func(s string) error {
		qf.orderBy = append(qf.orderBy, s)
		return nil
	})
	cf.StringVar(&qf.search, "search", "", "free-text `search`")
	cf.StringVar(&qf.updatedSince, "updated-since", "", "only records updated after this RFC 3339 `time`, e.g. 2030-01-02T15:04:05Z")
	return qf
}

// build turns the flags into a query; a mistake is a usage error.
func (qf *queryFlags) build(cf *commandFlags) (connec.Query, error) {
	var q connec.Query
	bad := func(format string, args ...any) (connec.Query, error) {
		return q, &usageError{fmt.Sprintf("%s: %s (see %s --help)", cf.Name(), fmt.Sprintf(format, args...), cf.Name())}
	}
	for _, w := range qf.where {
		field, rest, ok := strings.Cut(strings.TrimSpace(w), " ")
		op, value, ok2 := strings.Cut(strings.TrimSpace(rest), " ")
		if !ok || !ok2 {
			return bad("--where %q: want 'FIELD OP VALUE', e.g. --where \"name eq 'Acme Corp'\"", w)
		}
		o := connec.Op(strings.ToLower(op))
		if !slices.Contains([]connec.Op{connec.Eq, connec.Ne, connec.Gt, connec.Ge, connec.Lt, connec.Le}, o) {
			return bad("--where %q: unknown operator %q (eq ne gt ge lt le)", w, op)
		}
		q = q.Where(field, o, filterValue(strings.TrimSpace(value)))
	}
	for _, s := range qf.orderBy {
		field, dir, _ := strings.Cut(strings.TrimSpace(s), " ")
		d := connec.Asc
		switch strings.ToLower(strings.TrimSpace(dir)) {
		case "", "asc":
		case "desc":
			d = connec.Desc
		default:
			return bad("--orderby %q: the direction is asc or desc", s)
		}
		q = q.OrderBy(field, d)
	}
	if qf.search != "" {
		q = q.Search(qf.search)
	}
	if qf.updatedSince != "" {
		t, err := time.Parse(time.RFC3339, qf.updatedSince)
		if err != nil {
			return bad("--updated-since %q is not an RFC 3339 time such as 2030-01-02T15:04:05Z", qf.updatedSince)
		}
		q = q.UpdatedSince(t)
	}
	if err := q.Err(); err != nil {
		return bad("%v", err)
	}
	return q, nil
}

// filterValue reads the VALUE of --where: 'quoted text' is text, numbers,
// booleans and null are themselves, anything else is text.
func filterValue(s string) any {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	}
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return json.Number(s)
	}
	return s
}

func (m *Main) runConnecGet(ctx context.Context, args []string) error {
	cf := newFlags("connec get", "connec get COLLECTION ID --group UID [--json]", `  mno connec get organizations 1f0c5a2e-... --group cld-1
  mno connec get people 7a9d... --group cld-1 --json
  # the group's own company (no id)
  mno connec get company --group cld-1`)
	pf := cf.platform(true)
	cf.group(pf)
	if err := m.parse(cf, args, -1); err != nil {
		return err
	}
	coll, id, err := collectionAndID(cf, true)
	if err != nil {
		return err
	}
	c, err := m.connecClient(ctx, cf, pf)
	if err != nil {
		return err
	}
	var rec json.RawMessage
	if coll == connec.CollectionCompany {
		var v connec.Company
		if v, err = c.Company(ctx); err == nil {
			rec, err = json.Marshal(v)
		}
	} else {
		rec, err = c.Collection(coll).Get(ctx, id)
	}
	if err != nil {
		return connecProblem(err, pf, coll, id)
	}
	if pf.json {
		return m.printRaw(rec)
	}
	return printRecord(m.Stdout, rec)
}

// collectionAndID reads the positional COLLECTION and ID; company has no
// id.
func collectionAndID(cf *commandFlags, needID bool) (coll, id string, err error) {
	if cf.NArg() == 0 {
		return "", "", &usageError{fmt.Sprintf("%s: missing COLLECTION (see %s --help)", cf.Name(), cf.Name())}
	}
	coll = cf.Arg(0)
	if err := collectionArg(cf, coll); err != nil {
		return "", "", err
	}
	want := 1
	if needID && coll != connec.CollectionCompany {
		want = 2
	}
	if cf.NArg() != want {
		what := "COLLECTION ID"
		if want == 1 {
			what = "COLLECTION"
		}
		return "", "", &usageError{fmt.Sprintf("%s: want %s, got %d argument(s) (see %s --help)", cf.Name(), what, cf.NArg(), cf.Name())}
	}
	if want == 2 {
		id = cf.Arg(1)
	}
	return coll, id, nil
}

func (m *Main) runConnecList(ctx context.Context, args []string) error {
	cf := newFlags("connec list", "connec list COLLECTION --group UID [--where 'F OP V'] [--top N] [--skip N] [--json]", `  mno connec list organizations --group cld-1
  mno connec list people --group cld-1 --where "last_name eq 'Lovelace'" --orderby "first_name"
  # the next page, as JSON
  mno connec list invoices --group cld-1 --top 50 --skip 50 --json`)
	pf := cf.platform(true)
	cf.group(pf)
	qf := cf.query()
	top := cf.Int("top", 25, "`N` records per page (1-1000)")
	skip := cf.Int("skip", 0, "skip the first `N` records")
	if err := m.parse(cf, args, -1); err != nil {
		return err
	}
	coll, _, err := collectionAndID(cf, false)
	if err != nil {
		return err
	}
	if coll == connec.CollectionCompany {
		return &usageError{"mno connec list: company is a single record: use mno connec get company --group " + pf.group}
	}
	if *top < 1 || *top > 1000 || *skip < 0 {
		return &usageError{"mno connec list: --top must be 1-1000 and --skip not negative (see mno connec list --help)"}
	}
	q, err := qf.build(cf)
	if err != nil {
		return err
	}
	c, err := m.connecClient(ctx, cf, pf)
	if err != nil {
		return err
	}
	page, err := c.Collection(coll).List(ctx, q.Top(*top).Skip(*skip))
	if err != nil {
		return connecProblem(err, pf, coll, "")
	}
	if pf.json {
		return m.printJSON(map[string]any{coll: nonNil(page.Items), "pagination": page.Pagination})
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCODE\tNAME\tUPDATED")
	for _, rec := range page.Items {
		s := summarize(rec)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.ID, dash(s.Code), dash(s.Name), dash(s.Updated))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	pg := page.Pagination
	switch {
	case len(page.Items) == 0:
		fmt.Fprintf(m.Stdout, "no %s (total %d)\n", coll, pg.Total)
	default:
		fmt.Fprintf(m.Stdout, "%d-%d of %d", *skip+1, *skip+len(page.Items), pg.Total)
		if pg.Next != "" || *skip+len(page.Items) < pg.Total {
			fmt.Fprintf(m.Stdout, "; next page: --skip %d", *skip+len(page.Items))
		}
		fmt.Fprintln(m.Stdout)
	}
	return nil
}

func (m *Main) runConnecWrite(ctx context.Context, verb string, args []string) error {
	usage, examples := "connec create COLLECTION --group UID (--data JSON | --file FILE)", `  mno connec create organizations --group cld-1 --data '{"name":"Acme Corp","is_customer":true}'
  # from a file, or from stdin with --file -
  mno connec create people --group cld-1 --file ada.json
  echo '{"first_name":"Ada"}' | mno connec create people --group cld-1 --file -`
	if verb == "update" {
		usage, examples = "connec update COLLECTION ID --group UID (--data JSON | --file FILE)", `  # the API merges: members absent from the JSON keep their value
  mno connec update organizations 1f0c5a2e-... --group cld-1 --data '{"industry":"Shipping"}'
  mno connec update company --group cld-1 --file company.json`
	}
	cf := newFlags("connec "+verb, usage, examples)
	pf := cf.platform(true)
	cf.group(pf)
	data := cf.String("data", "", "the record as a JSON `object`")
	file := cf.String("file", "", "read the JSON object from `FILE` (- for stdin)")
	if err := m.parse(cf, args, -1); err != nil {
		return err
	}
	coll, id, err := collectionAndID(cf, verb == "update")
	if err != nil {
		return err
	}
	if verb == "create" && coll == connec.CollectionCompany {
		return &usageError{"mno connec create: company exists once per group: use mno connec update company"}
	}
	rec, err := m.readRecord(cf, *data, *file)
	if err != nil {
		return err
	}
	c, err := m.connecClient(ctx, cf, pf)
	if err != nil {
		return err
	}
	var out json.RawMessage
	switch {
	case coll == connec.CollectionCompany:
		var v connec.Company
		if err = json.Unmarshal(rec, &v); err == nil {
			if v, err = c.UpdateCompany(ctx, v); err == nil {
				out, err = json.Marshal(v)
			}
		} else {
			return &usageError{fmt.Sprintf("mno connec update: the company JSON does not fit the company record: %v", err)}
		}
	case verb == "update":
		out, err = c.Collection(coll).Update(ctx, id, rec)
	default:
		out, err = c.Collection(coll).Create(ctx, rec)
	}
	if err != nil {
		if verb == "create" && !errors.As(err, new(*connec.APIError)) {
			err = fmt.Errorf("%w\n  note: the record may have been created anyway; look for it (mno connec list %s --group %s) before trying again", err, coll, pf.group)
		}
		return connecProblem(err, pf, coll, id)
	}
	if pf.json {
		return m.printRaw(out)
	}
	s := summarize(out)
	fmt.Fprintf(m.Stdout, "%sd %s %s", verb, coll, s.ID)
	if s.Name != "" {
		fmt.Fprintf(m.Stdout, " (%s)", s.Name)
	}
	fmt.Fprintln(m.Stdout)
	return nil
}

// readRecord reads the JSON object of --data or --file.
func (m *Main) readRecord(cf *commandFlags, data, file string) (json.RawMessage, error) {
	var raw []byte
	switch {
	case data != "" && file != "":
		return nil, &usageError{fmt.Sprintf("%s: give --data or --file, not both", cf.Name())}
	case data != "":
		raw = []byte(data)
	case file != "":
		var r io.Reader
		if file == "-" {
			r = m.stdin()
		} else {
			f, err := os.Open(file)
			if err != nil {
				return nil, &usageError{fmt.Sprintf("%s: --file: %v\n  fix: give the path of a JSON file, or - for stdin", cf.Name(), err)}
			}
			defer f.Close()
			r = f
		}
		b, err := io.ReadAll(io.LimitReader(r, maxRecordInput+1))
		if err != nil {
			if file != "-" {
				return nil, &usageError{fmt.Sprintf("%s: --file: %v\n  fix: give the path of a JSON file, or - for stdin", cf.Name(), err)}
			}
			return nil, fmt.Errorf("%s: reading stdin: %w", cf.Name(), err)
		}
		if len(b) > maxRecordInput {
			return nil, &usageError{fmt.Sprintf("%s: %s is larger than %d MiB", cf.Name(), file, maxRecordInput>>20)}
		}
		raw = b
	default:
		return nil, &usageError{fmt.Sprintf("%s: missing the record: give --data '{...}' or --file FILE (see %s --help)", cf.Name(), cf.Name())}
	}
	raw = bytes.TrimSpace(raw)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		msg := "is not a JSON object"
		if err != nil {
			msg += ": " + err.Error()
		}
		return nil, &usageError{fmt.Sprintf("%s: the record %s (for example {\"name\":\"Acme Corp\"})", cf.Name(), msg)}
	}
	return raw, nil
}

func (m *Main) runConnecExport(ctx context.Context, args []string) error {
	cf := newFlags("connec export", "connec export COLLECTION --group UID [--where 'F OP V'] [--page-size N] > FILE.jsonl", `  # every organization of the group, one JSON object per line
  mno connec export organizations --group cld-1 > organizations.jsonl
  # what changed since a time, 200 records per request
  mno connec export invoices --group cld-1 --updated-since 2030-01-01T00:00:00Z --page-size 200 | jq .title`)
	pf := cf.platform(false)
	cf.group(pf)
	qf := cf.query()
	pageSize := cf.Int("page-size", 100, "`N` records per request (1-1000)")
	cf.Bool("json", true, "accepted for symmetry with the read commands: the output is always JSON Lines")
	if err := m.parse(cf, args, -1); err != nil {
		return err
	}
	coll, _, err := collectionAndID(cf, false)
	if err != nil {
		return err
	}
	if coll == connec.CollectionCompany {
		return &usageError{"mno connec export: company is a single record: use mno connec get company --json"}
	}
	if *pageSize < 1 || *pageSize > 1000 {
		return &usageError{"mno connec export: --page-size must be 1-1000"}
	}
	q, err := qf.build(cf)
	if err != nil {
		return err
	}
	c, err := m.connecClient(ctx, cf, pf)
	if err != nil {
		return err
	}
	col := c.Collection(coll)
	var bar *progressbar.ProgressBar
	if m.StderrIsTerminal {
		// One small request for the total, so the bar can show it.
		total := int64(-1)
		if first, err := col.List(ctx, q.Top(1)); err == nil && first.Pagination.Total > 0 {
			total = int64(first.Pagination.Total)
		}
		bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(m.Stderr), progressbar.OptionSetDescription(coll),
			progressbar.OptionShowCount(), progressbar.OptionSetItsString("records"), progressbar.OptionShowIts(),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionSetSpinnerChangeInterval(0),
			progressbar.OptionSetWidth(30), progressbar.OptionOnCompletion(func() { fmt.Fprintln(m.Stderr) }))
	}
	out := bufio.NewWriterSize(m.Stdout, 64<<10)
	n := 0
	var line bytes.Buffer
	for rec, err := range col.All(ctx, q.Top(*pageSize)) {
		if err != nil {
			if bar != nil {
				_ = bar.Exit()
			}
			_ = out.Flush()
			return fmt.Errorf("export stopped after %d record(s): %w", n, connecProblem(err, pf, coll, ""))
		}
		line.Reset()
		if err := json.Compact(&line, rec); err != nil {
			return fmt.Errorf("export stopped after %d record(s): record %d is not JSON: %w", n, n+1, err)
		}
		line.WriteByte('\n')
		if _, err := out.Write(line.Bytes()); err != nil {
			return fmt.Errorf("export stopped after %d record(s): writing stdout: %w", n, err)
		}
		n++
		if bar != nil {
			_ = bar.Add(1)
		}
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("export: writing stdout: %w", err)
	}
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintf(m.Stderr, "exported %d %s of group %s\n", n, coll, pf.group)
	}
	return nil
}

// printRaw writes a JSON document indented, with <, > and & as
// themselves rather than \u escapes (members sorted by name).
func (m *Main) printRaw(raw json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("the answer is not JSON: %w", err)
	}
	enc := json.NewEncoder(m.Stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// summary is what the text output says about a record.
type summary struct {
	ID, Code, Name, Updated string
}

func summarize(raw json.RawMessage) summary {
	var v struct {
		ID                connec.ID   `json:"id"`
		Code              string      `json:"code"`
		Name              string      `json:"name"`
		Title             string      `json:"title"`
		FirstName         string      `json:"first_name"`
		LastName          string      `json:"last_name"`
		TransactionNumber string      `json:"transaction_number"`
		UpdatedAt         connec.Time `json:"updated_at"`
	}
	_ = json.Unmarshal(raw, &v) // best effort: the text output shows what it can
	name := cmp.Or(v.Name, strings.TrimSpace(v.FirstName+" "+v.LastName), v.Title, v.TransactionNumber)
	s := summary{ID: v.ID.Connec(), Code: v.Code, Name: name}
	if !v.UpdatedAt.IsZero() {
		s.Updated = v.UpdatedAt.UTC().Format(time.DateTime)
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printRecord writes a record as "path  value" lines, nested members as
// dotted paths (address.billing.city), array elements by index.
func printRecord(w io.Writer, raw json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("the answer is not JSON: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 0 {
				fmt.Fprintf(tw, "%s\t{}\n", path)
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				p := k
				if path != "" {
					p = path + "." + k
				}
				walk(p, x[k])
			}
		case []any:
			if len(x) == 0 {
				fmt.Fprintf(tw, "%s\t[]\n", path)
			}
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case nil:
			fmt.Fprintf(tw, "%s\tnull\n", path)
		case string:
			q := strconv.Quote(x) // control characters stay visible, never raw
			fmt.Fprintf(tw, "%s\t%s\n", path, q[1:len(q)-1])
		default:
			fmt.Fprintf(tw, "%s\t%v\n", path, x)
		}
	}
	walk("", v)
	return tw.Flush()
}
