// Package demo is a small SaaS app that logs its users in through the
// Maestrano SDK. It shows, in about three hundred lines, everything an app
// does: it configures itself from the developer platform, starts SSO at the
// marketplace's init path, consumes the SAML response at its consume path,
// re-checks the platform session on every request, and logs out through the
// platform's logout page.
//
// Sessions live in memory on the server; the browser only holds a random
// session id in an HttpOnly cookie.
package demo
