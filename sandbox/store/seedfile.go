package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// MaxSeedFileBytes bounds the size of a seed file.
const MaxSeedFileBytes = 1 << 20

// Default values of a seeded world.
const (
	// DefaultEnvironment is the name of the environment created when a world
	// names none.
	DefaultEnvironment = "sandbox"
	// DefaultCurrency is the currency of a bill that names none, as on the
	// original platform.
	DefaultCurrency = "AUD"
)

// World describes everything a sandbox is seeded with: developer-platform
// environments, apps (each published on one marketplace of one
// environment), resellers, groups, users with their memberships, bills and
// recurring bills. Entries without an id get one from their position
// (the third group is "cld-3"), so a world always seeds the same ids.
//
// A World is read from a JSON or YAML seed file with [ParseWorld] or
// [LoadWorldFile]; [DefaultWorld] is the world of a sandbox started without
// one.
type World struct {
	Environments   []EnvironmentSeed   `json:"environments,omitempty" yaml:"environments,omitempty"`
	Apps           []AppSeed           `json:"apps" yaml:"apps"`
	Resellers      []ResellerSeed      `json:"resellers,omitempty" yaml:"resellers,omitempty"`
	Groups         []GroupSeed         `json:"groups,omitempty" yaml:"groups,omitempty"`
	Users          []UserSeed          `json:"users,omitempty" yaml:"users,omitempty"`
	Bills          []BillSeed          `json:"bills,omitempty" yaml:"bills,omitempty"`
	RecurringBills []RecurringBillSeed `json:"recurring_bills,omitempty" yaml:"recurring_bills,omitempty"`
}

// EnvironmentSeed is a developer-platform environment: the credentials an
// app presents to GET /api/config/v1/marketplaces, and the marketplaces it
// then sees (those of the apps that name this environment).
type EnvironmentSeed struct {
	Name   string `json:"name" yaml:"name"`                         // e.g. "sandbox"; required
	Key    string `json:"key,omitempty" yaml:"key,omitempty"`       // HTTP Basic user; random UUID if empty
	Secret string `json:"secret,omitempty" yaml:"secret,omitempty"` // HTTP Basic password; random if empty
}

// AppSeed is an app published on one marketplace. Paths left empty get the
// defaults of the marketplace, e.g. "/maestrano/auth/saml/init/<marketplace>".
type AppSeed struct {
	ID          string          `json:"id,omitempty" yaml:"id,omitempty"`                   // "app-N"; default by position
	Name        string          `json:"name,omitempty" yaml:"name,omitempty"`               // default "App N"
	APIKey      string          `json:"api_key,omitempty" yaml:"api_key,omitempty"`         // random if empty
	Environment string          `json:"environment,omitempty" yaml:"environment,omitempty"` // default: the first environment
	Marketplace string          `json:"marketplace,omitempty" yaml:"marketplace,omitempty"` // default "maestrano"
	NID         string          `json:"nid,omitempty" yaml:"nid,omitempty"`                 // default: the app id
	Host        string          `json:"host,omitempty" yaml:"host,omitempty"`               // default DefaultAppHost
	APIBase     string          `json:"api_base,omitempty" yaml:"api_base,omitempty"`       // default "/api/v1/"
	SSO         AppSSOSeed      `json:"sso,omitempty" yaml:"sso,omitempty"`
	Sync        AppSyncSeed     `json:"sync,omitempty" yaml:"sync,omitempty"`
	Webhooks    AppWebhooksSeed `json:"webhooks,omitempty" yaml:"webhooks,omitempty"`
	Connec      AppConnecSeed   `json:"connec,omitempty" yaml:"connec,omitempty"`
}

// AppSSOSeed is the SSO part of an [AppSeed].
type AppSSOSeed struct {
	IdM         string `json:"idm,omitempty" yaml:"idm,omitempty"` // default: the app host
	InitPath    string `json:"init_path,omitempty" yaml:"init_path,omitempty"`
	ConsumePath string `json:"consume_path,omitempty" yaml:"consume_path,omitempty"`
	// SignatureAlgorithm is "rsa-sha256", "rsa-sha1" or empty (the
	// sandbox's default) for the assertions this app receives.
	SignatureAlgorithm string `json:"signature_algorithm,omitempty" yaml:"signature_algorithm,omitempty"`
}

// AppSyncSeed holds the connector synchronization paths of an [AppSeed].
type AppSyncSeed struct {
	StartPath  string `json:"start_path,omitempty" yaml:"start_path,omitempty"`
	TogglePath string `json:"toggle_path,omitempty" yaml:"toggle_path,omitempty"`
	StatusPath string `json:"status_path,omitempty" yaml:"status_path,omitempty"`
}

// AppWebhooksSeed holds the webhook paths of an [AppSeed].
type AppWebhooksSeed struct {
	GroupPath          string  `json:"group_path,omitempty" yaml:"group_path,omitempty"`
	GroupUserPath      string  `json:"group_user_path,omitempty" yaml:"group_user_path,omitempty"`
	NotificationPath   string  `json:"notification_path,omitempty" yaml:"notification_path,omitempty"`
	InitializationPath *string `json:"initialization_path,omitempty" yaml:"initialization_path,omitempty"`
	ExternalIDs        *bool   `json:"external_ids,omitempty" yaml:"external_ids,omitempty"` // default true
}

// AppConnecSeed is the Connec! part of an [AppSeed].
type AppConnecSeed struct {
	BasePath      string   `json:"base_path,omitempty" yaml:"base_path,omitempty"` // default "/api/v2"
	Timeout       int      `json:"timeout,omitempty" yaml:"timeout,omitempty"`     // seconds; default 60
	Subscriptions []string `json:"subscriptions,omitempty" yaml:"subscriptions,omitempty"`
}

// ResellerSeed is a reseller; groups name it in their reseller field.
type ResellerSeed struct {
	ID      string `json:"id,omitempty" yaml:"id,omitempty"` // "rsl-N" by default
	Name    string `json:"name" yaml:"name"`
	Code    string `json:"code,omitempty" yaml:"code,omitempty"`
	Country string `json:"country,omitempty" yaml:"country,omitempty"` // default "US"
}

// GroupSeed is a group (customer organization).
type GroupSeed struct {
	ID             string     `json:"id,omitempty" yaml:"id,omitempty"` // "cld-N"
	Name           string     `json:"name" yaml:"name"`
	OrgUID         string     `json:"org_uid,omitempty" yaml:"org_uid,omitempty"` // default "org-N"
	Apps           []string   `json:"apps,omitempty" yaml:"apps,omitempty"`       // default: every app
	Currency       string     `json:"currency,omitempty" yaml:"currency,omitempty"`
	Timezone       string     `json:"timezone,omitempty" yaml:"timezone,omitempty"`
	Country        string     `json:"country,omitempty" yaml:"country,omitempty"`
	City           string     `json:"city,omitempty" yaml:"city,omitempty"`
	Email          string     `json:"email,omitempty" yaml:"email,omitempty"` // default "<id>@example.com"
	Status         string     `json:"status,omitempty" yaml:"status,omitempty"`
	HasCreditCard  bool       `json:"has_credit_card,omitempty" yaml:"has_credit_card,omitempty"`
	MainAccounting string     `json:"main_accounting,omitempty" yaml:"main_accounting,omitempty"`
	Reseller       string     `json:"reseller,omitempty" yaml:"reseller,omitempty"`
	CreatedAt      *time.Time `json:"created_at,omitempty" yaml:"created_at,omitempty"`
	FreeTrialEnd   *time.Time `json:"free_trial_end,omitempty" yaml:"free_trial_end,omitempty"`
}

// UserSeed is a user with the groups they belong to.
type UserSeed struct {
	ID          string           `json:"id,omitempty" yaml:"id,omitempty"` // "usr-N"
	FirstName   string           `json:"first_name" yaml:"first_name"`
	LastName    string           `json:"last_name,omitempty" yaml:"last_name,omitempty"`
	Email       string           `json:"email" yaml:"email"`
	CompanyName string           `json:"company_name,omitempty" yaml:"company_name,omitempty"`
	Country     string           `json:"country,omitempty" yaml:"country,omitempty"`
	Password    string           `json:"password,omitempty" yaml:"password,omitempty"` // for users/authenticate; empty accepts any
	Memberships []MembershipSeed `json:"memberships,omitempty" yaml:"memberships,omitempty"`
}

// MembershipSeed is a user's role in a group.
type MembershipSeed struct {
	Group string `json:"group" yaml:"group"`
	Role  string `json:"role,omitempty" yaml:"role,omitempty"` // default Member
}

// BillSeed is a one-off bill.
type BillSeed struct {
	ID              string     `json:"id,omitempty" yaml:"id,omitempty"` // "bill-N"
	App             string     `json:"app,omitempty" yaml:"app,omitempty"`
	Group           string     `json:"group" yaml:"group"`
	PriceCents      int64      `json:"price_cents" yaml:"price_cents"`
	Currency        string     `json:"currency,omitempty" yaml:"currency,omitempty"`
	Units           *float64   `json:"units,omitempty" yaml:"units,omitempty"`
	Description     string     `json:"description" yaml:"description"`
	Status          string     `json:"status,omitempty" yaml:"status,omitempty"`
	PeriodStartedAt *time.Time `json:"period_started_at,omitempty" yaml:"period_started_at,omitempty"`
	PeriodEndedAt   *time.Time `json:"period_ended_at,omitempty" yaml:"period_ended_at,omitempty"`
	ThirdParty      bool       `json:"third_party,omitempty" yaml:"third_party,omitempty"`
}

// RecurringBillSeed is a recurring bill.
type RecurringBillSeed struct {
	ID           string     `json:"id,omitempty" yaml:"id,omitempty"` // "rbill-N"
	App          string     `json:"app,omitempty" yaml:"app,omitempty"`
	Group        string     `json:"group" yaml:"group"`
	PriceCents   int64      `json:"price_cents" yaml:"price_cents"`
	Currency     string     `json:"currency,omitempty" yaml:"currency,omitempty"`
	Description  string     `json:"description" yaml:"description"`
	Period       string     `json:"period,omitempty" yaml:"period,omitempty"`
	Frequency    int        `json:"frequency,omitempty" yaml:"frequency,omitempty"`
	Cycles       *int       `json:"cycles,omitempty" yaml:"cycles,omitempty"`
	StartDate    *time.Time `json:"start_date,omitempty" yaml:"start_date,omitempty"`
	InitialCents int64      `json:"initial_cents,omitempty" yaml:"initial_cents,omitempty"`
	Status       string     `json:"status,omitempty" yaml:"status,omitempty"`
}

// SeedError reports what is wrong in a seed file: Field is the path of the
// offending value, e.g. "groups[1].apps[0]", or "" for the file as a whole.
type SeedError struct {
	Field  string // path of the offending value; "" for the whole file
	Reason string // what is wrong with it
}

// Error names the field and the reason.
func (e *SeedError) Error() string {
	if e.Field == "" {
		return "seed: " + e.Reason
	}
	return "seed: " + e.Field + ": " + e.Reason
}

func seedErr(field, format string, args ...any) error {
	return &SeedError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// LoadWorldFile reads and validates a seed file (JSON or YAML, at most
// [MaxSeedFileBytes]).
func LoadWorldFile(path string) (*World, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSeedFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("seed: read %s: %w", path, err)
	}
	return ParseWorld(data)
}

// ParseWorld decodes a seed file and validates it. A document whose first
// non-blank character is "{" is JSON, anything else YAML (a superset of
// JSON). Unknown fields are refused, as is more than one YAML document.
// Errors are [*SeedError].
func ParseWorld(data []byte) (*World, error) {
	if len(data) > MaxSeedFileBytes {
		return nil, seedErr("", "file larger than %d bytes", MaxSeedFileBytes)
	}
	var w World
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, seedErr("", "empty seed file")
	}
	if trimmed[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&w); err != nil {
			return nil, seedErr("", "invalid JSON: %s", clipMsg(err.Error()))
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, seedErr("", "invalid JSON: data after the document")
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&w); err != nil {
			return nil, seedErr("", "invalid YAML: %s", clipMsg(err.Error()))
		}
		var extra any
		if err := dec.Decode(&extra); err != io.EOF {
			return nil, seedErr("", "invalid YAML: more than one document")
		}
	}
	if _, err := w.resolve(time.Unix(0, 0)); err != nil {
		return nil, err
	}
	return &w, nil
}

func clipMsg(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// DefaultWorld is the world of a sandbox started without a seed file:
// environment "sandbox", the demo app "app-1" on marketplace "maestrano"
// (subscribed to organizations, people, invoices, items and payments),
// groups cld-1 Acme Corp and cld-2 Globex Ltd, and users usr-1 John Doe
// (Admin of cld-1, Member of cld-2), usr-2 Jane Roe (Power User of cld-1)
// and usr-3 Alan Smithee (Super Admin of cld-2).
func DefaultWorld() *World {
	return &World{
		Environments: []EnvironmentSeed{{Name: DefaultEnvironment}},
		Apps: []AppSeed{{
			ID: SeedAppUID, Name: "Demo App", Marketplace: SeedMarketplace, NID: "demo-app",
			Connec: AppConnecSeed{Subscriptions: []string{"organizations", "people", "invoices", "items", "payments"}},
		}},
		Groups: []GroupSeed{
			{ID: "cld-1", Name: "Acme Corp"},
			{ID: "cld-2", Name: "Globex Ltd"},
		},
		Users: []UserSeed{
			{ID: "usr-1", FirstName: "John", LastName: "Doe", Email: "john.doe@example.com", CompanyName: "Acme Corp",
				Memberships: []MembershipSeed{{"cld-1", RoleAdmin}, {"cld-2", RoleMember}}},
			{ID: "usr-2", FirstName: "Jane", LastName: "Roe", Email: "jane.roe@example.com", CompanyName: "Acme Corp",
				Memberships: []MembershipSeed{{"cld-1", RolePowerUser}}},
			{ID: "usr-3", FirstName: "Alan", LastName: "Smithee", Email: "alan.smithee@example.com", CompanyName: "Globex Ltd",
				Memberships: []MembershipSeed{{"cld-2", RoleSuperAdmin}}},
		},
	}
}

// resolved is a World with every default filled in and every reference
// checked, ready to insert.
type resolved struct {
	envs      []Environment
	apps      []App
	pubs      []Marketplace
	subs      map[string][]string // app uid → collections
	resellers []Reseller
	groups    []Group
	groupApps [][2]string // group uid, app uid
	users     []User
	mems      []Membership
	bills     []Bill
	rbills    []RecurringBill
}

var (
	reName       = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	reCredential = regexp.MustCompile(`^[A-Za-z0-9._~+/=-]{8,128}$`)
	reCollection = regexp.MustCompile(`^[a-z][a-z_]{0,63}$`)
	reCountry    = regexp.MustCompile(`^[A-Z]{2}$`)
	reTimezone   = regexp.MustCompile(`^(UTC|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+){1,2})$`)
	reOrgUID     = regexp.MustCompile(`^org-[A-Za-z0-9]{1,32}$`)
	reResellerID = regexp.MustCompile(`^rsl-[a-z0-9]{1,32}$`)
	reStatus     = regexp.MustCompile(`^[a-z_]{1,32}$`)
)

// Account-API value sets.
var (
	// BillStatuses are the statuses of a bill.
	BillStatuses = []string{BillSubmitted, BillCancelled, BillInvoiced}
	// RecurringBillStatuses are the statuses of a recurring bill.
	RecurringBillStatuses = []string{RecurringSubmitted, RecurringActive, RecurringExpired, RecurringCancelled}
	// RecurringPeriods are the accepted periods of a recurring bill.
	RecurringPeriods = []string{"month", "day", "week", "semimonth", "year"}
	// Roles are the roles a membership may have.
	Roles = []string{RoleMember, RolePowerUser, RoleAdmin, RoleSuperAdmin}
	// MainAccountings are the accepted main_accounting values of a group.
	MainAccountings = []string{"", "quickbooks", "xero", "myob"}
)

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// seqID returns the id of the i-th (0-based) entry: given, or prefix-(i+1).
// A given id must be prefix followed by a positive number.
func seqID(field, prefix, given string, i int) (string, error) {
	if given == "" {
		return prefix + strconv.Itoa(i+1), nil
	}
	if _, ok := seqNumber(prefix, given); !ok {
		return "", seedErr(field, "%q is not of the form %sN", clipMsg(given), prefix)
	}
	return given, nil
}

// seqNumber returns N of an id prefix-N (N positive, at most 9 digits).
func seqNumber(prefix, id string) (int, bool) {
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok || rest == "" || len(rest) > 9 || rest[0] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n <= 0 {
		return 0, false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	return n, true
}

// CheckText validates a free-text value: at most max bytes of valid UTF-8
// without control characters.
func CheckText(v string, max int) error {
	if len(v) > max {
		return fmt.Errorf("longer than %d bytes", max)
	}
	if !isCleanText(v) {
		return errors.New("contains control characters or invalid UTF-8")
	}
	return nil
}

func isCleanText(v string) bool {
	for _, r := range v {
		if r == '\uFFFD' || r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func checkText(field, v string, max int, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return seedErr(field, "is required")
	}
	if err := CheckText(v, max); err != nil {
		return seedErr(field, "%v", err)
	}
	return nil
}

// CheckPath validates an app path: it starts with "/", at most 512 bytes, no
// spaces, control characters or fragment.
func CheckPath(p string) error {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return errors.New("must start with a single /")
	}
	if len(p) > 512 {
		return errors.New("longer than 512 bytes")
	}
	for _, r := range p {
		if r <= 0x20 || r == 0x7f || r == '#' || r == '\uFFFD' {
			return errors.New("contains a space, control character or #")
		}
	}
	return nil
}

// CheckHost validates an app base URL: absolute http(s), a host, no user
// info, path, query or fragment.
func CheckHost(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return errors.New("must be an absolute http or https URL")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || (u.Path != "" && u.Path != "/") {
		return errors.New("must not have user info, path, query or fragment")
	}
	return nil
}

// CheckEmail validates an email address (a bare addr-spec).
func CheckEmail(v string) error {
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || len(v) > 254 {
		return errors.New("is not a valid email address")
	}
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// resolve fills in the defaults of w and checks it; now is the creation time
// of everything that does not say otherwise.
func (w *World) resolve(now time.Time) (*resolved, error) {
	now = now.UTC().Truncate(time.Second)
	r := &resolved{subs: map[string][]string{}}
	const maxEntries = 10000
	for name, n := range map[string]int{"environments": len(w.Environments), "apps": len(w.Apps), "resellers": len(w.Resellers),
		"groups": len(w.Groups), "users": len(w.Users), "bills": len(w.Bills), "recurring_bills": len(w.RecurringBills)} {
		if n > maxEntries {
			return nil, seedErr(name, "more than %d entries", maxEntries)
		}
	}

	envs := w.Environments
	if len(envs) == 0 {
		envs = []EnvironmentSeed{{Name: DefaultEnvironment}}
	}
	envNames := map[string]bool{}
	keys := map[string]bool{}
	for i, e := range envs {
		f := fmt.Sprintf("environments[%d]", i)
		if !reName.MatchString(e.Name) {
			return nil, seedErr(f+".name", "must be 1 to 64 of a-z 0-9 . _ - (starting with a letter or digit)")
		}
		if envNames[e.Name] {
			return nil, seedErr(f+".name", "duplicate environment %q", e.Name)
		}
		envNames[e.Name] = true
		env := Environment{Name: e.Name, Key: e.Key, Secret: e.Secret}
		if env.Key != "" && !reCredential.MatchString(env.Key) {
			return nil, seedErr(f+".key", "must be 8 to 128 characters of A-Z a-z 0-9 . _ ~ + / = -")
		}
		if env.Secret != "" && !reCredential.MatchString(env.Secret) {
			return nil, seedErr(f+".secret", "must be 8 to 128 characters of A-Z a-z 0-9 . _ ~ + / = -")
		}
		if env.Key == "" {
			env.Key = newEnvKey()
		}
		if env.Secret == "" {
			env.Secret = newEnvSecret()
		}
		if keys[env.Key] {
			return nil, seedErr(f+".key", "duplicate environment key")
		}
		keys[env.Key] = true
		r.envs = append(r.envs, env)
	}

	if len(w.Apps) == 0 {
		return nil, seedErr("apps", "at least one app is required")
	}
	appIDs := map[string]bool{}
	pubKeys := map[string]bool{}
	for i, a := range w.Apps {
		f := fmt.Sprintf("apps[%d]", i)
		app, pub, subs, err := resolveApp(f, a, i, r.envs[0].Name, envNames)
		if err != nil {
			return nil, err
		}
		if appIDs[app.UID] {
			return nil, seedErr(f+".id", "duplicate app id %q", app.UID)
		}
		appIDs[app.UID] = true
		pk := pub.Environment + "\x00" + pub.Name
		if pubKeys[pk] {
			return nil, seedErr(f+".marketplace", "environment %q already has an app on marketplace %q", pub.Environment, pub.Name)
		}
		pubKeys[pk] = true
		r.apps = append(r.apps, app)
		r.pubs = append(r.pubs, pub)
		r.subs[app.UID] = subs
	}

	resellerIDs := map[string]bool{}
	for i, rs := range w.Resellers {
		f := fmt.Sprintf("resellers[%d]", i)
		id := rs.ID
		if id == "" {
			id = "rsl-" + strconv.Itoa(i+1)
		} else if !reResellerID.MatchString(id) {
			return nil, seedErr(f+".id", "must be rsl- followed by 1 to 32 of a-z 0-9")
		}
		if resellerIDs[id] {
			return nil, seedErr(f+".id", "duplicate reseller id %q", id)
		}
		resellerIDs[id] = true
		if err := checkText(f+".name", rs.Name, 200, true); err != nil {
			return nil, err
		}
		if err := checkText(f+".code", rs.Code, 64, false); err != nil {
			return nil, err
		}
		country := orDefault(rs.Country, "US")
		if !reCountry.MatchString(country) {
			return nil, seedErr(f+".country", "must be an ISO 3166-1 alpha-2 code such as US")
		}
		r.resellers = append(r.resellers, Reseller{UID: id, Name: rs.Name, Code: rs.Code, Country: country, CreatedAt: now, UpdatedAt: now})
	}

	groupIDs := map[string]bool{}
	groupApps := map[string]map[string]bool{}
	for i, g := range w.Groups {
		f := fmt.Sprintf("groups[%d]", i)
		grp, apps, err := resolveGroup(f, g, i, now, appIDs, resellerIDs)
		if err != nil {
			return nil, err
		}
		if groupIDs[grp.UID] {
			return nil, seedErr(f+".id", "duplicate group id %q", grp.UID)
		}
		groupIDs[grp.UID] = true
		if len(apps) == 0 {
			for _, a := range r.apps {
				apps = append(apps, a.UID)
			}
		}
		groupApps[grp.UID] = map[string]bool{}
		for _, a := range apps {
			r.groupApps = append(r.groupApps, [2]string{grp.UID, a})
			groupApps[grp.UID][a] = true
		}
		r.groups = append(r.groups, grp)
	}

	userIDs := map[string]bool{}
	for i, u := range w.Users {
		f := fmt.Sprintf("users[%d]", i)
		id, err := seqID(f+".id", "usr-", u.ID, i)
		if err != nil {
			return nil, err
		}
		if userIDs[id] {
			return nil, seedErr(f+".id", "duplicate user id %q", id)
		}
		userIDs[id] = true
		if err := checkText(f+".first_name", u.FirstName, 100, true); err != nil {
			return nil, err
		}
		if err := checkText(f+".last_name", u.LastName, 100, false); err != nil {
			return nil, err
		}
		if err := CheckEmail(u.Email); err != nil {
			return nil, seedErr(f+".email", "%v", err)
		}
		if err := checkText(f+".company_name", u.CompanyName, 200, false); err != nil {
			return nil, err
		}
		if err := checkText(f+".password", u.Password, 128, false); err != nil {
			return nil, err
		}
		country := orDefault(u.Country, "US")
		if !reCountry.MatchString(country) {
			return nil, seedErr(f+".country", "must be an ISO 3166-1 alpha-2 code such as US")
		}
		r.users = append(r.users, User{UID: id, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email,
			CompanyName: u.CompanyName, Country: country, SSOSession: NewSSOSession(), Password: u.Password,
			CreatedAt: now, UpdatedAt: now})
		seen := map[string]bool{}
		for j, m := range u.Memberships {
			mf := fmt.Sprintf("%s.memberships[%d]", f, j)
			if !groupIDs[m.Group] {
				return nil, seedErr(mf+".group", "unknown group %q", clipMsg(m.Group))
			}
			if seen[m.Group] {
				return nil, seedErr(mf+".group", "user is already a member of %q", m.Group)
			}
			seen[m.Group] = true
			role := orDefault(m.Role, RoleMember)
			if !contains(Roles, role) {
				return nil, seedErr(mf+".role", "must be one of %s", strings.Join(Roles, ", "))
			}
			r.mems = append(r.mems, Membership{UserUID: id, GroupUID: m.Group, Role: role})
		}
	}

	billIDs := map[string]bool{}
	for i, b := range w.Bills {
		f := fmt.Sprintf("bills[%d]", i)
		id, err := seqID(f+".id", "bill-", b.ID, i)
		if err != nil {
			return nil, err
		}
		if billIDs[id] {
			return nil, seedErr(f+".id", "duplicate bill id %q", id)
		}
		billIDs[id] = true
		app := orDefault(b.App, r.apps[0].UID)
		if err := checkCharge(f, app, b.Group, appIDs, groupApps); err != nil {
			return nil, err
		}
		bill := Bill{UID: id, AppUID: app, GroupUID: b.Group, PriceCents: b.PriceCents, Currency: orDefault(b.Currency, DefaultCurrency),
			Units: b.Units, Description: b.Description, Status: orDefault(b.Status, BillSubmitted),
			PeriodStartedAt: utcPtr(b.PeriodStartedAt), PeriodEndedAt: utcPtr(b.PeriodEndedAt), ThirdParty: b.ThirdParty,
			CreatedAt: now, UpdatedAt: now}
		if errs := ValidateBill(bill); len(errs) > 0 {
			return nil, firstFieldError(f, errs)
		}
		if !contains(BillStatuses, bill.Status) {
			return nil, seedErr(f+".status", "must be one of %s", strings.Join(BillStatuses, ", "))
		}
		r.bills = append(r.bills, bill)
	}

	rbillIDs := map[string]bool{}
	for i, b := range w.RecurringBills {
		f := fmt.Sprintf("recurring_bills[%d]", i)
		id, err := seqID(f+".id", "rbill-", b.ID, i)
		if err != nil {
			return nil, err
		}
		if rbillIDs[id] {
			return nil, seedErr(f+".id", "duplicate recurring bill id %q", id)
		}
		rbillIDs[id] = true
		app := orDefault(b.App, r.apps[0].UID)
		if err := checkCharge(f, app, b.Group, appIDs, groupApps); err != nil {
			return nil, err
		}
		start := now
		if b.StartDate != nil {
			start = b.StartDate.UTC().Truncate(time.Second)
		}
		freq := b.Frequency
		if freq == 0 {
			freq = 1
		}
		rb := RecurringBill{UID: id, AppUID: app, GroupUID: b.Group, PriceCents: b.PriceCents,
			Currency: orDefault(b.Currency, DefaultCurrency), Description: b.Description,
			Period: strings.ToLower(orDefault(b.Period, "month")), Frequency: freq, Cycles: b.Cycles,
			StartDate: start, InitialCents: b.InitialCents, Status: orDefault(b.Status, RecurringSubmitted),
			NextExecutionAt: &start, RemainingCycles: b.Cycles, CreatedAt: now, UpdatedAt: now}
		if errs := ValidateRecurringBill(rb); len(errs) > 0 {
			return nil, firstFieldError(f, errs)
		}
		if !contains(RecurringBillStatuses, rb.Status) {
			return nil, seedErr(f+".status", "must be one of %s", strings.Join(RecurringBillStatuses, ", "))
		}
		r.rbills = append(r.rbills, rb)
	}
	return r, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Second)
	return &u
}

func checkCharge(f, app, group string, appIDs map[string]bool, groupApps map[string]map[string]bool) error {
	if !appIDs[app] {
		return seedErr(f+".app", "unknown app %q", clipMsg(app))
	}
	if groupApps[group] == nil {
		return seedErr(f+".group", "unknown group %q", clipMsg(group))
	}
	if !groupApps[group][app] {
		return seedErr(f+".group", "group %q does not use app %q", group, app)
	}
	return nil
}

// firstFieldError turns the first (in field order) of the account-API
// validation errors into a SeedError under prefix.
func firstFieldError(prefix string, errs FieldErrors) error {
	keys := errs.Fields()
	return seedErr(prefix+"."+keys[0], "%s", strings.Join(errs[keys[0]], ", "))
}

func resolveApp(f string, a AppSeed, i int, defaultEnv string, envNames map[string]bool) (App, Marketplace, []string, error) {
	fail := func(err error) (App, Marketplace, []string, error) { return App{}, Marketplace{}, nil, err }
	id, err := seqID(f+".id", "app-", a.ID, i)
	if err != nil {
		return fail(err)
	}
	mp := orDefault(a.Marketplace, SeedMarketplace)
	if !reName.MatchString(mp) {
		return fail(seedErr(f+".marketplace", "must be 1 to 64 of a-z 0-9 . _ - (starting with a letter or digit)"))
	}
	env := orDefault(a.Environment, defaultEnv)
	if !envNames[env] {
		return fail(seedErr(f+".environment", "unknown environment %q", clipMsg(env)))
	}
	nid := orDefault(a.NID, id)
	if !reName.MatchString(nid) {
		return fail(seedErr(f+".nid", "must be 1 to 64 of a-z 0-9 . _ - (starting with a letter or digit)"))
	}
	name := orDefault(a.Name, "App "+strings.TrimPrefix(id, "app-"))
	if err := checkText(f+".name", name, 200, true); err != nil {
		return fail(err)
	}
	key := a.APIKey
	if key == "" {
		key = newAPIKey()
	} else if !reCredential.MatchString(key) || len(key) < 32 {
		// users/authenticate keys AES-256 with the first 32 bytes of the key.
		return fail(seedErr(f+".api_key", "must be 32 to 128 characters of A-Z a-z 0-9 . _ ~ + / = -"))
	}
	host := strings.TrimSuffix(orDefault(a.Host, DefaultAppHost), "/")
	if err := CheckHost(host); err != nil {
		return fail(seedErr(f+".host", "%v", err))
	}
	idm := strings.TrimSuffix(orDefault(a.SSO.IdM, host), "/")
	if err := CheckHost(idm); err != nil {
		return fail(seedErr(f+".sso.idm", "%v", err))
	}
	ext := true
	if a.Webhooks.ExternalIDs != nil {
		ext = *a.Webhooks.ExternalIDs
	}
	timeout := a.Connec.Timeout
	if timeout == 0 {
		timeout = 60
	}
	if timeout < 1 || timeout > 3600 {
		return fail(seedErr(f+".connec.timeout", "must be between 1 and 3600 seconds"))
	}
	app := App{
		UID: id, Name: name, APIKey: key, Host: host, SSOIdM: idm,
		SSOInitPath:            orDefault(a.SSO.InitPath, "/maestrano/auth/saml/init/"+mp),
		SSOConsumePath:         orDefault(a.SSO.ConsumePath, "/maestrano/auth/saml/consume/"+mp),
		SyncStartPath:          orDefault(a.Sync.StartPath, "/maestrano/synchronizations"),
		SyncTogglePath:         orDefault(a.Sync.TogglePath, "/maestrano/synchronizations/toggle_sync"),
		SyncStatusPath:         orDefault(a.Sync.StatusPath, "/maestrano/synchronizations/:cld-uid"),
		GroupPath:              orDefault(a.Webhooks.GroupPath, "/maestrano/account/groups/:id/"+mp),
		GroupUserPath:          orDefault(a.Webhooks.GroupUserPath, "/maestrano/account/groups/:group_id/users/:id/"+mp),
		ConnecNotificationPath: orDefault(a.Webhooks.NotificationPath, "/maestrano/connec/notifications/"+mp),
		ConnecExternalIDs:      ext,
		ConnecBasePath:         orDefault(a.Connec.BasePath, "/api/v2"),
		ConnecTimeout:          timeout,
		APIBase:                orDefault(a.APIBase, "/api/v1/"),
	}
	if !contains(SignatureAlgorithms, a.SSO.SignatureAlgorithm) {
		return fail(seedErr(f+".sso.signature_algorithm", "must be %q or %q (or empty for the sandbox default)", SignatureRSASHA256, SignatureRSASHA1))
	}
	app.SignatureAlgorithm = a.SSO.SignatureAlgorithm
	if a.Webhooks.InitializationPath != nil {
		p := *a.Webhooks.InitializationPath
		app.ConnecInitializationPath = &p
		if err := CheckPath(p); err != nil {
			return fail(seedErr(f+".webhooks.initialization_path", "%v", err))
		}
	}
	for field, p := range map[string]string{
		"sso.init_path": app.SSOInitPath, "sso.consume_path": app.SSOConsumePath,
		"sync.start_path": app.SyncStartPath, "sync.toggle_path": app.SyncTogglePath, "sync.status_path": app.SyncStatusPath,
		"webhooks.group_path": app.GroupPath, "webhooks.group_user_path": app.GroupUserPath,
		"webhooks.notification_path": app.ConnecNotificationPath, "connec.base_path": app.ConnecBasePath, "api_base": app.APIBase,
	} {
		if err := CheckPath(p); err != nil {
			return fail(seedErr(f+"."+field, "%v", err))
		}
	}
	if !strings.HasSuffix(app.APIBase, "/") {
		return fail(seedErr(f+".api_base", "must end with / (clients concatenate it)"))
	}
	seen := map[string]bool{}
	for j, c := range a.Connec.Subscriptions {
		if !reCollection.MatchString(c) {
			return fail(seedErr(fmt.Sprintf("%s.connec.subscriptions[%d]", f, j), "is not a collection name such as organizations"))
		}
		if seen[c] {
			return fail(seedErr(fmt.Sprintf("%s.connec.subscriptions[%d]", f, j), "duplicate subscription %q", c))
		}
		seen[c] = true
	}
	pub := Marketplace{Name: mp, NID: nid, Environment: env, AppUID: id}
	return app, pub, append([]string(nil), a.Connec.Subscriptions...), nil
}

func resolveGroup(f string, g GroupSeed, i int, now time.Time, appIDs, resellerIDs map[string]bool) (Group, []string, error) {
	id, err := seqID(f+".id", "cld-", g.ID, i)
	if err != nil {
		return Group{}, nil, err
	}
	if err := checkText(f+".name", g.Name, 200, true); err != nil {
		return Group{}, nil, err
	}
	n, _ := seqNumber("cld-", id)
	grp := Group{
		UID: id, Name: g.Name, OrgUID: orDefault(g.OrgUID, "org-"+strconv.Itoa(n)),
		Currency: orDefault(g.Currency, "USD"), Timezone: orDefault(g.Timezone, "America/Los_Angeles"),
		Country: orDefault(g.Country, "US"), City: orDefault(g.City, "Los Angeles"),
		Email: orDefault(g.Email, id+"@example.com"), Status: orDefault(g.Status, "running"),
		HasCreditCard: g.HasCreditCard, MainAccounting: g.MainAccounting, ResellerUID: g.Reseller,
		CreatedAt: now,
	}
	if g.CreatedAt != nil {
		grp.CreatedAt = g.CreatedAt.UTC().Truncate(time.Second)
	}
	grp.UpdatedAt = grp.CreatedAt
	grp.FreeTrialEnd = grp.CreatedAt.AddDate(0, 1, 0)
	if g.FreeTrialEnd != nil {
		grp.FreeTrialEnd = g.FreeTrialEnd.UTC().Truncate(time.Second)
	}
	if errs := ValidateGroup(grp); len(errs) > 0 {
		return Group{}, nil, firstFieldError(f, errs)
	}
	if grp.ResellerUID != "" && !resellerIDs[grp.ResellerUID] {
		return Group{}, nil, seedErr(f+".reseller", "unknown reseller %q", clipMsg(grp.ResellerUID))
	}
	seen := map[string]bool{}
	for j, a := range g.Apps {
		if !appIDs[a] {
			return Group{}, nil, seedErr(fmt.Sprintf("%s.apps[%d]", f, j), "unknown app %q", clipMsg(a))
		}
		if seen[a] {
			return Group{}, nil, seedErr(fmt.Sprintf("%s.apps[%d]", f, j), "duplicate app %q", a)
		}
		seen[a] = true
	}
	return grp, g.Apps, nil
}
