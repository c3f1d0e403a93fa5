// Package connec is the app side of Connec!, Maestrano's data-sharing API:
// a [Client] scoped to one group (customer account), typed records of the
// main collections, a $filter query builder, a paginating iterator, batch
// writes, reports, and the [NotificationHandler] that receives Connec!
// notifications.
//
// # Client
//
// [New] takes the marketplace's configuration (connec.host,
// connec.base_path, connec.timeout, api.id and api.key) and the group id
// ("cld-..."). Every request carries HTTP Basic credentials, Accept and
// Content-Type "application/vnd.api+json", CONNEC-EXTERNAL-IDS and
// Connec-Country-Format. The default HTTP client follows no redirect;
// plain http is refused except to loopback hosts.
//
// # Collections and records
//
// [Of] gives a [Collection] of any name with records decoded as a type
// parameter; [Client.Invoices], [Client.People] and the other shortcuts
// give the typed ones ([Organization], [Person], [Item], [Invoice],
// [Payment], [Account], [TaxCode]); [Client.Collection] gives raw JSON
// records for the rest. Typed records keep the members they have no field
// for in their Extra map, so reading a record and writing it back loses
// nothing. Ids and references are [ID] values, which read both the plain
// string form and the external-ids array form ([WithExternalIDs]).
//
// # Queries and pagination
//
// [Where] starts a [Query]; its methods add filters (string literals are
// quoted with ' doubled), sort keys, $top and $skip. [Collection.List]
// returns one page; [Collection.All] returns an iter.Seq2 that follows
// pagination.next with one page in memory at a time, and stops when the
// loop breaks.
//
// # Errors
//
// A non-2xx answer is an [*APIError] holding the decoded
// {"errors":[...]} body; it matches [ErrNotFound], [ErrUnauthorized],
// [ErrConflict] and the other sentinels with errors.Is. A 2xx answer that
// does not decode is a [*DecodeError]. One stored record that does not
// decode as its type costs only itself: [Collection.List] returns the other
// records of the page with a [*RecordsError], and [Collection.All] yields a
// [*DecodeError] in the record's place and goes on; both name the record
// (collection, index, id, field) and keep its JSON. A platform that cannot be reached,
// or an answer cut short, is a *maestrano.ConnectionError. All are
// reachable with errors.As.
//
// # Retries
//
// GET, PUT and DELETE are retried after connection errors, 5xx answers and
// 429 with Retry-After, with capped, jittered backoff that honours ctx
// ([WithRetries]). A POST (create, batch) is repeated only when the server
// certainly did not act on it: the connection was refused, or a 429 asked
// to wait. A POST whose outcome is unknown (a timeout, a 5xx) is not
// repeated: the error comes back, and the app decides — for instance by
// looking the record up, or, in external-ids mode, by posting again with
// the same external id, which Connec! treats as an upsert.
//
// # Notifications
//
// [NotificationHandler] is an http.Handler for
// webhooks.connec.notification_path. It checks the platform's HTTP Basic
// credentials against the marketplace in constant time, bounds the body,
// decodes it into a [Notification] and calls the app's callback. A record
// that does not decode as its type is kept in Notification.Undecoded; the
// others are delivered. With a
// [DeliveryStore] ([WithDeliveryStore]) a redelivery carrying the same
// X-Mno-Delivery-Id is dropped.
package connec
