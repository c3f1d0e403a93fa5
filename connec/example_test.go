package connec_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/connec"
	"github.com/maestrano-go/maestrano/saml"
	"github.com/maestrano-go/maestrano/sandbox"
)

// Example_listAllInvoices walks every unpaid invoice of a group, page by
// page. The server here is a stand-in for Connec! that serves two pages;
// in an app, mp comes from the registry (maestrano.AutoConfigure).
func Example_listAllInvoices() {
	pages := map[string]string{
		"0": `{"invoices":[{"id":"i-1","title":"Setup","amount":{"total_amount":100.00,"currency":"AUD"}},
		                {"id":"i-2","title":"Support","amount":{"total_amount":49.50,"currency":"AUD"}}],
		      "pagination":{"skip":0,"top":2,"total":3,"next":"{host}/api/v2/cld-1/invoices?%24skip=2&%24top=2"}}`,
		"2": `{"invoices":[{"id":"i-3","title":"Training","amount":{"total_amount":250,"currency":"AUD"}}],
		      "pagination":{"skip":2,"top":2,"total":3}}`,
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		skip := r.URL.Query().Get("$skip")
		if skip == "" {
			skip = "0"
		}
		io.WriteString(w, strings.ReplaceAll(pages[skip], "{host}", srv.URL))
	}))
	defer srv.Close()

	mp := &maestrano.Marketplace{
		Name:   "maestrano",
		API:    maestrano.APIConfig{ID: "app-1", Key: "api-key"},
		Connec: maestrano.ConnecConfig{Host: srv.URL, BasePath: "/api/v2", Timeout: 60},
	}
	client, err := connec.New(mp, "cld-1")
	if err != nil {
		log.Fatal(err)
	}
	q := connec.Where("status", connec.Ne, "PAID").OrderBy("transaction_date", connec.Asc).Top(2)
	for inv, err := range client.Invoices().All(context.Background(), q) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(inv.ID, inv.Title, inv.Amount.TotalAmount, inv.Amount.Currency)
	}
	// Output:
	// i-1 Setup 100.00 AUD
	// i-2 Support 49.50 AUD
	// i-3 Training 250 AUD
}

// ExampleNotificationHandler receives a Connec! notification: the app
// mounts the handler at its marketplaces' notification paths, and the
// platform (here, a request made with the marketplace's credentials) posts
// the records that changed.
func ExampleNotificationHandler() {
	ctx := context.Background()

	// The platform side: a sandbox the app configures itself from.
	srv := httptest.NewUnstartedServer(nil)
	dir, _ := os.MkdirTemp("", "sandbox")
	defer os.RemoveAll(dir)
	sb, err := sandbox.Open(ctx, sandbox.Config{DataDir: dir, BaseURL: "http://" + srv.Listener.Addr().String()})
	if err != nil {
		log.Fatal(err)
	}
	defer sb.Close()
	srv.Config.Handler = sb
	srv.Start()
	defer srv.Close()
	creds := sb.DevPlatform()
	reg, err := maestrano.AutoConfigure(ctx, maestrano.DevPlatform{Host: creds.Host, EnvKey: creds.EnvKey, EnvSecret: maestrano.Secret(creds.EnvSecret)})
	if err != nil {
		log.Fatal(err)
	}

	// The app side.
	handle := func(ctx context.Context, n *connec.Notification) error {
		for _, org := range n.Organizations {
			fmt.Printf("%s: organization %s %q in %s\n", n.Marketplace, org.ID, org.Name, org.GroupID)
		}
		for _, p := range n.People {
			fmt.Printf("%s: person %s %s %s\n", n.Marketplace, p.ID, p.FirstName, p.LastName)
		}
		return nil
	}
	h, err := connec.NewNotificationHandler(reg, handle,
		connec.WithDeliveryStore(saml.NewMemoryReplayCache(0, nil))) // one app instance; share a store across several
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	if err := h.Mount(mux); err != nil {
		log.Fatal(err)
	}
	app := httptest.NewServer(mux)
	defer app.Close()

	// A delivery, sent twice: the second copy is dropped.
	mp, _ := reg.Get("maestrano")
	body := `{"organizations":[{"id":"o-1","name":"DoeCorp Inc.","group_id":"cld-1"}],
	          "people":[{"id":"p-1","first_name":"John","last_name":"Doe","group_id":"cld-1"}]}`
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, app.URL+mp.Webhooks.Connec.NotificationPath, strings.NewReader(body))
		req.SetBasicAuth(mp.API.ID, mp.API.Key.Reveal())
		req.Header.Set(connec.HeaderDeliveryID, "dlv-1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		var answer json.RawMessage
		json.NewDecoder(resp.Body).Decode(&answer)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, string(answer))
	}
	// Output:
	// maestrano: organization o-1 "DoeCorp Inc." in cld-1
	// maestrano: person p-1 John Doe
	// 200 {}
	// 200 {}
}
