package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBills(t *testing.T) {
	e := startSandbox(t)
	r := mno(t, e.env, "bills", "create", "--group", "cld-1", "--price-cents", "1250", "--currency", "USD", "--description", "Extra storage", "--json")
	r.want(t, 0)
	var bill struct{ ID, Status, GroupID string }
	if err := json.Unmarshal([]byte(r.stdout), &bill); err != nil || !strings.HasPrefix(bill.ID, "bill-") || bill.Status != "submitted" {
		t.Fatalf("create --json: %v %+v\n%s", err, bill, r.stdout)
	}
	mno(t, e.env, "bills", "create", "--group", "cld-2", "--price-cents", "99", "--description", "Globex").want(t, 0, "submitted")

	mno(t, e.env, "bills", "list").want(t, 0, "ID", bill.ID, "12.50 USD", "Extra storage", "Globex")
	list := mno(t, e.env, "bills", "list", "--group", "cld-1", "--json")
	list.want(t, 0)
	var bills []struct{ ID, GroupID string }
	if err := json.Unmarshal([]byte(list.stdout), &bills); err != nil || len(bills) != 1 || bills[0].ID != bill.ID {
		t.Fatalf("list --group cld-1 --json: %v %+v", err, bills)
	}

	mno(t, e.env, "bills", "cancel", bill.ID).want(t, 0, bill.ID+"\tcancelled")
	if r := mno(t, e.env, "bills", "list", "--status", "submitted"); strings.Contains(r.stdout, bill.ID) {
		t.Fatalf("--status submitted lists the cancelled bill:\n%s", r.stdout)
	}
	empty := mno(t, e.env, "bills", "list", "--group", "cld-404", "--json")
	empty.want(t, 0)
	if strings.TrimSpace(empty.stdout) != "[]" {
		t.Fatalf("empty list as JSON: %q", empty.stdout)
	}

	rb := mno(t, e.env, "bills", "create", "--recurring", "--group", "cld-1", "--price-cents", "999", "--period", "month", "--cycles", "12", "--description", "Pro plan")
	rb.want(t, 0, "rbill-", "9.99")
	rbID, _, _ := strings.Cut(rb.stdout, "\t")
	mno(t, e.env, "bills", "list", "--recurring").want(t, 0, rbID, "Pro plan", "1 month")
	mno(t, e.env, "bills", "cancel", "--recurring", rbID).want(t, 0, "cancelled")
}

func TestBillsErrors(t *testing.T) {
	e := startSandbox(t)
	cases := []struct {
		name    string
		args    []string
		code    int
		wantErr string
	}{
		{"missing flags", []string{"bills", "create", "--group", "cld-1"}, 2, "missing --price-cents (> 0), --description"},
		{"unknown group", []string{"bills", "create", "--group", "cld-999", "--price-cents", "5", "--description", "x"}, 1, "group_id: does not exist"},
		{"bad currency", []string{"bills", "create", "--group", "cld-1", "--price-cents", "5", "--description", "x", "--currency", "EURO"}, 1, "fix the request"},
		{"no id", []string{"bills", "cancel"}, 2, "want 1 argument"},
		{"unknown bill", []string{"bills", "cancel", "bill-999"}, 1, "fix: check the id"},
		{"bad flag value", []string{"bills", "create", "--price-cents", "ten"}, 2, "see mno bills create --help"},
		{"unknown subcommand", []string{"bills", "delete"}, 2, `unknown subcommand "delete"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mno(t, e.env, c.args...)
			if r.code != c.code || !strings.Contains(r.stderr, c.wantErr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, c.code, c.wantErr)
			}
		})
	}
	for _, sub := range []string{"list", "create", "cancel"} {
		mno(t, nil, "bills", sub, "--help").want(t, 0, "usage: mno bills "+sub, "examples:")
	}
}
