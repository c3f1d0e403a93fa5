package connec

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Op is a comparison operator of a $filter expression.
type Op string

// The operators Connec! is known to accept.
const (
	Eq Op = "eq"
	Ne Op = "ne"
	Gt Op = "gt"
	Ge Op = "ge"
	Lt Op = "lt"
	Le Op = "le"
)

// Direction is a sort direction of $orderby.
type Direction string

// Sort directions.
const (
	Asc  Direction = "asc"
	Desc Direction = "desc"
)

// Query builds the query string of a list: $filter, $orderby, $top, $skip
// and $search. It is a value: every method returns a new Query and leaves
// the receiver alone, so a base query can be shared. A mistake (an unknown
// operator, a field name that is not an identifier, a value of a type that
// has no literal) is kept and reported by [Query.Values], and so by the
// list call.
type Query struct {
	filters []string
	orderBy []string
	top     int
	skip    int
	search  string
	extra   url.Values
	err     error
}

// Where starts a query with one filter; see [Query.Where].
func Where(field string, op Op, value any) Query { return Query{}.Where(field, op, value) }

// Where adds the filter "field op value", joined to the others with "and".
// value may be a string (quoted, with ' doubled), a time.Time or [Time]
// (quoted RFC 3339, UTC), a bool, an integer, a float, json.Number, or nil
// (null).
func (q Query) Where(field string, op Op, value any) Query {
	if q.err != nil {
		return q
	}
	if err := checkField(field); err != nil {
		return q.fail(err)
	}
	switch op {
	case Eq, Ne, Gt, Ge, Lt, Le:
	default:
		return q.fail(fmt.Errorf("connec: unknown filter operator %q", op))
	}
	lit, err := Literal(value)
	if err != nil {
		return q.fail(err)
	}
	q.filters = append(slices.Clip(q.filters), field+" "+string(op)+" "+lit)
	return q
}

// UpdatedSince adds the filter "updated_at gt '<t>'", the incremental-sync
// query of the connectors.
func (q Query) UpdatedSince(t time.Time) Query { return q.Where("updated_at", Gt, t) }

// OrderBy adds a sort key.
func (q Query) OrderBy(field string, dir Direction) Query {
	if q.err != nil {
		return q
	}
	if err := checkField(field); err != nil {
		return q.fail(err)
	}
	if dir != Asc && dir != Desc {
		return q.fail(fmt.Errorf("connec: unknown sort direction %q", dir))
	}
	q.orderBy = append(slices.Clip(q.orderBy), field+" "+string(dir))
	return q
}

// Top sets the page size ($top); it must be positive.
func (q Query) Top(n int) Query {
	if n <= 0 {
		return q.fail(fmt.Errorf("connec: $top must be positive, not %d", n))
	}
	q.top = n
	return q
}

// Skip sets how many records to skip ($skip); it must not be negative.
func (q Query) Skip(n int) Query {
	if n < 0 {
		return q.fail(fmt.Errorf("connec: $skip must not be negative, not %d", n))
	}
	q.skip = n
	return q
}

// Search sets the free-text $search.
func (q Query) Search(s string) Query { q.search = s; return q }

// Set adds any other query parameter (e.g. "$expand"). The $-parameters
// the builder owns cannot be set this way.
func (q Query) Set(key, value string) Query {
	switch key {
	case "$filter", "$orderby", "$top", "$skip", "$search":
		return q.fail(fmt.Errorf("connec: set %s with its own method", key))
	case "":
		return q.fail(errors.New("connec: empty query parameter name"))
	}
	extra := url.Values{}
	for k, vs := range q.extra {
		extra[k] = slices.Clone(vs)
	}
	extra.Add(key, value)
	q.extra = extra
	return q
}

func (q Query) fail(err error) Query {
	if q.err == nil {
		q.err = err
	}
	return q
}

// Err returns the first mistake made building q.
func (q Query) Err() error { return q.err }

// Values returns the query parameters, or the first mistake.
func (q Query) Values() (url.Values, error) {
	if q.err != nil {
		return nil, q.err
	}
	v := url.Values{}
	for k, vs := range q.extra {
		v[k] = slices.Clone(vs)
	}
	if len(q.filters) > 0 {
		v.Set("$filter", strings.Join(q.filters, " and "))
	}
	if len(q.orderBy) > 0 {
		v.Set("$orderby", strings.Join(q.orderBy, ", "))
	}
	if q.top > 0 {
		v.Set("$top", strconv.Itoa(q.top))
	}
	if q.skip > 0 {
		v.Set("$skip", strconv.Itoa(q.skip))
	}
	if q.search != "" {
		v.Set("$search", q.search)
	}
	return v, nil
}

// Filter returns the $filter expression ("" when there is none).
func (q Query) Filter() string { return strings.Join(q.filters, " and ") }

// checkField accepts identifiers and paths of them ("address/billing/city").
func checkField(f string) error {
	if f == "" || len(f) > 128 {
		return fmt.Errorf("connec: filter field %q must be 1 to 128 characters", f)
	}
	for _, part := range strings.Split(f, "/") {
		if part == "" {
			return fmt.Errorf("connec: filter field %q has an empty path segment", f)
		}
		for i, r := range part {
			ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || (i > 0 && (r >= '0' && r <= '9' || r == '.'))
			if !ok {
				return fmt.Errorf("connec: filter field %q is not an identifier", f)
			}
		}
	}
	return nil
}

// Literal returns value as a $filter literal: strings in single quotes with
// each ' doubled (OData), times as quoted RFC 3339 in UTC, numbers and
// booleans bare, nil as null.
func Literal(value any) (string, error) {
	switch v := value.(type) {
	case nil:
		return "null", nil
	case string:
		return quote(v), nil
	case time.Time:
		return quote(v.UTC().Format(time.RFC3339Nano)), nil
	case Time:
		if v.Time.IsZero() {
			return "", errors.New("connec: filter on a zero or unreadable time")
		}
		return quote(v.Time.UTC().Format(time.RFC3339Nano)), nil
	case bool:
		return strconv.FormatBool(v), nil
	case int:
		return strconv.FormatInt(int64(v), 10), nil
	case int8:
		return strconv.FormatInt(int64(v), 10), nil
	case int16:
		return strconv.FormatInt(int64(v), 10), nil
	case int32:
		return strconv.FormatInt(int64(v), 10), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint8:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint16:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint32:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case float32:
		return formatFloat(float64(v), 32)
	case float64:
		return formatFloat(v, 64)
	case json.Number:
		if _, err := strconv.ParseFloat(string(v), 64); err != nil || !json.Valid([]byte(v)) {
			return "", fmt.Errorf("connec: %q is not a number", string(v))
		}
		return string(v), nil
	}
	return "", fmt.Errorf("connec: no filter literal for a value of type %T", value)
}

func formatFloat(f float64, bits int) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("connec: %v has no filter literal", f)
	}
	return strconv.FormatFloat(f, 'f', -1, bits), nil
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
