package store

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func loadTestWorld(t *testing.T, name string) *World {
	t.Helper()
	w, err := LoadWorldFile(filepath.Join("testdata", "seedfile", "world", name))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// The YAML and JSON forms of one world seed the same database.
func TestSeedFileYAMLAndJSON(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"world.yaml", "world.json"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, _ := openTest(t)
			ctx := t.Context()
			if seeded, err := s.SeedWorld(ctx, seedTime, loadTestWorld(t, name)); err != nil || !seeded {
				t.Fatalf("SeedWorld: %v %v", seeded, err)
			}
			envs, err := s.Environments(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(envs) != 2 || envs[0] != (Environment{"acme-dev", "acme-dev-key-0001", "acme-dev-secret-0001"}) ||
				envs[1].Name != "other" || len(envs[1].Key) != 36 || envs[1].Secret == "" {
				t.Errorf("environments %+v", envs)
			}
			mps, err := s.EnvironmentMarketplaces(ctx, "acme-dev")
			if err != nil {
				t.Fatal(err)
			}
			want := []Marketplace{{"maestrano", "acme-crm", "acme-dev", "app-1"}, {"maestrano-uat", "app-2", "acme-dev", "app-2"}}
			if !reflect.DeepEqual(mps, want) {
				t.Errorf("acme-dev marketplaces %+v", mps)
			}
			app2, err := s.App(ctx, "app-2")
			if err != nil {
				t.Fatal(err)
			}
			if app2.SSOInitPath != "/auth/init" || app2.GroupPath != "/maestrano/account/groups/:id/maestrano-uat" ||
				app2.ConnecExternalIDs || len(app2.APIKey) != 48 || app2.SSOIdM != "http://127.0.0.1:3001" {
				t.Errorf("app-2 %+v", app2)
			}
			if _, err := s.App(ctx, "app-7"); err != nil {
				t.Errorf("app-7: %v", err)
			}
			if subs, _ := s.AppSubscriptions(ctx, "app-1"); !reflect.DeepEqual(subs, []string{"organizations", "people"}) {
				t.Errorf("app-1 subscriptions %v", subs)
			}
			g1, _ := s.Group(ctx, "cld-1")
			if g1.ResellerUID != "rsl-1" || !g1.HasCreditCard || g1.MainAccounting != "xero" || g1.Email != "cld-1@example.com" || g1.OrgUID != "org-1" {
				t.Errorf("cld-1 %+v", g1)
			}
			if apps, _ := s.GroupApps(ctx, "cld-1"); !reflect.DeepEqual(apps, []string{"app-1"}) {
				t.Errorf("cld-1 apps %v", apps)
			}
			if apps, _ := s.GroupApps(ctx, "cld-2"); !reflect.DeepEqual(apps, []string{"app-1", "app-2", "app-7"}) {
				t.Errorf("cld-2 apps %v (default: every app)", apps)
			}
			g2, _ := s.Group(ctx, "cld-2")
			created := time.Date(2029, 6, 1, 0, 0, 0, 0, time.UTC)
			if !g2.CreatedAt.Equal(created) || !g2.FreeTrialEnd.Equal(created.AddDate(0, 1, 0)) || g2.Currency != "EUR" {
				t.Errorf("cld-2 %+v", g2)
			}
			users, _ := s.Users(ctx)
			if len(users) != 2 || users[0].UID != "usr-1" || users[1].UID != "usr-5" || users[0].Password != "s3cret" {
				t.Errorf("users %+v", users)
			}
			mems, _ := s.Memberships(ctx)
			wantMems := []Membership{{"usr-1", "cld-1", RoleAdmin}, {"usr-1", "cld-2", RoleMember}, {"usr-5", "cld-2", RoleSuperAdmin}}
			if !reflect.DeepEqual(mems, wantMems) {
				t.Errorf("memberships %+v", mems)
			}
			bills, _ := s.Bills(ctx, "", "")
			// The recurring bill's initial_cents do not create a bill at seed
			// time: a seed states the world as it is.
			if len(bills) != 2 || bills[0].UID != "bill-1" || *bills[0].Units != 2.5 || bills[0].Currency != "AUD" ||
				bills[1].UID != "bill-2" || bills[1].Status != BillInvoiced || bills[1].AppUID != "app-2" {
				t.Errorf("bills %+v", bills)
			}
			rb, err := s.RecurringBill(ctx, "rbill-1")
			if err != nil {
				t.Fatal(err)
			}
			if rb.Period != "month" || *rb.Cycles != 12 || *rb.RemainingCycles != 12 || rb.Frequency != 1 || !rb.StartDate.Equal(seedTime) {
				t.Errorf("rbill-1 %+v", rb)
			}
			// Ids continue after the seeded ones.
			b, err := s.CreateBill(ctx, Bill{AppUID: "app-1", GroupUID: "cld-1", PriceCents: 1, Currency: "USD", Description: "x", Status: BillSubmitted, CreatedAt: seedTime, UpdatedAt: seedTime})
			if err != nil || b.UID != "bill-3" {
				t.Errorf("next bill %q, %v", b.UID, err)
			}
			u, err := s.CreateUser(ctx, User{FirstName: "New", Email: "n@example.com", Country: "US"}, seedTime)
			if err != nil || u.UID != "usr-6" {
				t.Errorf("next user %q, %v", u.UID, err)
			}
		})
	}
}

func TestDefaultWorldSubscriptions(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	if _, err := s.Seed(t.Context(), seedTime); err != nil {
		t.Fatal(err)
	}
	subs, err := s.AppSubscriptions(t.Context(), SeedAppUID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(subs, []string{"invoices", "items", "organizations", "payments", "people"}) {
		t.Errorf("subscriptions %v", subs)
	}
	mps, _ := s.Marketplaces(t.Context())
	if len(mps) != 1 || mps[0] != (Marketplace{"maestrano", "demo-app", "sandbox", "app-1"}) {
		t.Errorf("marketplaces %+v", mps)
	}
}

func TestParseWorldErrors(t *testing.T) {
	t.Parallel()
	const app = "apps: [{}]\n"
	for _, tc := range []struct {
		name, doc, field, reason string
	}{
		{"empty", "  \n", "", "empty seed file"},
		{"no apps", "groups: []\n", "apps", "at least one app"},
		{"unknown field yaml", app + "gropus: []\n", "", "not found in type"},
		{"unknown field json", `{"apps":[{}],"gropus":[]}`, "", "unknown field"},
		{"trailing json", `{"apps":[{}]} {}`, "", "data after"},
		{"two yaml documents", app + "---\n" + app, "", "more than one document"},
		{"bad yaml", "apps: [", "", "invalid YAML"},
		{"wrong type", "apps: 3\n", "", "invalid YAML"},
		{"bad app id", "apps: [{id: app-01}]\n", "apps[0].id", "form app-N"},
		{"dup app id", "apps: [{id: app-2}, {}]\n", "apps[1].id", "duplicate app id"},
		{"dup marketplace", "apps: [{}, {}]\n", "apps[1].marketplace", "already has an app"},
		{"unknown env", "apps: [{environment: nope}]\n", "apps[0].environment", "unknown environment"},
		{"bad env name", "environments: [{name: 'A B'}]\n" + app, "environments[0].name", "must be"},
		{"dup env", "environments: [{name: a}, {name: a}]\n" + app, "environments[1].name", "duplicate"},
		{"short key", "environments: [{name: a, key: k}]\n" + app, "environments[0].key", "8 to 128"},
		{"short api key", "apps: [{api_key: abc}]\n", "apps[0].api_key", "32 to 128"},
		{"bad host", "apps: [{host: 'ftp://x'}]\n", "apps[0].host", "http"},
		{"host with path", "apps: [{host: 'http://x/y'}]\n", "apps[0].host", "path"},
		{"bad path", "apps: [{sso: {init_path: 'init'}}]\n", "apps[0].sso.init_path", "single /"},
		{"path with space", "apps: [{sso: {consume_path: '/a b'}}]\n", "apps[0].sso.consume_path", "space"},
		{"api base slash", "apps: [{api_base: /api/v1}]\n", "apps[0].api_base", "end with /"},
		{"bad timeout", "apps: [{connec: {timeout: 99999}}]\n", "apps[0].connec.timeout", "between"},
		{"bad subscription", "apps: [{connec: {subscriptions: ['Org s']}}]\n", "apps[0].connec.subscriptions[0]", "collection"},
		{"dup subscription", "apps: [{connec: {subscriptions: [people, people]}}]\n", "apps[0].connec.subscriptions[1]", "duplicate"},
		{"group no name", app + "groups: [{}]\n", "groups[0].name", "required"},
		{"group control char", app + "groups: [{name: \"a\\x01\"}]\n", "groups[0].name", "control"},
		{"group bad id", app + "groups: [{id: grp-1, name: a}]\n", "groups[0].id", "form cld-N"},
		{"group dup id", app + "groups: [{id: cld-2, name: a}, {name: b}]\n", "groups[1].id", "duplicate"},
		{"group unknown app", app + "groups: [{name: a, apps: [app-9]}]\n", "groups[0].apps[0]", "unknown app"},
		{"group currency", app + "groups: [{name: a, currency: XXX}]\n", "groups[0].currency", "not included"},
		{"group timezone", app + "groups: [{name: a, timezone: 'not a zone'}]\n", "groups[0].timezone", "Olson"},
		{"group reseller", app + "groups: [{name: a, reseller: rsl-9}]\n", "groups[0].reseller", "unknown reseller"},
		{"group accounting", app + "groups: [{name: a, main_accounting: sage}]\n", "groups[0].main_accounting", "not included"},
		{"reseller no name", app + "resellers: [{}]\n", "resellers[0].name", "required"},
		{"reseller bad id", app + "resellers: [{id: RSL, name: a}]\n", "resellers[0].id", "rsl-"},
		{"user no email", app + "users: [{first_name: a}]\n", "users[0].email", "email"},
		{"user bad email", app + "users: [{first_name: a, email: 'A <a@b.c>'}]\n", "users[0].email", "email"},
		{"user country", app + "users: [{first_name: a, email: a@b.c, country: usa}]\n", "users[0].country", "alpha-2"},
		{"membership group", app + "users: [{first_name: a, email: a@b.c, memberships: [{group: cld-1}]}]\n", "users[0].memberships[0].group", "unknown group"},
		{"membership role", app + "groups: [{name: g}]\nusers: [{first_name: a, email: a@b.c, memberships: [{group: cld-1, role: Boss}]}]\n", "users[0].memberships[0].role", "must be one of"},
		{"membership dup", app + "groups: [{name: g}]\nusers: [{first_name: a, email: a@b.c, memberships: [{group: cld-1}, {group: cld-1}]}]\n", "users[0].memberships[1].group", "already"},
		{"bill group", app + "bills: [{group: cld-1, price_cents: 1, description: d}]\n", "bills[0].group", "unknown group"},
		{"bill app", app + "groups: [{name: g}]\nbills: [{app: app-3, group: cld-1, price_cents: 1, description: d}]\n", "bills[0].app", "unknown app"},
		{"bill group without app", "apps: [{}, {marketplace: b}]\ngroups: [{name: g, apps: [app-1]}]\nbills: [{app: app-2, group: cld-1, price_cents: 1, description: d}]\n", "bills[0].group", "does not use app"},
		{"bill price", app + "groups: [{name: g}]\nbills: [{group: cld-1, price_cents: 0, description: d}]\n", "bills[0].price_cents", "greater than 0"},
		{"bill description", app + "groups: [{name: g}]\nbills: [{group: cld-1, price_cents: 1}]\n", "bills[0].description", "blank"},
		{"bill status", app + "groups: [{name: g}]\nbills: [{group: cld-1, price_cents: 1, description: d, status: paid}]\n", "bills[0].status", "must be one of"},
		{"bill units", app + "groups: [{name: g}]\nbills: [{group: cld-1, price_cents: 1, description: d, units: -1}]\n", "bills[0].units", "greater than 0"},
		{"rbill period", app + "groups: [{name: g}]\nrecurring_bills: [{group: cld-1, price_cents: 1, description: d, period: fortnight}]\n", "recurring_bills[0].period", "not included"},
		{"rbill cycles", app + "groups: [{name: g}]\nrecurring_bills: [{group: cld-1, price_cents: 1, description: d, cycles: 0}]\n", "recurring_bills[0].cycles", "greater than 0"},
		{"rbill initial", app + "groups: [{name: g}]\nrecurring_bills: [{group: cld-1, price_cents: 1, description: d, initial_cents: -5}]\n", "recurring_bills[0].initial_cents", "greater than or equal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseWorld([]byte(tc.doc))
			var se *SeedError
			if !errors.As(err, &se) {
				t.Fatalf("error %v, want a *SeedError", err)
			}
			if se.Field != tc.field || !strings.Contains(se.Reason, tc.reason) {
				t.Errorf("got field %q reason %q, want field %q reason containing %q", se.Field, se.Reason, tc.field, tc.reason)
			}
		})
	}
}

func TestLoadWorldFileLimits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("apps: [{}]\n#"+strings.Repeat("x", MaxSeedFileBytes)), 0o600); err != nil {
		t.Fatal(err)
	}
	var se *SeedError
	if _, err := LoadWorldFile(big); !errors.As(err, &se) || !strings.Contains(se.Reason, "larger than") {
		t.Errorf("big file: %v", err)
	}
	if _, err := LoadWorldFile(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("missing file accepted")
	}
	// A YAML alias bomb is refused by the decoder, not expanded.
	bomb := "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" +
		"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n" +
		"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\napps: [{}]\n"
	if _, err := ParseWorld([]byte(bomb)); err == nil {
		t.Error("alias bomb accepted")
	}
}

// A seed file that fails validation leaves the database unseeded.
func TestSeedWorldInvalidLeavesDatabaseEmpty(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	w := &World{Apps: []AppSeed{{}}, Users: []UserSeed{{FirstName: "x", Email: "bad"}}}
	if _, err := s.SeedWorld(t.Context(), seedTime, w); err == nil {
		t.Fatal("invalid world seeded")
	}
	if _, err := s.EnvCredentials(t.Context()); !errors.Is(err, ErrNotFound) {
		t.Errorf("EnvCredentials after failed seed: %v", err)
	}
	if seeded, err := s.Seed(t.Context(), seedTime); err != nil || !seeded {
		t.Errorf("default seed after failed seed: %v %v", seeded, err)
	}
}

func FuzzParseWorld(f *testing.F) {
	for _, name := range []string{"world.yaml", "world.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "seedfile", "world", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("apps: [{}]\n"))
	f.Add([]byte(`{"apps":[{"id":"app-1"}],"groups":[{"name":"g"}]}`))
	f.Add([]byte("apps: [{}]\nusers: [{first_name: a, email: a@b.c, memberships: [{group: cld-1}]}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := ParseWorld(data)
		if err != nil {
			var se *SeedError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SeedError", err)
			}
			return
		}
		// What parses also resolves, with the same ids every time.
		r1, err := w.resolve(seedTime)
		if err != nil {
			t.Fatalf("parsed world does not resolve: %v", err)
		}
		r2, _ := w.resolve(seedTime)
		if len(r1.apps) == 0 || len(r1.groups) != len(r2.groups) {
			t.Fatalf("resolve not deterministic")
		}
		for i := range r1.groups {
			if r1.groups[i].UID != r2.groups[i].UID {
				t.Fatalf("group ids differ")
			}
		}
	})
}
