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
//     the app's registered consume URL (sso.idm joined with
//     sso.consume_path); an AuthnRequest naming any other
//     AssertionConsumerServiceURL is refused with 400, one whose Issuer is
//     no registered app gets the "unknown app" page (400). Without user_uid
//     it shows a user picker; a user picked there who belongs to several of
//     the app's groups gets a group picker (select_group=1), while a
//     scripted user_uid without group_id logs in through the user's first
//     group. The assertion carries the group's reseller (group_reseller_id,
//     reseller_id, reseller_name, reseller_country) when it has one, and is
//     signed with the app's signature algorithm (store.App.SignatureAlgorithm,
//     else [Config.SignatureAlgorithm]);
//   - the SSO session check, GET /api/v1/auth/saml/{uid}?session={token},
//     where {uid} may be the user uid, the virtual uid (usr-x.cld-y) or the
//     virtual email (as for session rotation and the logout page);
//   - the logout and access-denied pages, /app_logout and
//     /app_access_unauthorized;
//   - an admin page at / (and /admin) to look at the seeded data and rotate
//     SSO sessions, and POST /api/sandbox/v1/users/{uid}/rotate_session for
//     scripts.
//   - the admin page of webhooks, /admin/webhooks: deliveries with their
//     attempts and a redeliver button, and buttons that remove a group or a
//     member (firing the account webhooks); for scripts, with the
//     environment credentials, GET /api/sandbox/v1/webhooks[/{id}],
//     POST /api/sandbox/v1/webhooks/{id}/redeliver,
//     DELETE /api/sandbox/v1/groups/{uid} and
//     DELETE /api/sandbox/v1/groups/{group_uid}/users/{uid};
//   - the rest of the admin JSON API (admin_api.go), with the same
//     credentials: browse marketplaces, apps, groups, users, memberships and
//     bills; PATCH apps, create and PATCH groups and users, PUT a member's
//     role, and write Connec! entities as another app
//     (POST|PUT /api/sandbox/v1/connec/{group_uid}/{collection}[/{id}]).
//
// Under /api/ every answer is JSON, errors included ({"error": "..."}): an
// unknown path is 404, a wrong method 405 with an Allow header. The one
// exception is the identity provider, a browser page: it refuses a bad
// SAMLRequest in plain text or with an HTML page, like the pages outside
// /api/, where an unknown path or a wrong method gets an HTML error page. A query string that does not
// parse is refused with 400 "malformed query string", never read as missing
// parameters.
//
// State lives behind the [Storage] interface: by default SQLite (package
// [github.com/maestrano-go/maestrano/sandbox/store]) under [Config.DataDir],
// next to the IdP key pair, or [Config.Storage]. A data directory serves
// one sandbox at a time: [Open] locks it (DataDir/lock) until [Sandbox.Close],
// and a second Open of it fails. The first [Open] seeds a marketplace
// "maestrano", the demo app [DemoAppUID], two groups and three users.
//
// # Webhooks
//
// The sandbox calls the apps as the platform did, with HTTP Basic
// credentials of the app called (its api id and key):
//
//   - Connec! notifications: POST {host}{notification_path} with
//     {"<collection>": [entity, ...]} (REST shape, each entity with its
//     group_id; ids as id arrays for an app with webhooks.connec.external_ids)
//     to every app subscribed to the collection that has access
//     to the group, except the app that made the change; changes of one
//     group are coalesced per app for [WebhookConfig.CoalesceWindow] (each
//     entity once, in its latest version);
//   - account webhooks: DELETE {host}{group_path} when the admin removes a
//     group, DELETE {host}{group_user_path} when the admin removes a member,
//     to every app with access to the group.
//
// Deliveries are kept in a durable outbox in the database, written in the
// transaction of the change, and made by a background loop ([Open] starts
// it, [Sandbox.Close] stops it; [WebhookConfig.Manual] turns it off in
// favour of [Sandbox.DeliverPending]). A delivery is retried on any
// answer but 2xx (redirects are not followed) and on network errors, with
// exponential backoff and jitter, up to [WebhookConfig.MaxAttempts]
// failures in a row; then it is dead until redelivered from the admin page.
// Delivery is at least once: a process that dies mid-delivery leaves its
// claims in the database, and the next sandbox on the data directory makes
// those deliveries again. Every request carries the delivery's stable id in
// [DeliveryIDHeader] (X-Mno-Delivery-Id), the same on every attempt and
// redelivery, so a receiver can drop a repeat, and the attempt number in
// [DeliveryAttemptHeader]. Deliveries are not ordered with respect to each
// other. A Connec! write wakes the loop, which sleeps until the earliest
// due delivery (at most the poll interval). Delivered deliveries and
// fanned-out changes older than [WebhookConfig.Retention] (7 days) are
// pruned hourly ([Sandbox.PruneWebhooks]); pending and dead ones are kept.
//
// # Security
//
// The sandbox is a development tool, but it behaves like a careful IdP: the
// assertion is only ever posted to the app's registered consume URL, compared
// exactly (the origin alone is not enough: any other handler of the app could
// receive the assertion), secrets are compared in constant time and never
// logged, inputs are size-bounded, and the admin form refuses cross-site
// posts.
package sandbox
