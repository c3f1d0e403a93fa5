package account_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/account"
)

// faultServer answers call n (from 0) with answers[n], the last one
// repeating. Each answer writes the whole response.
func faultServer(t *testing.T, answers ...http.HandlerFunc) (*account.Client, *atomic.Int32, *[]time.Duration) {
	t.Helper()
	var n atomic.Int32
	srv := newHTTPServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		answers[min(i, len(answers)-1)](w, r)
	}))
	var mu sync.Mutex
	sleeps := &[]time.Duration{}
	mp := &maestrano.Marketplace{Name: "m", API: maestrano.APIConfig{ID: testAppID, Key: testAppKey, Host: srv, Base: "/api/v1/"}}
	c, err := account.New(mp, account.WithTimeout(2*time.Second), account.WithRetrySleep(func(_ context.Context, d time.Duration) error {
		mu.Lock()
		*sleeps = append(*sleeps, d)
		mu.Unlock()
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return c, &n, sleeps
}

func status(code int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		fmt.Fprint(w, body)
	}
}

const okBill = `{"success":true,"errors":{},"data":{"object":"account_bill","id":"bill-1","group_id":"cld-1","price_cents":100,"status":"submitted","currency":"AUD","units":"1.0","description":"x","created_at":"2014-05-21T00:37:34Z","updated_at":"2014-05-21T00:37:34Z"}}`

// hang waits until the client gives up. The body is read first: the
// server notices a closed connection only once the body is consumed.
func hang(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	<-r.Context().Done()
}

func TestFaults(t *testing.T) {
	t.Parallel()
	get := func(c *account.Client) error { _, err := c.Bills.Get(t.Context(), "bill-1"); return err }
	create := func(c *account.Client) error {
		_, err := c.Bills.Create(t.Context(), account.BillRequest{GroupID: "cld-1", PriceCents: 100, Description: "x"})
		return err
	}
	list := func(c *account.Client) error { _, err := c.Bills.List(t.Context(), nil); return err }
	isConn := func(err error) bool { var ce *maestrano.ConnectionError; return errors.As(err, &ce) }
	kind := func(k account.Kind) func(error) bool {
		return func(err error) bool { var ae *account.APIError; return errors.As(err, &ae) && ae.Kind == k }
	}
	cases := []struct {
		name      string
		do        func(*account.Client) error
		answers   []http.HandlerFunc
		wantCalls int32
		check     func(error) bool
	}{
		{"GET 503 then success", get, []http.HandlerFunc{status(503, "busy"), status(200, okBill)}, 2, func(err error) bool { return err == nil }},
		{"GET 500 every time", get, []http.HandlerFunc{status(500, `{"success":false,"errors":{"system":["A system error occured."]},"data":{}}`)}, 3,
			func(err error) bool {
				return errors.Is(err, account.ErrServer) && strings.Contains(err.Error(), "system A system error")
			}},
		{"POST 503 is not repeated", create, []http.HandlerFunc{status(503, "busy"), status(200, okBill)}, 1, func(err error) bool { return errors.Is(err, account.ErrServer) }},
		{"POST 429 with Retry-After is repeated", create, []http.HandlerFunc{status(429, "slow down", "Retry-After", "3"), status(200, okBill)}, 2, func(err error) bool { return err == nil }},
		{"GET timeout then success", get, []http.HandlerFunc{hang, status(200, okBill)}, 2, func(err error) bool { return err == nil }},
		{"GET timeout every time", get, []http.HandlerFunc{hang}, 3, isConn},
		{"POST timeout is not repeated", create, []http.HandlerFunc{hang, status(200, okBill)}, 1, isConn},
		{"malformed JSON on 200", get, []http.HandlerFunc{status(200, `{"success":true,"data":{"id":`)}, 1, kind(account.KindMalformedResponse)},
		{"HTML on 200", get, []http.HandlerFunc{status(200, `<html>maintenance</html>`)}, 1, kind(account.KindMalformedResponse)},
		{"HTML on 502 then success", get, []http.HandlerFunc{status(502, `<html>bad gateway</html>`), status(200, okBill)}, 2, func(err error) bool { return err == nil }},
		{"body cut short (Content-Length)", get, []http.HandlerFunc{status(200, okBill[:40], "Content-Length", "4000")}, 1, isConn},
		{"body cut short (chunked)", get, []http.HandlerFunc{func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(okBill[:40]))
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}}, 1, isConn},
		{"wrong credentials", get, []http.HandlerFunc{status(401, `{"success":false,"errors":{"authentication":["Invalid API token"]},"data":{}}`)}, 1, func(err error) bool { return errors.Is(err, account.ErrAuthentication) }},
		{"forbidden without envelope", get, []http.HandlerFunc{status(403, `nope`)}, 1, func(err error) bool { return errors.Is(err, account.ErrAuthentication) }},
		{"authentication error on 200", get, []http.HandlerFunc{status(200, `{"success":false,"errors":{"authentication":["Invalid API token"]},"data":{}}`)}, 1, func(err error) bool { return errors.Is(err, account.ErrAuthentication) }},
		{"success:false on 200 with field errors", create, []http.HandlerFunc{status(200, `{"success":false,"errors":{"currency":["is not included in the list"]},"data":{}}`)}, 1,
			func(err error) bool {
				var ae *account.APIError
				return errors.Is(err, account.ErrValidation) && errors.As(err, &ae) && ae.StatusCode == 200 && ae.Errors["currency"][0] == "is not included in the list"
			}},
		{"success:false without errors", get, []http.HandlerFunc{status(200, `{"success":false,"errors":{},"data":{}}`)}, 1, kind(account.KindOther)},
		{"errors as strings", get, []http.HandlerFunc{status(200, `{"success":false,"errors":{"id":"does not exist"},"data":{}}`)}, 1, func(err error) bool { return errors.Is(err, account.ErrNotFound) }},
		{"sandbox-style errors with error object", get, []http.HandlerFunc{status(200, `{"success":false,"errors":{"id":["does not exist"]},"error":{"message":"id does not exist","param":"id"},"data":{}}`)}, 1,
			func(err error) bool {
				return errors.Is(err, account.ErrNotFound) && !strings.Contains(err.Error(), "message")
			}},
		{"error object alone", create, []http.HandlerFunc{status(400, `{"success":false,"error":{"message":"price_cents can't be blank","param":"price_cents"},"data":{}}`)}, 1,
			func(err error) bool {
				var ae *account.APIError
				return errors.As(err, &ae) && ae.Kind == account.KindValidation && ae.Errors["price_cents"][0] == "can't be blank"
			}},
		{"PHP-style error object", get, []http.HandlerFunc{status(400, `{"error":{"message":"bad"}}`)}, 1, kind(account.KindValidation)},
		{"HTML 404", get, []http.HandlerFunc{status(404, `<h1>Not Found</h1>`)}, 1, func(err error) bool { return errors.Is(err, account.ErrNotFound) }},
		{"redirect is not followed", get, []http.HandlerFunc{status(302, "", "Location", "https://elsewhere.example/")}, 1, kind(account.KindOther)},
		{"oversized body", get, []http.HandlerFunc{status(200, `{"success":true,"data":{"description":"`+strings.Repeat("a", 5<<20)+`"}}`)}, 1,
			func(err error) bool { return errors.Is(err, account.ErrResponseTooLarge) }},
		{"data missing", get, []http.HandlerFunc{status(200, `{"success":true,"errors":{}}`)}, 1, kind(account.KindMalformedResponse)},
		{"data null", get, []http.HandlerFunc{status(200, `{"success":true,"errors":{},"data":null}`)}, 1, kind(account.KindMalformedResponse)},
		{"data {} on get", get, []http.HandlerFunc{status(200, `{"success":true,"errors":{},"data":{}}`)}, 1, kind(account.KindMalformedResponse)},
		{"data of another type", get, []http.HandlerFunc{status(200, `{"success":true,"errors":{},"data":{"object":"account_group","id":"cld-1"}}`)}, 1, kind(account.KindMalformedResponse)},
		{"object where a list is due", list, []http.HandlerFunc{status(200, okBill)}, 1, kind(account.KindMalformedResponse)},
		{"string where a number is due", get, []http.HandlerFunc{status(200, `{"success":true,"data":{"id":"bill-1","price_cents":"lots"}}`)}, 1, kind(account.KindMalformedResponse)},
		{"bad timestamp", get, []http.HandlerFunc{status(200, `{"success":true,"data":{"id":"bill-1","created_at":"yesterday"}}`)}, 1, kind(account.KindMalformedResponse)},
		{"unexpected 418", get, []http.HandlerFunc{status(418, `teapot`)}, 1, kind(account.KindOther)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, n, _ := faultServer(t, tc.answers...)
			err := tc.do(c)
			if !tc.check(err) {
				t.Fatalf("err = %T %v", err, err)
			}
			if got := n.Load(); got != tc.wantCalls {
				t.Fatalf("calls = %d, want %d", got, tc.wantCalls)
			}
			if err != nil && strings.Contains(err.Error(), testAppKey) {
				t.Fatalf("error shows the api key: %v", err)
			}
		})
	}
}

func TestRateLimited(t *testing.T) {
	t.Parallel()
	c, n, sleeps := faultServer(t, status(429, `{"success":false,"errors":{"rate":["too many requests"]},"data":{}}`, "Retry-After", "3"),
		status(429, "", "Retry-After", "4"), status(200, `{"success":true,"errors":{},"data":[]}`))
	bills, err := c.Bills.List(t.Context(), nil)
	if err != nil || len(bills) != 0 || n.Load() != 3 {
		t.Fatalf("List = %v, %v after %d calls", bills, err, n.Load())
	}
	if want := []time.Duration{3 * time.Second, 4 * time.Second}; fmt.Sprint(*sleeps) != fmt.Sprint(want) {
		t.Fatalf("waits = %v, want %v (Retry-After honoured)", *sleeps, want)
	}

	// A wait longer than the retry policy's cap is not cut short: the
	// answer goes back to the caller at once, with the wait it asked for.
	c, n, _ = faultServer(t, status(429, `{"success":false,"errors":{"rate":["too many requests"]},"data":{}}`, "Retry-After", "7"))
	_, err = c.Bills.List(t.Context(), nil)
	var ae *account.APIError
	if !errors.Is(err, account.ErrRateLimited) || !errors.As(err, &ae) || ae.RetryAfter != 7*time.Second || n.Load() != 1 {
		t.Fatalf("err = %v (calls %d)", err, n.Load())
	}
	// 429 without Retry-After: the server did not say when, so no retry.
	c, n, _ = faultServer(t, status(429, ""))
	if _, err := c.Bills.List(t.Context(), nil); !errors.Is(err, account.ErrRateLimited) || n.Load() != 1 {
		t.Fatalf("err = %v (calls %d)", err, n.Load())
	}
}

func TestListTolerance(t *testing.T) {
	t.Parallel()
	for _, data := range []string{`[]`, `{}`, `null`} {
		c, _, _ := faultServer(t, status(200, `{"success":true,"errors":{},"data":`+data+`}`))
		bills, err := c.Bills.List(t.Context(), nil)
		if err != nil || bills == nil || len(bills) != 0 {
			t.Errorf("data %s: %#v, %v; want an empty list", data, bills, err)
		}
	}
}

func TestErrorBounds(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString(`{"success":false,"errors":{`)
	for i := range 100 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"f%d":[%s]`, i, strings.TrimSuffix(strings.Repeat(`"`+strings.Repeat("m", 1000)+`",`, 10), ","))
	}
	b.WriteString(`},"data":{}}`)
	c, _, _ := faultServer(t, status(400, b.String()))
	_, err := c.Bills.Get(t.Context(), "bill-1")
	var ae *account.APIError
	if !errors.As(err, &ae) {
		t.Fatal(err)
	}
	if len(ae.Errors) > 32 {
		t.Errorf("kept %d fields", len(ae.Errors))
	}
	for f, msgs := range ae.Errors {
		if len(msgs) > 8 || len(msgs[0]) > 520 {
			t.Errorf("field %s: %d messages of %d bytes", f, len(msgs), len(msgs[0]))
		}
	}
	if len(err.Error()) > 200_000 {
		t.Errorf("error string is %d bytes", len(err.Error()))
	}
}

func TestRequestBodyBound(t *testing.T) {
	t.Parallel()
	c, n, _ := faultServer(t, status(200, okBill))
	// Each field is within its own bound, the whole body is not.
	filters := new(account.ListOptions)
	for i := range 65 {
		filters.Where(fmt.Sprintf("f%d", i), account.Eq, "x")
	}
	if _, err := c.Bills.List(t.Context(), filters); !errors.Is(err, account.ErrValidation) {
		t.Errorf("65 filters: %v", err)
	}
	if _, err := c.Bills.List(t.Context(), new(account.ListOptions).Where("Status", account.Eq, "x")); !errors.Is(err, account.ErrValidation) {
		t.Errorf("bad field name: %v", err)
	}
	if _, err := c.Bills.List(t.Context(), new(account.ListOptions).Where("status", account.Op(99), "x")); !errors.Is(err, account.ErrValidation) {
		t.Errorf("bad op: %v", err)
	}
	if _, err := c.Bills.List(t.Context(), new(account.ListOptions).Where("status", account.Eq, []int{1})); !errors.Is(err, account.ErrValidation) {
		t.Errorf("bad value: %v", err)
	}
	if _, err := c.Users.Authenticate(t.Context(), account.AuthenticateRequest{UserID: "usr-1", Password: maestrano.Secret(strings.Repeat("p", 2000))}); !errors.Is(err, account.ErrValidation) {
		t.Errorf("huge password: %v", err)
	}
	if n.Load() != 0 {
		t.Fatalf("%d requests were sent", n.Load())
	}
}

func TestConnectionRefusedAndCancel(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	mp := &maestrano.Marketplace{Name: "m", API: maestrano.APIConfig{ID: testAppID, Key: testAppKey, Host: "http://" + addr}}
	c, err := account.New(mp, account.WithRetrySleep(noSleep))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Ping(t.Context())
	var ce *maestrano.ConnectionError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %T %v, want *maestrano.ConnectionError", err, err)
	}
	var ae *account.APIError
	if errors.As(err, &ae) {
		t.Fatalf("a connection error is also an APIError: %v", err)
	}

	c2, _, _ := faultServer(t, hang)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := c2.Ping(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: %v", err)
	}
}

func TestTimestampsAndNumbers(t *testing.T) {
	t.Parallel()
	c, _, _ := faultServer(t, status(200, `{"success":true,"errors":{},"data":[
		{"id":"bill-1","created_at":"2014-05-21T00:37:34Z","updated_at":"2016-08-01T15:30:20.000Z","price_cents":"1500","units":"1.5","third_party":"true","period_started_at":null,"period_ended_at":""},
		{"id":"bill-2","created_at":"2014-05-21T00:37:34","updated_at":"2014-05-21 10:37:34 +1000","price_cents":1500.0,"units":2,"third_party":false},
		{"id":"bill-3","created_at":"2014-05-21 00:37:34 UTC","updated_at":"2014-05-21","price_cents":null,"third_party":null}]}`))
	bills, err := c.Bills.List(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2014, 5, 21, 0, 37, 34, 0, time.UTC)
	for _, b := range bills {
		if !b.CreatedAt.Equal(want) {
			t.Errorf("%s: created_at = %v, want %v", b.ID, b.CreatedAt, want)
		}
	}
	if !bills[0].UpdatedAt.Equal(time.Date(2016, 8, 1, 15, 30, 20, 0, time.UTC)) || !bills[1].UpdatedAt.Equal(want) {
		t.Errorf("updated_at = %v, %v", bills[0].UpdatedAt, bills[1].UpdatedAt)
	}
	if bills[0].PriceCents != 1500 || bills[0].Units != 1.5 || !bills[0].ThirdParty || !bills[0].PeriodStartedAt.IsZero() || !bills[0].PeriodEndedAt.IsZero() {
		t.Errorf("bill-1 = %+v", bills[0])
	}
	if bills[1].PriceCents != 1500 || bills[1].Units != 2 || bills[2].PriceCents != 0 {
		t.Errorf("bills = %+v", bills)
	}
}
