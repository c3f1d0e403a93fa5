package store

// schemaOutbox holds the Connec! change log (written in the same transaction
// as the entity change), the apps' Connec! subscriptions and the webhook
// outbox the delivery worker drains.
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
`
