package redisstore_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/connec"
	"github.com/maestrano-go/maestrano/redisstore"
)

// The store also has the shape of the Connec! delivery store.
var _ connec.DeliveryStore = (*redisstore.Store)(nil)

// selfSignedPEM returns a fresh IdP certificate (the registry validates
// the SSO settings of every marketplace).
func selfSignedPEM(t *testing.T) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-idp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), maestrano.Fingerprint(cert)
}

// TestTwoInstancesDropARedelivery runs two app instances, each with its own
// Connec! notification handler, sharing one Redis: a delivery that reaches
// both (a platform retry behind a load balancer) is handled once.
func TestTwoInstancesDropARedelivery(t *testing.T) {
	t.Parallel()
	rdb := startRedis(t)
	certPEM, fp := selfSignedPEM(t)
	mp := &maestrano.Marketplace{Name: "maestrano"}
	mp.API.ID, mp.API.Key, mp.API.Host = "app-1", "key-0123456789abcdef0123456789abcdef", "https://api.example.com"
	mp.SSO.IDM, mp.SSO.IDP, mp.SSO.InitPath, mp.SSO.ConsumePath = "https://app.example.com", "https://api.example.com", "/init", "/consume"
	mp.SSO.X509Certificate, mp.SSO.X509Fingerprint = certPEM, fp
	mp.Webhooks.Connec.NotificationPath = "/maestrano/connec/notifications/maestrano"
	reg, err := maestrano.NewRegistry(mp)
	if err != nil {
		t.Fatal(err)
	}
	var handled atomic.Int32
	var instances []string
	for range 2 {
		store, err := redisstore.New(rdb, redisstore.WithKeyPrefix("app:deliveries:"))
		if err != nil {
			t.Fatal(err)
		}
		h, err := connec.NewNotificationHandler(reg, func(ctx context.Context, n *connec.Notification) error {
			handled.Add(1)
			return nil
		}, connec.WithDeliveryStore(store))
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		if err := h.Mount(mux); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		instances = append(instances, srv.URL)
	}
	deliver := func(base, id string) int {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/maestrano/connec/notifications/maestrano",
			strings.NewReader(`{"organizations":[{"id":"org-1","name":"Acme","group_id":"cld-1"}]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(connec.HeaderDeliveryID, id)
		req.SetBasicAuth("app-1", "key-0123456789abcdef0123456789abcdef")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i, base := range []string{instances[0], instances[1], instances[0]} {
		if code := deliver(base, "dlv-1"); code != http.StatusOK {
			t.Fatalf("delivery %d: status %d", i, code)
		}
	}
	if deliver(instances[1], "dlv-2") != http.StatusOK || handled.Load() != 2 {
		t.Fatalf("handled %d notifications, want 2 (dlv-1 once, dlv-2 once)", handled.Load())
	}
}
