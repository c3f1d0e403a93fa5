// Package sso is the app side of Maestrano single sign-on, built on the
// saml package and one marketplace's configuration.
//
// A login has two legs. The app's init path calls [Service.StartLogin],
// keeps the returned request ID in the user's (pre-login) session and
// redirects the browser to the IdP. The IdP posts a SAMLResponse to the
// app's consume path, where [Service.FinishLogin] verifies it against that
// request ID and maps it to an [Identity]: the [User], the [Group] (the
// customer account) and the [Membership] (the user's role in the group),
// plus the [Session] the app keeps for single logout.
//
// # Single logout
//
// The platform can end a user's SSO session at any time. The app calls
// [Service.CheckSession] on each request; it asks the IdP only once the
// session's Recheck time has passed (the IdP sets it, about every three
// minutes), and answers false once the platform has ended the session. The
// app then logs the user out and sends them through login again.
//
// # Errors
//
// A refused SAML response is a *saml.ValidationError; an assertion that
// lacks what the mapping needs is a [*MappingError]; a failed session check
// is a [*SessionCheckError]. All are reachable with errors.As.
package sso
