package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

// ErrConflict is returned when a write would break a uniqueness rule: a
// second app of one environment on the same marketplace, or an external id
// that already names another Connec! entity.
var ErrConflict = errors.New("store: conflict")

// ErrInvoiced is returned when a bill that has been invoiced is cancelled.
var ErrInvoiced = errors.New("store: bill already invoiced")

// Bill statuses.
const (
	BillSubmitted = "submitted"
	BillCancelled = "cancelled"
	BillInvoiced  = "invoiced"
)

// Recurring bill statuses.
const (
	RecurringSubmitted = "submitted"
	RecurringActive    = "active"
	RecurringExpired   = "expired"
	RecurringCancelled = "cancelled"
)

// Environment is a developer-platform environment: an app presents Key and
// Secret (HTTP Basic) and receives the marketplaces of the environment.
type Environment struct {
	Name   string // e.g. "sandbox"
	Key    string // HTTP Basic user
	Secret string // HTTP Basic password; secret
}

// Reseller is a partner who sells apps to groups.
type Reseller struct {
	UID       string // e.g. "rsl-1"
	Name      string // e.g. "Blue Consulting"
	Code      string // e.g. "US-204512-BCL"
	Country   string // ISO 3166-1 alpha-2
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Bill is a one-off charge an app puts on a group.
type Bill struct {
	UID             string // "bill-N"
	AppUID          string // the app that created it
	GroupUID        string // the group charged
	PriceCents      int64
	Currency        string   // ISO 4217
	Units           *float64 // nil when not given
	Description     string
	PeriodStartedAt *time.Time
	PeriodEndedAt   *time.Time
	ThirdParty      bool
	Status          string // one of the Bill* statuses
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// RecurringBill is a charge repeated every Frequency Periods.
type RecurringBill struct {
	UID             string // "rbill-N"
	AppUID          string
	GroupUID        string
	PriceCents      int64
	Currency        string
	Description     string
	Period          string // one of [RecurringPeriods]
	Frequency       int
	Cycles          *int // nil: unlimited
	StartDate       time.Time
	InitialCents    int64
	Status          string // one of the Recurring* statuses
	LastExecutionAt *time.Time
	NextExecutionAt *time.Time
	RemainingCycles *int
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// FieldErrors maps a field name to its error messages, the shape of the
// account API's "errors" object.
type FieldErrors map[string][]string

// Add appends msg to the messages of field.
func (e FieldErrors) Add(field, msg string) { e[field] = append(e[field], msg) }

// Fields returns the fields with errors, sorted.
func (e FieldErrors) Fields() []string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Messages used by the original platform (Rails validation messages).
const (
	MsgBlank       = "can't be blank"
	MsgNotANumber  = "is not a number"
	MsgNotInteger  = "must be an integer"
	MsgPositive    = "must be greater than 0"
	MsgNonNegative = "must be greater than or equal to 0"
	MsgNotInList   = "is not included in the list"
)

// ValidateBill checks the fields of b that a client controls.
func ValidateBill(b Bill) FieldErrors {
	errs := FieldErrors{}
	if b.PriceCents <= 0 {
		errs.Add("price_cents", MsgPositive)
	}
	checkDescription(errs, b.Description)
	if !IsCurrency(b.Currency) {
		errs.Add("currency", MsgNotInList)
	}
	if b.Units != nil && (math.IsNaN(*b.Units) || math.IsInf(*b.Units, 0) || *b.Units <= 0 || *b.Units > 1e9) {
		errs.Add("units", MsgPositive)
	}
	return errs
}

// ValidateRecurringBill checks the fields of b that a client controls,
// except that the start date is not in the past (which depends on the
// clock).
func ValidateRecurringBill(b RecurringBill) FieldErrors {
	errs := FieldErrors{}
	if b.PriceCents <= 0 {
		errs.Add("price_cents", MsgPositive)
	}
	checkDescription(errs, b.Description)
	if !IsCurrency(b.Currency) {
		errs.Add("currency", MsgNotInList)
	}
	if !contains(RecurringPeriods, b.Period) {
		errs.Add("period", MsgNotInList)
	}
	if b.Frequency < 1 || b.Frequency > 1000 {
		errs.Add("frequency", MsgPositive)
	}
	if b.Cycles != nil && (*b.Cycles < 1 || *b.Cycles > 100000) {
		errs.Add("cycles", MsgPositive)
	}
	if b.InitialCents < 0 {
		errs.Add("initial_cents", MsgNonNegative)
	}
	return errs
}

func checkDescription(errs FieldErrors, d string) {
	switch {
	case strings.TrimSpace(d) == "":
		errs.Add("description", MsgBlank)
	case len(d) > 1000:
		errs.Add("description", "is too long (maximum is 1000 characters)")
	case !isCleanText(d):
		errs.Add("description", "contains control characters or invalid UTF-8")
	}
}

// ValidateGroup checks the editable fields of a group.
func ValidateGroup(g Group) FieldErrors {
	errs := FieldErrors{}
	if strings.TrimSpace(g.Name) == "" {
		errs.Add("name", MsgBlank)
	} else if err := CheckText(g.Name, 200); err != nil {
		errs.Add("name", err.Error())
	}
	if !reOrgUID.MatchString(g.OrgUID) {
		errs.Add("org_uid", "must be org- followed by 1 to 32 letters or digits")
	}
	if !IsCurrency(g.Currency) {
		errs.Add("currency", MsgNotInList)
	}
	if !reTimezone.MatchString(g.Timezone) {
		errs.Add("timezone", "must be an Olson time zone name such as America/Los_Angeles")
	}
	if !reCountry.MatchString(g.Country) {
		errs.Add("country", "must be an ISO 3166-1 alpha-2 code such as US")
	}
	if err := CheckText(g.City, 100); err != nil {
		errs.Add("city", err.Error())
	}
	if err := CheckEmail(g.Email); err != nil {
		errs.Add("email", err.Error())
	}
	if !reStatus.MatchString(g.Status) {
		errs.Add("status", "must be 1 to 32 of a-z and _")
	}
	if !contains(MainAccountings, g.MainAccounting) {
		errs.Add("main_accounting", MsgNotInList)
	}
	return errs
}

// ValidateUser checks the editable fields of a user.
func ValidateUser(u User) FieldErrors {
	errs := FieldErrors{}
	if strings.TrimSpace(u.FirstName) == "" {
		errs.Add("first_name", MsgBlank)
	} else if err := CheckText(u.FirstName, 100); err != nil {
		errs.Add("first_name", err.Error())
	}
	if err := CheckText(u.LastName, 100); err != nil {
		errs.Add("last_name", err.Error())
	}
	if err := CheckEmail(u.Email); err != nil {
		errs.Add("email", err.Error())
	}
	if err := CheckText(u.CompanyName, 200); err != nil {
		errs.Add("company_name", err.Error())
	}
	if !reCountry.MatchString(u.Country) {
		errs.Add("country", "must be an ISO 3166-1 alpha-2 code such as US")
	}
	if err := CheckText(u.Password, 128); err != nil {
		errs.Add("password", err.Error())
	}
	return errs
}

// Environments returns every developer-platform environment, in creation
// order.
func (s *Store) Environments(ctx context.Context) ([]Environment, error) {
	return queryAll(ctx, s.db, "environments", func(row scanner) (Environment, error) {
		var e Environment
		err := row.Scan(&e.Name, &e.Key, &e.Secret)
		return e, err
	}, `SELECT name, api_key, api_secret FROM environments ORDER BY rowid`)
}

// EnvironmentMarketplaces returns the publications of the apps of one
// environment, ordered by marketplace name.
func (s *Store) EnvironmentMarketplaces(ctx context.Context, env string) ([]Marketplace, error) {
	return queryAll(ctx, s.db, "marketplaces", scanMarketplace,
		`SELECT name, nid, environment, app_uid FROM marketplaces WHERE environment = ? ORDER BY name`, env)
}

// AppMarketplace returns the publication of an app, or [ErrNotFound].
func (s *Store) AppMarketplace(ctx context.Context, appUID string) (Marketplace, error) {
	return queryOne(ctx, s.db, "marketplace", scanMarketplace,
		`SELECT name, nid, environment, app_uid FROM marketplaces WHERE app_uid = ?`, appUID)
}

// AppSubscriptions returns the Connec! collections an app is subscribed to,
// sorted.
func (s *Store) AppSubscriptions(ctx context.Context, appUID string) ([]string, error) {
	return queryAll(ctx, s.db, "subscriptions", func(row scanner) (string, error) {
		var c string
		err := row.Scan(&c)
		return c, err
	}, `SELECT collection FROM app_connec_subscriptions WHERE app_uid = ? ORDER BY collection`, appUID)
}

// maxSubscriptions bounds the collections of one app.
const maxSubscriptions = 200

// SetAppSubscriptions replaces the Connec! collections an app is notified
// about. It returns [ErrNotFound] for an unknown app.
func (s *Store) SetAppSubscriptions(ctx context.Context, appUID string, collections []string) error {
	if len(collections) > maxSubscriptions {
		return fmt.Errorf("store: at most %d subscriptions per app", maxSubscriptions)
	}
	for _, c := range collections {
		if !reCollection.MatchString(c) {
			return fmt.Errorf("store: %q is not a collection name", clipMsg(c))
		}
	}
	return wrap("set subscriptions", s.inTx(ctx, func(tx *sql.Tx) error {
		if err := txRequireApp(ctx, tx, appUID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM app_connec_subscriptions WHERE app_uid = ?`, appUID); err != nil {
			return err
		}
		for _, c := range collections {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO app_connec_subscriptions (app_uid, collection) VALUES (?, ?)`, appUID, c); err != nil {
				return err
			}
		}
		return nil
	}))
}

func txRequireApp(ctx context.Context, tx *sql.Tx, appUID string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM apps WHERE uid = ?`, appUID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// wrap prefixes err with the store and an operation, keeping sentinel
// errors reachable with errors.Is.
func wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict), errors.Is(err, ErrInvoiced):
		return err
	case strings.Contains(err.Error(), "UNIQUE constraint failed"):
		return ErrConflict
	default:
		return fmt.Errorf("store: %s: %w", op, err)
	}
}

func scanReseller(row scanner) (Reseller, error) {
	var r Reseller
	var created, updated string
	if err := row.Scan(&r.UID, &r.Name, &r.Code, &r.Country, &created, &updated); err != nil {
		return Reseller{}, err
	}
	var err error
	if r.CreatedAt, err = parseTime(created); err != nil {
		return Reseller{}, err
	}
	r.UpdatedAt, err = parseTime(updated)
	return r, err
}

const resellerColumns = `uid, name, code, country, created_at, updated_at`

// Resellers returns every reseller, ordered by uid.
func (s *Store) Resellers(ctx context.Context) ([]Reseller, error) {
	return queryAll(ctx, s.db, "resellers", scanReseller, `SELECT `+resellerColumns+` FROM resellers ORDER BY length(uid), uid`)
}

// Reseller returns the reseller with the given uid, or [ErrNotFound].
func (s *Store) Reseller(ctx context.Context, uid string) (Reseller, error) {
	return queryOne(ctx, s.db, "reseller", scanReseller, `SELECT `+resellerColumns+` FROM resellers WHERE uid = ?`, uid)
}

// AppGroups returns the groups that use an app, ordered by uid.
func (s *Store) AppGroups(ctx context.Context, appUID string) ([]Group, error) {
	return queryAll(ctx, s.db, "groups", scanGroup, `SELECT `+prefixed("g.", groupSelect)+`
FROM groups g JOIN group_apps ga ON ga.group_uid = g.uid
WHERE ga.app_uid = ? ORDER BY length(g.uid), g.uid`, appUID)
}

// GroupApps returns the uids of the apps a group uses, ordered by uid.
func (s *Store) GroupApps(ctx context.Context, groupUID string) ([]string, error) {
	return queryAll(ctx, s.db, "group apps", func(row scanner) (string, error) {
		var a string
		err := row.Scan(&a)
		return a, err
	}, `SELECT app_uid FROM group_apps WHERE group_uid = ? ORDER BY length(app_uid), app_uid`, groupUID)
}

// AppUsers returns the users who are members of a group that uses the app,
// ordered by uid; with a non-empty groupUID, only the members of that group.
func (s *Store) AppUsers(ctx context.Context, appUID, groupUID string) ([]User, error) {
	return queryAll(ctx, s.db, "users", scanUser, `SELECT `+prefixed("u.", userSelect)+` FROM users u
WHERE EXISTS (SELECT 1 FROM memberships m JOIN group_apps ga ON ga.group_uid = m.group_uid
	WHERE m.user_uid = u.uid AND ga.app_uid = ? AND (? = '' OR m.group_uid = ?))
ORDER BY length(u.uid), u.uid`, appUID, groupUID, groupUID)
}

// prefixed qualifies each column of a column list with p (e.g. "g."); an
// expression such as COALESCE(x, ”) has its first argument qualified.
func prefixed(p, cols string) string {
	var parts []string
	depth, start := 0, 0
	for i, c := range cols {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, cols[start:i])
				start = i + 1
			}
		}
	}
	parts = append(parts, cols[start:])
	for i, c := range parts {
		c = strings.TrimSpace(c)
		if rest, ok := strings.CutPrefix(c, "COALESCE("); ok {
			parts[i] = "COALESCE(" + p + rest
			continue
		}
		parts[i] = p + c
	}
	return strings.Join(parts, ", ")
}

const billColumns = `uid, app_uid, group_uid, price_cents, currency, units, description,
	period_started_at, period_ended_at, third_party, status, created_at, updated_at`

func scanBill(row scanner) (Bill, error) {
	var b Bill
	var units sql.NullFloat64
	var started, ended sql.NullString
	var created, updated string
	if err := row.Scan(&b.UID, &b.AppUID, &b.GroupUID, &b.PriceCents, &b.Currency, &units, &b.Description,
		&started, &ended, &b.ThirdParty, &b.Status, &created, &updated); err != nil {
		return Bill{}, err
	}
	if units.Valid {
		b.Units = &units.Float64
	}
	var err error
	if b.PeriodStartedAt, err = parseNullTime(started); err != nil {
		return Bill{}, err
	}
	if b.PeriodEndedAt, err = parseNullTime(ended); err != nil {
		return Bill{}, err
	}
	if b.CreatedAt, err = parseTime(created); err != nil {
		return Bill{}, err
	}
	b.UpdatedAt, err = parseTime(updated)
	return b, err
}

func parseNullTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func nullFloat(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// Bills returns bills ordered by id: with a non-empty appUID only that
// app's, with a non-empty groupUID only that group's.
func (s *Store) Bills(ctx context.Context, appUID, groupUID string) ([]Bill, error) {
	return queryAll(ctx, s.db, "bills", scanBill, `SELECT `+billColumns+` FROM bills
WHERE (? = '' OR app_uid = ?) AND (? = '' OR group_uid = ?) ORDER BY id`, appUID, appUID, groupUID, groupUID)
}

// Bill returns a bill by uid, or [ErrNotFound].
func (s *Store) Bill(ctx context.Context, uid string) (Bill, error) {
	return queryOne(ctx, s.db, "bill", scanBill, `SELECT `+billColumns+` FROM bills WHERE uid = ?`, uid)
}

// CreateBill stores b under the next id "bill-N" and returns it. The caller
// validates b ([ValidateBill]) and that the group uses the app.
func (s *Store) CreateBill(ctx context.Context, b Bill) (Bill, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		b, err = insertBill(ctx, tx, b, 0)
		return err
	})
	return b, wrap("create bill", err)
}

// nextID returns n, or when n is 0 the id after the largest of table
// (a constant of this package, never input).
func nextID(ctx context.Context, tx *sql.Tx, table string, n int64) (int64, error) {
	if n != 0 {
		return n, nil
	}
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM `+table).Scan(&n)
	return n, err
}

// insertBill inserts b with id n, or the next id when n is 0.
func insertBill(ctx context.Context, tx *sql.Tx, b Bill, n int64) (Bill, error) {
	n, err := nextID(ctx, tx, "bills", n)
	if err != nil {
		return Bill{}, err
	}
	b.UID = fmt.Sprintf("bill-%d", n)
	_, err = tx.ExecContext(ctx, `INSERT INTO bills (id, `+billColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		n, b.UID, b.AppUID, b.GroupUID, b.PriceCents, b.Currency, nullFloat(b.Units), b.Description,
		nullTime(b.PeriodStartedAt), nullTime(b.PeriodEndedAt), b.ThirdParty, b.Status, formatTime(b.CreatedAt), formatTime(b.UpdatedAt))
	return b, err
}

// CancelBill cancels a bill of the app (the account API's DELETE):
// idempotent on a cancelled bill, [ErrInvoiced] on an invoiced one,
// [ErrNotFound] if the app has no such bill.
func (s *Store) CancelBill(ctx context.Context, appUID, uid string, now time.Time) (Bill, error) {
	var b Bill
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		b, err = scanBill(tx.QueryRowContext(ctx, `SELECT `+billColumns+` FROM bills WHERE uid = ? AND app_uid = ?`, uid, appUID))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		switch b.Status {
		case BillCancelled:
			return nil
		case BillInvoiced:
			return ErrInvoiced
		}
		b.Status, b.UpdatedAt = BillCancelled, now.UTC().Truncate(time.Second)
		_, err = tx.ExecContext(ctx, `UPDATE bills SET status = ?, updated_at = ? WHERE uid = ?`, b.Status, formatTime(b.UpdatedAt), uid)
		return err
	})
	return b, wrap("cancel bill", err)
}

// SetBillStatus sets the status of a bill from the admin side (e.g.
// "invoiced"), whatever its current status.
func (s *Store) SetBillStatus(ctx context.Context, uid, status string, now time.Time) (Bill, error) {
	if !contains(BillStatuses, status) {
		return Bill{}, fmt.Errorf("store: unknown bill status %q", clipMsg(status))
	}
	res, err := s.exec(ctx, `UPDATE bills SET status = ?, updated_at = ? WHERE uid = ?`, status, formatTime(now), uid)
	if err != nil {
		return Bill{}, wrap("set bill status", err)
	}
	if err := requireOneRow(res); err != nil {
		return Bill{}, err
	}
	return s.Bill(ctx, uid)
}

const recurringBillColumns = `uid, app_uid, group_uid, price_cents, currency, description, period, frequency,
	cycles, start_date, initial_cents, status, last_execution_at, next_execution_at, remaining_cycles, created_at, updated_at`

func scanRecurringBill(row scanner) (RecurringBill, error) {
	var b RecurringBill
	var cycles, remaining sql.NullInt64
	var last, next sql.NullString
	var start, created, updated string
	if err := row.Scan(&b.UID, &b.AppUID, &b.GroupUID, &b.PriceCents, &b.Currency, &b.Description, &b.Period, &b.Frequency,
		&cycles, &start, &b.InitialCents, &b.Status, &last, &next, &remaining, &created, &updated); err != nil {
		return RecurringBill{}, err
	}
	if cycles.Valid {
		c := int(cycles.Int64)
		b.Cycles = &c
	}
	if remaining.Valid {
		r := int(remaining.Int64)
		b.RemainingCycles = &r
	}
	var err error
	if b.LastExecutionAt, err = parseNullTime(last); err != nil {
		return RecurringBill{}, err
	}
	if b.NextExecutionAt, err = parseNullTime(next); err != nil {
		return RecurringBill{}, err
	}
	if b.StartDate, err = parseTime(start); err != nil {
		return RecurringBill{}, err
	}
	if b.CreatedAt, err = parseTime(created); err != nil {
		return RecurringBill{}, err
	}
	b.UpdatedAt, err = parseTime(updated)
	return b, err
}

// RecurringBills returns recurring bills ordered by id, filtered like
// [Store.Bills].
func (s *Store) RecurringBills(ctx context.Context, appUID, groupUID string) ([]RecurringBill, error) {
	return queryAll(ctx, s.db, "recurring bills", scanRecurringBill, `SELECT `+recurringBillColumns+` FROM recurring_bills
WHERE (? = '' OR app_uid = ?) AND (? = '' OR group_uid = ?) ORDER BY id`, appUID, appUID, groupUID, groupUID)
}

// RecurringBill returns a recurring bill by uid, or [ErrNotFound].
func (s *Store) RecurringBill(ctx context.Context, uid string) (RecurringBill, error) {
	return queryOne(ctx, s.db, "recurring bill", scanRecurringBill, `SELECT `+recurringBillColumns+` FROM recurring_bills WHERE uid = ?`, uid)
}

// CreateRecurringBill stores b under the next id "rbill-N"; when
// b.InitialCents is positive it also creates, in the same transaction, the
// one-off bill "Initial: <description>" for that amount, as the original
// platform did at setup.
func (s *Store) CreateRecurringBill(ctx context.Context, b RecurringBill) (RecurringBill, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		b, err = insertRecurringBill(ctx, tx, b, 0)
		if err != nil || b.InitialCents <= 0 {
			return err
		}
		_, err = insertBill(ctx, tx, Bill{AppUID: b.AppUID, GroupUID: b.GroupUID, PriceCents: b.InitialCents,
			Currency: b.Currency, Description: "Initial: " + b.Description, Status: BillSubmitted,
			CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}, 0)
		return err
	})
	return b, wrap("create recurring bill", err)
}

func insertRecurringBill(ctx context.Context, tx *sql.Tx, b RecurringBill, n int64) (RecurringBill, error) {
	n, err := nextID(ctx, tx, "recurring_bills", n)
	if err != nil {
		return RecurringBill{}, err
	}
	b.UID = fmt.Sprintf("rbill-%d", n)
	_, err = tx.ExecContext(ctx, `INSERT INTO recurring_bills (id, `+recurringBillColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		n, b.UID, b.AppUID, b.GroupUID, b.PriceCents, b.Currency, b.Description, b.Period, b.Frequency,
		nullInt(b.Cycles), formatTime(b.StartDate), b.InitialCents, b.Status, nullTime(b.LastExecutionAt),
		nullTime(b.NextExecutionAt), nullInt(b.RemainingCycles), formatTime(b.CreatedAt), formatTime(b.UpdatedAt))
	return b, err
}

// CancelRecurringBill cancels a recurring bill of the app (idempotent), or
// returns [ErrNotFound].
func (s *Store) CancelRecurringBill(ctx context.Context, appUID, uid string, now time.Time) (RecurringBill, error) {
	_, err := s.exec(ctx, `UPDATE recurring_bills SET status = ?, updated_at = ?
WHERE uid = ? AND app_uid = ? AND status <> ?`, RecurringCancelled, formatTime(now), uid, appUID, RecurringCancelled)
	if err != nil {
		return RecurringBill{}, wrap("cancel recurring bill", err)
	}
	b, err := s.RecurringBill(ctx, uid)
	switch {
	case errors.Is(err, ErrNotFound) || (err == nil && b.AppUID != appUID):
		return RecurringBill{}, ErrNotFound
	case err != nil:
		return RecurringBill{}, err // a failure, not an unknown bill
	}
	return b, nil
}

// SetRecurringBillStatus sets the status of a recurring bill from the admin
// side: "active" (also recording the first execution when there was none),
// "expired" (no cycles remain), "cancelled" or "submitted".
func (s *Store) SetRecurringBillStatus(ctx context.Context, uid, status string, now time.Time) (RecurringBill, error) {
	if !contains(RecurringBillStatuses, status) {
		return RecurringBill{}, fmt.Errorf("store: unknown recurring bill status %q", clipMsg(status))
	}
	ts := formatTime(now)
	q := `UPDATE recurring_bills SET status = ?, updated_at = ? WHERE uid = ?`
	args := []any{status, ts, uid}
	switch status {
	case RecurringActive:
		q = `UPDATE recurring_bills SET status = ?, updated_at = ?,
	last_execution_at = COALESCE(last_execution_at, ?) WHERE uid = ?`
		args = []any{status, ts, ts, uid}
	case RecurringExpired:
		q = `UPDATE recurring_bills SET status = ?, updated_at = ?, next_execution_at = NULL,
	remaining_cycles = CASE WHEN cycles IS NULL THEN NULL ELSE 0 END WHERE uid = ?`
	}
	res, err := s.exec(ctx, q, args...)
	if err != nil {
		return RecurringBill{}, wrap("set recurring bill status", err)
	}
	if err := requireOneRow(res); err != nil {
		return RecurringBill{}, err
	}
	return s.RecurringBill(ctx, uid)
}

// settingBaseURL is the settings key of the base URL the sandbox last
// published, read by tools that find the sandbox by its data directory.
const settingBaseURL = "base_url"

// SetBaseURL records the base URL the sandbox publishes.
func (s *Store) SetBaseURL(ctx context.Context, base string) error {
	_, err := s.exec(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value`, settingBaseURL, base)
	return wrap("set base url", err)
}

// BaseURL returns the base URL recorded by [Store.SetBaseURL], or
// [ErrNotFound].
func (s *Store) BaseURL(ctx context.Context) (string, error) {
	return queryOne(ctx, s.db, "base url", func(row scanner) (string, error) {
		var v string
		err := row.Scan(&v)
		return v, err
	}, `SELECT value FROM settings WHERE key = ?`, settingBaseURL)
}

// OpenReadOnly opens an existing database at path for reading only, without
// migrating it: for tools that inspect the state of a sandbox another
// process holds open. The database must be at [SchemaVersion].
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, errors.New("store: database path must not be empty or contain ? or #")
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", DefaultBusyTimeout.Milliseconds()))
	db, err := sql.Open(DriverName, "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	var version int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: read schema version: %w", err)
	}
	if version != SchemaVersion {
		_ = db.Close()
		return nil, fmt.Errorf("store: database schema version %d, want %d (start the sandbox once to migrate it)", version, SchemaVersion)
	}
	return newStore(db), nil
}
