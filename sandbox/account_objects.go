package sandbox

import (
	"time"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// Object type tags of account API objects ("object"), by which every SDK
// types a result.
const (
	ObjectBill          = "account_bill"
	ObjectRecurringBill = "account_recurring_bill"
	ObjectGroup         = "account_group"
	ObjectUser          = "account_user"
	ObjectReseller      = "account_reseller"
)

// AccountBill is a bill as the account API sends it. Times are UTC with
// second precision, e.g. "2014-05-21T00:37:34Z".
type AccountBill struct {
	Object          string     `json:"object"` // "account_bill"
	ID              string     `json:"id"`     // "bill-N"
	GroupID         string     `json:"group_id"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	PriceCents      int64      `json:"price_cents"`
	Status          string     `json:"status"` // submitted, cancelled or invoiced
	Currency        string     `json:"currency"`
	Units           *float64   `json:"units"`
	Description     string     `json:"description"`
	PeriodStartedAt *time.Time `json:"period_started_at"`
	PeriodEndedAt   *time.Time `json:"period_ended_at"`
	ThirdParty      bool       `json:"third_party"`
}

// AccountRecurringBill is a recurring bill as the account API sends it.
type AccountRecurringBill struct {
	Object          string     `json:"object"` // "account_recurring_bill"
	ID              string     `json:"id"`     // "rbill-N"
	GroupID         string     `json:"group_id"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	PriceCents      int64      `json:"price_cents"`
	Status          string     `json:"status"` // submitted, active, expired or cancelled
	Currency        string     `json:"currency"`
	Description     string     `json:"description"`
	StartDate       time.Time  `json:"start_date"`
	Period          string     `json:"period"` // day, week, semimonth, month or year
	Frequency       int        `json:"frequency"`
	Cycles          *int       `json:"cycles"` // null: unlimited
	InitialCents    int64      `json:"initial_cents"`
	LastExecutionAt *time.Time `json:"last_execution_at"`
	NextExecutionAt *time.Time `json:"next_execution_at"`
	RemainingCycles *int       `json:"remaining_cycles"`
}

// AccountGroup is a group as the account API sends it.
type AccountGroup struct {
	Object         string        `json:"object"` // "account_group"
	ID             string        `json:"id"`     // "cld-N"
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
	HasCreditCard  bool          `json:"has_credit_card"`
	Status         string        `json:"status"` // e.g. "running"
	Name           string        `json:"name"`
	FreeTrialEndAt time.Time     `json:"free_trial_end_at"`
	Email          string        `json:"email"`
	Currency       string        `json:"currency"`
	Timezone       string        `json:"timezone"` // Olson name
	Country        string        `json:"country"`
	City           string        `json:"city"`
	MainAccounting *string       `json:"main_accounting"` // quickbooks, xero, myob or null
	Metadata       GroupMetadata `json:"metadata"`
	ResellerID     *string       `json:"reseller_id,omitempty"`
}

// GroupMetadata is the "metadata" member of an [AccountGroup].
type GroupMetadata struct {
	PullDisabled bool `json:"pull_disabled"`
	PushDisabled bool `json:"push_disabled"`
}

// AccountUser is a user as the account API sends it.
type AccountUser struct {
	Object      string    `json:"object"` // "account_user"
	ID          string    `json:"id"`     // "usr-N"
	Name        string    `json:"name"`   // first name
	Surname     string    `json:"surname"`
	Email       string    `json:"email"`
	CompanyName string    `json:"company_name"`
	Country     string    `json:"country"`
	SSOSession  string    `json:"sso_session"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// AccountReseller is a reseller as the account API sends it.
type AccountReseller struct {
	Object    string    `json:"object"` // "account_reseller"
	ID        string    `json:"id"`     // e.g. "rsl-1"
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Name      string    `json:"name"`
	Code      string    `json:"code"`
	Country   string    `json:"country"`
}

func accountBill(b store.Bill) AccountBill {
	return AccountBill{Object: ObjectBill, ID: b.UID, GroupID: b.GroupUID, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt,
		PriceCents: b.PriceCents, Status: b.Status, Currency: b.Currency, Units: b.Units, Description: b.Description,
		PeriodStartedAt: b.PeriodStartedAt, PeriodEndedAt: b.PeriodEndedAt, ThirdParty: b.ThirdParty}
}

func accountRecurringBill(b store.RecurringBill) AccountRecurringBill {
	return AccountRecurringBill{Object: ObjectRecurringBill, ID: b.UID, GroupID: b.GroupUID, CreatedAt: b.CreatedAt,
		UpdatedAt: b.UpdatedAt, PriceCents: b.PriceCents, Status: b.Status, Currency: b.Currency, Description: b.Description,
		StartDate: b.StartDate, Period: b.Period, Frequency: b.Frequency, Cycles: b.Cycles, InitialCents: b.InitialCents,
		LastExecutionAt: b.LastExecutionAt, NextExecutionAt: b.NextExecutionAt, RemainingCycles: b.RemainingCycles}
}

func accountGroup(g store.Group) AccountGroup {
	out := AccountGroup{Object: ObjectGroup, ID: g.UID, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt,
		HasCreditCard: g.HasCreditCard, Status: g.Status, Name: g.Name, FreeTrialEndAt: g.FreeTrialEnd, Email: g.Email,
		Currency: g.Currency, Timezone: g.Timezone, Country: g.Country, City: g.City}
	if g.MainAccounting != "" {
		m := g.MainAccounting
		out.MainAccounting = &m
	}
	if g.ResellerUID != "" {
		r := g.ResellerUID
		out.ResellerID = &r
	}
	return out
}

func accountUser(u store.User) AccountUser {
	return AccountUser{Object: ObjectUser, ID: u.UID, Name: u.FirstName, Surname: u.LastName, Email: u.Email,
		CompanyName: u.CompanyName, Country: u.Country, SSOSession: u.SSOSession, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

func accountReseller(r store.Reseller) AccountReseller {
	return AccountReseller{Object: ObjectReseller, ID: r.UID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Name: r.Name, Code: r.Code, Country: r.Country}
}

func mapAll[T, U any](in []T, f func(T) U) []U {
	out := make([]U, 0, len(in))
	for _, v := range in {
		out = append(out, f(v))
	}
	return out
}
