package demo

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/sso"
)

func identity(marketplace, user, group, role string) *sso.Identity {
	return &sso.Identity{
		Marketplace: marketplace,
		User:        sso.User{UID: user, FirstName: "First " + user, LastName: "Last", Email: user + "@example.com"},
		Group:       sso.Group{UID: group, Name: "Group " + group, Currency: "EUR", Timezone: "Europe/Paris", FreeTrialEndAt: time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)},
		Membership:  sso.Membership{UserUID: user, GroupUID: group, Role: role},
	}
}

// One app serves several marketplaces: the same platform uid on two
// marketplaces is two local users and two local groups.
func TestFindOrCreateForMaestrano(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), dbFile)
	d, err := openDB(ctx, path, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	a, err := d.findOrCreateForMaestrano(ctx, identity("mp-a", "usr-1", "cld-1", "Admin"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.findOrCreateForMaestrano(ctx, identity("mp-b", "usr-1", "cld-1", "Member"))
	if err != nil {
		t.Fatal(err)
	}
	if a.UserID == b.UserID || a.GroupID == b.GroupID {
		t.Fatalf("same uid on two marketplaces shares a local record: %+v %+v", a, b)
	}
	if a.Role != "Admin" || b.Role != "Member" || a.Currency != "EUR" || !a.FreeTrialEnd.Equal(time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("stored %+v / %+v", a, b)
	}

	// A second login finds the same records and refreshes them.
	id := identity("mp-a", "usr-1", "cld-1", "Super Admin")
	id.User.FirstName = "Renamed"
	again, err := d.findOrCreateForMaestrano(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if again.UserID != a.UserID || again.GroupID != a.GroupID || again.FirstName != "Renamed" || again.Role != "Super Admin" {
		t.Fatalf("second login: %+v, first %+v", again, a)
	}

	// Removing a member or disabling a group touches one marketplace only.
	if ok, err := d.removeMember(ctx, "mp-a", "cld-1", "usr-1"); err != nil || !ok {
		t.Fatalf("removeMember = %v, %v", ok, err)
	}
	if _, ok, _ := d.access(ctx, "mp-a", "usr-1", "cld-1"); ok {
		t.Fatal("access after the membership went")
	}
	if _, ok, _ := d.access(ctx, "mp-b", "usr-1", "cld-1"); !ok {
		t.Fatal("the other marketplace lost access")
	}
	if ok, err := d.disableGroup(ctx, "mp-b", "cld-1"); err != nil || !ok {
		t.Fatalf("disableGroup = %v, %v", ok, err)
	}
	if ok, _ := d.disableGroup(ctx, "mp-b", "cld-1"); ok {
		t.Fatal("disabling twice reports a change")
	}
	if lu, ok, _ := d.access(ctx, "mp-b", "usr-1", "cld-1"); ok || lu == nil {
		t.Fatalf("disabled group: access %v, user %v; want refused with the user known", ok, lu)
	}
	if err := d.close(); err != nil {
		t.Fatal(err)
	}

	// Reopening keeps the data and runs no migration twice.
	d, err = openDB(ctx, path, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	var version int
	if err := d.sql.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil || version != len(migrations) {
		t.Fatalf("user_version %d (%v), want %d", version, err, len(migrations))
	}
	if lu, ok, _ := d.access(ctx, "mp-b", "usr-1", "cld-1"); ok || lu.UserID != b.UserID {
		t.Fatalf("after reopen: %v %+v", ok, lu)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), dbFile)
	d, err := openDB(ctx, path, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.sql.ExecContext(ctx, `PRAGMA user_version = 99`); err != nil {
		t.Fatal(err)
	}
	d.close()
	if _, err := openDB(ctx, path, time.Now); err == nil {
		t.Fatal("a database from a newer program was opened")
	}
}
