package store

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

// TestMigrateV4ToV5: a database released at schema 4, already seeded, is
// migrated forward; its apps get the sandbox-default signature algorithm,
// and the column refuses unknown algorithms.
func TestMigrateV4ToV5(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sandbox.db")
	db, err := sql.Open(DriverName, path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	for v, m := range migrations[:4] {
		if _, err := db.ExecContext(ctx, m); err != nil {
			t.Fatalf("migration %d: %v", v+1, err)
		}
	}
	if _, err := db.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, 4)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO apps (uid, name, api_key, host, sso_idm, sso_init_path, sso_consume_path,
	group_path, group_user_path, connec_notification_path, connec_external_ids, connec_base_path, connec_timeout, api_base)
	VALUES ('app-1', 'Old', 'k', 'http://h', 'http://h', '/i', '/c', '/g', '/gu', '/n', 1, '/api/v2', 60, '/api/v1/')`); err != nil {
		t.Fatal(err)
	}
	_ = db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := s.App(ctx, "app-1")
	if err != nil || a.Name != "Old" || a.SignatureAlgorithm != "" {
		t.Fatalf("app after migration %+v, %v", a, err)
	}
	a.SignatureAlgorithm = SignatureRSASHA1
	if err := s.UpdateApp(ctx, a); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.App(ctx, "app-1"); a.SignatureAlgorithm != SignatureRSASHA1 {
		t.Errorf("algorithm %q", a.SignatureAlgorithm)
	}
	a.SignatureAlgorithm = "rsa-md5"
	if err := s.UpdateApp(ctx, a); err == nil {
		t.Error("UpdateApp accepted rsa-md5")
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE apps SET sso_signature_algorithm = 'x'`); err == nil {
		t.Error("the column accepted 'x'")
	}
}
