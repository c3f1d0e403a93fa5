package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Seed identifiers and defaults.
const (
	// SeedAppUID is the uid of the demo app created by [Store.Seed].
	SeedAppUID = "app-1"
	// SeedMarketplace is the name of the marketplace created by [Store.Seed].
	SeedMarketplace = "maestrano"
	// DefaultAppHost is the demo app's host until the sandbox is told otherwise.
	DefaultAppHost = "http://127.0.0.1:8081"
)

// Seed fills an empty database with the demo data: fresh random environment
// credentials, the "maestrano" marketplace, the demo app "app-1", two groups
// and three users with their memberships. now is the creation time of the
// groups. Seed runs in one transaction and does nothing (returning false) if
// the database was already seeded.
func (s *Store) Seed(ctx context.Context, now time.Time) (seeded bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var at string
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, settingSeededAt).Scan(&at)
		if err == nil {
			return nil // already seeded
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := seed(ctx, tx, now.UTC().Truncate(time.Second)); err != nil {
			return err
		}
		seeded = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: seed: %w", err)
	}
	return seeded, nil
}

func seed(ctx context.Context, tx *sql.Tx, now time.Time) error {
	exec := func(query string, args ...any) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	}
	const setting = `INSERT INTO settings (key, value) VALUES (?, ?)`
	if err := exec(setting, settingEnvKey, newEnvKey()); err != nil {
		return err
	}
	if err := exec(setting, settingEnvSecret, newEnvSecret()); err != nil {
		return err
	}
	if err := exec(setting, settingSeededAt, formatTime(now)); err != nil {
		return err
	}

	if err := exec(`INSERT INTO apps (`+appColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		SeedAppUID, "Demo App", newAPIKey(), DefaultAppHost, DefaultAppHost,
		"/maestrano/auth/saml/init/maestrano", "/maestrano/auth/saml/consume/maestrano",
		"/maestrano/synchronizations", "/maestrano/synchronizations/toggle_sync", "/maestrano/synchronizations/:cld-uid",
		"/maestrano/account/groups/:id/maestrano", "/maestrano/account/groups/:group_id/users/:id/maestrano",
		"/maestrano/connec/notifications/maestrano", true, nil,
		"/api/v2", 60, "/api/v1/"); err != nil {
		return err
	}
	if err := exec(`INSERT INTO marketplaces (name, nid, environment, app_uid) VALUES (?, ?, ?, ?)`,
		SeedMarketplace, "demo-app", "sandbox", SeedAppUID); err != nil {
		return err
	}

	trialEnd := now.AddDate(0, 1, 0)
	for _, g := range []struct{ uid, name, org string }{
		{"cld-1", "Acme Corp", "org-1"},
		{"cld-2", "Globex Ltd", "org-2"},
	} {
		if err := exec(`INSERT INTO groups (`+groupColumns+`) VALUES (?,?,?,?,?,?,?,?,?)`,
			g.uid, g.name, g.org, "USD", "America/Los_Angeles", "US", "Los Angeles",
			formatTime(now), formatTime(trialEnd)); err != nil {
			return err
		}
		if err := exec(`INSERT INTO group_apps (group_uid, app_uid) VALUES (?, ?)`, g.uid, SeedAppUID); err != nil {
			return err
		}
	}

	for _, u := range []struct{ uid, first, last, email, company string }{
		{"usr-1", "John", "Doe", "john.doe@example.com", "Acme Corp"},
		{"usr-2", "Jane", "Roe", "jane.roe@example.com", "Acme Corp"},
		{"usr-3", "Alan", "Smithee", "alan.smithee@example.com", "Globex Ltd"},
	} {
		if err := exec(`INSERT INTO users (`+userColumns+`) VALUES (?,?,?,?,?,?,?)`,
			u.uid, u.first, u.last, u.email, u.company, "US", NewSSOSession()); err != nil {
			return err
		}
	}

	for _, m := range []Membership{
		{"usr-1", "cld-1", RoleAdmin},
		{"usr-1", "cld-2", RoleMember},
		{"usr-2", "cld-1", RolePowerUser},
		{"usr-3", "cld-2", RoleSuperAdmin},
	} {
		if err := exec(`INSERT INTO memberships (user_uid, group_uid, role) VALUES (?, ?, ?)`,
			m.UserUID, m.GroupUID, m.Role); err != nil {
			return err
		}
	}
	return nil
}
