package store

// schemaConnec holds the tables of the Connec! API: JSON documents per group
// and collection, and their external ids.
//
// connec_entities.doc is the entity in its stored shape, as SQLite JSONB (so
// that $filter reads fields without re-parsing text): a JSON object whose
// "id" and references ("organization_id", "lines[].item_id", …) are plain
// Connec! ids. seq orders a collection by creation and makes paging stable.
// connec_collections keeps, by trigger, the size of each collection (the
// unfiltered pagination.total without a count) and a version that moves on
// every write.
// connec_external_ids maps an app's own id of an entity ({realm, provider,
// id}) to its Connec! id; a triple names at most one entity of a collection.
const schemaConnec = `
CREATE TABLE connec_entities (
	seq        INTEGER PRIMARY KEY,
	group_uid  TEXT NOT NULL REFERENCES groups(uid) ON DELETE CASCADE,
	collection TEXT NOT NULL,
	id         TEXT NOT NULL,
	doc        BLOB NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (group_uid, collection, id)
) STRICT;
CREATE INDEX connec_entities_list ON connec_entities(group_uid, collection, seq);
CREATE INDEX connec_entities_id ON connec_entities(group_uid, id);

CREATE TABLE connec_collections (
	group_uid  TEXT NOT NULL,
	collection TEXT NOT NULL,
	size       INTEGER NOT NULL,
	version    INTEGER NOT NULL,
	PRIMARY KEY (group_uid, collection)
) STRICT;
CREATE TRIGGER connec_entities_ins AFTER INSERT ON connec_entities BEGIN
	INSERT INTO connec_collections (group_uid, collection, size, version) VALUES (NEW.group_uid, NEW.collection, 1, 1)
	ON CONFLICT (group_uid, collection) DO UPDATE SET size = size + 1, version = version + 1;
END;
CREATE TRIGGER connec_entities_upd AFTER UPDATE ON connec_entities BEGIN
	UPDATE connec_collections SET version = version + 1 WHERE group_uid = NEW.group_uid AND collection = NEW.collection;
END;
CREATE TRIGGER connec_entities_del AFTER DELETE ON connec_entities BEGIN
	UPDATE connec_collections SET size = size - 1, version = version + 1 WHERE group_uid = OLD.group_uid AND collection = OLD.collection;
END;

CREATE TABLE connec_external_ids (
	group_uid   TEXT NOT NULL,
	collection  TEXT NOT NULL,
	provider    TEXT NOT NULL,
	realm       TEXT NOT NULL,
	external_id TEXT NOT NULL,
	entity_id   TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	PRIMARY KEY (group_uid, collection, provider, realm, external_id),
	FOREIGN KEY (group_uid, collection, entity_id) REFERENCES connec_entities(group_uid, collection, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX connec_external_ids_entity ON connec_external_ids(group_uid, entity_id);
`
