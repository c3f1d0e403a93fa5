package sandbox

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// MarketplacesResponse is the body of GET /api/config/v1/marketplaces.
type MarketplacesResponse struct {
	Marketplaces []MarketplaceEntry `json:"marketplaces"`
}

// MarketplaceEntry is the configuration of one app on one marketplace, as the
// developer platform publishes it.
type MarketplaceEntry struct {
	Marketplace string        `json:"marketplace"`
	NID         string        `json:"nid"`
	Environment string        `json:"environment"`
	App         EntryApp      `json:"app"`
	API         EntryAPI      `json:"api"`
	SSO         EntrySSO      `json:"sso"`
	Connec      EntryConnec   `json:"connec"`
	Webhooks    EntryWebhooks `json:"webhooks"`
}

// EntryApp is the "app" block of a [MarketplaceEntry].
type EntryApp struct {
	Host                      string `json:"host"`
	SynchronizationStartPath  string `json:"synchronization_start_path"`
	SynchronizationTogglePath string `json:"synchronization_toggle_path"`
	SynchronizationStatusPath string `json:"synchronization_status_path"`
}

// EntryAPI is the "api" block of a [MarketplaceEntry]: the app's API
// credentials and the platform API host.
type EntryAPI struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Host string `json:"host"`
	Base string `json:"base"`
}

// EntrySSO is the "sso" block of a [MarketplaceEntry].
type EntrySSO struct {
	IdM             string `json:"idm"`
	InitPath        string `json:"init_path"`
	ConsumePath     string `json:"consume_path"`
	IdP             string `json:"idp"`
	X509Fingerprint string `json:"x509_fingerprint"`
	X509Certificate string `json:"x509_certificate"`
}

// EntryConnec is the "connec" block of a [MarketplaceEntry].
type EntryConnec struct {
	Host     string `json:"host"`
	BasePath string `json:"base_path"`
	Timeout  int    `json:"timeout"`
}

// EntryWebhooks is the "webhooks" block of a [MarketplaceEntry].
type EntryWebhooks struct {
	Account EntryAccountWebhooks `json:"account"`
	Connec  EntryConnecWebhooks  `json:"connec"`
}

// EntryAccountWebhooks is the "webhooks.account" block of a [MarketplaceEntry].
type EntryAccountWebhooks struct {
	GroupPath     string `json:"group_path"`
	GroupUserPath string `json:"group_user_path"`
}

// EntryConnecWebhooks is the "webhooks.connec" block of a [MarketplaceEntry].
type EntryConnecWebhooks struct {
	ExternalIDs        bool    `json:"external_ids"`
	InitializationPath *string `json:"initialization_path"`
	NotificationPath   string  `json:"notification_path"`
}

// Fingerprint returns the SHA-1 fingerprint of a DER certificate as lowercase
// colon-separated hex, the form of sso.x509_fingerprint.
func Fingerprint(der []byte) string {
	sum := sha1.Sum(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02x", b)
	}
	return strings.Join(parts, ":")
}

// secretEqual compares two secrets in constant time, without leaking their
// lengths.
func secretEqual(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

// checkEnvCredentials verifies the developer-platform HTTP Basic credentials.
func (s *Sandbox) checkEnvCredentials(r *http.Request) error {
	key, secret, ok := r.BasicAuth()
	// Evaluate both comparisons so timing does not tell which one failed.
	keyOK := secretEqual(key, s.env.Key)
	secretOK := secretEqual(secret, s.env.Secret)
	if !ok || !keyOK || !secretOK {
		return &httpError{
			status: http.StatusUnauthorized,
			msg:    "invalid environment credentials",
			header: http.Header{"Www-Authenticate": {`Basic realm="Maestrano developer platform", charset="UTF-8"`}},
		}
	}
	return nil
}

// handleMarketplaces serves GET /api/config/v1/marketplaces.
func (s *Sandbox) handleMarketplaces(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkEnvCredentials(r); err != nil {
		return err
	}
	mps, err := s.store.Marketplaces(r.Context())
	if err != nil {
		return err
	}
	resp := MarketplacesResponse{Marketplaces: make([]MarketplaceEntry, 0, len(mps))}
	for _, mp := range mps {
		app, err := s.store.App(r.Context(), mp.AppUID)
		if err != nil {
			return err
		}
		resp.Marketplaces = append(resp.Marketplaces, s.marketplaceEntry(mp, app))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Sandbox) marketplaceEntry(mp store.Marketplace, app store.App) MarketplaceEntry {
	return MarketplaceEntry{
		Marketplace: mp.Name,
		NID:         mp.NID,
		Environment: mp.Environment,
		App: EntryApp{
			Host:                      app.Host,
			SynchronizationStartPath:  app.SyncStartPath,
			SynchronizationTogglePath: app.SyncTogglePath,
			SynchronizationStatusPath: app.SyncStatusPath,
		},
		API: EntryAPI{ID: app.UID, Key: app.APIKey, Host: s.baseURL, Base: app.APIBase},
		SSO: EntrySSO{
			IdM:             app.SSOIdM,
			InitPath:        app.SSOInitPath,
			ConsumePath:     app.SSOConsumePath,
			IdP:             s.baseURL,
			X509Fingerprint: Fingerprint(s.cert.Raw),
			X509Certificate: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cert.Raw})),
		},
		Connec: EntryConnec{Host: s.baseURL, BasePath: app.ConnecBasePath, Timeout: app.ConnecTimeout},
		Webhooks: EntryWebhooks{
			Account: EntryAccountWebhooks{GroupPath: app.GroupPath, GroupUserPath: app.GroupUserPath},
			Connec: EntryConnecWebhooks{
				ExternalIDs:        app.ConnecExternalIDs,
				InitializationPath: app.ConnecInitializationPath,
				NotificationPath:   app.ConnecNotificationPath,
			},
		},
	}
}
