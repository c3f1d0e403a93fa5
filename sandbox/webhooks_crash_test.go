package sandbox_test

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/sandbox"
	"github.com/maestrano-go/maestrano/sandbox/store"
)

// Environment of the child process of TestWebhooksSurviveSIGKILL.
const (
	crashDirEnv      = "MNO_TEST_WEBHOOK_CRASH_DIR"
	crashReceiverEnv = "MNO_TEST_WEBHOOK_CRASH_RECEIVER"
)

// TestWebhookCrashChild is the child process of TestWebhooksSurviveSIGKILL:
// a sandbox with its background delivery loop running, which enqueues six
// deliveries, says READY and waits to be killed.
func TestWebhookCrashChild(t *testing.T) {
	dir, rcv := os.Getenv(crashDirEnv), os.Getenv(crashReceiverEnv)
	if dir == "" {
		t.Skip("child process of TestWebhooksSurviveSIGKILL")
	}
	sb, err := sandbox.Open(t.Context(), sandbox.Config{
		DataDir: dir, BaseURL: "http://127.0.0.1:1",
		Webhooks: sandbox.WebhookConfig{CoalesceWindow: 20 * time.Millisecond, PollInterval: 10 * time.Millisecond, Timeout: 10 * time.Minute},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := sb.SetAppHost(ctx, "app-1", rcv); err != nil {
		t.Fatal(err)
	}
	db, st := openDB(t, dir)
	addApp(t, db, "app-2", rcv, "cld-1")
	subscribe(t, st, "app-1", "organizations")
	subscribe(t, st, "app-2", "organizations")
	now := time.Now()
	for _, ch := range []store.ConnecChange{
		{GroupUID: "cld-1", Collection: "organizations", OriginAppUID: "app-2", Entity: []byte(`{"id":"org-1","name":"One"}`), At: now},
		{GroupUID: "cld-2", Collection: "organizations", OriginAppUID: "app-2", Entity: []byte(`{"id":"org-2","name":"Two"}`), At: now},
		{GroupUID: "cld-1", Collection: "organizations", OriginAppUID: "app-1", Entity: []byte(`{"id":"org-3","name":"Three"}`), At: now},
	} {
		if err := st.RecordConnecChanges(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sb.RemoveMember(ctx, "cld-1", "usr-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.RemoveGroup(ctx, "cld-2"); err != nil {
		t.Fatal(err)
	}
	fmt.Println("READY")
	time.Sleep(10 * time.Minute) // until killed
}

// TestWebhooksSurviveSIGKILL kills a sandbox process with SIGKILL while its
// deliveries are pending or in flight (the receiver does not answer), then
// opens a new sandbox on the same data directory: every delivery arrives,
// with the same delivery id as before the crash.
func TestWebhooksSurviveSIGKILL(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := filepath.Join(t.TempDir(), "data")
	hang := make(chan struct{})
	defer close(hang)
	rc := newReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
		select { // phase 1: never answer
		case <-r.Context().Done():
		case <-hang:
		}
	})

	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestWebhookCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashReceiverEnv+"="+rc.srv.URL)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "READY" {
				ready <- nil
				for sc.Scan() { // drain until the child dies
				}
				return
			}
		}
		ready <- fmt.Errorf("child exited before READY: %v", sc.Err())
	}()
	deadline := time.After(2 * time.Minute)
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-deadline:
		t.Fatal("child never got ready")
	}
	select { // at least one delivery in flight when the child dies
	case <-rc.arrived:
	case <-deadline:
		t.Fatal("child never attempted a delivery")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
		t.Fatal(err)
	}
	_ = cmd.Wait()

	// A new sandbox on the same data directory, an hour later; the apps now
	// point at a receiver that answers (requests the child sent just before
	// it died may still reach the first one).
	later := time.Now().Add(time.Hour)
	e := setup(t, sandbox.Config{DataDir: dir, Now: func() time.Time { return later }, Webhooks: sandbox.WebhookConfig{Manual: true}})
	w := &whEnv{env: e}
	rc2 := newReceiver(t, nil)
	if err := e.sb.SetAppHost(t.Context(), "app-1", rc2.srv.URL); err != nil {
		t.Fatal(err)
	}
	db, _ := openDB(t, dir)
	if _, err := db.ExecContext(t.Context(), `UPDATE apps SET host = ? WHERE uid = 'app-2'`, rc2.srv.URL); err != nil {
		t.Fatal(err)
	}
	if n, err := e.sb.DeliverPending(t.Context()); err != nil || n != 6 {
		t.Fatalf("after restart: %d attempts (%v), want 6", n, err)
	}
	ds := w.deliveries(t, "")
	var ids []string
	for _, d := range ds {
		if d.State != store.DeliveryDelivered {
			t.Errorf("delivery %s (%s to %s) is %s", d.ID, d.Kind, d.AppUID, d.State)
		}
		ids = append(ids, d.ID)
	}
	slices.Sort(ids)
	after := rc2.requests()
	var got, gotBodies []string
	for _, r := range after {
		got = append(got, r.ID)
		gotBodies = append(gotBodies, r.User+" "+r.Method+" "+r.Path+" "+string(r.Body))
	}
	slices.Sort(got)
	slices.Sort(gotBodies)
	if !slices.Equal(got, ids) || len(ids) != 6 {
		t.Errorf("delivered ids %v, want every delivery once: %v", got, ids)
	}
	before := rc.requests()
	for _, r := range before {
		if !slices.Contains(ids, r.ID) {
			t.Errorf("id %q attempted before the crash is not among the deliveries (ids changed)", r.ID)
		}
	}
	want := []string{
		`app-1 DELETE /maestrano/account/groups/cld-1/users/usr-2/maestrano `,
		`app-1 DELETE /maestrano/account/groups/cld-2/maestrano `,
		`app-1 POST /maestrano/connec/notifications/maestrano {"organizations":[{"group_id":"cld-1","id":"org-1","name":"One"}]}`,
		`app-1 POST /maestrano/connec/notifications/maestrano {"organizations":[{"group_id":"cld-2","id":"org-2","name":"Two"}]}`,
		`app-2 DELETE /hooks/app-2/groups/cld-1/users/usr-2 `,
		`app-2 POST /hooks/app-2/connec {"organizations":[{"group_id":"cld-1","id":"org-3","name":"Three"}]}`,
	}
	if !slices.Equal(gotBodies, want) {
		t.Errorf("after restart got\n%s\nwant\n%s", strings.Join(gotBodies, "\n"), strings.Join(want, "\n"))
	}
	t.Logf("%d attempts in flight at the kill, %d deliveries after restart", len(before), len(after))
}
