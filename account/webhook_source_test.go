package account_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/account"
)

// TestWebhookHandlerFollowsRegistrySource: after the configuration is
// refreshed with a rotated api key, the webhook handler checks the new key
// without being rebuilt (its routes stay those it was built with).
func TestWebhookHandlerFollowsRegistrySource(t *testing.T) {
	t.Parallel()
	rotated := registry(t, func(mps []*maestrano.Marketplace) []*maestrano.Marketplace {
		for _, mp := range mps {
			mp.API.Key += "-rotated"
		}
		return mps
	})
	src, err := maestrano.NewRegistrySource(registry(t))
	if err != nil {
		t.Fatal(err)
	}
	var rc recorder
	h, err := account.NewWebhookHandler(src, rc.callbacks())
	if err != nil {
		t.Fatal(err)
	}
	mp, _ := src.Registry().Get("maestrano")
	oldKey := mp.API.Key.Reveal()
	send := func(key string) int {
		req := httptest.NewRequest(http.MethodDelete, "/maestrano/account/groups/cld-1/maestrano", nil)
		req.SetBasicAuth(mp.API.ID, key)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := send(oldKey); code != http.StatusOK {
		t.Fatalf("before rotation: %d", code)
	}
	src.Store(rotated)
	if code := send(oldKey); code != http.StatusUnauthorized {
		t.Errorf("old key after rotation: %d, want 401", code)
	}
	if code := send(oldKey + "-rotated"); code != http.StatusOK {
		t.Errorf("new key after rotation: %d, want 200", code)
	}
}
