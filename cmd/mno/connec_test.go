package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mnoWith runs the command like mno, with stdin and a terminal flag.
func mnoWith(t *testing.T, env map[string]string, stdin string, terminal bool, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	m := NewMain(&stdout, &stderr)
	m.Getenv = func(k string) string { return env[k] }
	m.Stdin = strings.NewReader(stdin)
	m.StderrIsTerminal = terminal
	code := report(&stderr, m.Run(t.Context(), args))
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func TestConnecCommands(t *testing.T) {
	e := startSandbox(t)
	r := mno(t, e.env, "connec", "create", "organizations", "--group", "cld-1", "--data", `{"name":"O'Brien & Sons","is_customer":true,"address":{"billing":{"city":"Sydney"}},"rating":{"stars":4}}`, "--json")
	r.want(t, 0)
	var org struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		GroupID string `json:"group_id"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &org); err != nil || org.ID == "" || org.GroupID != "cld-1" || org.Name != "O'Brien & Sons" {
		t.Fatalf("create --json: %v %+v\n%s", err, org, r.stdout)
	}

	// get: text is one "path value" line per member; flags after the
	// arguments work.
	mno(t, e.env, "connec", "get", "organizations", org.ID, "--group", "cld-1").want(t, 0,
		"name", "O'Brien & Sons", "address.billing.city", "Sydney", "rating.stars", "4", "is_customer", "true")
	got := mno(t, e.env, "connec", "get", "--group", "cld-1", "--json", "organizations", org.ID)
	got.want(t, 0)
	if !json.Valid([]byte(got.stdout)) || !strings.Contains(got.stdout, `"stars": 4`) {
		t.Fatalf("get --json:\n%s", got.stdout)
	}

	// update merges.
	mno(t, e.env, "connec", "update", "organizations", org.ID, "--group", "cld-1", "--data", `{"description":"Ships"}`).want(t, 0, "updated organizations "+org.ID)
	upd := mnoWith(t, e.env, `{"industry":"Shipping"}`, false, "connec", "update", "organizations", org.ID, "--group", "cld-1", "--file", "-", "--json")
	upd.want(t, 0, `"industry": "Shipping"`, `"name": "O'Brien & Sons"`)

	// create from a file, people.
	file := filepath.Join(t.TempDir(), "ada.json")
	if err := os.WriteFile(file, []byte(`{"first_name":"Ada","last_name":"Lovelace"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	mno(t, e.env, "connec", "create", "people", "--group", "cld-1", "--file", file).want(t, 0, "created people ", "(Ada Lovelace)")

	for i := range 5 {
		mno(t, e.env, "connec", "create", "organizations", "--group", "cld-1", "--data", fmt.Sprintf(`{"name":"Org %d"}`, i)).want(t, 0)
	}
	list := mno(t, e.env, "connec", "list", "organizations", "--group", "cld-1", "--top", "4")
	list.want(t, 0, "ID", "NAME", "O'Brien & Sons", "Org 2", "1-4 of 6; next page: --skip 4")
	if strings.Contains(list.stdout, "Org 3") {
		t.Errorf("--top 4 listed a fifth record:\n%s", list.stdout)
	}
	mno(t, e.env, "connec", "list", "organizations", "--group", "cld-1", "--top", "4", "--skip", "4").want(t, 0, "Org 3", "Org 4", "5-6 of 6\n")
	// --where uses the query builder: the quote in the value is escaped.
	where := mno(t, e.env, "connec", "list", "organizations", "--group", "cld-1", "--where", "name eq 'O''Brien & Sons'", "--json")
	where.want(t, 0)
	var page struct {
		Organizations []map[string]any `json:"organizations"`
		Pagination    struct{ Total int }
	}
	if err := json.Unmarshal([]byte(where.stdout), &page); err != nil || len(page.Organizations) != 1 || page.Pagination.Total != 1 {
		t.Fatalf("--where: %v %+v\n%s", err, page, where.stdout)
	}
	empty := mno(t, e.env, "connec", "list", "items", "--group", "cld-2", "--json")
	empty.want(t, 0, `"items": []`)
	mno(t, e.env, "connec", "list", "items", "--group", "cld-2").want(t, 0, "no items (total 0)")

	// company: no id.
	mno(t, e.env, "connec", "update", "company", "--group", "cld-1", "--data", `{"name":"Acme Corp Pty"}`).want(t, 0, "updated company")
	mno(t, e.env, "connec", "get", "company", "--group", "cld-1").want(t, 0, "Acme Corp Pty")
}

func TestConnecExport(t *testing.T) {
	e := startSandbox(t)
	const n = 23
	for i := range n {
		mno(t, e.env, "connec", "create", "people", "--group", "cld-1", "--data", fmt.Sprintf(`{"first_name":"P%02d","notes":[{"description":"line one\nline two"}]}`, i)).want(t, 0)
	}
	mno(t, e.env, "connec", "create", "people", "--group", "cld-2", "--data", `{"first_name":"Other group"}`).want(t, 0)

	for _, terminal := range []bool{false, true} {
		t.Run(fmt.Sprintf("terminal=%v", terminal), func(t *testing.T) {
			r := mnoWith(t, e.env, "", terminal, "connec", "export", "people", "--group", "cld-1", "--page-size", "5")
			r.want(t, 0)
			sc := bufio.NewScanner(strings.NewReader(r.stdout))
			var names []string
			for sc.Scan() {
				var p struct {
					FirstName string `json:"first_name"`
					GroupID   string `json:"group_id"`
				}
				if err := json.Unmarshal(sc.Bytes(), &p); err != nil || p.GroupID != "cld-1" {
					t.Fatalf("line %q: %v", sc.Text(), err)
				}
				names = append(names, p.FirstName)
			}
			if len(names) != n || names[0] != "P00" || names[n-1] != fmt.Sprintf("P%02d", n-1) {
				t.Fatalf("exported %d: %q", len(names), names)
			}
			if !terminal && r.stderr != "" {
				t.Errorf("stderr is not a terminal, yet: %q", r.stderr)
			}
			if terminal && (!strings.Contains(r.stderr, "\r") || !strings.Contains(r.stderr, fmt.Sprintf("%d/%d", n, n)) || !strings.Contains(r.stderr, "exported 23 people of group cld-1")) {
				t.Errorf("progress on the terminal: %q", r.stderr)
			}
		})
	}
	r := mno(t, e.env, "connec", "export", "people", "--group", "cld-1", "--where", "first_name eq 'P07'")
	r.want(t, 0, `"first_name":"P07"`)
	if strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("filtered export:\n%s", r.stdout)
	}
}

func TestConnecErrors(t *testing.T) {
	e := startSandbox(t)
	missing := mno(t, e.env, "connec", "get", "organizations", "no-such-id", "--group", "cld-1")
	cases := []struct {
		name    string
		r       result
		code    int
		wantErr string
	}{
		{"unknown id", missing, 1, "fix: check the id: mno connec list organizations --group cld-1"},
		{"no group", mno(t, e.env, "connec", "list", "organizations"), 2, "--group is required"},
		{"foreign group", mno(t, e.env, "connec", "list", "organizations", "--group", "cld-999"), 1, "fix: Connec! refused the app for group cld-999"},
		{"bad collection name", mno(t, e.env, "connec", "list", "Org s", "--group", "cld-1"), 2, "not a collection name"},
		{"no collection", mno(t, e.env, "connec", "list", "--group", "cld-1"), 2, "missing COLLECTION"},
		{"get without id", mno(t, e.env, "connec", "get", "people", "--group", "cld-1"), 2, "want COLLECTION ID"},
		{"bad where", mno(t, e.env, "connec", "list", "people", "--group", "cld-1", "--where", "name"), 2, "want 'FIELD OP VALUE'"},
		{"bad operator", mno(t, e.env, "connec", "list", "people", "--group", "cld-1", "--where", "name like x"), 2, `unknown operator "like"`},
		{"bad field", mno(t, e.env, "connec", "list", "people", "--group", "cld-1", "--where", "na;me eq x"), 2, "see mno connec list --help"},
		{"refused record", mno(t, e.env, "connec", "create", "people", "--group", "cld-1", "--data", `{"id":5}`), 1, "id must be a string or an array of {\"realm\", \"provider\", \"id\"} objects\n  fix the request"},
		{"bad time", mno(t, e.env, "connec", "export", "people", "--group", "cld-1", "--updated-since", "yesterday"), 2, "RFC 3339"},
		{"no record", mno(t, e.env, "connec", "create", "people", "--group", "cld-1"), 2, "give --data '{...}' or --file FILE"},
		{"not an object", mno(t, e.env, "connec", "create", "people", "--group", "cld-1", "--data", `[1]`), 2, "is not a JSON object"},
		{"bad JSON", mno(t, e.env, "connec", "create", "people", "--group", "cld-1", "--data", `{"a":`), 2, "is not a JSON object"},
		{"both inputs", mno(t, e.env, "connec", "create", "people", "--group", "cld-1", "--data", `{}`, "--file", "x"), 2, "not both"},
		{"missing file", mno(t, e.env, "connec", "create", "people", "--group", "cld-1", "--file", "/nonexistent.json"), 2, "fix: give the path of a JSON file"},
		{"create company", mno(t, e.env, "connec", "create", "company", "--group", "cld-1", "--data", `{}`), 2, "use mno connec update company"},
		{"bad top", mno(t, e.env, "connec", "list", "people", "--group", "cld-1", "--top", "0"), 2, "--top must be 1-1000"},
		{"no credentials", mno(t, nil, "connec", "list", "people", "--group", "cld-1"), 1, "fix: set MNO_DEVPL_ENV_KEY"},
		{"unknown subcommand", mno(t, e.env, "connec", "delete"), 2, `unknown subcommand "delete"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.r.code != c.code || !strings.Contains(c.r.stderr, c.wantErr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", c.r.code, c.r.stderr, c.code, c.wantErr)
			}
		})
	}
	big := strings.Repeat(" ", maxRecordInput+1)
	if r := mnoWith(t, e.env, big, false, "connec", "create", "people", "--group", "cld-1", "--file", "-"); r.code != 2 || !strings.Contains(r.stderr, "larger than 8 MiB") {
		t.Errorf("oversized stdin: exit %d %q", r.code, r.stderr)
	}
	for _, sub := range []string{"get", "list", "create", "update", "export"} {
		mno(t, nil, "connec", sub, "--help").want(t, 0, "usage: mno connec "+sub, "examples:", "--group")
	}
	mno(t, nil, "connec", "--help").want(t, 0, "export   write every record")
}
