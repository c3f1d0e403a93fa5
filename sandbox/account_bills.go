package sandbox

import (
	"context"
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

const msgGroupNotChargeable = "does not exist or cannot be charged by your service"

// appGroup reports whether the group uid uses the app.
func (s *Sandbox) appGroup(ctx context.Context, appUID, groupUID string) (bool, error) {
	if groupUID == "" || len(groupUID) > 128 {
		return false, nil
	}
	return s.store.AppHasGroup(ctx, appUID, groupUID)
}

// listResult answers a filtered list, or the 400 of a bad filter value.
func listResult[T any](items []T, p params, skip ...string) (accountResult, error) {
	out, err := applyFilters(items, p, skip...)
	var fe *filterValueError
	if errors.As(err, &fe) {
		return accountFail(http.StatusBadRequest, fe.param, fe.msg), nil
	}
	if err != nil {
		return accountResult{}, err
	}
	return accountOK(out), nil
}

// scopedGroup reads the group_id parameter of a list: ok false when it names
// a group the app does not use (the list is then empty).
func (s *Sandbox) scopedGroup(ctx context.Context, app store.App, p params) (group string, ok bool, err error) {
	gid, given := p.get("group_id")
	if !given {
		return "", true, nil
	}
	ok, err = s.appGroup(ctx, app.UID, gid)
	return gid, ok, err
}

// listOwned answers a list of the app's objects (list), scoped to the
// group_id parameter and filtered by the others, in their wire shape.
func listOwned[T, W any](s *Sandbox, r *http.Request, app store.App, p params,
	list func(ctx context.Context, appUID, groupUID string) ([]T, error), shape func(T) W) (accountResult, error) {
	gid, ok, err := s.scopedGroup(r.Context(), app, p)
	if err != nil || !ok {
		return accountOK([]W{}), err
	}
	items, err := list(r.Context(), app.UID, gid)
	if err != nil {
		return accountResult{}, err
	}
	return listResult(mapAll(items, shape), p, "group_id")
}

// showOwned answers the object the path's {id} names (get) in its wire
// shape; one that does not exist, or is another app's (owner), is the
// platform's "id does not exist" with HTTP 200 (§4.2).
func showOwned[T, W any](r *http.Request, app store.App, get func(ctx context.Context, uid string) (T, error),
	owner func(T) string, shape func(T) W) (accountResult, error) {
	v, err := get(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && owner(v) != app.UID) {
		return accountFail(http.StatusOK, "id", msgDoesNotExist), nil
	}
	if err != nil {
		return accountResult{}, err
	}
	return accountOK(shape(v)), nil
}

func (s *Sandbox) handleListBills(r *http.Request, app store.App, p params) (accountResult, error) {
	return listOwned(s, r, app, p, s.store.Bills, accountBill)
}

func (s *Sandbox) handleShowBill(r *http.Request, app store.App, _ params) (accountResult, error) {
	return showOwned(r, app, s.store.Bill, func(b store.Bill) string { return b.AppUID }, accountBill)
}

func (s *Sandbox) handleCancelBill(r *http.Request, app store.App, _ params) (accountResult, error) {
	b, err := s.store.CancelBill(r.Context(), app.UID, r.PathValue("id"), s.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		return accountFail(http.StatusBadRequest, "id", msgDoesNotExist), nil
	case errors.Is(err, store.ErrInvoiced):
		return accountFail(http.StatusBadRequest, "status", "has already been set to invoiced and cannot be changed"), nil
	case err != nil:
		return accountResult{}, err
	}
	s.log.InfoContext(r.Context(), "sandbox: bill cancelled", "bill", b.UID, "app", app.UID)
	return accountOK(accountBill(b)), nil
}

// Field readers of create requests: each adds its messages to errs.

// readInt reads an integer parameter; required adds "can't be blank" when
// absent. It returns the value and whether it was given and valid.
func readInt(p params, errs store.FieldErrors, name string, required bool) (int64, bool) {
	v, ok := p.get(name)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		if required {
			errs.Add(name, store.MsgBlank)
			errs.Add(name, store.MsgNotANumber)
		}
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		switch {
		case ferr != nil || math.IsNaN(f) || math.IsInf(f, 0):
			errs.Add(name, store.MsgNotANumber)
		case f == math.Trunc(f) && math.Abs(f) < 1e15:
			return int64(f), true // "1500.0"
		default:
			errs.Add(name, store.MsgNotInteger)
		}
		return 0, false
	}
	return n, true
}

func readFloat(p params, errs store.FieldErrors, name string) *float64 {
	v, ok := p.get(name)
	v = strings.TrimSpace(v)
	if !ok || v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		errs.Add(name, store.MsgNotANumber)
		return nil
	}
	return &f
}

func readTime(p params, errs store.FieldErrors, name string) *time.Time {
	v, ok := p.get(name)
	if !ok || strings.TrimSpace(v) == "" {
		return nil
	}
	t, ok := parseAPITime(v)
	if !ok {
		errs.Add(name, "is not a valid date (use YYYY-MM-DDTHH:MM:SSZ)")
		return nil
	}
	t = t.Truncate(time.Second)
	return &t
}

func readBool(p params, errs store.FieldErrors, name string) bool {
	v, ok := p.get(name)
	if !ok || v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		errs.Add(name, "is not a boolean (use true or false)")
	}
	return b
}

func merge(dst, src store.FieldErrors) {
	for k, v := range src {
		for _, m := range v {
			if !slices.Contains(dst[k], m) {
				dst.Add(k, m)
			}
		}
	}
}

// handleCreateBill serves POST /api/v1/account/bills.
func (s *Sandbox) handleCreateBill(r *http.Request, app store.App, p params) (accountResult, error) {
	gid, _ := p.get("group_id")
	ok, err := s.appGroup(r.Context(), app.UID, gid)
	if err != nil {
		return accountResult{}, err
	}
	if !ok {
		return accountFail(http.StatusBadRequest, "group_id", msgGroupNotChargeable), nil
	}
	errs := store.FieldErrors{}
	now := s.now().UTC().Truncate(time.Second)
	b := store.Bill{AppUID: app.UID, GroupUID: gid, Status: store.BillSubmitted, CreatedAt: now, UpdatedAt: now}
	price, priceOK := readInt(p, errs, "price_cents", true)
	b.PriceCents = price
	b.Description, _ = p.get("description")
	b.Currency, _ = p.get("currency")
	if b.Currency == "" {
		b.Currency = store.DefaultCurrency
	}
	b.Units = readFloat(p, errs, "units")
	b.PeriodStartedAt = readTime(p, errs, "period_started_at")
	b.PeriodEndedAt = readTime(p, errs, "period_ended_at")
	b.ThirdParty = readBool(p, errs, "third_party")
	v := store.ValidateBill(b)
	if !priceOK {
		delete(v, "price_cents") // already reported as blank or not a number
	}
	if b.Units == nil {
		delete(v, "units")
	}
	merge(errs, v)
	if len(errs) > 0 {
		return accountResult{status: http.StatusBadRequest, errs: errs}, nil
	}
	b, err = s.store.CreateBill(r.Context(), b)
	if err != nil {
		return accountResult{}, err
	}
	s.log.InfoContext(r.Context(), "sandbox: bill created", "bill", b.UID, "app", app.UID, "group", gid)
	return accountOK(accountBill(b)), nil
}

func (s *Sandbox) handleListRecurringBills(r *http.Request, app store.App, p params) (accountResult, error) {
	return listOwned(s, r, app, p, s.store.RecurringBills, accountRecurringBill)
}

func (s *Sandbox) handleShowRecurringBill(r *http.Request, app store.App, _ params) (accountResult, error) {
	return showOwned(r, app, s.store.RecurringBill, func(b store.RecurringBill) string { return b.AppUID }, accountRecurringBill)
}

func (s *Sandbox) handleCancelRecurringBill(r *http.Request, app store.App, _ params) (accountResult, error) {
	b, err := s.store.CancelRecurringBill(r.Context(), app.UID, r.PathValue("id"), s.now())
	if errors.Is(err, store.ErrNotFound) {
		return accountFail(http.StatusBadRequest, "id", msgDoesNotExist), nil
	}
	if err != nil {
		return accountResult{}, err
	}
	return accountOK(accountRecurringBill(b)), nil
}

// handleCreateRecurringBill serves POST /api/v1/account/recurring_bills.
func (s *Sandbox) handleCreateRecurringBill(r *http.Request, app store.App, p params) (accountResult, error) {
	gid, _ := p.get("group_id")
	ok, err := s.appGroup(r.Context(), app.UID, gid)
	if err != nil {
		return accountResult{}, err
	}
	if !ok {
		return accountFail(http.StatusBadRequest, "group_id", msgGroupNotChargeable), nil
	}
	errs := store.FieldErrors{}
	now := s.now().UTC().Truncate(time.Second)
	b := store.RecurringBill{AppUID: app.UID, GroupUID: gid, Status: store.RecurringSubmitted, CreatedAt: now, UpdatedAt: now,
		Frequency: 1, Period: "month", StartDate: now}
	price, priceOK := readInt(p, errs, "price_cents", true)
	b.PriceCents = price
	b.Description, _ = p.get("description")
	b.Currency, _ = p.get("currency")
	if b.Currency == "" {
		b.Currency = store.DefaultCurrency
	}
	if v, _ := p.get("period"); v != "" {
		b.Period = strings.ToLower(v)
	}
	if n, ok := readInt(p, errs, "frequency", false); ok {
		b.Frequency = int(clampInt(n))
	}
	if n, ok := readInt(p, errs, "cycles", false); ok {
		c := int(clampInt(n))
		b.Cycles = &c
		b.RemainingCycles = &c
	}
	if n, ok := readInt(p, errs, "initial_cents", false); ok {
		b.InitialCents = n
	}
	if t := readTime(p, errs, "start_date"); t != nil {
		b.StartDate = *t
		if t.Before(now.Add(-time.Hour)) {
			errs.Add("start_date", "cannot be in the past")
		}
	}
	next := b.StartDate
	b.NextExecutionAt = &next
	v := store.ValidateRecurringBill(b)
	if !priceOK {
		delete(v, "price_cents")
	}
	merge(errs, v)
	if len(errs) > 0 {
		return accountResult{status: http.StatusBadRequest, errs: errs}, nil
	}
	b, err = s.store.CreateRecurringBill(r.Context(), b)
	if err != nil {
		return accountResult{}, err
	}
	s.log.InfoContext(r.Context(), "sandbox: recurring bill created", "recurring_bill", b.UID, "app", app.UID, "group", gid)
	return accountOK(accountRecurringBill(b)), nil
}

// clampInt keeps n within ±1e9 so that it converts to int safely; the
// validators then refuse the out-of-range values.
func clampInt(n int64) int64 {
	return max(min(n, 1e9), -1e9)
}
