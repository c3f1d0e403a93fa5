package sandbox

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseFilter(t *testing.T) {
	t.Parallel()
	fields := fieldKinds(reflect.TypeFor[AccountBill]())
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		param, value string
		want         filter
		err          string // "unknown", or a substring of the value error
	}{
		{"status", "invoiced", filter{field: "status", op: opEQ, kind: kindString, str: "invoiced"}, ""},
		{"created_at_after", "2030-01-02T03:04:05Z", filter{field: "created_at", op: opGE, kind: kindTime, at: at}, ""},
		{"created_at_strictly_after", "2030-01-02T03:04:05", filter{field: "created_at", op: opGT, kind: kindTime, at: at}, ""},
		{"created_at_before", "2030-01-02T04:04:05+01:00", filter{field: "created_at", op: opLE, kind: kindTime, at: at}, ""},
		{"created_at_strictly_before", "2030-01-02 03:04:05", filter{field: "created_at", op: opLT, kind: kindTime, at: at}, ""},
		{"updated_at", "2030-01-02", filter{field: "updated_at", op: opEQ, kind: kindTime, at: time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)}, ""},
		{"price_cents_greater_than", "10", filter{field: "price_cents", op: opGE, kind: kindNumber, num: 10}, ""},
		{"price_cents_strictly_greater_than", "10.5", filter{field: "price_cents", op: opGT, kind: kindNumber, num: 10.5}, ""},
		{"price_cents_lower_than", "-1", filter{field: "price_cents", op: opLE, kind: kindNumber, num: -1}, ""},
		{"price_cents_strictly_lower_than", "0", filter{field: "price_cents", op: opLT, kind: kindNumber, num: 0}, ""},
		{"units", "2", filter{field: "units", op: opEQ, kind: kindNumber, num: 2}, ""},
		{"third_party", "true", filter{field: "third_party", op: opEQ, kind: kindBool, b: true}, ""},
		{"period_started_at_after", "2030-01-02T03:04:05Z", filter{field: "period_started_at", op: opGE, kind: kindTime, at: at}, ""},
		// Suffixes apply to strings too (lexical order).
		{"id_after", "bill-2", filter{field: "id", op: opGE, kind: kindString, str: "bill-2"}, ""},
		{"object", "account_bill", filter{}, "unknown"},
		{"colour", "x", filter{}, "unknown"},
		{"_after", "x", filter{}, "unknown"},
		{"created_at__after", "2030-01-01", filter{}, "unknown"},
		{"created_at_soon", "2030-01-01", filter{}, "unknown"},
		{"created_at", "tomorrow", filter{}, "valid date"},
		{"created_at_after", strings.Repeat("2", 100), filter{}, "valid date"},
		{"price_cents", "NaN", filter{}, "not a number"},
		{"price_cents", "Inf", filter{}, "not a number"},
		{"price_cents_after", "ten", filter{}, "not a number"},
		{"third_party_after", "true", filter{}, "cannot compare"},
		{"third_party", "yes", filter{}, "not a boolean"},
	} {
		got, err := parseFilter(tc.param, tc.value, fields)
		switch {
		case tc.err == "unknown":
			if !errors.Is(err, errUnknownField) {
				t.Errorf("%s: %v, want errUnknownField", tc.param, err)
			}
		case tc.err != "":
			var fe *filterValueError
			if !errors.As(err, &fe) || fe.param != tc.param || !strings.Contains(fe.msg, tc.err) {
				t.Errorf("%s=%s: %v, want %q", tc.param, tc.value, err, tc.err)
			}
		case err != nil || !reflect.DeepEqual(got, tc.want):
			t.Errorf("%s=%s: %+v %v, want %+v", tc.param, tc.value, got, err, tc.want)
		}
	}
}

func TestFilterMatch(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		f    filter
		v    any
		want bool
	}{
		{filter{op: opEQ, kind: kindString, str: "a"}, "a", true},
		{filter{op: opEQ, kind: kindString, str: "a"}, "b", false},
		{filter{op: opLT, kind: kindNumber, num: 2}, 1.0, true},
		{filter{op: opLT, kind: kindNumber, num: 2}, 2.0, false},
		{filter{op: opLE, kind: kindNumber, num: 2}, 2.0, true},
		{filter{op: opGT, kind: kindTime, at: at}, at, false},
		{filter{op: opGE, kind: kindTime, at: at}, at, true},
		{filter{op: opGT, kind: kindTime, at: at}, at.Add(time.Second), true},
		{filter{op: opEQ, kind: kindBool, b: false}, false, true},
		{filter{op: opEQ, kind: kindNumber, num: 0}, nil, false}, // null never matches
		{filter{op: opEQ, kind: kindString}, 3, false},
	} {
		if got := tc.f.match(tc.v); got != tc.want {
			t.Errorf("%+v match %v = %v", tc.f, tc.v, got)
		}
	}
}

// FuzzParseFilter: any parameter parses to a filter on a known field, to
// errUnknownField or to a *filterValueError, without panicking; a parsed
// filter's field is one of the resource's.
func FuzzParseFilter(f *testing.F) {
	for _, s := range [][2]string{
		{"created_at_after", "2030-01-02T03:04:05Z"}, {"price_cents_strictly_lower_than", "10"},
		{"third_party", "true"}, {"units_before", "1e3"}, {"x_strictly_after", ""}, {"_before", "_after"},
		{"created_at", "2030-01-02 03:04:05"}, {"id", "bill-1"},
	} {
		f.Add(s[0], s[1])
	}
	types := []reflect.Type{reflect.TypeFor[AccountBill](), reflect.TypeFor[AccountRecurringBill](),
		reflect.TypeFor[AccountGroup](), reflect.TypeFor[AccountUser](), reflect.TypeFor[AccountReseller]()}
	f.Fuzz(func(t *testing.T, param, value string) {
		for _, typ := range types {
			fields := fieldKinds(typ)
			flt, err := parseFilter(param, value, fields)
			if err != nil {
				var fe *filterValueError
				if !errors.Is(err, errUnknownField) && !errors.As(err, &fe) {
					t.Fatalf("unexpected error type %T", err)
				}
				continue
			}
			if kind, ok := fields[flt.field]; !ok || kind != flt.kind {
				t.Fatalf("filter on %q (kind %v) not a field of %v", flt.field, flt.kind, typ)
			}
			if !strings.HasPrefix(param, flt.field) {
				t.Fatalf("field %q not a prefix of %q", flt.field, param)
			}
			_ = flt.match(value)
		}
	})
}
