package account

import (
	"context"
	"strings"
	"time"
)

// Period is the unit of a recurring bill's cycle.
type Period string

// The periods (the platform compares case-insensitively and stores lower
// case).
const (
	PeriodDay       Period = "day"
	PeriodWeek      Period = "week"
	PeriodSemiMonth Period = "semimonth"
	PeriodMonth     Period = "month"
	PeriodYear      Period = "year"
)

// RecurringBillRequest is the body of [RecurringBillsService.Create].
// GroupID, PriceCents and Description are required.
type RecurringBillRequest struct {
	// GroupID is the group to charge.
	GroupID string `json:"group_id"`
	// PriceCents is the price of each cycle in cents (> 0).
	PriceCents int64 `json:"price_cents"`
	// Description says what is billed.
	Description string `json:"description"`
	// Currency is an ISO 4217 code; "" means the platform default (AUD).
	Currency string `json:"currency,omitempty"`
	// Period is the cycle unit; "" means PeriodMonth.
	Period Period `json:"period,omitempty"`
	// Frequency is the number of periods per cycle; 0 means 1.
	Frequency int `json:"frequency,omitempty"`
	// Cycles is the number of cycles; nil means unlimited.
	Cycles *int `json:"cycles,omitempty"`
	// StartDate is the first charge; zero means now. The platform refuses
	// a start more than an hour in the past.
	StartDate time.Time `json:"start_date,omitzero"`
	// InitialCents, when > 0, is charged once at set-up as a separate bill.
	InitialCents int64 `json:"initial_cents,omitempty"`
}

func (r RecurringBillRequest) validate() map[string][]string {
	p := map[string][]string{}
	checkGroupID(p, r.GroupID)
	if r.PriceCents <= 0 {
		p["price_cents"] = append(p["price_cents"], "must be greater than 0")
	}
	checkDescription(p, r.Description)
	checkCurrency(p, r.Currency)
	switch Period(strings.ToLower(string(r.Period))) {
	case "", PeriodDay, PeriodWeek, PeriodSemiMonth, PeriodMonth, PeriodYear:
	default:
		p["period"] = append(p["period"], "is not one of day, week, semimonth, month, year")
	}
	if r.Frequency < 0 {
		p["frequency"] = append(p["frequency"], "must be greater than 0")
	}
	if r.Cycles != nil && *r.Cycles <= 0 {
		p["cycles"] = append(p["cycles"], "must be greater than 0 (nil means unlimited)")
	}
	if r.InitialCents < 0 {
		p["initial_cents"] = append(p["initial_cents"], "must not be negative")
	}
	return p
}

// List returns the app's recurring bills (GET account/recurring_bills),
// narrowed by opts (nil for all).
func (s *RecurringBillsService) List(ctx context.Context, opts *ListOptions) ([]RecurringBill, error) {
	return list[RecurringBill](ctx, s.c, "account/recurring_bills", true, opts)
}

// Get returns one recurring bill (GET account/recurring_bills/{id}).
func (s *RecurringBillsService) Get(ctx context.Context, id string) (*RecurringBill, error) {
	return get[RecurringBill](ctx, s.c, "account/recurring_bills", id)
}

// Create sets up a recurring charge (POST account/recurring_bills). Like
// [BillsService.Create] it is not retried when its outcome is unknown.
func (s *RecurringBillsService) Create(ctx context.Context, req RecurringBillRequest) (*RecurringBill, error) {
	const op = "POST account/recurring_bills"
	if p := req.validate(); len(p) > 0 {
		return nil, &APIError{Op: op, Kind: KindValidation, Errors: p}
	}
	req.Currency = strings.ToUpper(req.Currency)
	req.Period = Period(strings.ToLower(string(req.Period)))
	req.StartDate = utc(req.StartDate)
	return create[RecurringBill](ctx, s.c, "account/recurring_bills", req)
}

// Cancel stops a recurring bill (DELETE account/recurring_bills/{id}) and
// returns it, status "cancelled"; cancelling twice succeeds.
func (s *RecurringBillsService) Cancel(ctx context.Context, id string) (*RecurringBill, error) {
	return cancel[RecurringBill](ctx, s.c, "account/recurring_bills", id)
}
