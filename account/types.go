package account

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/maestrano-go/maestrano"

	"github.com/maestrano-go/maestrano/internal/clip"
)

// Object type tags the platform puts in each object's "object" member.
const (
	ObjectBill          = "account_bill"
	ObjectRecurringBill = "account_recurring_bill"
	ObjectGroup         = "account_group"
	ObjectUser          = "account_user"
	ObjectReseller      = "account_reseller"
)

// Bill statuses.
const (
	BillSubmitted = "submitted"
	BillInvoiced  = "invoiced"
	BillCancelled = "cancelled"
)

// Recurring bill statuses.
const (
	RecurringBillSubmitted = "submitted"
	RecurringBillActive    = "active"
	RecurringBillExpired   = "expired"
	RecurringBillCancelled = "cancelled"
)

// Bill is a one-off charge to a group (customer account). Amounts are in
// cents of Currency.
type Bill struct {
	// Object is "account_bill".
	Object string `json:"object"`
	// ID is the bill's id, e.g. "bill-1".
	ID string `json:"id"`
	// GroupID is the charged group, e.g. "cld-1".
	GroupID string `json:"group_id"`
	// Status is BillSubmitted, BillInvoiced or BillCancelled.
	Status string `json:"status"`
	// PriceCents is the price in cents.
	PriceCents int64 `json:"price_cents"`
	// Currency is the ISO 4217 code, e.g. "AUD".
	Currency string `json:"currency"`
	// Units is the quantity billed (the platform's default is 1).
	Units float64 `json:"units"`
	// Description says what is billed.
	Description string `json:"description"`
	// PeriodStartedAt and PeriodEndedAt bound the billed period (zero if
	// not given).
	PeriodStartedAt time.Time `json:"period_started_at"`
	PeriodEndedAt   time.Time `json:"period_ended_at"`
	// ThirdParty marks a charge for a third-party service.
	ThirdParty bool `json:"third_party"`
	// CreatedAt and UpdatedAt are the platform's timestamps.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// UnmarshalJSON reads the wire form, accepting both timestamp formats and
// numbers sent as strings.
func (b *Bill) UnmarshalJSON(data []byte) error {
	type plain Bill
	w := struct {
		*plain
		PriceCents      wireInt   `json:"price_cents"`
		Units           wireFloat `json:"units"`
		PeriodStartedAt wireTime  `json:"period_started_at"`
		PeriodEndedAt   wireTime  `json:"period_ended_at"`
		ThirdParty      wireBool  `json:"third_party"`
		CreatedAt       wireTime  `json:"created_at"`
		UpdatedAt       wireTime  `json:"updated_at"`
	}{plain: (*plain)(b)}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	b.PriceCents, b.Units, b.ThirdParty = int64(w.PriceCents), float64(w.Units), bool(w.ThirdParty)
	b.PeriodStartedAt, b.PeriodEndedAt = time.Time(w.PeriodStartedAt), time.Time(w.PeriodEndedAt)
	b.CreatedAt, b.UpdatedAt = time.Time(w.CreatedAt), time.Time(w.UpdatedAt)
	return checkObject(b.Object, ObjectBill, b.ID)
}

// RecurringBill is a charge repeated every Frequency × Period.
type RecurringBill struct {
	// Object is "account_recurring_bill".
	Object string `json:"object"`
	// ID is the recurring bill's id, e.g. "rbill-1".
	ID string `json:"id"`
	// GroupID is the charged group.
	GroupID string `json:"group_id"`
	// Status is one of the RecurringBill* statuses.
	Status string `json:"status"`
	// PriceCents is the price of each cycle in cents.
	PriceCents int64 `json:"price_cents"`
	// Currency is the ISO 4217 code.
	Currency string `json:"currency"`
	// Description says what is billed.
	Description string `json:"description"`
	// StartDate is when the first cycle is charged.
	StartDate time.Time `json:"start_date"`
	// Period is the cycle unit (lower case on the wire, e.g. "month").
	Period Period `json:"period"`
	// Frequency is the number of periods per cycle.
	Frequency int `json:"frequency"`
	// Cycles is the number of cycles; nil means unlimited.
	Cycles *int `json:"cycles"`
	// InitialCents is a one-off amount charged at set-up.
	InitialCents int64 `json:"initial_cents"`
	// LastExecutionAt and NextExecutionAt are the last and next charges
	// (zero if none).
	LastExecutionAt time.Time `json:"last_execution_at"`
	NextExecutionAt time.Time `json:"next_execution_at"`
	// RemainingCycles is what is left of Cycles; nil means unlimited.
	RemainingCycles *int `json:"remaining_cycles"`
	// CreatedAt and UpdatedAt are the platform's timestamps.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// UnmarshalJSON reads the wire form (see [Bill.UnmarshalJSON]).
func (r *RecurringBill) UnmarshalJSON(data []byte) error {
	type plain RecurringBill
	w := struct {
		*plain
		PriceCents      wireInt    `json:"price_cents"`
		StartDate       wireTime   `json:"start_date"`
		Frequency       wireInt    `json:"frequency"`
		Cycles          wireOptInt `json:"cycles"`
		InitialCents    wireInt    `json:"initial_cents"`
		LastExecutionAt wireTime   `json:"last_execution_at"`
		NextExecutionAt wireTime   `json:"next_execution_at"`
		RemainingCycles wireOptInt `json:"remaining_cycles"`
		CreatedAt       wireTime   `json:"created_at"`
		UpdatedAt       wireTime   `json:"updated_at"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	r.PriceCents, r.InitialCents, r.Frequency = int64(w.PriceCents), int64(w.InitialCents), int(w.Frequency)
	r.Cycles, r.RemainingCycles = w.Cycles.p, w.RemainingCycles.p
	r.StartDate, r.LastExecutionAt, r.NextExecutionAt = time.Time(w.StartDate), time.Time(w.LastExecutionAt), time.Time(w.NextExecutionAt)
	r.CreatedAt, r.UpdatedAt = time.Time(w.CreatedAt), time.Time(w.UpdatedAt)
	return checkObject(r.Object, ObjectRecurringBill, r.ID)
}

// Group is a customer account (an organisation using the app).
type Group struct {
	// Object is "account_group".
	Object string `json:"object"`
	// ID is the group's id, e.g. "cld-1".
	ID string `json:"id"`
	// Name is the group's name.
	Name string `json:"name"`
	// Status is the service status, e.g. "running" or "terminated".
	Status string `json:"status"`
	// HasCreditCard tells whether the group can be charged.
	HasCreditCard bool `json:"has_credit_card"`
	// FreeTrialEndAt is the end of the free trial.
	FreeTrialEndAt time.Time `json:"free_trial_end_at"`
	// Email is the group's contact address.
	Email string `json:"email"`
	// Currency is the group's ISO 4217 currency.
	Currency string `json:"currency"`
	// Timezone is an Olson zone name, e.g. "America/Los_Angeles".
	Timezone string `json:"timezone"`
	// Country is an ISO 3166 alpha-2 code.
	Country string `json:"country"`
	// City is the group's city.
	City string `json:"city"`
	// MainAccounting names the group's accounting app ("quickbooks",
	// "xero", "myob"), if any.
	MainAccounting string `json:"main_accounting"`
	// Metadata is free-form platform data, e.g. {"pull_disabled": false}.
	Metadata map[string]any `json:"metadata,omitempty"`
	// CreatedAt and UpdatedAt are the platform's timestamps.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// UnmarshalJSON reads the wire form (see [Bill.UnmarshalJSON]).
func (g *Group) UnmarshalJSON(data []byte) error {
	type plain Group
	w := struct {
		*plain
		HasCreditCard  wireBool `json:"has_credit_card"`
		FreeTrialEndAt wireTime `json:"free_trial_end_at"`
		CreatedAt      wireTime `json:"created_at"`
		UpdatedAt      wireTime `json:"updated_at"`
	}{plain: (*plain)(g)}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	g.HasCreditCard = bool(w.HasCreditCard)
	g.FreeTrialEndAt, g.CreatedAt, g.UpdatedAt = time.Time(w.FreeTrialEndAt), time.Time(w.CreatedAt), time.Time(w.UpdatedAt)
	return checkObject(g.Object, ObjectGroup, g.ID)
}

// User is a platform user known to the app.
type User struct {
	// Object is "account_user".
	Object string `json:"object"`
	// ID is the user's id, e.g. "usr-1".
	ID string `json:"id"`
	// Name and Surname are the first and last names.
	Name    string `json:"name"`
	Surname string `json:"surname"`
	// Email is the user's real address.
	Email string `json:"email"`
	// CompanyName is the user's company.
	CompanyName string `json:"company_name"`
	// Country is an ISO 3166 alpha-2 code.
	Country string `json:"country"`
	// SSOSession is the user's current SSO session token. It is a
	// credential: it never prints (Reveal gives the value).
	SSOSession maestrano.Secret `json:"sso_session"`
	// CreatedAt and UpdatedAt are the platform's timestamps.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// UnmarshalJSON reads the wire form (see [Bill.UnmarshalJSON]).
func (u *User) UnmarshalJSON(data []byte) error {
	type plain User
	w := struct {
		*plain
		CreatedAt wireTime `json:"created_at"`
		UpdatedAt wireTime `json:"updated_at"`
	}{plain: (*plain)(u)}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	u.CreatedAt, u.UpdatedAt = time.Time(w.CreatedAt), time.Time(w.UpdatedAt)
	return checkObject(u.Object, ObjectUser, u.ID)
}

// String shows the user without the SSO session token.
func (u User) String() string {
	return fmt.Sprintf("account.User{ID:%q Email:%q}", u.ID, u.Email)
}

// LogValue logs the user without the SSO session token (a JSON slog handler
// would otherwise encode it).
func (u User) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", u.ID), slog.String("email", u.Email))
}

// Reseller is a partner that resells the app to groups.
type Reseller struct {
	// Object is "account_reseller".
	Object string `json:"object"`
	// ID is the reseller's id, e.g. "rsl-449s8fsd".
	ID string `json:"id"`
	// Name is the reseller's name.
	Name string `json:"name"`
	// Code is the reseller's code.
	Code string `json:"code"`
	// Country is an ISO 3166 alpha-2 code.
	Country string `json:"country"`
	// CreatedAt and UpdatedAt are the platform's timestamps.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// UnmarshalJSON reads the wire form (see [Bill.UnmarshalJSON]).
func (r *Reseller) UnmarshalJSON(data []byte) error {
	type plain Reseller
	w := struct {
		*plain
		CreatedAt wireTime `json:"created_at"`
		UpdatedAt wireTime `json:"updated_at"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	r.CreatedAt, r.UpdatedAt = time.Time(w.CreatedAt), time.Time(w.UpdatedAt)
	return checkObject(r.Object, ObjectReseller, r.ID)
}

// checkObject refuses an object of another type (a tag that is absent is
// accepted) and one without id.
func checkObject(got, want, id string) error {
	if got != "" && got != want {
		return fmt.Errorf("account: got an object of type %q, want %q", clip.String(got, 64), want)
	}
	if id == "" {
		return fmt.Errorf("account: %s without id", want)
	}
	return nil
}
