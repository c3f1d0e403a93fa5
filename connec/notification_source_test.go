package connec_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/connec"
)

// TestNotificationHandlerFollowsRegistrySource: an app that refreshes its
// configuration (maestrano.AutoConfigureSource with WithRefresh) must check
// notifications against the current api key, also while swaps happen under
// concurrent deliveries (run with -race): after a key rotation the old key is
// refused and the new one accepted, without rebuilding the handler.
func TestNotificationHandlerFollowsRegistrySource(t *testing.T) {
	t.Parallel()
	regOf := func(key string) *maestrano.Registry {
		reg, err := maestrano.NewRegistry(testMarketplace(t, "maestrano", "app-1", key))
		if err != nil {
			t.Fatal(err)
		}
		return reg
	}
	src, err := maestrano.NewRegistrySource(regOf("key-old"))
	if err != nil {
		t.Fatal(err)
	}
	var rec recorder
	h, err := connec.NewNotificationHandler(src, rec.callback)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	if err := h.Mount(mux); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	body := []byte(`{"people":[{"id":"p-1","first_name":"John"}]}`)
	path := "/maestrano/connec/notifications/maestrano"

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 10 {
				code, _ := deliver(t, srv, delivery{path: path, user: "app-1", pass: "key-old", body: body})
				if code != http.StatusOK && code != http.StatusUnauthorized {
					t.Errorf("status %d", code)
				}
			}
		})
		if i%2 == 0 {
			wg.Go(func() { src.Store(regOf("key-old")) })
		}
	}
	wg.Wait()
	src.Store(regOf("key-new"))
	if code, _ := deliver(t, srv, delivery{path: path, user: "app-1", pass: "key-old", body: body}); code != http.StatusUnauthorized {
		t.Errorf("old key after rotation: %d, want 401", code)
	}
	if code, _ := deliver(t, srv, delivery{path: path, user: "app-1", pass: "key-new", body: body}); code != http.StatusOK {
		t.Errorf("new key after rotation: %d, want 200", code)
	}
}
