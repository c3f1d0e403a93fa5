package store

// schemaOutbox holds the Connec! change log (written in the same transaction
// as the entity change), the apps' Connec! subscriptions and the webhook
// outbox the delivery worker drains.
//
// Outbox times are Unix milliseconds (INTEGER): the coalescing window and
// the backoff are shorter than the second precision of the other tables.
//
// A delivery is one HTTP request to one app, made until it succeeds:
//   - state 'collecting': a Connec! notification still gathering changes
//     (webhook_delivery_changes) until next_attempt_at, the end of its
//     coalescing window; its body is built when it is first claimed;
//   - state 'pending': due at next_attempt_at;
//   - state 'delivered': answered 2xx;
//   - state 'dead': failed max-attempts times in a row (dead letter), until an
//     admin redelivers it.
//
// A worker claims a due delivery by setting lease_until; a lease that is not
// released (the process died) expires, and Open of the sandbox releases every
// lease since only one process holds the data directory.
const schemaOutbox = `
CREATE TABLE app_connec_subscriptions (
	app_uid    TEXT NOT NULL REFERENCES apps(uid) ON DELETE CASCADE,
	collection TEXT NOT NULL,
	PRIMARY KEY (app_uid, collection)
) STRICT;

CREATE TABLE connec_changes (
	id             INTEGER PRIMARY KEY,
	group_uid      TEXT NOT NULL,
	collection     TEXT NOT NULL,
	entity         TEXT NOT NULL,
	origin_app_uid TEXT NOT NULL DEFAULT '',
	created_at     TEXT NOT NULL,
	fanned_out     INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX connec_changes_pending ON connec_changes(fanned_out, id);

CREATE TABLE webhook_deliveries (
	id              INTEGER PRIMARY KEY,
	delivery_id     TEXT NOT NULL UNIQUE,
	kind            TEXT NOT NULL,
	app_uid         TEXT NOT NULL,
	group_uid       TEXT NOT NULL,
	user_uid        TEXT NOT NULL DEFAULT '',
	method          TEXT NOT NULL,
	path            TEXT NOT NULL,
	body            TEXT NOT NULL DEFAULT '',
	change_count    INTEGER NOT NULL DEFAULT 0,
	state           TEXT NOT NULL CHECK (state IN ('collecting', 'pending', 'delivered', 'dead')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	failures        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	lease_until     INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	delivered_at    INTEGER
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);
CREATE INDEX webhook_deliveries_open ON webhook_deliveries(app_uid, group_uid, state);

CREATE TABLE webhook_delivery_changes (
	delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
	change_id   INTEGER NOT NULL REFERENCES connec_changes(id),
	PRIMARY KEY (delivery_id, change_id)
) STRICT;

CREATE TABLE webhook_attempts (
	id          INTEGER PRIMARY KEY,
	delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
	number      INTEGER NOT NULL,
	started_at  INTEGER NOT NULL,
	duration_ms INTEGER NOT NULL,
	url         TEXT NOT NULL,
	status      INTEGER NOT NULL,
	response    TEXT NOT NULL,
	error       TEXT NOT NULL
) STRICT;
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, number);
`
