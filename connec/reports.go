package connec

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/maestrano-go/maestrano/internal/transport"
)

// Report periods.
const (
	PeriodDaily     = "DAILY"
	PeriodWeekly    = "WEEKLY"
	PeriodMonthly   = "MONTHLY"
	PeriodQuarterly = "QUARTERLY"
	PeriodYearly    = "YEARLY"
)

// ReportParams are the parameters of a report. Zero fields are not sent.
type ReportParams struct {
	// From and To bound the report; only their dates are sent (YYYY-MM-DD).
	From, To time.Time
	// Period is e.g. [PeriodMonthly].
	Period string
	// Extra holds other parameters the report takes.
	Extra url.Values
}

// Report fetches GET {connec.host}/api/reports/{group_id}/{name}, e.g.
// "profit_and_loss" or "accounts_summary", and returns its JSON body.
func (c *Client) Report(ctx context.Context, name string, p ReportParams) (json.RawMessage, error) {
	if err := checkCollection(name); err != nil {
		return nil, fmt.Errorf("connec: report name: %w", err)
	}
	q := url.Values{}
	for k, vs := range p.Extra {
		q[k] = append([]string(nil), vs...)
	}
	if !p.From.IsZero() {
		q.Set("from", p.From.Format(time.DateOnly))
	}
	if !p.To.IsZero() {
		q.Set("to", p.To.Format(time.DateOnly))
	}
	if p.Period != "" {
		q.Set("period", p.Period)
	}
	path := "api/reports/" + url.PathEscape(c.group) + "/" + name
	resp, err := c.call(ctx, transport.Request{Method: http.MethodGet, Path: path, Query: q})
	if err != nil {
		return nil, err
	}
	if !json.Valid(resp.Body) {
		return nil, &DecodeError{URL: resp.URL, Err: fmt.Errorf("report body is not JSON")}
	}
	return resp.Body, nil
}
