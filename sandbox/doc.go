// Package sandbox is a local emulation of the Maestrano platform, small
// enough to run on a developer machine or inside a test.
//
// A [Sandbox] is an [http.Handler] serving:
//
//   - the developer platform configuration API,
//     GET /api/config/v1/marketplaces (HTTP Basic with the environment
//     credentials of [Sandbox.DevPlatform]);
//   - the SAML 2.0 identity provider, GET /api/v1/auth/saml?SAMLRequest=...,
//     which answers with an auto-submitting form posting a signed assertion to
//     the app's consume URL;
//   - the SSO session check, GET /api/v1/auth/saml/{uid}?session={token};
//   - the logout and access-denied pages, /app_logout and
//     /app_access_unauthorized;
//   - an admin page at / (and /admin) to look at the seeded data and rotate
//     SSO sessions, and POST /api/sandbox/v1/users/{uid}/rotate_session for
//     scripts.
//
// State lives in SQLite (package [github.com/maestrano-go/maestrano/sandbox/store])
// under [Config.DataDir], next to the IdP key pair. The first [Open] seeds a
// marketplace "maestrano", the demo app [DemoAppUID], two groups and three
// users.
//
// # Security
//
// The sandbox is a development tool, but it behaves like a careful IdP: the
// assertion is only ever posted to the app's own origin, secrets are compared
// in constant time and never logged, inputs are size-bounded, and the admin
// form refuses cross-site posts.
package sandbox
