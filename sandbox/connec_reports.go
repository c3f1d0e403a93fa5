package sandbox

import (
	"context"
	"encoding/json"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// Report periods.
const (
	periodMonthly   = "MONTHLY"
	periodQuarterly = "QUARTERLY"
	periodYearly    = "YEARLY"
	maxReportPeriod = 240 // periods in one report
	reportDate      = "2006-01-02"
)

// ConnecReportPeriod is one period of a profit and loss report.
type ConnecReportPeriod struct {
	From      string      `json:"from"`
	To        string      `json:"to"`
	Income    json.Number `json:"income"`
	Expenses  json.Number `json:"expenses"`
	NetProfit json.Number `json:"net_profit"`
}

// ConnecProfitAndLoss is the answer of GET /api/reports/{group_id}/profit_and_loss:
// net (tax excluded) amounts of the authorised and paid invoices of the
// group dated in [From, To], customer invoices as income, supplier invoices
// as expenses, per period and in total.
type ConnecProfitAndLoss struct {
	From      string               `json:"from"`
	To        string               `json:"to"`
	Period    string               `json:"period"`
	Currency  string               `json:"currency"`
	Income    json.Number          `json:"income"`
	Expenses  json.Number          `json:"expenses"`
	NetProfit json.Number          `json:"net_profit"`
	Invoices  int                  `json:"invoices"` // invoices counted
	Periods   []ConnecReportPeriod `json:"periods"`
}

// ConnecAccount is one account of an accounts summary.
type ConnecAccount struct {
	Name    string      `json:"name"`
	Class   string      `json:"class"` // ASSET, LIABILITY, REVENUE, EXPENSE
	Balance json.Number `json:"balance"`
}

// ConnecAccountsSummary is the answer of GET /api/reports/{group_id}/accounts_summary:
// the balances on To of the accounts that the group's invoices and payments
// move (dated on or before To). Assets equal liabilities plus revenue minus
// expenses.
type ConnecAccountsSummary struct {
	To       string          `json:"to"`
	Period   string          `json:"period"`
	Currency string          `json:"currency"`
	Accounts []ConnecAccount `json:"accounts"`
}

// handleConnecReport serves GET /api/reports/{group_id}/{report}?from=&to=&period=.
func (s *Sandbox) handleConnecReport(w http.ResponseWriter, r *http.Request) error {
	segs := strings.Split(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, ConnecReportsPath+"/"), "/"), "/")
	if len(segs) != 2 || segs[0] == "" {
		return connecNotFound("reports are at " + ConnecReportsPath + "/{group_id}/{report}")
	}
	if r.Method != http.MethodGet {
		return methodNotAllowed(w, r, "GET")
	}
	app, err := s.authConnecApp(r)
	if err != nil {
		return err
	}
	group, err := s.authorizeGroup(r.Context(), app, segs[0])
	if err != nil {
		return err
	}
	report := strings.TrimSuffix(segs[1], ".json")
	if report != "profit_and_loss" && report != "accounts_summary" {
		return &connecError{status: http.StatusBadRequest, title: "Unknown Resource",
			detail: "unknown report " + strconv.Quote(clip(report)) + "; reports: profit_and_loss, accounts_summary"}
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return connecBadRequest("malformed query string")
	}
	now := s.now().UTC()
	to, err := reportDateParam(q, "to", time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC))
	if err != nil {
		return err
	}
	from, err := reportDateParam(q, "from", time.Date(to.Year(), 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return err
	}
	if from.After(to) {
		return connecBadRequest("from is after to")
	}
	period := strings.ToUpper(q.Get("period"))
	if period == "" {
		period = periodMonthly
	}
	if period != periodMonthly && period != periodQuarterly && period != periodYearly {
		return connecBadRequest("period must be MONTHLY, QUARTERLY or YEARLY")
	}
	ledger, err := s.loadLedger(r.Context(), group.UID)
	if err != nil {
		return err
	}
	if report == "accounts_summary" {
		writeJSON(w, http.StatusOK, ledger.accountsSummary(to, period, group.Currency))
		return nil
	}
	pl, err := ledger.profitAndLoss(from, to, period, group.Currency)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pl)
	return nil
}

func reportDateParam(q url.Values, name string, def time.Time) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	t, err := time.Parse(reportDate, v)
	if err != nil {
		return time.Time{}, connecBadRequest(name + " must be a date YYYY-MM-DD, not " + strconv.Quote(clip(v)))
	}
	return t, nil
}

// ledgerEntry is one invoice or payment, reduced to what the reports use.
type ledgerEntry struct {
	supplier bool // a supplier invoice or a payment to a supplier
	date     time.Time
	net, tax *big.Rat // invoices
	total    *big.Rat // invoices: net + tax; payments: the amount
}

type ledger struct {
	invoices, payments []ledgerEntry
}

// loadLedger reads every invoice and payment of the group.
func (s *Sandbox) loadLedger(ctx context.Context, group string) (ledger, error) {
	var l ledger
	for _, coll := range []string{"invoices", "payments"} {
		q := store.ConnecQuery{Top: ConnecMaxTop}
		for {
			page, err := s.store.ListConnecEntities(ctx, group, coll, q)
			if err != nil {
				return ledger{}, err
			}
			for _, e := range page.Entities {
				if entry, ok := toLedgerEntry(e, coll == "invoices"); ok {
					if coll == "invoices" {
						l.invoices = append(l.invoices, entry)
					} else {
						l.payments = append(l.payments, entry)
					}
				}
			}
			if len(page.Entities) < q.Top {
				break
			}
			q.AfterSeq = page.Entities[len(page.Entities)-1].Seq
		}
	}
	return l, nil
}

// toLedgerEntry reads an invoice or payment; drafts and voided ones are
// left out.
func toLedgerEntry(e store.ConnecEntity, invoice bool) (ledgerEntry, bool) {
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(string(e.JSON())))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		return ledgerEntry{}, false
	}
	status := strings.ToUpper(str(doc["status"]))
	if status == "DRAFT" || status == "VOIDED" || status == "DELETED" || status == "INACTIVE" {
		return ledgerEntry{}, false
	}
	entry := ledgerEntry{supplier: strings.EqualFold(str(doc["type"]), "SUPPLIER"), date: e.CreatedAt}
	if d, ok := parseLedgerDate(str(doc["transaction_date"])); ok {
		entry.date = d
	}
	amount, _ := doc["amount"].(map[string]any)
	if !invoice {
		switch {
		case amount != nil && num(amount["total_amount"]) != nil:
			entry.total = num(amount["total_amount"])
		case num(doc["amount"]) != nil:
			entry.total = num(doc["amount"])
		default:
			entry.total = new(big.Rat)
			lines, _ := doc["payment_lines"].([]any)
			for _, l := range lines {
				if m, ok := l.(map[string]any); ok && num(m["amount"]) != nil {
					entry.total.Add(entry.total, num(m["amount"]))
				}
			}
		}
		return entry, true
	}
	switch {
	case amount != nil && num(amount["net_amount"]) != nil:
		entry.net = num(amount["net_amount"])
		entry.tax = orZero(num(amount["tax_amount"]))
	case amount != nil && num(amount["total_amount"]) != nil:
		entry.tax = orZero(num(amount["tax_amount"]))
		entry.net = new(big.Rat).Sub(num(amount["total_amount"]), entry.tax)
	case num(doc["amount"]) != nil:
		entry.net, entry.tax = num(doc["amount"]), new(big.Rat)
	default:
		entry.net, entry.tax = linesAmount(doc["lines"])
	}
	entry.total = new(big.Rat).Add(entry.net, entry.tax)
	return entry, true
}

// linesAmount sums the lines of an invoice: quantity (default 1) times
// unit_price.net_amount, less reduction_percent; tax at unit_price.tax_rate
// percent.
func linesAmount(v any) (net, tax *big.Rat) {
	net, tax = new(big.Rat), new(big.Rat)
	lines, _ := v.([]any)
	hundred := big.NewRat(100, 1)
	for _, l := range lines {
		m, ok := l.(map[string]any)
		if !ok {
			continue
		}
		price, _ := m["unit_price"].(map[string]any)
		if price == nil || num(price["net_amount"]) == nil {
			continue
		}
		qty := num(m["quantity"])
		if qty == nil {
			qty = big.NewRat(1, 1)
		}
		line := new(big.Rat).Mul(qty, num(price["net_amount"]))
		if red := num(m["reduction_percent"]); red != nil {
			keep := new(big.Rat).Sub(hundred, red)
			line.Mul(line, keep).Quo(line, hundred)
		}
		net.Add(net, line)
		if rate := num(price["tax_rate"]); rate != nil {
			t := new(big.Rat).Mul(line, rate)
			tax.Add(tax, t.Quo(t, hundred))
		}
	}
	return net, tax
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// num returns a JSON number (or a numeric string) as an exact rational,
// or nil.
func num(v any) *big.Rat {
	var s string
	switch t := v.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = t
	default:
		return nil
	}
	if len(s) > 40 {
		return nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || strings.ContainsAny(s, "/") {
		return nil
	}
	return r
}

func orZero(r *big.Rat) *big.Rat {
	if r == nil {
		return new(big.Rat)
	}
	return r
}

func parseLedgerDate(s string) (time.Time, bool) {
	if len(s) < 10 {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	t, err := time.Parse(reportDate, s[:10])
	return t, err == nil
}

// money formats r with two decimals, half away from zero.
func money(r *big.Rat) json.Number {
	return json.Number(r.FloatString(2))
}

// inDay reports whether t falls on a day in [from, to] (dates at midnight UTC).
func inDay(t, from, to time.Time) bool {
	return !t.Before(from) && t.Before(to.AddDate(0, 0, 1))
}

func (l ledger) profitAndLoss(from, to time.Time, period, currency string) (ConnecProfitAndLoss, error) {
	months := map[string]int{periodMonthly: 1, periodQuarterly: 3, periodYearly: 12}[period]
	// Periods are calendar months, quarters or years, clipped to [from, to].
	start := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	if months > 1 {
		m := (int(from.Month())-1)/months*months + 1
		start = time.Date(from.Year(), time.Month(m), 1, 0, 0, 0, 0, time.UTC)
	}
	out := ConnecProfitAndLoss{From: from.Format(reportDate), To: to.Format(reportDate), Period: period, Currency: currency}
	totalIn, totalOut := new(big.Rat), new(big.Rat)
	for p := start; !p.After(to); p = p.AddDate(0, months, 0) {
		if len(out.Periods) == maxReportPeriod {
			return ConnecProfitAndLoss{}, connecBadRequest("more than " + strconv.Itoa(maxReportPeriod) + " periods; use a longer period or a shorter range")
		}
		pFrom, pTo := p, p.AddDate(0, months, -1)
		if pFrom.Before(from) {
			pFrom = from
		}
		if pTo.After(to) {
			pTo = to
		}
		in, exp := new(big.Rat), new(big.Rat)
		for _, e := range l.invoices {
			if !inDay(e.date, pFrom, pTo) {
				continue
			}
			out.Invoices++
			if e.supplier {
				exp.Add(exp, e.net)
			} else {
				in.Add(in, e.net)
			}
		}
		totalIn.Add(totalIn, in)
		totalOut.Add(totalOut, exp)
		out.Periods = append(out.Periods, ConnecReportPeriod{
			From: pFrom.Format(reportDate), To: pTo.Format(reportDate),
			Income: money(in), Expenses: money(exp), NetProfit: money(new(big.Rat).Sub(in, exp)),
		})
	}
	out.Income, out.Expenses = money(totalIn), money(totalOut)
	out.NetProfit = money(new(big.Rat).Sub(totalIn, totalOut))
	return out, nil
}

func (l ledger) accountsSummary(to time.Time, period, currency string) ConnecAccountsSummary {
	var custNet, custTax, custTotal, supNet, supTax, supTotal, custPaid, supPaid big.Rat
	for _, e := range l.invoices {
		if !e.date.Before(to.AddDate(0, 0, 1)) {
			continue
		}
		if e.supplier {
			supNet.Add(&supNet, e.net)
			supTax.Add(&supTax, e.tax)
			supTotal.Add(&supTotal, e.total)
		} else {
			custNet.Add(&custNet, e.net)
			custTax.Add(&custTax, e.tax)
			custTotal.Add(&custTotal, e.total)
		}
	}
	for _, e := range l.payments {
		if !e.date.Before(to.AddDate(0, 0, 1)) {
			continue
		}
		if e.supplier {
			supPaid.Add(&supPaid, e.total)
		} else {
			custPaid.Add(&custPaid, e.total)
		}
	}
	sub := func(a, b *big.Rat) *big.Rat { return new(big.Rat).Sub(a, b) }
	return ConnecAccountsSummary{
		To: to.Format(reportDate), Period: period, Currency: currency,
		Accounts: []ConnecAccount{
			{Name: "Cash", Class: "ASSET", Balance: money(sub(&custPaid, &supPaid))},
			{Name: "Accounts Receivable", Class: "ASSET", Balance: money(sub(&custTotal, &custPaid))},
			{Name: "Accounts Payable", Class: "LIABILITY", Balance: money(sub(&supTotal, &supPaid))},
			{Name: "Sales Tax", Class: "LIABILITY", Balance: money(sub(&custTax, &supTax))},
			{Name: "Sales", Class: "REVENUE", Balance: money(&custNet)},
			{Name: "Purchases", Class: "EXPENSE", Balance: money(&supNet)},
		},
	}
}
