// Package maestrano is the root of the Go SDK for apps listed on a
// Maestrano-style business marketplace.
//
// It owns configuration: the wire shape of one marketplace's settings
// ([Marketplace]), the set of marketplaces (tenants) an app is listed on
// ([Registry]), and auto-configuration from the developer platform
// ([AutoConfigure]). Single sign-on lives in the sso and saml subpackages.
//
// # Configuration
//
// An app is registered once on the developer platform and listed on one or
// more marketplaces. At start-up it fetches the settings of every marketplace
// with its environment key and secret:
//
//	dp, err := maestrano.LoadDevPlatform("dev-platform.json", os.Getenv)
//	reg, err := maestrano.AutoConfigure(ctx, dp)
//	mp, err := reg.Get("maestrano")
//
// [LoadDevPlatform] reads the dev-platform.json shape of the original SDKs and
// the MNO_DEVPL_* environment variables; a variable that is set wins over the
// file.
//
// # Errors
//
// Failures are typed: [*ConfigError] for missing or invalid settings and
// [*APIError] for an error answer of the developer platform. Use errors.As:
//
//	var apiErr *maestrano.APIError
//	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized { ... }
//
// Errors never contain secrets.
package maestrano
