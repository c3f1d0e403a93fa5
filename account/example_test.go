package account_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/account"
)

// Charge a group once. In an app the marketplace comes from the registry
// (maestrano.AutoConfigure); here a local stand-in plays the platform.
func ExampleBillsService_Create() {
	platform := httptest.NewServer(newFakeAPI())
	defer platform.Close()
	mp := &maestrano.Marketplace{Name: "maestrano", API: maestrano.APIConfig{
		ID: testAppID, Key: testAppKey, Host: platform.URL, Base: "/api/v1/"}}

	client, err := account.New(mp)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	bill, err := client.Bills.Create(ctx, account.BillRequest{
		GroupID:     "cld-1",
		PriceCents:  1500, // 15.00
		Currency:    "USD",
		Description: "Pro plan, May",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(bill.ID, bill.Status, bill.PriceCents, bill.Currency)

	// A group the app does not serve is refused with field errors.
	_, err = client.Bills.Create(ctx, account.BillRequest{GroupID: "cld-404", PriceCents: 100, Description: "Setup"})
	var apiErr *account.APIError
	if errors.As(err, &apiErr) && errors.Is(err, account.ErrValidation) {
		fmt.Println(apiErr.StatusCode, apiErr.Errors["group_id"][0])
	}
	// Output:
	// bill-1 submitted 1500 USD
	// 400 does not exist or cannot be charged by your service
}

// Serve the account webhooks of every marketplace: the platform calls
// DELETE on the configured paths with the marketplace's api.id/api.key.
func ExampleNewWebhookHandler() {
	// The marketplaces, in the shape the developer platform serves them
	// (an app on the developer platform uses maestrano.AutoConfigure).
	reg, err := maestrano.LoadRegistryFile("testdata/webhook/registry/marketplaces.json")
	if err != nil {
		log.Fatal(err)
	}

	hooks, err := account.NewWebhookHandler(reg, account.WebhookCallbacks{
		GroupRemoved: func(ctx context.Context, ev account.GroupRemoved) error {
			fmt.Printf("%s: group %s left the app\n", ev.Marketplace, ev.GroupID)
			return nil
		},
		MemberRemoved: func(ctx context.Context, ev account.MemberRemoved) error {
			fmt.Printf("%s: user %s left group %s\n", ev.Marketplace, ev.RealUserID(), ev.GroupID)
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, pattern := range hooks.Patterns() {
		mux.Handle(pattern, hooks)
	}

	// What the platform sends.
	req := httptest.NewRequest(http.MethodDelete, "/maestrano/account/groups/cld-1/users/usr-7.cld-1/maestrano", nil)
	req.SetBasicAuth("app-1", "key-maestrano-0123456789abcdef0123456789")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Print(rec.Code, " ", rec.Body.String())

	req = httptest.NewRequest(http.MethodDelete, "/maestrano/account/groups/cld-1/maestrano", nil)
	req.SetBasicAuth("app-1", "a guess")
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output:
	// maestrano: user usr-7 left group cld-1
	// 200 {"success":true}
	// 401 {"error":"Invalid credentials"}
}
