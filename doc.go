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
// the MNO_DEVPL_* environment variables. Precedence, highest first: values
// set in code on the [DevPlatform], then a set MNO_DEVPL_* variable, then the
// file, then the defaults.
//
// # Cache and refresh
//
// [WithCache] keeps the fetched configuration on disk, one 0600 file per
// environment, written atomically. A copy younger than [WithCacheTTL]
// (default 12 h) is used without a network call; when the developer
// platform is down, a copy of any age is used and a warning logged, so that
// the app still starts. Refusals (wrong credentials, an "error" answer) and
// invalid configurations are never cached nor hidden by the cache.
//
// [AutoConfigureSource] returns a [RegistrySource], which swaps in a
// refreshed registry atomically; with [WithRefresh] it refreshes in the
// background until its ctx is done. Code that only reads takes a
// [RegistryProvider], which both *Registry and *RegistrySource satisfy.
//
// # Static configuration
//
// Apps that do not use the developer platform build the registry from
// [Marketplace] values ([NewRegistry]) or from a JSON file in the shape of
// the developer platform's answer ([LoadRegistryFile], [ParseRegistry]).
//
// # Metadata
//
// [Marketplace.Metadata] and [Registry.Metadata] give a view of the
// configuration for diagnostics or a metadata endpoint; it never includes
// the API key.
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
