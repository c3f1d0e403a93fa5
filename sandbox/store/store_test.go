package store

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var seedTime = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sandbox.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

func TestOpenMigratesAndConfigures(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	ctx := t.Context()
	var version int
	var mode string
	var busy int
	if err := s.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&busy); err != nil {
		t.Fatal(err)
	}
	if version != SchemaVersion || mode != "wal" || busy != int(DefaultBusyTimeout.Milliseconds()) {
		t.Errorf("user_version %d, journal_mode %q, busy_timeout %d", version, mode, busy)
	}
	if _, err := s.EnvCredentials(ctx); !errors.Is(err, ErrNotFound) {
		t.Errorf("EnvCredentials before seed: %v, want ErrNotFound", err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	s, path := openTest(t)
	if _, err := s.db.ExecContext(t.Context(), `PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	if s2, err := Open(t.Context(), path); err == nil {
		s2.Close()
		t.Fatal("Open accepted a newer schema")
	} else if !strings.Contains(err.Error(), "newer") {
		t.Errorf("error %v", err)
	}
}

func TestSeed(t *testing.T) {
	t.Parallel()
	s, path := openTest(t)
	ctx := t.Context()
	seeded, err := s.Seed(ctx, seedTime)
	if err != nil || !seeded {
		t.Fatalf("first Seed: %v, %v", seeded, err)
	}
	creds, err := s.EnvCredentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(creds.Key) != 36 || strings.Count(creds.Key, "-") != 4 || len(creds.Secret) < 32 {
		t.Errorf("credentials key %q, secret of %d chars", creds.Key, len(creds.Secret))
	}
	app, err := s.App(ctx, SeedAppUID)
	if err != nil {
		t.Fatal(err)
	}
	if app.Host != DefaultAppHost || app.SSOIdM != DefaultAppHost || app.ConnecInitializationPath != nil || !app.ConnecExternalIDs || app.ConnecTimeout != 60 {
		t.Errorf("app %+v", app)
	}
	g, err := s.Group(ctx, "cld-2")
	if err != nil {
		t.Fatal(err)
	}
	if g.Name != "Globex Ltd" || g.OrgUID != "org-2" || !g.CreatedAt.Equal(seedTime) || !g.FreeTrialEnd.Equal(seedTime.AddDate(0, 1, 0)) {
		t.Errorf("group %+v", g)
	}
	mems, err := s.AppMemberships(ctx, SeedAppUID, "usr-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(mems) != 2 || mems[0] != (Membership{"usr-1", "cld-1", RoleAdmin}) || mems[1] != (Membership{"usr-1", "cld-2", RoleMember}) {
		t.Errorf("usr-1 memberships %v", mems)
	}
	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sessions := map[string]bool{}
	for _, u := range users {
		sessions[u.SSOSession] = true
	}
	if len(users) != 3 || len(sessions) != 3 {
		t.Errorf("%d users, %d distinct sessions", len(users), len(sessions))
	}

	// Idempotent, also from a second connection pool on the same file.
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if seeded, err := s2.Seed(ctx, seedTime.Add(time.Hour)); err != nil || seeded {
				t.Errorf("repeat Seed: %v, %v", seeded, err)
			}
		})
	}
	wg.Wait()
	again, err := s.EnvCredentials(ctx)
	if err != nil || again != creds {
		t.Errorf("credentials changed: %v", err)
	}
	if users, _ := s.Users(ctx); len(users) != 3 {
		t.Errorf("%d users after repeated seeds", len(users))
	}
}

func TestUpdates(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	ctx := t.Context()
	if _, err := s.Seed(ctx, seedTime); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAppHost(ctx, "app-404", "http://x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetAppHost unknown: %v", err)
	}
	if err := s.SetSSOSession(ctx, "usr-404", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetSSOSession unknown: %v", err)
	}
	if _, err := s.User(ctx, "usr-404"); !errors.Is(err, ErrNotFound) {
		t.Errorf("User unknown: %v", err)
	}
	if err := s.SetAppHost(ctx, SeedAppUID, "http://localhost:9000"); err != nil {
		t.Fatal(err)
	}
	if app, _ := s.App(ctx, SeedAppUID); app.Host != "http://localhost:9000" || app.SSOIdM != "http://localhost:9000" {
		t.Errorf("app host %q idm %q", app.Host, app.SSOIdM)
	}
	tok := NewSSOSession()
	if err := s.SetSSOSession(ctx, "usr-2", tok); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.User(ctx, "usr-2"); u.SSOSession != tok {
		t.Error("session not updated")
	}
}

// Uids order numerically within a prefix: cld-2 comes before cld-10, so
// "the user's first group" is the one a person would call first.
func TestUIDOrderIsNumeric(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	ctx := t.Context()
	if _, err := s.Seed(ctx, seedTime); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO groups (` + groupColumns + `) VALUES ('cld-10','Tenth','org-10','USD','UTC','US','X','2030-01-01T00:00:00Z','2030-02-01T00:00:00Z')`,
		`INSERT INTO group_apps (group_uid, app_uid) VALUES ('cld-10', '` + SeedAppUID + `')`,
		`INSERT INTO memberships (user_uid, group_uid, role) VALUES ('usr-3', 'cld-10', 'Member')`,
	} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	groups, err := s.Groups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var uids []string
	for _, g := range groups {
		uids = append(uids, g.UID)
	}
	if got := strings.Join(uids, ","); got != "cld-1,cld-2,cld-10" {
		t.Errorf("groups in order %s", got)
	}
	mems, err := s.AppMemberships(ctx, SeedAppUID, "usr-3")
	if err != nil {
		t.Fatal(err)
	}
	if len(mems) != 2 || mems[0].GroupUID != "cld-2" || mems[1].GroupUID != "cld-10" {
		t.Errorf("usr-3 memberships %+v, want cld-2 then cld-10", mems)
	}
}

func TestIsCurrency(t *testing.T) {
	for _, c := range []string{"USD", "EUR", "AED", "ZWL", "XAU"} {
		if !IsCurrency(c) {
			t.Errorf("IsCurrency(%q) = false", c)
		}
	}
	for _, c := range []string{"", "usd", "ZZZ", "US", "USDX", "D A", "AED AFN"} {
		if IsCurrency(c) {
			t.Errorf("IsCurrency(%q) = true", c)
		}
	}
}
