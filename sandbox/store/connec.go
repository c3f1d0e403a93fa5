package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ConnecProvider is the provider name of an entity's own Connec! id in the
// id-array format.
const ConnecProvider = "connec"

// ExternalID is one entry of the id-array format: the id of an entity in
// the realm of a provider (an app, or "connec" itself).
type ExternalID struct {
	Realm    string `json:"realm"`    // e.g. the channel uid "org-1", or an app's own realm
	Provider string `json:"provider"` // "connec" or the app's provider name
	ID       string `json:"id"`       // the id in that realm
}

// ConnecEntity is one stored Connec! entity.
type ConnecEntity struct {
	GroupUID    string
	Collection  string
	ID          string                     // Connec! id (UUID)
	Doc         map[string]json.RawMessage // the stored document, id and references plain
	ExternalIDs []ExternalID               // ids of the entity in other realms, oldest first
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Seq         int64 // position in creation order; see [ConnecQuery.AfterSeq]
}

// JSON returns the stored document as JSON.
func (e ConnecEntity) JSON() json.RawMessage {
	b, err := json.Marshal(e.Doc)
	if err != nil { // values are json.RawMessage validated on the way in
		return json.RawMessage(`{}`)
	}
	return b
}

// ConnecWrite is a create or update of one entity.
type ConnecWrite struct {
	GroupUID   string
	Collection string
	// ID is the Connec! id of the entity to update; "" creates one, unless
	// ExternalIDs name an existing entity (upsert).
	ID string
	// Create requires that the write creates an entity; with ID or a
	// matching external id it fails with ErrConflict.
	Create bool
	// Upsert makes a write whose ID and external ids match nothing create
	// the entity instead of failing with ErrNotFound.
	Upsert bool
	// Fields are merged into the document (top-level keys replace the
	// stored ones); their references must already be plain Connec! ids.
	// "id", "group_id", "channel_id", "resource_type", "created_at" and
	// "updated_at" are set by the store and ignored here.
	Fields map[string]json.RawMessage
	// ExternalIDs are attached to the entity; one that names another
	// entity of the collection fails with ErrConflict.
	ExternalIDs []ExternalID
	// Singleton makes the write target the collection's only entity (the
	// "company" resource): it is updated if it exists, created otherwise.
	Singleton bool
	// OriginAppUID is the app making the write, "" for the admin; it is
	// recorded in the change log.
	OriginAppUID string
	Now          time.Time
}

// storeManaged are the document keys the store sets itself.
var storeManaged = map[string]bool{
	"id": true, "group_id": true, "channel_id": true, "resource_type": true,
	"created_at": true, "updated_at": true,
}

// WriteConnecEntity creates or updates an entity and records the change
// ([RecordConnecChange]) in the same transaction. It returns the entity
// after the write and whether it was created. A write with ID that names no
// entity returns [ErrNotFound] (unless Upsert); a Create that finds one
// returns [ErrConflict]; an unknown group returns [ErrNotFound].
func (s *Store) WriteConnecEntity(ctx context.Context, w ConnecWrite) (ConnecEntity, bool, error) {
	var out ConnecEntity
	var created bool
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, created, err = writeConnecEntity(ctx, tx, w)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
			return ConnecEntity{}, false, err
		}
		return ConnecEntity{}, false, fmt.Errorf("store: write connec entity: %w", err)
	}
	return out, created, nil
}

func writeConnecEntity(ctx context.Context, tx *sql.Tx, w ConnecWrite) (ConnecEntity, bool, error) {
	var orgUID string
	err := tx.QueryRowContext(ctx, `SELECT org_uid FROM groups WHERE uid = ?`, w.GroupUID).Scan(&orgUID)
	if errors.Is(err, sql.ErrNoRows) {
		return ConnecEntity{}, false, fmt.Errorf("group %s: %w", w.GroupUID, ErrNotFound)
	}
	if err != nil {
		return ConnecEntity{}, false, err
	}
	// Find the target: by id, else by any external id.
	id := w.ID
	if w.Singleton {
		err := tx.QueryRowContext(ctx, `SELECT id FROM connec_entities WHERE group_uid = ? AND collection = ? ORDER BY seq LIMIT 1`,
			w.GroupUID, w.Collection).Scan(&id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return ConnecEntity{}, false, err
		}
		w.Upsert = true
	}
	var existing *ConnecEntity
	if id != "" {
		e, err := getConnecEntity(ctx, tx, w.GroupUID, w.Collection, id)
		switch {
		case err == nil:
			existing = &e
		case !errors.Is(err, ErrNotFound):
			return ConnecEntity{}, false, err
		case !w.Upsert:
			return ConnecEntity{}, false, fmt.Errorf("%s %s: %w", w.Collection, id, ErrNotFound)
		default:
			id = ""
		}
	}
	if existing == nil {
		for _, x := range w.ExternalIDs {
			eid, err := lookupExternalID(ctx, tx, w.GroupUID, w.Collection, x)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return ConnecEntity{}, false, err
			}
			e, err := getConnecEntity(ctx, tx, w.GroupUID, w.Collection, eid)
			if err != nil {
				return ConnecEntity{}, false, err
			}
			existing = &e
			break
		}
	}
	if existing != nil && w.Create {
		return ConnecEntity{}, false, fmt.Errorf("%s %s exists: %w", w.Collection, existing.ID, ErrConflict)
	}

	now := formatTime(w.Now)
	created := existing == nil
	var doc map[string]json.RawMessage
	if created {
		id = NewConnecID()
		doc = make(map[string]json.RawMessage, len(w.Fields)+6)
		doc["created_at"] = jsonString(now)
	} else {
		id = existing.ID
		doc = existing.Doc
	}
	for k, v := range w.Fields {
		if !storeManaged[k] {
			doc[k] = v
		}
	}
	doc["id"] = jsonString(id)
	doc["group_id"] = jsonString(w.GroupUID)
	doc["channel_id"] = jsonString(orgUID)
	doc["resource_type"] = jsonString(w.Collection)
	doc["updated_at"] = jsonString(now)
	body, err := json.Marshal(doc)
	if err != nil {
		return ConnecEntity{}, false, fmt.Errorf("encode document: %w", err)
	}
	if created {
		_, err = tx.ExecContext(ctx, `
INSERT INTO connec_entities (group_uid, collection, id, doc, created_at, updated_at)
VALUES (?, ?, ?, jsonb(?), ?, ?)`, w.GroupUID, w.Collection, id, string(body), now, now)
	} else {
		_, err = tx.ExecContext(ctx, `
UPDATE connec_entities SET doc = jsonb(?), updated_at = ? WHERE group_uid = ? AND collection = ? AND id = ?`,
			string(body), now, w.GroupUID, w.Collection, id)
	}
	if err != nil {
		return ConnecEntity{}, false, err
	}
	for _, x := range w.ExternalIDs {
		if err := attachExternalID(ctx, tx, w.GroupUID, w.Collection, id, x); err != nil {
			return ConnecEntity{}, false, err
		}
	}
	err = RecordConnecChange(ctx, tx, ConnecChange{
		GroupUID: w.GroupUID, Collection: w.Collection, Entity: body,
		OriginAppUID: w.OriginAppUID, At: w.Now,
	})
	if err != nil {
		return ConnecEntity{}, false, err
	}
	e, err := getConnecEntity(ctx, tx, w.GroupUID, w.Collection, id)
	return e, created, err
}

func attachExternalID(ctx context.Context, tx *sql.Tx, group, collection, id string, x ExternalID) error {
	if x.Provider == ConnecProvider {
		return nil // the entity's own id, not stored
	}
	owner, err := lookupExternalID(ctx, tx, group, collection, x)
	switch {
	case err == nil && owner == id:
		return nil
	case err == nil:
		return fmt.Errorf("external id %s/%s/%s names %s %s: %w", x.Provider, x.Realm, x.ID, collection, owner, ErrConflict)
	case !errors.Is(err, ErrNotFound):
		return err
	}
	_, err = tx.ExecContext(ctx, `
INSERT INTO connec_external_ids (group_uid, collection, provider, realm, external_id, entity_id, seq)
VALUES (?, ?, ?, ?, ?, ?, (SELECT IFNULL(MAX(seq), 0) + 1 FROM connec_external_ids WHERE group_uid = ? AND entity_id = ?))`,
		group, collection, x.Provider, x.Realm, x.ID, id, group, id)
	return err
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func lookupExternalID(ctx context.Context, q querier, group, collection string, x ExternalID) (string, error) {
	var id string
	err := q.QueryRowContext(ctx, `
SELECT entity_id FROM connec_external_ids
WHERE group_uid = ? AND collection = ? AND provider = ? AND realm = ? AND external_id = ?`,
		group, collection, x.Provider, x.Realm, x.ID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return id, err
}

// ResolveConnecExternalID returns the Connec! id and collection of the
// entity of the group that has the external id x, in any collection, or
// [ErrNotFound]. When several collections have it, the oldest entity wins.
func (s *Store) ResolveConnecExternalID(ctx context.Context, group string, x ExternalID) (id, collection string, err error) {
	err = s.db.QueryRowContext(ctx, `
SELECT x.entity_id, x.collection FROM connec_external_ids x
JOIN connec_entities e ON e.group_uid = x.group_uid AND e.collection = x.collection AND e.id = x.entity_id
WHERE x.group_uid = ? AND x.provider = ? AND x.realm = ? AND x.external_id = ?
ORDER BY e.seq LIMIT 1`, group, x.Provider, x.Realm, x.ID).Scan(&id, &collection)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", ErrNotFound
	}
	if err != nil {
		return "", "", fmt.Errorf("store: resolve external id: %w", err)
	}
	return id, collection, nil
}

// ConnecKnownIDs returns, for each of the Connec! ids that names an entity
// of the group (in any collection), its external ids, oldest first (an
// empty slice when it has none). Ids that name no entity are absent.
func (s *Store) ConnecKnownIDs(ctx context.Context, group string, ids []string) (map[string][]ExternalID, error) {
	return connecKnownIDs(ctx, s.db, group, ids)
}

func connecKnownIDs(ctx context.Context, q querier, group string, ids []string) (map[string][]ExternalID, error) {
	out := make(map[string][]ExternalID)
	for len(ids) > 0 {
		n := min(len(ids), 200)
		chunk := ids[:n]
		ids = ids[n:]
		args := []any{group}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := q.QueryContext(ctx, `
SELECT e.id, x.provider, x.realm, x.external_id FROM connec_entities e
LEFT JOIN connec_external_ids x ON x.group_uid = e.group_uid AND x.collection = e.collection AND x.entity_id = e.id
WHERE e.group_uid = ? AND e.id IN (?`+strings.Repeat(",?", n-1)+`) ORDER BY x.seq`, args...)
		if err != nil {
			return nil, fmt.Errorf("store: connec known ids: %w", err)
		}
		for rows.Next() {
			var id string
			var p, r, x sql.NullString
			if err := rows.Scan(&id, &p, &r, &x); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: connec known ids: %w", err)
			}
			if _, ok := out[id]; !ok {
				out[id] = []ExternalID{}
			}
			if p.Valid {
				out[id] = append(out[id], ExternalID{Provider: p.String, Realm: r.String, ID: x.String})
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("store: connec known ids: %w", err)
		}
	}
	return out, nil
}

// ConnecEntity returns one entity, or [ErrNotFound].
func (s *Store) ConnecEntity(ctx context.Context, group, collection, id string) (ConnecEntity, error) {
	e, err := getConnecEntity(ctx, s.db, group, collection, id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return ConnecEntity{}, fmt.Errorf("store: connec entity: %w", err)
	}
	return e, err
}

const connecColumns = `seq, group_uid, collection, id, json(doc), created_at, updated_at`

func scanConnecEntity(row scanner) (ConnecEntity, error) {
	var e ConnecEntity
	var doc, created, updated string
	if err := row.Scan(&e.Seq, &e.GroupUID, &e.Collection, &e.ID, &doc, &created, &updated); err != nil {
		return ConnecEntity{}, err
	}
	if err := json.Unmarshal([]byte(doc), &e.Doc); err != nil {
		return ConnecEntity{}, fmt.Errorf("stored document of %s: %w", e.ID, err)
	}
	var err error
	if e.CreatedAt, err = parseTime(created); err != nil {
		return ConnecEntity{}, err
	}
	if e.UpdatedAt, err = parseTime(updated); err != nil {
		return ConnecEntity{}, err
	}
	return e, nil
}

func getConnecEntity(ctx context.Context, q querier, group, collection, id string) (ConnecEntity, error) {
	e, err := scanConnecEntity(q.QueryRowContext(ctx, `SELECT `+connecColumns+`
FROM connec_entities WHERE group_uid = ? AND collection = ? AND id = ?`, group, collection, id))
	if errors.Is(err, sql.ErrNoRows) {
		return ConnecEntity{}, ErrNotFound
	}
	if err != nil {
		return ConnecEntity{}, err
	}
	e.ExternalIDs, err = queryRows(ctx, q, func(row scanner) (ExternalID, error) {
		var x ExternalID
		err := row.Scan(&x.Provider, &x.Realm, &x.ID)
		return x, err
	}, `
SELECT provider, realm, external_id FROM connec_external_ids
WHERE group_uid = ? AND collection = ? AND entity_id = ? ORDER BY seq`, group, collection, id)
	if err != nil {
		return ConnecEntity{}, err
	}
	return e, nil
}

// DeleteConnecEntity removes an entity and its external ids, or returns
// [ErrNotFound].
func (s *Store) DeleteConnecEntity(ctx context.Context, group, collection, id string) error {
	res, err := s.exec(ctx, `DELETE FROM connec_entities WHERE group_uid = ? AND collection = ? AND id = ?`, group, collection, id)
	if err != nil {
		return fmt.Errorf("store: delete connec entity: %w", err)
	}
	return requireOneRow(res)
}

// ConnecQuery selects a page of a collection.
type ConnecQuery struct {
	Filter  *Filter     // nil matches everything
	OrderBy []OrderTerm // then creation order
	Skip    int         // entities to skip, >= 0
	Top     int         // page size, >= 0
	// AfterSeq, when not zero and OrderBy is empty, starts the page after
	// the entity with this [ConnecEntity.Seq] instead of skipping Skip
	// entities: the same page when nothing changed in between, without
	// stepping over the first Skip entities again.
	AfterSeq int64
}

// ConnecPage is one page of a collection and the number of entities that
// match the query on all pages.
type ConnecPage struct {
	Entities []ConnecEntity // without ExternalIDs; see [Store.ConnecExternalIDs]
	Total    int
}

// ListConnecEntities returns a page of the collection of the group.
func (s *Store) ListConnecEntities(ctx context.Context, group, collection string, q ConnecQuery) (ConnecPage, error) {
	if q.Skip < 0 || q.Top < 0 {
		return ConnecPage{}, errors.New("store: negative skip or top")
	}
	cond, fargs := q.Filter.SQL()
	where := `group_uid = ? AND collection = ? AND ` + cond
	args := append([]any{group, collection}, fargs...)

	// One read transaction so the count and the page agree.
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return ConnecPage{}, fmt.Errorf("store: list connec entities: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var page ConnecPage
	if q.Filter == nil {
		err = tx.QueryRowContext(ctx, `SELECT IFNULL((SELECT size FROM connec_collections WHERE group_uid = ? AND collection = ?), 0)`,
			group, collection).Scan(&page.Total)
	} else {
		err = tx.QueryRowContext(ctx, `SELECT count(*) FROM connec_entities WHERE `+where, args...).Scan(&page.Total)
	}
	if err != nil {
		return ConnecPage{}, fmt.Errorf("store: count connec entities: %w", err)
	}
	if q.Top == 0 || q.Skip >= page.Total {
		return page, nil
	}
	skip := q.Skip
	if q.AfterSeq != 0 && len(q.OrderBy) == 0 {
		where += ` AND seq > ?`
		args = append(args, q.AfterSeq)
		skip = 0
	}
	var order strings.Builder
	for _, t := range q.OrderBy {
		order.WriteString("json_extract(doc, ?)")
		args = append(args, jsonPath(t.Path))
		if t.Desc {
			order.WriteString(" DESC")
		}
		order.WriteString(", ")
	}
	order.WriteString("seq")
	args = append(args, q.Top, skip)
	rows, err := tx.QueryContext(ctx, `SELECT `+connecColumns+` FROM connec_entities WHERE `+where+
		` ORDER BY `+order.String()+` LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return ConnecPage{}, fmt.Errorf("store: list connec entities: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanConnecEntity(rows)
		if err != nil {
			return ConnecPage{}, fmt.Errorf("store: list connec entities: %w", err)
		}
		page.Entities = append(page.Entities, e)
	}
	if err := rows.Err(); err != nil {
		return ConnecPage{}, fmt.Errorf("store: list connec entities: %w", err)
	}
	return page, nil
}

// ConnecCollectionCounts returns the number of entities per collection of
// the group (the sizes connec_collections keeps; empty collections are
// absent).
func (s *Store) ConnecCollectionCounts(ctx context.Context, group string) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT collection, size FROM connec_collections WHERE group_uid = ? AND size > 0`, group)
	if err != nil {
		return nil, fmt.Errorf("store: connec collection counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var c string
		var n int
		if err := rows.Scan(&c, &n); err != nil {
			return nil, fmt.Errorf("store: connec collection counts: %w", err)
		}
		out[c] = n
	}
	return out, rows.Err()
}

// AppHasGroup reports whether the app has access to the group (group_apps).
func (s *Store) AppHasGroup(ctx context.Context, appUID, groupUID string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM group_apps WHERE app_uid = ? AND group_uid = ?`, appUID, groupUID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: app has group: %w", err)
	}
	return n > 0, nil
}

// NewConnecID returns a fresh random Connec! id (a version 4 UUID).
func NewConnecID() string { return newEnvKey() }

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s) // a string always encodes
	return b
}
