package store

// migrations holds the schema, one entry per version: migrations[i] takes the
// database from user_version i to i+1. Never edit a released entry; append.
// Each feature keeps its tables in its own file (schema_*.go).
var migrations = []string{
	schemaCore,    // 1: settings, apps, marketplaces, groups, users, memberships
	schemaAccount, // 2: account API: resellers, bills, recurring bills (schema_account.go)
	schemaConnec,  // 3: Connec! entities (schema_connec.go)
	schemaOutbox,  // 4: Connec! changes, app subscriptions, webhook outbox (schema_outbox.go)
	schemaAppSig,  // 5: per-app SAML signature algorithm; outbox prune index (schema_v5.go)
}

// schemaCore is the initial schema.
const schemaCore = `
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;

CREATE TABLE apps (
	uid                   TEXT PRIMARY KEY,
	name                  TEXT NOT NULL,
	api_key               TEXT NOT NULL,
	host                  TEXT NOT NULL,
	sso_idm               TEXT NOT NULL,
	sso_init_path         TEXT NOT NULL,
	sso_consume_path      TEXT NOT NULL,
	sync_start_path       TEXT NOT NULL DEFAULT '',
	sync_toggle_path      TEXT NOT NULL DEFAULT '',
	sync_status_path      TEXT NOT NULL DEFAULT '',
	group_path            TEXT NOT NULL,
	group_user_path       TEXT NOT NULL,
	connec_notification_path   TEXT NOT NULL,
	connec_external_ids        INTEGER NOT NULL,
	connec_initialization_path TEXT,
	connec_base_path      TEXT NOT NULL,
	connec_timeout        INTEGER NOT NULL,
	api_base              TEXT NOT NULL
) STRICT;

CREATE TABLE marketplaces (
	name        TEXT PRIMARY KEY,
	nid         TEXT NOT NULL,
	environment TEXT NOT NULL,
	app_uid     TEXT NOT NULL REFERENCES apps(uid)
) STRICT;

CREATE TABLE groups (
	uid            TEXT PRIMARY KEY,
	name           TEXT NOT NULL,
	org_uid        TEXT NOT NULL,
	currency       TEXT NOT NULL,
	timezone       TEXT NOT NULL,
	country        TEXT NOT NULL,
	city           TEXT NOT NULL,
	created_at     TEXT NOT NULL,
	free_trial_end TEXT NOT NULL
) STRICT;

CREATE TABLE group_apps (
	group_uid TEXT NOT NULL REFERENCES groups(uid),
	app_uid   TEXT NOT NULL REFERENCES apps(uid),
	PRIMARY KEY (group_uid, app_uid)
) STRICT;

CREATE TABLE users (
	uid          TEXT PRIMARY KEY,
	first_name   TEXT NOT NULL,
	last_name    TEXT NOT NULL,
	email        TEXT NOT NULL,
	company_name TEXT NOT NULL,
	country      TEXT NOT NULL,
	sso_session  TEXT NOT NULL
) STRICT;

CREATE TABLE memberships (
	user_uid  TEXT NOT NULL REFERENCES users(uid),
	group_uid TEXT NOT NULL REFERENCES groups(uid),
	role      TEXT NOT NULL,
	PRIMARY KEY (user_uid, group_uid)
) STRICT;
`
