package account

import (
	"context"
	"strings"
	"time"
)

// BillRequest is the body of [BillsService.Create]. GroupID, PriceCents
// and Description are required; the rest is optional.
type BillRequest struct {
	// GroupID is the group to charge, e.g. "cld-1".
	GroupID string `json:"group_id"`
	// PriceCents is the price in cents (> 0).
	PriceCents int64 `json:"price_cents"`
	// Description says what is billed.
	Description string `json:"description"`
	// Currency is an ISO 4217 code; "" means the platform default (AUD).
	Currency string `json:"currency,omitempty"`
	// Units is the quantity (> 0); 0 means the platform default (1).
	Units float64 `json:"units,omitempty"`
	// PeriodStartedAt and PeriodEndedAt bound the billed period; zero
	// values are not sent.
	PeriodStartedAt time.Time `json:"period_started_at,omitzero"`
	PeriodEndedAt   time.Time `json:"period_ended_at,omitzero"`
	// ThirdParty marks a charge for a third-party service.
	ThirdParty bool `json:"third_party,omitempty"`
}

func (r BillRequest) validate() map[string][]string {
	p := map[string][]string{}
	checkGroupID(p, r.GroupID)
	if r.PriceCents <= 0 {
		p["price_cents"] = append(p["price_cents"], "must be greater than 0")
	}
	checkDescription(p, r.Description)
	checkCurrency(p, r.Currency)
	if r.Units < 0 {
		p["units"] = append(p["units"], "must be greater than 0")
	}
	if !r.PeriodStartedAt.IsZero() && !r.PeriodEndedAt.IsZero() && r.PeriodEndedAt.Before(r.PeriodStartedAt) {
		p["period_ended_at"] = append(p["period_ended_at"], "is before period_started_at")
	}
	return p
}

// List returns the app's bills (GET account/bills), narrowed by opts
// (nil for all). The platform does not paginate.
func (s *BillsService) List(ctx context.Context, opts *ListOptions) ([]Bill, error) {
	return list[Bill](ctx, s.c, "account/bills", true, opts)
}

// Get returns one bill (GET account/bills/{id}). An unknown id is an error
// that matches [ErrNotFound].
func (s *BillsService) Get(ctx context.Context, id string) (*Bill, error) {
	return get[Bill](ctx, s.c, "account/bills", id)
}

// Create charges a group once (POST account/bills) and returns the new
// bill, status "submitted".
//
// A create is not retried when its outcome is unknown (a timeout or a 5xx
// after the request was sent): the error is returned and the caller
// decides, for example by listing the group's bills, whether to try again.
func (s *BillsService) Create(ctx context.Context, req BillRequest) (*Bill, error) {
	const op = "POST account/bills"
	if p := req.validate(); len(p) > 0 {
		return nil, &APIError{Op: op, Kind: KindValidation, Errors: p}
	}
	req.Currency = strings.ToUpper(req.Currency)
	req.PeriodStartedAt, req.PeriodEndedAt = utc(req.PeriodStartedAt), utc(req.PeriodEndedAt)
	return create[Bill](ctx, s.c, "account/bills", req)
}

// Cancel cancels a bill (DELETE account/bills/{id}) and returns it, status
// "cancelled". Cancelling a cancelled bill succeeds; an invoiced bill can
// no longer be cancelled (a [KindValidation] error on "status").
func (s *BillsService) Cancel(ctx context.Context, id string) (*Bill, error) {
	return cancel[Bill](ctx, s.c, "account/bills", id)
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

func checkGroupID(p map[string][]string, id string) {
	if err := checkID(id); err != nil {
		p["group_id"] = append(p["group_id"], err.Error())
	}
}

// maxDescriptionBytes bounds a description (the request body bound is
// MaxRequestBytes).
const maxDescriptionBytes = 4096

func checkDescription(p map[string][]string, d string) {
	switch {
	case strings.TrimSpace(d) == "":
		p["description"] = append(p["description"], "can't be blank")
	case len(d) > maxDescriptionBytes:
		p["description"] = append(p["description"], "is longer than 4096 bytes")
	}
}

func checkCurrency(p map[string][]string, c string) {
	if c == "" {
		return
	}
	if len(c) != 3 {
		p["currency"] = append(p["currency"], "is not a three-letter ISO 4217 code")
		return
	}
	for i := 0; i < 3; i++ {
		if ch := c[i] | 0x20; ch < 'a' || ch > 'z' {
			p["currency"] = append(p["currency"], "is not a three-letter ISO 4217 code")
			return
		}
	}
}
