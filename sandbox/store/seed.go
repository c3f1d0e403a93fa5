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

// Seed fills an empty database with [DefaultWorld]; see [Store.SeedWorld].
func (s *Store) Seed(ctx context.Context, now time.Time) (seeded bool, err error) {
	return s.SeedWorld(ctx, now, DefaultWorld())
}

// SeedWorld fills an empty database with w: environments (random
// credentials where w gives none), apps (random API keys where w gives
// none), their marketplaces and Connec! subscriptions, resellers, groups,
// users (each with a fresh random SSO session), memberships, bills and
// recurring bills. now is the creation time of whatever w does not date.
// SeedWorld runs in one transaction and does nothing (returning false) if
// the database was already seeded; errors in w are [*SeedError].
func (s *Store) SeedWorld(ctx context.Context, now time.Time, w *World) (seeded bool, err error) {
	if w == nil {
		w = DefaultWorld()
	}
	now = now.UTC().Truncate(time.Second)
	r, err := w.resolve(now)
	if err != nil {
		return false, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var at string
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, settingSeededAt).Scan(&at)
		if err == nil {
			return nil // already seeded
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := seed(ctx, tx, now, r); err != nil {
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

func seed(ctx context.Context, tx *sql.Tx, now time.Time, r *resolved) error {
	exec := func(query string, args ...any) error {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	}
	if err := exec(`INSERT INTO settings (key, value) VALUES (?, ?)`, settingSeededAt, formatTime(now)); err != nil {
		return err
	}
	for _, e := range r.envs {
		if err := exec(`INSERT INTO environments (name, api_key, api_secret) VALUES (?, ?, ?)`, e.Name, e.Key, e.Secret); err != nil {
			return err
		}
	}
	for i, a := range r.apps {
		if err := insertApp(ctx, tx, a); err != nil {
			return err
		}
		p := r.pubs[i]
		if err := exec(`INSERT INTO marketplaces (name, nid, environment, app_uid) VALUES (?, ?, ?, ?)`,
			p.Name, p.NID, p.Environment, p.AppUID); err != nil {
			return err
		}
		for _, c := range r.subs[a.UID] {
			if err := exec(`INSERT INTO app_connec_subscriptions (app_uid, collection) VALUES (?, ?)`, a.UID, c); err != nil {
				return err
			}
		}
	}
	for _, rs := range r.resellers {
		if err := exec(`INSERT INTO resellers (`+resellerColumns+`) VALUES (?,?,?,?,?,?)`,
			rs.UID, rs.Name, rs.Code, rs.Country, formatTime(rs.CreatedAt), formatTime(rs.UpdatedAt)); err != nil {
			return err
		}
	}
	for _, g := range r.groups {
		if err := insertGroup(ctx, tx, g); err != nil {
			return err
		}
	}
	for _, ga := range r.groupApps {
		if err := exec(`INSERT INTO group_apps (group_uid, app_uid) VALUES (?, ?)`, ga[0], ga[1]); err != nil {
			return err
		}
	}
	for _, u := range r.users {
		if err := insertUser(ctx, tx, u); err != nil {
			return err
		}
	}
	for _, m := range r.mems {
		if err := exec(`INSERT INTO memberships (user_uid, group_uid, role) VALUES (?, ?, ?)`,
			m.UserUID, m.GroupUID, m.Role); err != nil {
			return err
		}
	}
	for _, b := range r.bills {
		n, _ := seqNumber("bill-", b.UID)
		if _, err := insertBill(ctx, tx, b, int64(n)); err != nil {
			return err
		}
	}
	for _, b := range r.rbills {
		n, _ := seqNumber("rbill-", b.UID)
		if _, err := insertRecurringBill(ctx, tx, b, int64(n)); err != nil {
			return err
		}
	}
	return nil
}

func insertApp(ctx context.Context, tx *sql.Tx, a App) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO apps (`+appColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		a.UID, a.Name, a.APIKey, a.Host, a.SSOIdM, a.SSOInitPath, a.SSOConsumePath,
		a.SyncStartPath, a.SyncTogglePath, a.SyncStatusPath, a.GroupPath, a.GroupUserPath,
		a.ConnecNotificationPath, a.ConnecExternalIDs, a.ConnecInitializationPath,
		a.ConnecBasePath, a.ConnecTimeout, a.APIBase, a.SignatureAlgorithm)
	return err
}

func insertGroup(ctx context.Context, tx *sql.Tx, g Group) error {
	var reseller any
	if g.ResellerUID != "" {
		reseller = g.ResellerUID
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO groups (`+groupColumns+`, email, status, has_credit_card, main_accounting, reseller_uid, updated_at)
VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		g.UID, g.Name, g.OrgUID, g.Currency, g.Timezone, g.Country, g.City, formatTime(g.CreatedAt), formatTime(g.FreeTrialEnd),
		g.Email, g.Status, g.HasCreditCard, g.MainAccounting, reseller, formatTime(g.UpdatedAt))
	return err
}

func insertUser(ctx context.Context, tx *sql.Tx, u User) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`, password, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)`,
		u.UID, u.FirstName, u.LastName, u.Email, u.CompanyName, u.Country, u.SSOSession, u.Password,
		formatTime(u.CreatedAt), formatTime(u.UpdatedAt))
	return err
}
