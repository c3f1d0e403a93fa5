package connec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// ProviderConnec is the provider of the Connec! id in an external-ids array.
const ProviderConnec = "connec"

// ExternalID is one entry of an id array in external-ids mode: the id of the
// record in one realm (a channel "org-..." or an app's own realm) as known
// to one provider ("connec" or an app's provider name).
type ExternalID struct {
	ID       string `json:"id"`
	Provider string `json:"provider"`
	Realm    string `json:"realm"`
}

// ID is a record id or a reference to one (organization_id, lines/item_id,
// ...). On the wire it is a plain Connec! id string, or — in external-ids
// mode — an array of [ExternalID]. It keeps the form it was decoded from.
type ID struct {
	// Plain is the id when the wire form is a string.
	Plain string
	// Refs are the ids when the wire form is an array.
	Refs []ExternalID
}

// PlainID returns the ID of a Connec! id string.
func PlainID(id string) ID { return ID{Plain: id} }

// IDs returns an ID in the array form.
func IDs(refs ...ExternalID) ID { return ID{Refs: refs} }

// IsZero reports whether the ID is empty (it is then omitted from JSON).
func (id ID) IsZero() bool { return id.Plain == "" && len(id.Refs) == 0 }

// Connec returns the Connec! id: Plain, or the id of the first entry whose
// provider is "connec".
func (id ID) Connec() string {
	if id.Plain != "" {
		return id.Plain
	}
	for _, r := range id.Refs {
		if r.Provider == ProviderConnec {
			return r.ID
		}
	}
	return ""
}

// For returns the id known to provider in realm ("" matches any realm).
func (id ID) For(provider, realm string) (string, bool) {
	for _, r := range id.Refs {
		if r.Provider == provider && (realm == "" || r.Realm == realm) {
			return r.ID, true
		}
	}
	return "", false
}

// String returns the Connec! id.
func (id ID) String() string { return id.Connec() }

// MarshalJSON writes the array form when Refs is set, else the string.
func (id ID) MarshalJSON() ([]byte, error) {
	if id.Refs != nil {
		return json.Marshal(id.Refs)
	}
	if id.Plain == "" {
		return []byte("null"), nil
	}
	return json.Marshal(id.Plain)
}

// UnmarshalJSON reads a string, an array of {id, provider, realm}, or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*id = ID{}
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &id.Plain)
	case len(b) > 0 && b[0] == '[':
		refs := []ExternalID{}
		if err := json.Unmarshal(b, &refs); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return te // encoding/json puts the field in front of te.Field
			}
			return fmt.Errorf("connec: id array: %w", err)
		}
		id.Refs = refs
		return nil
	}
	// A type error, so that encoding/json names the field at fault.
	return &json.UnmarshalTypeError{Value: jsonValueKind(b), Type: reflect.TypeFor[ID]()}
}

// jsonValueKind names the kind of the JSON value b, as
// json.UnmarshalTypeError.Value does.
func jsonValueKind(b []byte) string {
	switch {
	case len(b) == 0:
		return "value"
	case b[0] == '{':
		return "object"
	case b[0] == '[':
		return "array"
	case b[0] == '"':
		return "string"
	case b[0] == 't' || b[0] == 'f':
		return "bool"
	case b[0] == 'n':
		return "null"
	}
	return "number"
}

// Time is a Connec! timestamp or date. It reads RFC 3339 with or without
// fraction and zone, and plain dates; it writes back the text it read, so a
// round trip changes nothing. A value it cannot read keeps its text with a
// zero Time.
type Time struct {
	time.Time
	raw string
}

// NewTime returns t as a Connec! timestamp (UTC, whole seconds).
func NewTime(t time.Time) Time { return Time{Time: t.UTC().Truncate(time.Second)} }

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999", "2006-01-02"}

// IsZero reports whether there is neither a time nor unread text.
func (t Time) IsZero() bool { return t.Time.IsZero() && t.raw == "" }

// Raw returns the text the value was decoded from ("" when built in Go).
func (t Time) Raw() string { return t.raw }

// MarshalJSON writes the decoded text, or RFC 3339 for a Time set in Go.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.raw != "" {
		return json.Marshal(t.raw)
	}
	if t.Time.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.Time.Format(time.RFC3339Nano))
}

// UnmarshalJSON reads a string (or null).
func (t *Time) UnmarshalJSON(b []byte) error {
	*t = Time{}
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		// A type error, so that encoding/json names the field at fault.
		return &json.UnmarshalTypeError{Value: jsonValueKind(bytes.TrimSpace(b)), Type: reflect.TypeFor[Time]()}
	}
	t.raw = s
	for _, l := range timeLayouts {
		if v, err := time.Parse(l, s); err == nil {
			t.Time = v
			break
		}
	}
	return nil
}

// Extra holds the JSON members a typed struct has no field for, so that
// decoding and encoding again loses nothing. It also keeps members a field
// names whose value the field would omit when encoding ("", null, false,
// 0-length arrays), so they come back as they were. When encoding, a field
// that encodes wins over a member of the same name here.
type Extra map[string]json.RawMessage

// jsonKeys lists the JSON member names of struct type t, including those of
// embedded structs.
func jsonKeys(t reflect.Type) map[string]bool {
	keys := map[string]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			keys[name] = true
		}
	}
	walk(t)
	return keys
}

// decodeKeeping decodes b into fields (a pointer to a method-less copy of
// the struct) and keeps every other member in *extra.
func decodeKeeping(b []byte, fields any, extra *Extra, known map[string]bool) error {
	if err := json.Unmarshal(b, fields); err != nil {
		return err
	}
	*extra = nil
	// b is valid JSON now; a null leaves no members.
	return eachMember(b, func(k string, v []byte) error {
		if known[k] && !emptyLiteral(v) {
			return nil
		}
		if *extra == nil {
			*extra = Extra{}
		}
		(*extra)[k] = bytes.Clone(v)
		return nil
	})
}

// eachMember calls fn with the name and raw value of each member of the
// JSON object b, which must be valid JSON (an object or null). It reads
// the top level only, without allocating for the values.
func eachMember(b []byte, fn func(key string, val []byte) error) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil // null: nothing to keep
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] == '}' {
			return nil
		}
		if b[i] == ',' {
			i = skipSpace(b, i+1)
		}
		end := skipString(b, i)
		rawKey := b[i:end]
		var key string
		if bytes.IndexByte(rawKey, '\\') >= 0 || !utf8.Valid(rawKey) {
			if err := json.Unmarshal(rawKey, &key); err != nil {
				return err
			}
		} else {
			key = string(rawKey[1 : len(rawKey)-1])
		}
		i = skipSpace(b, end)
		i = skipSpace(b, i+1) // the colon
		vend := skipValue(b, i)
		if err := fn(key, b[i:vend]); err != nil {
			return err
		}
		i = vend
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] ('"').
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch c := b[i]; c {
		case '"':
			i = skipString(b, i)
			if depth == 0 {
				return i
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the end of the enclosing object, after a scalar
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',':
			if depth == 0 {
				return i
			}
		case ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
		i++
	}
	return i
}

// encodeKeeping encodes fields and adds the extra members.
func encodeKeeping(fields any, extra Extra) ([]byte, error) {
	b, err := json.Marshal(fields)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k, v := range extra {
		if _, ok := all[k]; ok {
			continue
		}
		if !json.Valid(v) {
			return nil, fmt.Errorf("connec: extra member %q is not valid JSON", k)
		}
		all[k] = v
	}
	return json.Marshal(all)
}

// emptyLiteral reports whether v is a value an omitempty field drops.
func emptyLiteral(v json.RawMessage) bool {
	switch string(bytes.TrimSpace(v)) {
	case "null", `""`, "false", "[]", "0":
		return true
	}
	return false
}
