package store

// schemaAccount holds the tables of the account API (resellers, bills,
// recurring bills), the developer-platform environments, and the columns the
// account API adds to the core tables.
//
// The environment credentials move from settings to the environments table
// (several environments, each with its own key and secret), and marketplaces
// is rebuilt with one row per published app: a marketplace hosts several
// apps, an app is published on one marketplace, and the marketplaces of one
// environment have distinct names (clients key their configuration by it).
const schemaAccount = `
CREATE TABLE environments (
	name       TEXT PRIMARY KEY,
	api_key    TEXT NOT NULL UNIQUE,
	api_secret TEXT NOT NULL
) STRICT;

INSERT INTO environments (name, api_key, api_secret)
SELECT COALESCE((SELECT environment FROM marketplaces ORDER BY name LIMIT 1), 'sandbox'), k.value, v.value
FROM settings k, settings v WHERE k.key = 'env_key' AND v.key = 'env_secret';
DELETE FROM settings WHERE key IN ('env_key', 'env_secret');

CREATE TABLE marketplaces_v2 (
	app_uid     TEXT PRIMARY KEY REFERENCES apps(uid) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	nid         TEXT NOT NULL,
	environment TEXT NOT NULL REFERENCES environments(name),
	UNIQUE (environment, name)
) STRICT;
INSERT INTO marketplaces_v2 (app_uid, name, nid, environment)
SELECT app_uid, name, nid, environment FROM marketplaces;
DROP TABLE marketplaces;
ALTER TABLE marketplaces_v2 RENAME TO marketplaces;

CREATE TABLE resellers (
	uid        TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	code       TEXT NOT NULL,
	country    TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
) STRICT;

ALTER TABLE groups ADD COLUMN status TEXT NOT NULL DEFAULT 'running';
ALTER TABLE groups ADD COLUMN has_credit_card INTEGER NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE groups ADD COLUMN main_accounting TEXT NOT NULL DEFAULT '';
ALTER TABLE groups ADD COLUMN reseller_uid TEXT REFERENCES resellers(uid) ON DELETE SET NULL;
ALTER TABLE groups ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
UPDATE groups SET updated_at = created_at, email = uid || '@example.com';

ALTER TABLE users ADD COLUMN password TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
UPDATE users SET
	created_at = COALESCE((SELECT value FROM settings WHERE key = 'seeded_at'), '1970-01-01T00:00:00Z'),
	updated_at = COALESCE((SELECT value FROM settings WHERE key = 'seeded_at'), '1970-01-01T00:00:00Z');

CREATE TABLE bills (
	id                INTEGER PRIMARY KEY,
	uid               TEXT NOT NULL UNIQUE,
	app_uid           TEXT NOT NULL REFERENCES apps(uid) ON DELETE CASCADE,
	group_uid         TEXT NOT NULL REFERENCES groups(uid) ON DELETE CASCADE,
	price_cents       INTEGER NOT NULL,
	currency          TEXT NOT NULL,
	units             REAL,
	description       TEXT NOT NULL,
	period_started_at TEXT,
	period_ended_at   TEXT,
	third_party       INTEGER NOT NULL DEFAULT 0,
	status            TEXT NOT NULL CHECK (status IN ('submitted', 'cancelled', 'invoiced')),
	created_at        TEXT NOT NULL,
	updated_at        TEXT NOT NULL
) STRICT;
CREATE INDEX bills_app_group ON bills(app_uid, group_uid);

CREATE TABLE recurring_bills (
	id                INTEGER PRIMARY KEY,
	uid               TEXT NOT NULL UNIQUE,
	app_uid           TEXT NOT NULL REFERENCES apps(uid) ON DELETE CASCADE,
	group_uid         TEXT NOT NULL REFERENCES groups(uid) ON DELETE CASCADE,
	price_cents       INTEGER NOT NULL,
	currency          TEXT NOT NULL,
	description       TEXT NOT NULL,
	period            TEXT NOT NULL,
	frequency         INTEGER NOT NULL,
	cycles            INTEGER,
	start_date        TEXT NOT NULL,
	initial_cents     INTEGER NOT NULL DEFAULT 0,
	status            TEXT NOT NULL CHECK (status IN ('submitted', 'active', 'expired', 'cancelled')),
	last_execution_at TEXT,
	next_execution_at TEXT,
	remaining_cycles  INTEGER,
	created_at        TEXT NOT NULL,
	updated_at        TEXT NOT NULL
) STRICT;
CREATE INDEX recurring_bills_app_group ON recurring_bills(app_uid, group_uid);
`
