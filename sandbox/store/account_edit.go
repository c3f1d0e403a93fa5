package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// nextSeq returns the next number N for ids prefix-N in table.
func nextSeq(ctx context.Context, tx *sql.Tx, table, prefix string) (int, error) {
	// table and prefix are constants of this package, never input.
	rows, err := tx.QueryContext(ctx, `SELECT uid FROM `+table)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	max := 0
	for rows.Next() {
		var uid string
		if err := rows.Scan(&uid); err != nil {
			return 0, err
		}
		if n, ok := seqNumber(prefix, uid); ok && n > max {
			max = n
		}
	}
	return max + 1, rows.Err()
}

// UpdateApp changes the editable fields of an app (everything but its uid
// and API key). The caller validates URLs and paths. It returns
// [ErrNotFound] for an unknown app.
func (s *Store) UpdateApp(ctx context.Context, a App) error {
	if !contains(SignatureAlgorithms, a.SignatureAlgorithm) {
		return fmt.Errorf("store: unknown signature algorithm %q", clipMsg(a.SignatureAlgorithm))
	}
	res, err := s.exec(ctx, `UPDATE apps SET name = ?, host = ?, sso_idm = ?, sso_init_path = ?, sso_consume_path = ?,
	sync_start_path = ?, sync_toggle_path = ?, sync_status_path = ?, group_path = ?, group_user_path = ?,
	connec_notification_path = ?, connec_external_ids = ?, connec_initialization_path = ?,
	connec_base_path = ?, connec_timeout = ?, api_base = ?, sso_signature_algorithm = ? WHERE uid = ?`,
		a.Name, a.Host, a.SSOIdM, a.SSOInitPath, a.SSOConsumePath,
		a.SyncStartPath, a.SyncTogglePath, a.SyncStatusPath, a.GroupPath, a.GroupUserPath,
		a.ConnecNotificationPath, a.ConnecExternalIDs, a.ConnecInitializationPath,
		a.ConnecBasePath, a.ConnecTimeout, a.APIBase, a.SignatureAlgorithm, a.UID)
	if err != nil {
		return wrap("update app", err)
	}
	return requireOneRow(res)
}

// UpdateMarketplace changes the marketplace name, NID and environment of an
// app's publication. It returns [ErrNotFound] for an unknown app or
// environment, [ErrConflict] when the environment already has an app on that
// marketplace.
func (s *Store) UpdateMarketplace(ctx context.Context, m Marketplace) error {
	if !reName.MatchString(m.Name) || !reName.MatchString(m.NID) {
		return fmt.Errorf("store: marketplace name and nid must be 1 to 64 of a-z 0-9 . _ -")
	}
	return wrap("update marketplace", s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM environments WHERE name = ?`, m.Environment).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE marketplaces SET name = ?, nid = ?, environment = ? WHERE app_uid = ?`,
			m.Name, m.NID, m.Environment, m.AppUID)
		if err != nil {
			return err
		}
		return requireOneRow(res)
	}))
}

// CreateGroup stores g under the next id "cld-N" (and "org-N" when g has no
// OrgUID), linked to apps, and returns it. The caller validates g
// ([ValidateGroup]). Unknown apps or reseller give [ErrNotFound].
func (s *Store) CreateGroup(ctx context.Context, g Group, apps []string, now time.Time) (Group, error) {
	now = now.UTC().Truncate(time.Second)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n, err := nextSeq(ctx, tx, "groups", "cld-")
		if err != nil {
			return err
		}
		g.UID = "cld-" + strconv.Itoa(n)
		if g.OrgUID == "" {
			g.OrgUID = "org-" + strconv.Itoa(n)
		}
		if g.Email == "" {
			g.Email = g.UID + "@example.com"
		}
		if g.CreatedAt.IsZero() {
			g.CreatedAt = now
		}
		if g.FreeTrialEnd.IsZero() {
			g.FreeTrialEnd = g.CreatedAt.AddDate(0, 1, 0)
		}
		g.UpdatedAt = now
		if err := insertGroup(ctx, tx, g); err != nil {
			return fkNotFound(err)
		}
		return setGroupApps(ctx, tx, g.UID, apps)
	})
	return g, wrap("create group", err)
}

// fkNotFound maps a foreign-key failure (an unknown referenced row) to
// [ErrNotFound].
func fkNotFound(err error) error {
	if err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed") {
		return ErrNotFound
	}
	return err
}

func setGroupApps(ctx context.Context, tx *sql.Tx, groupUID string, apps []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM group_apps WHERE group_uid = ?`, groupUID); err != nil {
		return err
	}
	for _, a := range apps {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO group_apps (group_uid, app_uid) VALUES (?, ?)`, groupUID, a); err != nil {
			return fkNotFound(err)
		}
	}
	return nil
}

// UpdateGroup changes the editable fields of a group and, when apps is not
// nil, the apps it uses. It returns [ErrNotFound] for an unknown group, app
// or reseller.
func (s *Store) UpdateGroup(ctx context.Context, g Group, apps []string, now time.Time) error {
	var reseller any
	if g.ResellerUID != "" {
		reseller = g.ResellerUID
	}
	return wrap("update group", s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE groups SET name = ?, org_uid = ?, currency = ?, timezone = ?, country = ?, city = ?,
	free_trial_end = ?, email = ?, status = ?, has_credit_card = ?, main_accounting = ?, reseller_uid = ?, updated_at = ?
WHERE uid = ?`, g.Name, g.OrgUID, g.Currency, g.Timezone, g.Country, g.City, formatTime(g.FreeTrialEnd),
			g.Email, g.Status, g.HasCreditCard, g.MainAccounting, reseller, formatTime(now), g.UID)
		if err != nil {
			return fkNotFound(err)
		}
		if err := requireOneRow(res); err != nil {
			return err
		}
		if apps == nil {
			return nil
		}
		return setGroupApps(ctx, tx, g.UID, apps)
	}))
}

// CreateUser stores u under the next id "usr-N" with a fresh SSO session and
// returns it. The caller validates u ([ValidateUser]).
func (s *Store) CreateUser(ctx context.Context, u User, now time.Time) (User, error) {
	now = now.UTC().Truncate(time.Second)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		n, err := nextSeq(ctx, tx, "users", "usr-")
		if err != nil {
			return err
		}
		u.UID = "usr-" + strconv.Itoa(n)
		u.SSOSession = NewSSOSession()
		u.CreatedAt, u.UpdatedAt = now, now
		return insertUser(ctx, tx, u)
	})
	return u, wrap("create user", err)
}

// UpdateUser changes the editable fields of a user (names, email, company,
// country, password). It returns [ErrNotFound] for an unknown user.
func (s *Store) UpdateUser(ctx context.Context, u User, now time.Time) error {
	res, err := s.exec(ctx, `UPDATE users SET first_name = ?, last_name = ?, email = ?, company_name = ?,
	country = ?, password = ?, updated_at = ? WHERE uid = ?`,
		u.FirstName, u.LastName, u.Email, u.CompanyName, u.Country, u.Password, formatTime(now), u.UID)
	if err != nil {
		return wrap("update user", err)
	}
	return requireOneRow(res)
}

// SetMembership adds a user to a group with a role, or changes the role of
// an existing membership. It returns [ErrNotFound] for an unknown user or
// group.
func (s *Store) SetMembership(ctx context.Context, m Membership) error {
	if !contains(Roles, m.Role) {
		return fmt.Errorf("store: unknown role %q", clipMsg(m.Role))
	}
	_, err := s.exec(ctx, `INSERT INTO memberships (user_uid, group_uid, role) VALUES (?, ?, ?)
ON CONFLICT (user_uid, group_uid) DO UPDATE SET role = excluded.role`, m.UserUID, m.GroupUID, m.Role)
	return wrap("set membership", fkNotFound(err))
}
