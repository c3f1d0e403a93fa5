package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// Ids in the Connec! API (§6.4) come in two formats. Plain: "id" and the
// references ("organization_id", "lines[].item_id", …) are Connec! UUID
// strings. Id arrays: each is [{"realm", "provider", "id"}, …], one entry per
// system that knows the entity, "connec" among them. Entities are stored
// plain; an incoming id array is folded to the Connec! id it names, and an
// answer to a request with CONNEC-EXTERNAL-IDS: true is unfolded.

// foldedEntity is an incoming entity with its ids made plain.
type foldedEntity struct {
	fields      map[string]json.RawMessage // without "id"; references plain where known
	plainID     string                     // "id" given as a plain string
	connecID    string                     // the "connec" entry of an "id" array
	externalIDs []store.ExternalID         // the other entries of an "id" array
}

// foldEntity makes the ids of an incoming entity plain.
func (s *Sandbox) foldEntity(ctx context.Context, group store.Group, fields map[string]json.RawMessage) (foldedEntity, error) {
	out := foldedEntity{fields: make(map[string]json.RawMessage, len(fields))}
	for k, v := range fields {
		if k == "id" {
			if err := out.readID(v); err != nil {
				return foldedEntity{}, err
			}
			continue
		}
		if !bytes.Contains(v, []byte(`"provider"`)) {
			out.fields[k] = v
			continue
		}
		var x any
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(&x); err != nil {
			return foldedEntity{}, connecBadRequest("field " + clip(k) + ": " + clipN(err.Error(), 120))
		}
		x, err := s.foldRefs(ctx, group, x)
		if err != nil {
			return foldedEntity{}, err
		}
		b, err := json.Marshal(x)
		if err != nil {
			return foldedEntity{}, err
		}
		out.fields[k] = b
	}
	return out, nil
}

// readID reads the entity's own "id": null, a plain string or an id array.
func (f *foldedEntity) readID(v json.RawMessage) error {
	switch t := bytes.TrimSpace(v); {
	case bytes.Equal(t, []byte("null")):
		return nil
	case len(t) > 0 && t[0] == '"':
		if err := json.Unmarshal(t, &f.plainID); err != nil || f.plainID == "" {
			return connecBadRequest("id must be a non-empty string or an id array")
		}
		return nil
	}
	ids, err := parseIDArray(v)
	if err != nil {
		return err
	}
	for _, x := range ids {
		if x.Provider != store.ConnecProvider {
			f.externalIDs = append(f.externalIDs, x)
			continue
		}
		if f.connecID != "" && f.connecID != x.ID {
			return connecBadRequest("id array names two Connec! ids")
		}
		f.connecID = x.ID
	}
	return nil
}

// parseIDArray reads [{"realm", "provider", "id"}, …]; every entry needs a
// provider and an id (a string or a number), and no other key.
func parseIDArray(v json.RawMessage) ([]store.ExternalID, error) {
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(v, &raw); err != nil {
		return nil, connecBadRequest(`id must be a string or an array of {"realm", "provider", "id"} objects`)
	}
	if len(raw) > maxIDArrayEntries {
		return nil, connecBadRequest("id array has more than " + strconv.Itoa(maxIDArrayEntries) + " entries")
	}
	out := make([]store.ExternalID, 0, len(raw))
	for _, m := range raw {
		x, ok := idEntry(m)
		if !ok {
			return nil, connecBadRequest(`every id array entry needs "provider" and "id" strings (and optionally "realm"), each at most ` +
				strconv.Itoa(maxConnecIDBytes) + " bytes")
		}
		out = append(out, x)
	}
	return out, nil
}

func idEntry(m map[string]json.RawMessage) (store.ExternalID, bool) {
	var x store.ExternalID
	for k, v := range m {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			var n json.Number
			if k != "id" || json.Unmarshal(v, &n) != nil {
				return x, false
			}
			s = n.String()
		}
		if len(s) > maxConnecIDBytes {
			return x, false
		}
		switch k {
		case "realm":
			x.Realm = s
		case "provider":
			x.Provider = s
		case "id":
			x.ID = s
		default:
			return x, false
		}
	}
	return x, x.Provider != "" && x.ID != ""
}

// foldRefs replaces, anywhere in x, an id array by the Connec! id it names:
// its "connec" entry, or the entity one of its external ids names. An id
// array that names no known entity is kept as it is.
func (s *Sandbox) foldRefs(ctx context.Context, group store.Group, x any) (any, error) {
	switch t := x.(type) {
	case map[string]any:
		for k, v := range t {
			nv, err := s.foldRefs(ctx, group, v)
			if err != nil {
				return nil, err
			}
			t[k] = nv
		}
		return t, nil
	case []any:
		if ids, ok := asIDArray(t); ok {
			for _, id := range ids {
				if id.Provider == store.ConnecProvider {
					return id.ID, nil
				}
			}
			for _, id := range ids {
				eid, _, err := s.store.ResolveConnecExternalID(ctx, group.UID, id)
				if err == nil {
					return eid, nil
				}
				if !errors.Is(err, store.ErrNotFound) {
					return nil, err
				}
			}
			return plainIDArray(ids), nil
		}
		for i, v := range t {
			nv, err := s.foldRefs(ctx, group, v)
			if err != nil {
				return nil, err
			}
			t[i] = nv
		}
		return t, nil
	}
	return x, nil
}

// plainIDArray is an id array that names no known entity, kept with its
// ids as strings (a numeric external id becomes its decimal text), the form
// clients decode.
func plainIDArray(ids []store.ExternalID) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		m := map[string]any{"provider": id.Provider, "id": id.ID}
		if id.Realm != "" {
			m["realm"] = id.Realm
		}
		out[i] = m
	}
	return out
}

// asIDArray reports whether a is a non-empty id array.
func asIDArray(a []any) ([]store.ExternalID, bool) {
	if len(a) == 0 || len(a) > maxIDArrayEntries {
		return nil, false
	}
	out := make([]store.ExternalID, 0, len(a))
	for _, e := range a {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		raw := make(map[string]json.RawMessage, len(m))
		for k, v := range m {
			b, err := json.Marshal(v)
			if err != nil {
				return nil, false
			}
			raw[k] = b
		}
		x, ok := idEntry(raw)
		if !ok {
			return nil, false
		}
		out = append(out, x)
	}
	return out, true
}

// restShape returns the entities in their REST shape for the caller: as
// stored, or with ids unfolded to id arrays when the caller asked for
// external ids.
func (s *Sandbox) restShape(ctx context.Context, c connecCaller, es []store.ConnecEntity) ([]any, error) {
	out := make([]any, len(es))
	if !c.externalIDs {
		for i, e := range es {
			out[i] = e.Doc
		}
		return out, nil
	}
	docs := make([]any, len(es))
	var candidates []string
	for i, e := range es {
		var x any
		dec := json.NewDecoder(bytes.NewReader(e.JSON()))
		dec.UseNumber()
		if err := dec.Decode(&x); err != nil {
			return nil, err
		}
		docs[i] = x
		candidates = append(candidates, e.ID)
		store.CollectConnecRefs(x, &candidates)
	}
	slices.Sort(candidates)
	candidates = slices.Compact(candidates)
	known, err := s.store.ConnecKnownIDs(ctx, c.group.UID, candidates)
	if err != nil {
		return nil, err
	}
	for i, d := range docs {
		out[i] = store.UnfoldConnecIDs(d, c.group.OrgUID, known)
	}
	return out, nil
}

func sortedCollections() []string {
	names := make([]string, 0, len(connecCollections))
	for n := range connecCollections {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
