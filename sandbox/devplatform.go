package sandbox

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// MarketplacesResponse is the body of GET /api/config/v1/marketplaces.
type MarketplacesResponse struct {
	// Marketplaces ("marketplaces") lists one entry per marketplace the app
	// is published on; always a JSON array, never null.
	Marketplaces []MarketplaceEntry `json:"marketplaces"`
}

// MarketplaceEntry is the configuration of one app on one marketplace, as the
// developer platform publishes it.
type MarketplaceEntry struct {
	// Marketplace ("marketplace") is the marketplace (preset) name that
	// clients key their configuration by, e.g. "maestrano".
	Marketplace string `json:"marketplace"`
	// NID ("nid") is the app's NID on that marketplace, e.g. "demo-app".
	NID string `json:"nid"`
	// Environment ("environment") is the developer-platform environment
	// name, e.g. "sandbox".
	Environment string `json:"environment"`
	// App ("app") is where the app itself lives.
	App EntryApp `json:"app"`
	// API ("api") holds the app's API credentials and the platform API host.
	API EntryAPI `json:"api"`
	// SSO ("sso") configures SAML single sign-on.
	SSO EntrySSO `json:"sso"`
	// Connec ("connec") locates the Connec! data-sharing API.
	Connec EntryConnec `json:"connec"`
	// Webhooks ("webhooks") gives the app paths the platform calls back.
	Webhooks EntryWebhooks `json:"webhooks"`
}

// EntryApp is the "app" block of a [MarketplaceEntry].
type EntryApp struct {
	// Host ("host") is the app's base URL, e.g. "http://127.0.0.1:8081".
	Host string `json:"host"`
	// SynchronizationStartPath ("synchronization_start_path") is the app
	// path that starts a synchronization (connectors only), e.g.
	// "/maestrano/synchronizations".
	SynchronizationStartPath string `json:"synchronization_start_path"`
	// SynchronizationTogglePath ("synchronization_toggle_path") is the app
	// path that toggles synchronization, e.g.
	// "/maestrano/synchronizations/toggle_sync".
	SynchronizationTogglePath string `json:"synchronization_toggle_path"`
	// SynchronizationStatusPath ("synchronization_status_path") is the app
	// path reporting a group's synchronization status, with a ":cld-uid"
	// placeholder, e.g. "/maestrano/synchronizations/:cld-uid".
	SynchronizationStatusPath string `json:"synchronization_status_path"`
}

// EntryAPI is the "api" block of a [MarketplaceEntry]: the app's API
// credentials and the platform API host.
type EntryAPI struct {
	// ID ("id") is the app's API id, the HTTP Basic user and the SAML
	// issuer, e.g. "app-1".
	ID string `json:"id"`
	// Key ("key") is the app's API key, the HTTP Basic password; secret.
	Key string `json:"key"`
	// Host ("host") is the platform host serving the account API and the
	// IdP: the sandbox base URL.
	Host string `json:"host"`
	// Base ("base") is the API base path, e.g. "/api/v1/"; the trailing
	// slash matters because clients concatenate it.
	Base string `json:"base"`
}

// EntrySSO is the "sso" block of a [MarketplaceEntry].
type EntrySSO struct {
	// IdM ("idm") is the app host where InitPath and ConsumePath live.
	IdM string `json:"idm"`
	// InitPath ("init_path") is the app path that starts SSO, e.g.
	// "/maestrano/auth/saml/init/maestrano".
	InitPath string `json:"init_path"`
	// ConsumePath ("consume_path") is the app path that receives the SAML
	// response (the ACS URL), e.g. "/maestrano/auth/saml/consume/maestrano".
	ConsumePath string `json:"consume_path"`
	// IdP ("idp") is the SAML identity provider host: the sandbox base URL.
	IdP string `json:"idp"`
	// X509Fingerprint ("x509_fingerprint") is the SHA-1 fingerprint of the
	// IdP certificate's DER as colon-separated lowercase hex, e.g.
	// "8b:1e:2e:...:54:2f"; see [Fingerprint].
	X509Fingerprint string `json:"x509_fingerprint"`
	// X509Certificate ("x509_certificate") is the IdP signing certificate,
	// PEM-encoded.
	X509Certificate string `json:"x509_certificate"`
}

// EntryConnec is the "connec" block of a [MarketplaceEntry].
type EntryConnec struct {
	// Host ("host") is the Connec! API host: the sandbox base URL.
	Host string `json:"host"`
	// BasePath ("base_path") is the Connec! API base path, e.g. "/api/v2".
	BasePath string `json:"base_path"`
	// Timeout ("timeout") is the client request timeout in seconds, e.g. 60.
	Timeout int `json:"timeout"`
}

// EntryWebhooks is the "webhooks" block of a [MarketplaceEntry].
type EntryWebhooks struct {
	// Account ("account") holds the account (group and membership) webhook
	// paths.
	Account EntryAccountWebhooks `json:"account"`
	// Connec ("connec") holds the Connec! webhook settings.
	Connec EntryConnecWebhooks `json:"connec"`
}

// EntryAccountWebhooks is the "webhooks.account" block of a [MarketplaceEntry].
type EntryAccountWebhooks struct {
	// GroupPath ("group_path") is the app path called about a group, with an
	// ":id" placeholder, e.g. "/maestrano/account/groups/:id/maestrano".
	GroupPath string `json:"group_path"`
	// GroupUserPath ("group_user_path") is the app path called about a
	// user's membership, with ":group_id" and ":id" placeholders, e.g.
	// "/maestrano/account/groups/:group_id/users/:id/maestrano".
	GroupUserPath string `json:"group_user_path"`
}

// EntryConnecWebhooks is the "webhooks.connec" block of a [MarketplaceEntry].
type EntryConnecWebhooks struct {
	// ExternalIDs ("external_ids") selects the id-array format in Connec!
	// notifications.
	ExternalIDs bool `json:"external_ids"`
	// InitializationPath ("initialization_path") is an app path whose
	// semantics are undocumented; nil is sent as JSON null.
	InitializationPath *string `json:"initialization_path"`
	// NotificationPath ("notification_path") is the app path receiving
	// Connec! notifications, e.g. "/maestrano/connec/notifications/maestrano".
	NotificationPath string `json:"notification_path"`
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

// checkEnvCredentials verifies the developer-platform HTTP Basic credentials
// against every environment and returns the one they belong to.
func (s *Sandbox) checkEnvCredentials(r *http.Request) (store.Environment, error) {
	key, secret, ok := r.BasicAuth()
	// Compare with every environment, both key and secret, so that timing
	// tells neither which environment nor which half failed.
	found := -1
	for i, e := range s.envs {
		keyOK := secretEqual(key, e.Key)
		secretOK := secretEqual(secret, e.Secret)
		if keyOK && secretOK && found < 0 {
			found = i
		}
	}
	if !ok || found < 0 {
		return store.Environment{}, &httpError{
			status: http.StatusUnauthorized,
			msg:    "invalid environment credentials",
			header: http.Header{"Www-Authenticate": {`Basic realm="Maestrano developer platform", charset="UTF-8"`}},
		}
	}
	return s.envs[found], nil
}

// handleMarketplaces serves GET /api/config/v1/marketplaces: every
// marketplace of the environment whose credentials the request carries.
func (s *Sandbox) handleMarketplaces(w http.ResponseWriter, r *http.Request) error {
	env, err := s.checkEnvCredentials(r)
	if err != nil {
		return err
	}
	mps, err := s.store.EnvironmentMarketplaces(r.Context(), env.Name)
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
			X509Fingerprint: s.certSHA1,
			X509Certificate: s.certPEM,
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
