package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// The id-array shape of Connec! entities (§6.4): an entity is stored with
// plain ids (its "id" and the references such as "organization_id" or
// "lines[].item_id" are Connec! UUID strings); a caller that asked for
// external ids, and the notifications of an app configured for them
// (webhooks.connec.external_ids), get each known id as an array
// [{"realm", "provider", "id"}, ...]: the Connec! id first, in the realm of
// the group's organization, then the external ids attached to the entity.

// IsConnecRefKey reports whether a document key holds a reference to an
// entity (or the entity's own id).
func IsConnecRefKey(k string) bool {
	return k == "id" || strings.HasSuffix(k, "_id") && k != "group_id" && k != "channel_id"
}

// CollectConnecRefs appends to out every string held under a reference key
// anywhere in the decoded document x.
func CollectConnecRefs(x any, out *[]string) {
	switch t := x.(type) {
	case map[string]any:
		for k, v := range t {
			if s, ok := v.(string); ok && IsConnecRefKey(k) {
				*out = append(*out, s)
			} else {
				CollectConnecRefs(v, out)
			}
		}
	case []any:
		for _, v := range t {
			CollectConnecRefs(v, out)
		}
	}
}

// UnfoldConnecIDs replaces, in place anywhere in the decoded document x,
// each reference that names a known entity (a key of known, as returned by
// [Store.ConnecKnownIDs]) by its id array in realm, and returns x.
func UnfoldConnecIDs(x any, realm string, known map[string][]ExternalID) any {
	switch t := x.(type) {
	case map[string]any:
		for k, v := range t {
			if s, ok := v.(string); ok && IsConnecRefKey(k) {
				if xs, ok := known[s]; ok {
					t[k] = ConnecIDArray(s, realm, xs)
				}
				continue
			}
			t[k] = UnfoldConnecIDs(v, realm, known)
		}
	case []any:
		for i, v := range t {
			t[i] = UnfoldConnecIDs(v, realm, known)
		}
	}
	return x
}

// ConnecIDArray is the id array of an entity: its Connec! id first, in the
// realm of the group's organization, then its external ids.
func ConnecIDArray(id, realm string, xs []ExternalID) []ExternalID {
	return append([]ExternalID{{Realm: realm, Provider: ConnecProvider, ID: id}}, xs...)
}

// unfoldEntities decodes each JSON entity of group, unfolds its known ids
// in the realm of the group's organization and encodes it again. It reads
// in q (the caller's transaction). A group that no longer exists gives the
// realm "".
func unfoldEntities(ctx context.Context, q querier, group string, entities []json.RawMessage) ([]json.RawMessage, error) {
	var realm string
	if err := q.QueryRowContext(ctx, `SELECT org_uid FROM groups WHERE uid = ?`, group).Scan(&realm); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	docs := make([]any, len(entities))
	refs := make([][]string, len(entities))
	var all []string
	for i, e := range entities {
		dec := json.NewDecoder(bytes.NewReader(e))
		dec.UseNumber()
		if err := dec.Decode(&docs[i]); err != nil {
			return nil, err
		}
		CollectConnecRefs(docs[i], &refs[i])
		all = append(all, refs[i]...)
	}
	slices.Sort(all)
	known, err := connecKnownIDs(ctx, q, group, slices.Compact(all))
	if err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, len(docs))
	for i, d := range docs {
		out[i] = entities[i] // nothing known to unfold: kept byte for byte
		if slices.ContainsFunc(refs[i], func(r string) bool { _, ok := known[r]; return ok }) {
			if out[i], err = marshalVerbatim(UnfoldConnecIDs(d, realm, known)); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
