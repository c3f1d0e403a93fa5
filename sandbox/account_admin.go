package sandbox

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// Admin actions on bills: the status changes only the platform makes.
var (
	billActions = map[string]string{
		"invoice": store.BillInvoiced,
		"cancel":  store.BillCancelled,
		"submit":  store.BillSubmitted,
	}
	recurringBillActions = map[string]string{
		"activate": store.RecurringActive,
		"expire":   store.RecurringExpired,
		"cancel":   store.RecurringCancelled,
		"submit":   store.RecurringSubmitted,
	}
)

// accountAdminRoutes registers the admin JSON API of bill status changes,
// authenticated with any developer-platform environment's credentials:
//
//	POST /api/sandbox/v1/bills/{id}/{invoice|cancel|submit}
//	POST /api/sandbox/v1/recurring_bills/{id}/{activate|expire|cancel|submit}
//
// Each answers the bill in its account API shape, or {"error": ...}.
func (s *Sandbox) accountAdminRoutes(mux *http.ServeMux) {
	mux.Handle("POST /api/sandbox/v1/bills/{id}/{action}", s.adminAPI(s.handleAPIBillAction))
	mux.Handle("POST /api/sandbox/v1/recurring_bills/{id}/{action}", s.adminAPI(s.handleAPIRecurringBillAction))
}

// SetBillStatus sets the status of a bill from the platform side:
// "invoiced", "cancelled" or "submitted". An unknown bill gives an error
// wrapping [store.ErrNotFound].
func (s *Sandbox) SetBillStatus(ctx context.Context, uid, status string) (store.Bill, error) {
	b, err := s.store.SetBillStatus(ctx, uid, status, s.now().UTC().Truncate(time.Second))
	if err != nil {
		return store.Bill{}, err
	}
	s.log.InfoContext(ctx, "sandbox: bill status set", "bill", uid, "status", status)
	return b, nil
}

// SetRecurringBillStatus sets the status of a recurring bill from the
// platform side: "active", "expired", "cancelled" or "submitted". An unknown
// bill gives an error wrapping [store.ErrNotFound].
func (s *Sandbox) SetRecurringBillStatus(ctx context.Context, uid, status string) (store.RecurringBill, error) {
	b, err := s.store.SetRecurringBillStatus(ctx, uid, status, s.now().UTC().Truncate(time.Second))
	if err != nil {
		return store.RecurringBill{}, err
	}
	s.log.InfoContext(ctx, "sandbox: recurring bill status set", "recurring_bill", uid, "status", status)
	return b, nil
}

func (s *Sandbox) handleAPIBillAction(w http.ResponseWriter, r *http.Request) error {
	status, ok := billActions[r.PathValue("action")]
	if !ok {
		return notFound("unknown bill action " + clip(r.PathValue("action")) + " (invoice, cancel or submit)")
	}
	b, err := s.SetBillStatus(r.Context(), r.PathValue("id"), status)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("unknown bill " + clip(r.PathValue("id")))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, accountBill(b))
	return nil
}

func (s *Sandbox) handleAPIRecurringBillAction(w http.ResponseWriter, r *http.Request) error {
	status, ok := recurringBillActions[r.PathValue("action")]
	if !ok {
		return notFound("unknown recurring bill action " + clip(r.PathValue("action")) + " (activate, expire, cancel or submit)")
	}
	b, err := s.SetRecurringBillStatus(r.Context(), r.PathValue("id"), status)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("unknown recurring bill " + clip(r.PathValue("id")))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, accountRecurringBill(b))
	return nil
}
