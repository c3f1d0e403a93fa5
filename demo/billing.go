package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/maestrano-go/maestrano/account"
)

// canBill says whether a role may create and cancel bills: charging a
// customer is for the group's admins.
func canBill(role string) bool { return role == "Admin" || role == "Super Admin" }

type billRow struct {
	ID, Description, Amount, Status, Created, Period string
	Cancellable                                      bool
}

type billForm struct{ Description, Amount string }

type billingPage struct {
	Bills, Recurring []billRow
	CanBill          bool
	Error            string
	FieldErrors      []string
	Notice           string
	Form             billForm
}

func (a *App) billingRoutes() {
	a.mux.Handle("GET /billing", a.mw.Require(a.page(a.handleBilling)))
	a.mux.Handle("POST /billing/bills", a.mw.Require(a.page(a.handleCreateBill)))
	a.mux.Handle("POST /billing/recurring_bills", a.mw.Require(a.page(a.handleCreateRecurringBill)))
	a.mux.Handle("POST /billing/bills/{id}/cancel", a.mw.Require(a.page(a.handleCancelBill)))
	a.mux.Handle("POST /billing/recurring_bills/{id}/cancel", a.mw.Require(a.page(a.handleCancelRecurringBill)))
}

// handleBilling lists the group's bills and recurring bills from the
// platform's account API.
func (a *App) handleBilling(w http.ResponseWriter, r *http.Request, req *request) {
	a.renderBilling(w, r, req, http.StatusOK, billingPage{Notice: a.takeFlash(w, r, req)})
}

func (a *App) renderBilling(w http.ResponseWriter, r *http.Request, req *request, status int, page billingPage) {
	page.CanBill = canBill(req.user.Role)
	c := a.accounts[req.user.Marketplace]
	opts := &account.ListOptions{GroupID: req.user.GroupUID}
	bills, err := c.Bills.List(r.Context(), opts)
	if err == nil {
		var rbills []account.RecurringBill
		rbills, err = c.RecurringBills.List(r.Context(), opts)
		for _, b := range rbills {
			page.Recurring = append(page.Recurring, billRow{ID: b.ID, Description: b.Description, Amount: money(b.PriceCents, b.Currency),
				Status: b.Status, Period: every(b.Frequency, string(b.Period)), Created: date(b.CreatedAt),
				Cancellable: page.CanBill && b.Status != account.RecurringBillCancelled && b.Status != account.RecurringBillExpired})
		}
	}
	if err != nil {
		a.logger.LogAttrs(r.Context(), slog.LevelWarn, "demo: list bills", slog.String("group", req.user.GroupUID), slog.String("error", err.Error()))
		if page.Error == "" {
			page.Error = "The bills could not be read. " + problem(err)
			status = http.StatusBadGateway
		}
	}
	// Newest first.
	slices.Reverse(bills)
	slices.Reverse(page.Recurring)
	for _, b := range bills {
		page.Bills = append(page.Bills, billRow{ID: b.ID, Description: b.Description, Amount: money(b.PriceCents, b.Currency),
			Status: b.Status, Created: date(b.CreatedAt), Cancellable: page.CanBill && b.Status == account.BillSubmitted})
	}
	a.render(w, r, status, "billing", req, page)
}

// amountPattern is a price in the group's currency: units and at most two
// decimals.
var amountPattern = regexp.MustCompile(`^[0-9]{1,9}(\.[0-9]{1,2})?$`)

// parseCents reads "12.5" as 1250.
func parseCents(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if !amountPattern.MatchString(s) {
		return 0, errors.New("The amount must be a number with at most two decimals, such as 12.50.")
	}
	units, frac, _ := strings.Cut(s, ".")
	for len(frac) < 2 {
		frac += "0"
	}
	n, err := strconv.ParseInt(units+frac, 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("The amount must be greater than zero.")
	}
	return n, nil
}

func (a *App) handleCreateBill(w http.ResponseWriter, r *http.Request, req *request) {
	form := billForm{Description: strings.TrimSpace(r.PostFormValue("description")), Amount: r.PostFormValue("amount")}
	if !canBill(req.user.Role) {
		a.renderBilling(w, r, req, http.StatusForbidden, billingPage{Error: "Only the group's admins may charge it.", Form: form})
		return
	}
	cents, err := parseCents(form.Amount)
	if err != nil {
		a.renderBilling(w, r, req, http.StatusUnprocessableEntity, billingPage{Error: err.Error(), Form: form})
		return
	}
	b, err := a.accounts[req.user.Marketplace].Bills.Create(r.Context(), account.BillRequest{
		GroupID: req.user.GroupUID, PriceCents: cents, Currency: req.user.Currency, Description: form.Description,
	})
	if err != nil {
		a.billingRefused(w, r, req, err, form)
		return
	}
	a.setFlash(w, r, req, fmt.Sprintf("Bill %s submitted: %s for %s.", b.ID, money(b.PriceCents, b.Currency), b.Description))
	http.Redirect(w, r, "/billing", http.StatusSeeOther)
}

func (a *App) handleCreateRecurringBill(w http.ResponseWriter, r *http.Request, req *request) {
	form := billForm{Description: strings.TrimSpace(r.PostFormValue("description")), Amount: r.PostFormValue("amount")}
	if !canBill(req.user.Role) {
		a.renderBilling(w, r, req, http.StatusForbidden, billingPage{Error: "Only the group's admins may charge it."})
		return
	}
	cents, err := parseCents(form.Amount)
	if err != nil {
		a.renderBilling(w, r, req, http.StatusUnprocessableEntity, billingPage{Error: err.Error()})
		return
	}
	period := account.Period(r.PostFormValue("period"))
	if !slices.Contains([]account.Period{account.PeriodDay, account.PeriodWeek, account.PeriodMonth, account.PeriodYear}, period) {
		a.renderBilling(w, r, req, http.StatusUnprocessableEntity, billingPage{Error: "Please choose a period: day, week, month or year."})
		return
	}
	b, err := a.accounts[req.user.Marketplace].RecurringBills.Create(r.Context(), account.RecurringBillRequest{
		GroupID: req.user.GroupUID, PriceCents: cents, Currency: req.user.Currency, Description: form.Description, Period: period,
	})
	if err != nil {
		a.billingRefused(w, r, req, err, billForm{})
		return
	}
	a.setFlash(w, r, req, fmt.Sprintf("Recurring bill %s submitted: %s every %s.", b.ID, money(b.PriceCents, b.Currency), every(b.Frequency, string(b.Period))))
	http.Redirect(w, r, "/billing", http.StatusSeeOther)
}

// handleCancelBill cancels one of the group's bills.
func (a *App) handleCancelBill(w http.ResponseWriter, r *http.Request, req *request) {
	c := a.accounts[req.user.Marketplace]
	cancelInGroup(a, w, r, req, "Bill", c.Bills.Get, c.Bills.Cancel, func(b *account.Bill) (string, string) { return b.ID, b.GroupID })
}

func (a *App) handleCancelRecurringBill(w http.ResponseWriter, r *http.Request, req *request) {
	c := a.accounts[req.user.Marketplace]
	cancelInGroup(a, w, r, req, "Recurring bill", c.RecurringBills.Get, c.RecurringBills.Cancel,
		func(b *account.RecurringBill) (string, string) { return b.ID, b.GroupID })
}

// cancelInGroup serves POST .../{id}/cancel for a bill of type B. The
// app's credentials could cancel any group's bill, so the bill is read
// first and must belong to the user's group (another group's bill is "not
// found"); idGroup returns a bill's id and group.
func cancelInGroup[B any](a *App, w http.ResponseWriter, r *http.Request, req *request, label string,
	get, cancel func(context.Context, string) (*B, error), idGroup func(*B) (id, group string)) {
	if !canBill(req.user.Role) {
		a.renderBilling(w, r, req, http.StatusForbidden, billingPage{Error: "Only the group's admins may cancel its bills."})
		return
	}
	b, err := get(r.Context(), r.PathValue("id"))
	if err == nil {
		if id, group := idGroup(b); group != req.user.GroupUID {
			err = &account.APIError{Kind: account.KindNotFound, StatusCode: http.StatusNotFound, Errors: map[string][]string{"id": {"does not exist"}}}
		} else {
			b, err = cancel(r.Context(), id)
		}
	}
	if err != nil {
		a.billingRefused(w, r, req, err, billForm{})
		return
	}
	id, _ := idGroup(b)
	a.setFlash(w, r, req, label+" "+id+" cancelled.")
	http.Redirect(w, r, "/billing", http.StatusSeeOther)
}

// billingRefused shows the billing page with what the platform answered;
// the error itself goes to the log.
func (a *App) billingRefused(w http.ResponseWriter, r *http.Request, req *request, err error, form billForm) {
	a.logger.LogAttrs(r.Context(), slog.LevelInfo, "demo: billing call refused", slog.String("group", req.user.GroupUID), slog.String("error", err.Error()))
	a.renderBilling(w, r, req, apiStatus(err), billingPage{Error: problem(err), FieldErrors: fieldErrors(err), Form: form})
}

// problem says in a sentence what the platform answered.
func problem(err error) string {
	var apiErr *account.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.Kind {
		case account.KindNotFound:
			return "The marketplace has no such bill in your organization."
		case account.KindValidation:
			return "The marketplace refused the bill: it is not valid."
		case account.KindAuthentication:
			return "The marketplace refused the app's API credentials (check api.id and api.key on the developer platform)."
		}
		return "The marketplace answered: " + apiErr.Kind.String() + "."
	}
	return "The marketplace could not be reached; try again in a moment."
}

// fieldErrors lists the platform's field errors as sentences.
func fieldErrors(err error) []string {
	var apiErr *account.APIError
	if !errors.As(err, &apiErr) {
		return nil
	}
	var out []string
	for _, f := range slices.Sorted(maps.Keys(apiErr.Errors)) {
		if f == "id" && apiErr.Kind == account.KindNotFound {
			continue
		}
		out = append(out, strings.ReplaceAll(f, "_", " ")+" "+strings.Join(apiErr.Errors[f], ", "))
	}
	return out
}

func apiStatus(err error) int {
	var apiErr *account.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.Kind {
		case account.KindNotFound:
			return http.StatusNotFound
		case account.KindValidation:
			return http.StatusUnprocessableEntity
		}
	}
	return http.StatusBadGateway
}

// money formats cents of a currency: "12.50 USD".
func money(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, cents/100, cents%100, currency)
}

func every(freq int, period string) string {
	if freq <= 1 {
		return period
	}
	return fmt.Sprintf("%d %ss", freq, period)
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04")
}
