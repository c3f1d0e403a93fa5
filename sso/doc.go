// Package sso is the app side of Maestrano single sign-on, built on the
// saml package and one marketplace's configuration.
//
// # Handlers
//
// Most apps need three pieces, all plain net/http:
//
//	set, _ := sso.NewSet(reg)                       // one Service per marketplace
//	keys, _ := sso.NewKeyring(key)                  // 32+ secret bytes; rotate by prepending
//	store, _ := sso.NewCookieStore(keys)            // or ValueStore, or your own SessionStore
//	set.Mount(mux, keys, store, login)              // GET init and POST consume paths of every marketplace
//	mw, _ := sso.NewMiddleware(set, store)
//	mux.Handle("/", mw.Require(app))                // sso.FromContext(r.Context()) in app
//	mux.Handle("POST /logout", mw.Logout())
//
// The init handler ([Handlers.Init]) starts a login: it passes the request's
// query parameters on to the IdP (group_id chooses the group), keeps the
// AuthnRequest ID in a cookie signed with the [Keyring] (SameSite=None;
// Secure, because the IdP posts the answer back cross-site) and redirects
// (302). The consume handler ([Handlers.Consume]) verifies the posted
// SAMLResponse against that ID, maps it to an [Identity] (the [User], the
// [Group], the [Membership], in real or virtual uid mode, see [UIDMode]),
// saves the [Session] and calls the app's [LoginFunc]. [Set.Mount] routes
// every marketplace on a *http.ServeMux by its sso.init_path and
// sso.consume_path; with another router, mount each marketplace's
// [NewHandlers] yourself.
//
// The lower-level calls remain: [Service.StartLogin], [Service.FinishLogin],
// [Service.CheckSession].
//
// # Sessions and single logout
//
// The platform can end a user's SSO session at any time. [Middleware] loads
// the session from the [SessionStore] on each request and, once its Recheck
// time has passed (the IdP sets it, about every three minutes), asks the
// IdP whether it is still alive. Concurrent requests of one session share
// one IdP call. An ended session is cleared and the browser sent through
// login again. An IdP that cannot answer within the timeout fails closed by
// default (the session is cleared, 503); [WithGracePeriod] lets sessions
// through for a while instead.
//
// [CookieStore] keeps the session in one HMAC-SHA256-signed cookie;
// [ValueStore] keeps it in the app's own server-side session under the key
// "maestrano", in the encoding of the PHP, Ruby and Java SDKs
// ([Session.Encode], [DecodeSession]).
//
// # Errors
//
// A refused SAML response is a *saml.ValidationError; an assertion that
// lacks what the mapping needs is a [*MappingError]; a failed session check
// is a [*SessionCheckError]; the login handlers hand a [*LoginError] to the
// error handler. All are reachable with errors.As.
package sso
