package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// seededTest opens a seeded store with a second app, app-2, with access to
// cld-1 and subscribed to organizations.
func seededTest(t *testing.T) *Store {
	t.Helper()
	s, _ := openTest(t)
	ctx := t.Context()
	if _, err := s.Seed(ctx, seedTime); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `
INSERT INTO apps (`+appColumns+`) SELECT 'app-2', name, 'k2', host, sso_idm, sso_init_path, sso_consume_path,
	sync_start_path, sync_toggle_path, sync_status_path, group_path, group_user_path, '/notify/:weird',
	connec_external_ids, connec_initialization_path, connec_base_path, connec_timeout, api_base, sso_signature_algorithm FROM apps WHERE uid = 'app-1'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO group_apps (group_uid, app_uid) VALUES ('cld-1', 'app-2')`); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAppSubscriptions(ctx, "app-2", []string{"organizations"}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRecordConnecChangeRefusesBadInput(t *testing.T) {
	t.Parallel()
	s := seededTest(t)
	for _, ch := range []ConnecChange{
		{Collection: "people", Entity: json.RawMessage(`{}`)},
		{GroupUID: "cld-1", Entity: json.RawMessage(`{}`)},
		{GroupUID: "cld-1", Collection: "people", Entity: json.RawMessage(`{"a":`)},
		{GroupUID: "cld-1", Collection: "people", Entity: json.RawMessage(`[{"id":1}]`)},
		{GroupUID: "cld-1", Collection: "people", Entity: json.RawMessage(` null`)},
		{GroupUID: "cld-1", Collection: "people"},
	} {
		if err := s.RecordConnecChanges(t.Context(), ch); err == nil {
			t.Errorf("%+v accepted", ch)
		}
	}
	var n int
	if err := s.db.QueryRowContext(t.Context(), `SELECT count(*) FROM connec_changes`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d changes logged (%v)", n, err)
	}
}

func TestSetAppSubscriptions(t *testing.T) {
	t.Parallel()
	s := seededTest(t)
	ctx := t.Context()
	if err := s.SetAppSubscriptions(ctx, "app-404", []string{"people"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown app: %v", err)
	}
	if err := s.SetAppSubscriptions(ctx, "app-1", []string{"people", "items", "people"}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.AppSubscriptions(ctx, "app-1"); err != nil || !slices.Equal(got, []string{"items", "people"}) {
		t.Errorf("subscriptions %v %v", got, err)
	}
	if err := s.SetAppSubscriptions(ctx, "app-1", nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.AppSubscriptions(ctx, "app-1"); len(got) != 0 {
		t.Errorf("after clearing: %v", got)
	}
	if err := s.SetAppSubscriptions(ctx, "app-1", []string{""}); err == nil {
		t.Error("empty collection accepted")
	}
	if err := s.SetAppSubscriptions(ctx, "app-1", make([]string, maxSubscriptions+1)); err == nil {
		t.Error("too many subscriptions accepted")
	}
}

func TestFanOutCoalescesAndCaps(t *testing.T) {
	t.Parallel()
	s := seededTest(t)
	ctx := t.Context()
	// The default world subscribes app-1; this test sets its own.
	if err := s.SetAppSubscriptions(ctx, "app-1", nil); err != nil {
		t.Fatal(err)
	}
	var changes []ConnecChange
	for i := range 5 {
		changes = append(changes, ConnecChange{GroupUID: "cld-1", Collection: "organizations", At: seedTime,
			Entity: json.RawMessage(fmt.Sprintf(`{"id":[{"realm":"org-1","provider":"connec","id":"o%d"}],"n":%d}`, i%2, i))})
	}
	changes = append(changes, ConnecChange{GroupUID: "cld-1", Collection: "organizations", At: seedTime, Entity: json.RawMessage(`{"n":"no id <b>"}`)})
	if err := s.RecordConnecChanges(ctx, changes...); err != nil {
		t.Fatal(err)
	}
	n, err := s.FanOutChanges(ctx, seedTime, time.Second, 4)
	if err != nil || n != 6 {
		t.Fatalf("fanned out %d (%v)", n, err)
	}
	if n, _ := s.FanOutChanges(ctx, seedTime, time.Second, 4); n != 0 {
		t.Errorf("fanned out %d again", n)
	}
	if got, _ := s.ClaimDeliveries(ctx, seedTime.Add(999*time.Millisecond), time.Minute, 10); len(got) != 0 {
		t.Errorf("claimed %d inside the window", len(got))
	}
	got, err := s.ClaimDeliveries(ctx, seedTime.Add(time.Second), time.Minute, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("claimed %d (%v), want 2 (4 + 2 changes)", len(got), err)
	}
	bodies := []string{string(got[0].Body), string(got[1].Body)}
	want := []string{
		`{"organizations":[{"group_id":"cld-1","id":[{"realm":"org-1","provider":"connec","id":"o0"}],"n":2},{"group_id":"cld-1","id":[{"realm":"org-1","provider":"connec","id":"o1"}],"n":3}]}`,
		`{"organizations":[{"group_id":"cld-1","id":[{"realm":"org-1","provider":"connec","id":"o0"}],"n":4},{"group_id":"cld-1","n":"no id <b>"}]}`,
	}
	if !slices.Equal(bodies, want) {
		t.Errorf("bodies\n%s\nwant\n%s", strings.Join(bodies, "\n"), strings.Join(want, "\n"))
	}
	for _, d := range got {
		if d.AppUID != "app-2" || d.Path != "/notify/:weird" || d.State != DeliveryPending || d.Method != "POST" {
			t.Errorf("delivery %+v", d)
		}
	}
}

func TestClaimLeases(t *testing.T) {
	t.Parallel()
	s := seededTest(t)
	ctx := t.Context()
	enq, err := s.RemoveMembership(ctx, "cld-1", "usr-1", seedTime)
	if err != nil || len(enq) != 2 {
		t.Fatalf("enqueued %v (%v)", enq, err)
	}
	if enq[0].Path != "/maestrano/account/groups/cld-1/users/usr-1/maestrano" || enq[0].Kind != KindMemberRemoved {
		t.Errorf("enqueued %+v", enq[0])
	}
	claim := func(at time.Time) int {
		got, err := s.ClaimDeliveries(ctx, at, time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	if n := claim(seedTime); n != 2 {
		t.Fatalf("claimed %d", n)
	}
	if n := claim(seedTime.Add(59 * time.Second)); n != 0 {
		t.Errorf("claimed %d under a live lease", n)
	}
	if n := claim(seedTime.Add(time.Minute)); n != 2 {
		t.Errorf("claimed %d after the lease expired", n)
	}
	if n, err := s.ReleaseAllLeases(ctx); err != nil || n != 2 {
		t.Errorf("released %d (%v)", n, err)
	}
	if n := claim(seedTime.Add(time.Minute)); n != 2 {
		t.Errorf("claimed %d after release", n)
	}
	a := Attempt{StartedAt: seedTime, Status: 500, Response: "bad \xff utf-8", Error: strings.Repeat("e", 10000)}
	if err := s.FinishAttempt(ctx, enq[0].ID, a, AttemptOutcome{RetryAt: seedTime.Add(time.Hour)}, seedTime); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishAttempt(ctx, enq[1].ID, a, AttemptOutcome{}, seedTime); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishAttempt(ctx, "nope", a, AttemptOutcome{}, seedTime); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown delivery: %v", err)
	}
	if n := claim(seedTime.Add(59 * time.Minute)); n != 0 {
		t.Errorf("claimed %d before the retry time (or a dead one)", n)
	}
	d, _ := s.Delivery(ctx, enq[1].ID)
	if d.State != DeliveryDead || d.Attempts != 1 || d.Failures != 1 {
		t.Errorf("dead: %+v", d)
	}
	att, err := s.Attempts(ctx, enq[0].ID, enq[1].ID)
	if err != nil || len(att[enq[0].ID]) != 1 {
		t.Fatalf("attempts %v %v", att, err)
	}
	if got := att[enq[0].ID][0]; got.Response != "bad \uFFFD utf-8" || len(got.Error) > maxAttemptText+len("…") || got.Number != 1 {
		t.Errorf("attempt stored as %+v", got)
	}
	if err := s.Redeliver(ctx, enq[1].ID, seedTime.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := claim(seedTime.Add(2 * time.Minute)); n != 1 {
		t.Errorf("claimed %d after redeliver", n)
	}
	if err := s.Redeliver(ctx, "nope", seedTime); !errors.Is(err, ErrNotFound) {
		t.Errorf("redeliver unknown: %v", err)
	}
}

func TestRemoveGroupFansOutFirst(t *testing.T) {
	t.Parallel()
	s := seededTest(t)
	ctx := t.Context()
	// The default world subscribes app-1; this test sets its own.
	if err := s.SetAppSubscriptions(ctx, "app-1", nil); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordConnecChanges(ctx, ConnecChange{GroupUID: "cld-1", Collection: "organizations", Entity: json.RawMessage(`{"id":"x"}`), At: seedTime}); err != nil {
		t.Fatal(err)
	}
	enq, err := s.RemoveGroup(ctx, "cld-1", seedTime, FanOut{Window: time.Second, MaxChanges: 10})
	if err != nil || len(enq) != 2 {
		t.Fatalf("RemoveGroup: %v %v", enq, err)
	}
	ds, err := s.Deliveries(ctx, DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, d := range ds {
		kinds = append(kinds, d.AppUID+" "+d.Kind+" "+d.Path)
	}
	slices.Sort(kinds)
	want := []string{
		"app-1 account.group.removed /maestrano/account/groups/cld-1/maestrano",
		"app-2 account.group.removed /maestrano/account/groups/cld-1/maestrano",
		"app-2 connec.notification /notify/:weird",
	}
	if !slices.Equal(kinds, want) {
		t.Errorf("deliveries %v, want %v", kinds, want)
	}
	if _, err := s.Group(ctx, "cld-1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("group still there: %v", err)
	}
	if _, err := s.RemoveGroup(ctx, "cld-1", seedTime, FanOut{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("second removal: %v", err)
	}
	if _, err := s.RemoveMembership(ctx, "cld-2", "usr-2", seedTime); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing a non-membership: %v", err)
	}
}

func TestSubstitutePathOnePass(t *testing.T) {
	t.Parallel()
	got := substitutePath("/g/:group_id/u/:id?x=:id", ":group_id", "cld-:id", ":id", "usr/1")
	if want := "/g/cld-:id/u/usr%2F1?x=usr%2F1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
