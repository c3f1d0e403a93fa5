package maestrano

import "runtime"

// Metadata is the public view of a marketplace's configuration, for a
// metadata or diagnostics endpoint: everything but the API key. The IdP
// certificate and its fingerprint are public.
type Metadata struct {
	// Marketplace is the marketplace name.
	Marketplace string `json:"marketplace"`
	// NID is the app's id on the marketplace.
	NID string `json:"nid,omitempty"`
	// Environment is the developer-platform environment name.
	Environment string `json:"environment,omitempty"`
	// App is the app's own location.
	App AppConfig `json:"app"`
	// API is the API configuration without the key.
	API APIMetadata `json:"api"`
	// SSO is the single sign-on configuration.
	SSO SSOConfig `json:"sso"`
	// Connec locates Connec!.
	Connec ConnecConfig `json:"connec"`
	// Webhooks are the app paths the platform calls.
	Webhooks Webhooks `json:"webhooks"`
}

// APIMetadata is [APIConfig] without the key, plus what the other SDKs
// report about themselves (version, lang, lang_version).
type APIMetadata struct {
	// ID is the app's API id.
	ID string `json:"id"`
	// Host is the platform API host.
	Host string `json:"host"`
	// Base is the API base path.
	Base string `json:"base"`
	// Version is the SDK version.
	Version string `json:"version"`
	// Lang is "go".
	Lang string `json:"lang"`
	// LangVersion is the Go runtime version.
	LangVersion string `json:"lang_version"`
}

// Metadata returns the public view of m. It copies; it never carries the
// API key, whatever encoding is used on it.
func (m *Marketplace) Metadata() Metadata {
	cp := m.clone()
	return Metadata{
		Marketplace: cp.Name, NID: cp.NID, Environment: cp.Environment, App: cp.App,
		API:    APIMetadata{ID: cp.API.ID, Host: cp.API.Host, Base: cp.API.Base, Version: Version, Lang: "go", LangVersion: runtime.Version()},
		SSO:    cp.SSO,
		Connec: cp.Connec, Webhooks: cp.Webhooks,
	}
}

// Metadata returns the public view of every marketplace, sorted by name.
func (r *Registry) Metadata() []Metadata {
	out := make([]Metadata, 0, len(r.names))
	for _, n := range r.names {
		out = append(out, r.byName[n].Metadata())
	}
	return out
}
