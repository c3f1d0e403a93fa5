package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Setting keys of the settings table.
const (
	settingSeededAt = "seeded_at"
)

// EnvCredentials returns the credentials of the first developer-platform
// environment. It returns [ErrNotFound] before [Store.Seed].
func (s *Store) EnvCredentials(ctx context.Context) (Credentials, error) {
	envs, err := s.Environments(ctx)
	if err != nil {
		return Credentials{}, err
	}
	if len(envs) == 0 {
		return Credentials{}, ErrNotFound
	}
	return Credentials{Key: envs[0].Key, Secret: envs[0].Secret}, nil
}

const appColumns = `uid, name, api_key, host, sso_idm, sso_init_path, sso_consume_path,
	sync_start_path, sync_toggle_path, sync_status_path, group_path, group_user_path,
	connec_notification_path, connec_external_ids, connec_initialization_path,
	connec_base_path, connec_timeout, api_base, sso_signature_algorithm`

type scanner interface{ Scan(dest ...any) error }

func scanApp(row scanner) (App, error) {
	var a App
	var initPath sql.NullString
	err := row.Scan(&a.UID, &a.Name, &a.APIKey, &a.Host, &a.SSOIdM, &a.SSOInitPath, &a.SSOConsumePath,
		&a.SyncStartPath, &a.SyncTogglePath, &a.SyncStatusPath, &a.GroupPath, &a.GroupUserPath,
		&a.ConnecNotificationPath, &a.ConnecExternalIDs, &initPath,
		&a.ConnecBasePath, &a.ConnecTimeout, &a.APIBase, &a.SignatureAlgorithm)
	if initPath.Valid {
		a.ConnecInitializationPath = &initPath.String
	}
	return a, err
}

// App returns the app with the given uid, or [ErrNotFound].
func (s *Store) App(ctx context.Context, uid string) (App, error) {
	return queryOne(ctx, s.db, "app", scanApp, `SELECT `+appColumns+` FROM apps WHERE uid = ?`, uid)
}

// Apps returns every app, ordered by uid.
func (s *Store) Apps(ctx context.Context) ([]App, error) {
	return queryAll(ctx, s.db, "apps", scanApp, `SELECT `+appColumns+` FROM apps ORDER BY length(uid), uid`)
}

// SetAppHost sets both the host and the SSO IdM host of an app. The caller
// validates the URL. It returns [ErrNotFound] for an unknown app.
func (s *Store) SetAppHost(ctx context.Context, uid, host string) error {
	res, err := s.exec(ctx, `UPDATE apps SET host = ?, sso_idm = ? WHERE uid = ?`, host, host, uid)
	if err != nil {
		return fmt.Errorf("store: set app host: %w", err)
	}
	return requireOneRow(res)
}

// Marketplaces returns every publication of an app on a marketplace,
// ordered by marketplace name, then app uid.
func (s *Store) Marketplaces(ctx context.Context) ([]Marketplace, error) {
	return queryAll(ctx, s.db, "marketplaces", scanMarketplace, `SELECT name, nid, environment, app_uid FROM marketplaces ORDER BY name, length(app_uid), app_uid`)
}

func scanMarketplace(row scanner) (Marketplace, error) {
	var m Marketplace
	err := row.Scan(&m.Name, &m.NID, &m.Environment, &m.AppUID)
	return m, err
}

const groupColumns = `uid, name, org_uid, currency, timezone, country, city, created_at, free_trial_end`

// groupSelect is groupColumns and the account-API columns.
const groupSelect = groupColumns + `, email, status, has_credit_card, main_accounting, COALESCE(reseller_uid, ''), updated_at`

func scanGroup(row scanner) (Group, error) {
	var g Group
	var created, trial, updated string
	if err := row.Scan(&g.UID, &g.Name, &g.OrgUID, &g.Currency, &g.Timezone, &g.Country, &g.City, &created, &trial,
		&g.Email, &g.Status, &g.HasCreditCard, &g.MainAccounting, &g.ResellerUID, &updated); err != nil {
		return Group{}, err
	}
	var err error
	if g.CreatedAt, err = parseTime(created); err != nil {
		return Group{}, err
	}
	if g.FreeTrialEnd, err = parseTime(trial); err != nil {
		return Group{}, err
	}
	// Rows inserted with the core columns only have no updated_at.
	if g.UpdatedAt, err = parseTimeOr(updated, g.CreatedAt); err != nil {
		return Group{}, err
	}
	return g, nil
}

// Group returns the group with the given uid, or [ErrNotFound].
func (s *Store) Group(ctx context.Context, uid string) (Group, error) {
	return queryOne(ctx, s.db, "group", scanGroup, `SELECT `+groupSelect+` FROM groups WHERE uid = ?`, uid)
}

// Groups returns every group, ordered by uid.
func (s *Store) Groups(ctx context.Context) ([]Group, error) {
	return queryAll(ctx, s.db, "groups", scanGroup, `SELECT `+groupSelect+` FROM groups ORDER BY length(uid), uid`)
}

const userColumns = `uid, first_name, last_name, email, company_name, country, sso_session`

// userSelect is userColumns and the account-API columns.
const userSelect = userColumns + `, password, created_at, updated_at`

func scanUser(row scanner) (User, error) {
	var u User
	var created, updated string
	if err := row.Scan(&u.UID, &u.FirstName, &u.LastName, &u.Email, &u.CompanyName, &u.Country, &u.SSOSession,
		&u.Password, &created, &updated); err != nil {
		return User{}, err
	}
	// Rows inserted with the core columns only have no timestamps.
	var err error
	if u.CreatedAt, err = parseTimeOr(created, time.Time{}); err != nil {
		return User{}, err
	}
	if u.UpdatedAt, err = parseTimeOr(updated, u.CreatedAt); err != nil {
		return User{}, err
	}
	return u, nil
}

// User returns the user with the given uid, or [ErrNotFound].
func (s *Store) User(ctx context.Context, uid string) (User, error) {
	return queryOne(ctx, s.db, "user", scanUser, `SELECT `+userSelect+` FROM users WHERE uid = ?`, uid)
}

// Users returns every user, ordered by uid.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	return queryAll(ctx, s.db, "users", scanUser, `SELECT `+userSelect+` FROM users ORDER BY length(uid), uid`)
}

// SetSSOSession replaces the SSO session token of a user. It returns
// [ErrNotFound] for an unknown user.
func (s *Store) SetSSOSession(ctx context.Context, userUID, token string) error {
	res, err := s.exec(ctx, `UPDATE users SET sso_session = ? WHERE uid = ?`, token, userUID)
	if err != nil {
		return fmt.Errorf("store: set sso session: %w", err)
	}
	return requireOneRow(res)
}

// Memberships returns every membership, ordered by user then group uid.
func (s *Store) Memberships(ctx context.Context) ([]Membership, error) {
	return s.memberships(ctx, `SELECT user_uid, group_uid, role FROM memberships ORDER BY length(user_uid), user_uid, length(group_uid), group_uid`)
}

// AppMemberships returns the memberships in groups that have the given app,
// ordered by user then group uid. With a non-empty userUID only that user's
// memberships are returned.
func (s *Store) AppMemberships(ctx context.Context, appUID, userUID string) ([]Membership, error) {
	return s.memberships(ctx, `
SELECT m.user_uid, m.group_uid, m.role
FROM memberships m JOIN group_apps ga ON ga.group_uid = m.group_uid
WHERE ga.app_uid = ? AND (? = '' OR m.user_uid = ?)
ORDER BY length(m.user_uid), m.user_uid, length(m.group_uid), m.group_uid`, appUID, userUID, userUID)
}

func (s *Store) memberships(ctx context.Context, query string, args ...any) ([]Membership, error) {
	return queryAll(ctx, s.db, "memberships", scanMembership, query, args...)
}

func scanMembership(row scanner) (Membership, error) {
	var m Membership
	err := row.Scan(&m.UserUID, &m.GroupUID, &m.Role)
	return m, err
}

// queryAll runs query and scans every row with scan; what names the query
// in errors.
func queryAll[T any](ctx context.Context, db *sql.DB, what string, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	out, err := queryRows(ctx, db, scan, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return out, nil
}

// queryRows runs query on q (the database or a transaction) and scans every
// row with scan. It reads every row before returning, so that a caller in a
// transaction can write in it afterwards.
func queryRows[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// queryOne runs query and scans its one row with scan, or returns
// [ErrNotFound]; what names the query in errors.
func queryOne[T any](ctx context.Context, db *sql.DB, what string, scan func(scanner) (T, error), query string, args ...any) (T, error) {
	v, err := scan(db.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		var zero T
		return zero, ErrNotFound
	}
	if err != nil {
		var zero T
		return zero, fmt.Errorf("store: %s: %w", what, err)
	}
	return v, nil
}

func requireOneRow(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: rows affected: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// parseTimeOr parses a stored timestamp; "" gives fallback.
func parseTimeOr(s string, fallback time.Time) (time.Time, error) {
	if s == "" {
		return fallback, nil
	}
	return parseTime(s)
}
