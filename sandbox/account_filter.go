package sandbox

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Filter suffixes of the account API's list endpoints, longest first: a
// query parameter "created_at_strictly_after=..." filters on created_at > the
// value. A parameter without suffix filters on equality.
var filterSuffixes = []struct {
	suffix string
	op     filterOp
}{
	{"_strictly_greater_than", opGT},
	{"_strictly_lower_than", opLT},
	{"_strictly_before", opLT},
	{"_strictly_after", opGT},
	{"_greater_than", opGE},
	{"_lower_than", opLE},
	{"_before", opLE},
	{"_after", opGE},
}

type filterOp int

const (
	opEQ filterOp = iota
	opLT
	opLE
	opGT
	opGE
)

// fieldKind is the type of a filterable field.
type fieldKind int

const (
	kindString fieldKind = iota
	kindNumber
	kindTime
	kindBool
)

// filter is one parsed query filter.
type filter struct {
	field string
	op    filterOp
	kind  fieldKind
	str   string
	num   float64
	at    time.Time
	b     bool
}

// errUnknownField marks a parameter that names no field: the original
// platform answered such a query with an empty list.
var errUnknownField = errors.New("unknown field")

// filterValueError is a parameter whose value does not fit its field.
type filterValueError struct{ param, msg string }

func (e *filterValueError) Error() string { return e.param + " " + e.msg }

// parseFilter parses one query parameter against the fields of a resource:
// the field name with an optional comparison suffix, and a value of the
// field's type. Times are ISO 8601 (with or without zone, then UTC) or
// plain dates; numbers are decimal; booleans true/false. It returns
// errUnknownField for a name that is no field and a *filterValueError for a
// value that does not parse or a comparison on a boolean.
func parseFilter(param, value string, fields map[string]fieldKind) (filter, error) {
	name, op := param, opEQ
	kind, ok := fields[name]
	if !ok {
		for _, s := range filterSuffixes {
			if base, found := strings.CutSuffix(param, s.suffix); found && base != "" {
				name, op = base, s.op
				break
			}
		}
		if kind, ok = fields[name]; !ok {
			return filter{}, errUnknownField
		}
	}
	f := filter{field: name, op: op, kind: kind}
	switch kind {
	case kindString:
		f.str = value
	case kindNumber:
		n, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
			return filter{}, &filterValueError{param, "is not a number"}
		}
		f.num = n
	case kindTime:
		t, ok := parseAPITime(value)
		if !ok {
			return filter{}, &filterValueError{param, "is not a valid date (use YYYY-MM-DDTHH:MM:SSZ)"}
		}
		f.at = t
	case kindBool:
		if op != opEQ {
			return filter{}, &filterValueError{param, "cannot compare a boolean"}
		}
		b, err := strconv.ParseBool(value)
		if err != nil {
			return filter{}, &filterValueError{param, "is not a boolean (use true or false)"}
		}
		f.b = b
	}
	return f, nil
}

// apiTimeLayouts are the time forms accepted in parameters; a form without
// zone is UTC.
var apiTimeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02",
}

// parseAPITime parses a parameter time (see apiTimeLayouts), at most 64
// bytes.
func parseAPITime(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if len(v) > 64 {
		return time.Time{}, false
	}
	for _, l := range apiTimeLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// match reports whether the value v of the filter's field passes.
func (f filter) match(v any) bool {
	var c int
	switch x := v.(type) {
	case nil:
		return false
	case string:
		c = strings.Compare(x, f.str)
	case float64:
		c = cmpFloat(x, f.num)
	case time.Time:
		c = x.Compare(f.at)
	case bool:
		return x == f.b
	default:
		return false
	}
	switch f.op {
	case opLT:
		return c < 0
	case opLE:
		return c <= 0
	case opGT:
		return c > 0
	case opGE:
		return c >= 0
	}
	return c == 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var fieldCache sync.Map // reflect.Type → map[string]fieldKind

var timeType = reflect.TypeFor[time.Time]()

// fieldKinds returns the filterable fields of an account object type T (a
// struct): its JSON names with their kinds; "object" is left out.
func fieldKinds(t reflect.Type) map[string]fieldKind {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]fieldKind)
	}
	m := map[string]fieldKind{}
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "" || name == "-" || name == "object" {
			continue
		}
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft == timeType:
			m[name] = kindTime
		case ft.Kind() == reflect.String:
			m[name] = kindString
		case ft.Kind() == reflect.Bool:
			m[name] = kindBool
		case ft.Kind() >= reflect.Int && ft.Kind() <= reflect.Float64:
			m[name] = kindNumber
		}
	}
	fieldCache.Store(t, m)
	return m
}

// fieldValue returns the value of the JSON field name of struct v as string,
// float64, time.Time, bool or nil.
func fieldValue(v reflect.Value, name string) any {
	t := v.Type()
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if tag != name {
			continue
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				return nil
			}
			fv = fv.Elem()
		}
		switch {
		case fv.Type() == timeType:
			return fv.Interface().(time.Time)
		case fv.Kind() == reflect.String:
			return fv.String()
		case fv.Kind() == reflect.Bool:
			return fv.Bool()
		case fv.Kind() >= reflect.Int && fv.Kind() <= reflect.Int64:
			return float64(fv.Int())
		case fv.Kind() >= reflect.Float32 && fv.Kind() <= reflect.Float64:
			return fv.Float()
		}
		return nil
	}
	return nil
}

// applyFilters keeps the items that pass every filter in p (except the
// names in skip). A parameter naming no field gives an empty list, as on
// the original platform; a bad value gives a *filterValueError.
func applyFilters[T any](items []T, p params, skip ...string) ([]T, error) {
	fields := fieldKinds(reflect.TypeFor[T]())
	var filters []filter
	for _, name := range p.names() {
		if slices.Contains(skip, name) {
			continue
		}
		value, _ := p.get(name)
		f, err := parseFilter(name, value, fields)
		if errors.Is(err, errUnknownField) {
			return []T{}, nil
		}
		if err != nil {
			return nil, err
		}
		filters = append(filters, f)
	}
	out := make([]T, 0, len(items))
next:
	for _, it := range items {
		v := reflect.ValueOf(it)
		for _, f := range filters {
			if !f.match(fieldValue(v, f.field)) {
				continue next
			}
		}
		out = append(out, it)
	}
	return out, nil
}
