package account

import (
	"net/http"
	"testing"

	"github.com/maestrano-go/maestrano/internal/transport"
)

// FuzzDecode feeds arbitrary answers to the envelope decoder: it must
// return a value or an error, never panic, and an error must be an
// *APIError.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"success":true,"errors":{},"data":{"object":"account_bill","id":"bill-1","price_cents":"100","units":"1.0","created_at":"2014-05-21T00:37:34Z"}}`,
		`{"success":false,"errors":{"id":["does not exist"]},"data":{}}`,
		`{"success":true,"errors":{},"data":[{"id":"cld-1","created_at":"2016-08-01T15:30:20.000Z","metadata":{"a":1}}]}`,
		`{"errors":"x","error":{"message":["m"]}}`,
		`{"success":true,"data":{"id":"rbill-1","cycles":null,"remaining_cycles":"3","frequency":1.0}}`,
		`[1,2]`, `nul`, ``,
	} {
		f.Add(200, []byte(seed))
		f.Add(400, []byte(seed))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		resp := &transport.Response{StatusCode: status, Header: http.Header{}, Body: body}
		for _, out := range []any{new(Bill), new(RecurringBill), new(Group), new(User), new(Reseller), new(listOf[Bill]), new(listOf[Group])} {
			err := decode("GET x", resp, out)
			if err != nil {
				if _, ok := err.(*APIError); !ok {
					t.Fatalf("error %T %v is not an *APIError", err, err)
				}
			}
		}
	})
}

func TestQueryEncoding(t *testing.T) {
	t.Parallel()
	var o ListOptions
	o.GroupID = "cld-1"
	for _, op := range []Op{Eq, After, StrictlyAfter, Before, StrictlyBefore, GreaterThan, StrictlyGreaterThan, LowerThan, StrictlyLowerThan} {
		o.Where("price_cents", op, 5)
	}
	q, err := o.query()
	if err != nil {
		t.Fatal(err)
	}
	want := "group_id=cld-1&price_cents=5&price_cents_after=5&price_cents_before=5&price_cents_greater_than=5&price_cents_lower_than=5" +
		"&price_cents_strictly_after=5&price_cents_strictly_before=5&price_cents_strictly_greater_than=5&price_cents_strictly_lower_than=5"
	if got := q.Encode(); got != want {
		t.Errorf("query = %s\nwant    %s", got, want)
	}
}
