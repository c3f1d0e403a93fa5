package maestrano

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/maestrano-go/maestrano/internal/httpclient"
)

// Marketplace is the configuration of an app on one marketplace, as the
// developer platform serves it (GET /api/config/v1/marketplaces). Field names
// follow the wire keys.
type Marketplace struct {
	// Name is the marketplace (tenant) key, e.g. "maestrano".
	Name string `json:"marketplace"`
	// NID is the app's id on that marketplace.
	NID string `json:"nid,omitempty"`
	// Environment is the developer-platform environment name.
	Environment string `json:"environment,omitempty"`
	// App is the app's own location (key "app").
	App AppConfig `json:"app"`
	// API holds the app's credentials and the platform API (key "api").
	API APIConfig `json:"api"`
	// SSO configures single sign-on (key "sso").
	SSO SSOConfig `json:"sso"`
	// Connec locates the Connec! data-sharing API (key "connec").
	Connec ConnecConfig `json:"connec"`
	// Webhooks are the app paths the platform calls (key "webhooks").
	Webhooks Webhooks `json:"webhooks"`
}

// AppConfig is the app's own host and connector paths.
type AppConfig struct {
	// Host is the app's base URL, e.g. "https://myapp.example.com".
	Host string `json:"host"`
	// SynchronizationStartPath is where a connector app starts a sync
	// (POST), e.g. "/maestrano/synchronizations".
	SynchronizationStartPath string `json:"synchronization_start_path,omitempty"`
	// SynchronizationTogglePath turns a group's sync on or off (PUT).
	SynchronizationTogglePath string `json:"synchronization_toggle_path,omitempty"`
	// SynchronizationStatusPath reports a group's sync status (GET);
	// ":cld-uid" is the group placeholder.
	SynchronizationStatusPath string `json:"synchronization_status_path,omitempty"`
}

// APIConfig holds the app's API credentials and the platform API location.
type APIConfig struct {
	// ID is the app's API id (HTTP Basic user; also the SAML Issuer).
	ID string `json:"id"`
	// Key is the app's API key (HTTP Basic password).
	Key Secret `json:"key"`
	// Host is the platform API host (account API; some SDKs also use it as IdP).
	Host string `json:"host"`
	// Base is the API base path, e.g. "/api/v1/".
	Base string `json:"base"`
}

// SSOConfig is the single sign-on configuration.
type SSOConfig struct {
	// IDM is the host where InitPath and ConsumePath are served (the app).
	IDM string `json:"idm"`
	// InitPath is the app path that starts SSO, e.g. "/maestrano/auth/saml/init/maestrano".
	InitPath string `json:"init_path"`
	// ConsumePath is the app path that receives the SAML response (the ACS).
	ConsumePath string `json:"consume_path"`
	// IDP is the identity provider host.
	IDP string `json:"idp"`
	// X509Fingerprint is the SHA-1 (or SHA-256) fingerprint of the IdP
	// certificate in colon hex.
	X509Fingerprint string `json:"x509_fingerprint"`
	// X509Certificate is the IdP signing certificate, PEM (or bare base64 DER).
	X509Certificate string `json:"x509_certificate"`
}

// ConnecConfig locates the Connec! data-sharing API.
type ConnecConfig struct {
	// Host is the Connec! API host, e.g. "https://api-connec.maestrano.com".
	Host string `json:"host"`
	// BasePath is the API base path, e.g. "/api/v2".
	BasePath string `json:"base_path"`
	// Timeout is the request timeout in seconds.
	Timeout int `json:"timeout,omitempty"`
}

// Webhooks are the app paths the platform calls.
type Webhooks struct {
	// Account are the account webhooks (service cancelled, member removed).
	Account AccountWebhooks `json:"account"`
	// Connec configures Connec! data notifications.
	Connec ConnecWebhooks `json:"connec"`
}

// AccountWebhooks are the paths of the account webhooks; ":id" and
// ":group_id" are placeholders.
type AccountWebhooks struct {
	// GroupPath receives DELETE when a group cancels the service,
	// e.g. "/maestrano/account/groups/:id/maestrano".
	GroupPath string `json:"group_path"`
	// GroupUserPath receives DELETE when a user leaves a group,
	// e.g. "/maestrano/account/groups/:group_id/users/:id/maestrano".
	GroupUserPath string `json:"group_user_path"`
}

// ConnecWebhooks configure Connec! notifications.
type ConnecWebhooks struct {
	// ExternalIDs says notifications carry ids as arrays of
	// {id, provider, realm} rather than plain strings.
	ExternalIDs bool `json:"external_ids"`
	// InitializationPath is sent as null by the platform; its use is
	// undocumented.
	InitializationPath *string `json:"initialization_path"`
	// NotificationPath receives POSTed Connec! notifications.
	NotificationPath string `json:"notification_path"`
}

// Validate checks that the settings SSO needs are present and coherent: the
// API id and key, absolute hosts, and an IdP certificate that parses and
// matches the published fingerprint.
func (m *Marketplace) Validate() error {
	var problems []string
	if m.Name == "" {
		problems = append(problems, "marketplace name is empty")
	}
	if m.API.ID == "" {
		problems = append(problems, "api.id is empty")
	}
	if m.API.Key == "" {
		problems = append(problems, "api.key is empty")
	}
	for _, h := range []struct{ key, val string }{
		{"sso.idm", m.SSO.IDM}, {"sso.idp", m.SSO.IDP},
	} {
		if err := checkAbsoluteURL(h.val); err != nil {
			problems = append(problems, h.key+" "+err.Error())
		}
	}
	// The SDK sends the user's SSO session token to the IdP (session check):
	// never in clear, except to this machine.
	if u, err := url.Parse(m.SSO.IDP); err == nil && u.Scheme == "http" && !httpclient.IsLoopbackHost(u.Hostname()) {
		problems = append(problems, "sso.idp uses plain http to a non-loopback host, which would send session tokens in clear; use https")
	}
	if m.SSO.InitPath == "" {
		problems = append(problems, "sso.init_path is empty")
	}
	if m.SSO.ConsumePath == "" {
		problems = append(problems, "sso.consume_path is empty")
	}
	if _, err := m.Certificate(); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return &ConfigError{Marketplace: m.Name, Problems: problems}
	}
	return nil
}

// clone returns a deep copy.
func (m *Marketplace) clone() *Marketplace {
	cp := *m
	if p := m.Webhooks.Connec.InitializationPath; p != nil {
		v := *p
		cp.Webhooks.Connec.InitializationPath = &v
	}
	return &cp
}

// Certificate parses the IdP certificate (PEM, or base64 DER without armour)
// and, when a fingerprint is published, checks that it matches.
func (m *Marketplace) Certificate() (*x509.Certificate, error) {
	cert, err := ParseCertificate(m.SSO.X509Certificate)
	if err != nil {
		return nil, fmt.Errorf("sso.x509_certificate: %w", err)
	}
	if m.SSO.X509Fingerprint != "" && !FingerprintMatches(cert, m.SSO.X509Fingerprint) {
		return nil, fmt.Errorf("sso.x509_fingerprint does not match sso.x509_certificate")
	}
	return cert, nil
}

// ParseCertificate reads a certificate in PEM (with or without CRLF line
// ends) or as bare base64 DER (line breaks and spaces allowed).
func ParseCertificate(s string) (*x509.Certificate, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r", ""))
	if s == "" {
		return nil, fmt.Errorf("certificate is empty")
	}
	var der []byte
	if strings.HasPrefix(s, "-----BEGIN") {
		block, _ := pem.Decode([]byte(s))
		if block == nil || block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("certificate is not a PEM CERTIFICATE block")
		}
		der = block.Bytes
	} else {
		var err error
		der, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return nil, fmt.Errorf("certificate is neither PEM nor base64")
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certificate does not parse: %v", err)
	}
	return cert, nil
}

// Fingerprint returns the SHA-1 fingerprint of cert in lowercase colon hex,
// the form the developer platform publishes.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha1.Sum(cert.Raw)
	return colonHex(sum[:])
}

// FingerprintMatches reports whether fp (SHA-1 or SHA-256, hex with or
// without colons, any case) is the fingerprint of cert.
func FingerprintMatches(cert *x509.Certificate, fp string) bool {
	clean := strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(fp))
	want, err := hex.DecodeString(clean)
	if err != nil {
		return false
	}
	var got []byte
	switch len(want) {
	case sha1.Size:
		s := sha1.Sum(cert.Raw)
		got = s[:]
	case sha256.Size:
		s := sha256.Sum256(cert.Raw)
		got = s[:]
	default:
		return false
	}
	return subtle.ConstantTimeCompare(got, want) == 1
}

func colonHex(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(hex.EncodeToString([]byte{c}))
	}
	return sb.String()
}

func checkAbsoluteURL(s string) error {
	if s == "" {
		return fmt.Errorf("is empty")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("is not an absolute http(s) URL")
	}
	return nil
}

// JoinURL joins a host and a path with exactly one slash between them,
// keeping the path's query string. It is how every platform URL is built.
func JoinURL(host, path string) string {
	return strings.TrimRight(host, "/") + "/" + strings.TrimLeft(path, "/")
}

// LogValue keeps the API key out of structured logs: a JSON log handler
// would otherwise encode the whole struct, key included.
func (m Marketplace) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("marketplace", m.Name),
		slog.String("nid", m.NID),
		slog.String("api_id", m.API.ID),
		slog.String("api_host", m.API.Host),
		slog.String("idp", m.SSO.IDP),
		slog.String("idm", m.SSO.IDM),
	)
}
