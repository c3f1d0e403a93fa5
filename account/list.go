package account

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/maestrano-go/maestrano/internal/clip"
)

// Op is a comparison of a list filter. The platform encodes it as a suffix
// of the parameter name (platform-wire §4.2): created_at_after=... .
type Op int

// The comparisons. After/GreaterThan and Before/LowerThan are the same
// comparison under two names (the platform has both); the Strictly forms
// exclude the bound.
const (
	// Eq is equality: field=value.
	Eq Op = iota
	// After is ≥ (suffix _after).
	After
	// StrictlyAfter is > (suffix _strictly_after).
	StrictlyAfter
	// Before is ≤ (suffix _before).
	Before
	// StrictlyBefore is < (suffix _strictly_before).
	StrictlyBefore
	// GreaterThan is ≥ (suffix _greater_than).
	GreaterThan
	// StrictlyGreaterThan is > (suffix _strictly_greater_than).
	StrictlyGreaterThan
	// LowerThan is ≤ (suffix _lower_than).
	LowerThan
	// StrictlyLowerThan is < (suffix _strictly_lower_than).
	StrictlyLowerThan
)

var opSuffix = map[Op]string{
	Eq:                  "",
	After:               "_after",
	StrictlyAfter:       "_strictly_after",
	Before:              "_before",
	StrictlyBefore:      "_strictly_before",
	GreaterThan:         "_greater_than",
	StrictlyGreaterThan: "_strictly_greater_than",
	LowerThan:           "_lower_than",
	StrictlyLowerThan:   "_strictly_lower_than",
}

// String returns the parameter suffix ("" for Eq).
func (o Op) String() string {
	if s, ok := opSuffix[o]; ok {
		return s
	}
	return fmt.Sprintf("Op(%d)", int(o))
}

// Filter is one condition of a list: Field Op Value. Value is a string, a
// bool, an integer or float type, or a time.Time (sent in UTC as
// 2006-01-02T15:04:05Z).
type Filter struct {
	Field string
	Op    Op
	Value any
}

// ListOptions narrows a List call. The zero value (or nil) lists
// everything the app may see.
//
// The platform treats every parameter as a column filter and answers an
// empty list for a column it does not know, so a misspelt Field silently
// matches nothing. Field names are those of the objects' JSON members
// (status, currency, created_at, ...).
type ListOptions struct {
	// GroupID narrows bills, recurring bills and users to one group (a
	// group the app does not serve gives an empty list).
	GroupID string
	// Filters are ANDed.
	Filters []Filter
}

// Where adds a filter and returns o, so calls chain:
//
//	opts := new(account.ListOptions).Where("status", account.Eq, "submitted").
//		Where("created_at", account.After, since)
func (o *ListOptions) Where(field string, op Op, value any) *ListOptions {
	o.Filters = append(o.Filters, Filter{Field: field, Op: op, Value: value})
	return o
}

// maxFilters bounds a query string.
const maxFilters = 64

// query encodes o as query parameters; a bad field, op or value is a
// validation error, reported before anything is sent.
func (o *ListOptions) query() (url.Values, error) {
	q := url.Values{}
	if o == nil {
		return q, nil
	}
	problems := map[string][]string{}
	if o.GroupID != "" {
		if err := checkID(o.GroupID); err != nil {
			problems["group_id"] = []string{err.Error()}
		}
		q.Set("group_id", o.GroupID)
	}
	if len(o.Filters) > maxFilters {
		problems["filters"] = []string{fmt.Sprintf("more than %d", maxFilters)}
	}
	for _, f := range o.Filters {
		if !validField(f.Field) {
			problems["filters"] = append(problems["filters"], fmt.Sprintf("field %q is not a lower-case column name", clip.String(f.Field, 64)))
			continue
		}
		if f.Field == "group_id" {
			problems["filters"] = append(problems["filters"], "use ListOptions.GroupID, not a group_id filter")
			continue
		}
		suffix, ok := opSuffix[f.Op]
		if !ok {
			problems["filters"] = append(problems["filters"], fmt.Sprintf("%s: unknown operator %d", f.Field, int(f.Op)))
			continue
		}
		v, err := filterValue(f.Value)
		if err != nil {
			problems["filters"] = append(problems["filters"], fmt.Sprintf("%s: %v", f.Field, err))
			continue
		}
		q.Add(f.Field+suffix, v)
	}
	if len(problems) > 0 {
		return nil, &APIError{Kind: KindValidation, Errors: problems}
	}
	return q, nil
}

func validField(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// filterTimeLayout is how a time.Time filter value is sent: the platform
// parses YYYY-MM-DDTHH:MM:SS as UTC, and a trailing Z says so explicitly.
const filterTimeLayout = "2006-01-02T15:04:05Z"

func filterValue(v any) (string, error) {
	switch x := v.(type) {
	case Period:
		return filterValue(string(x))
	case string:
		if len(x) > 1024 {
			return "", fmt.Errorf("value longer than 1024 bytes")
		}
		return x, nil
	case time.Time:
		if x.IsZero() {
			return "", fmt.Errorf("zero time")
		}
		return x.UTC().Format(filterTimeLayout), nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.FormatInt(int64(x), 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint32:
		return strconv.FormatUint(uint64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), nil
	case fmt.Stringer:
		return filterValue(x.String())
	}
	return "", fmt.Errorf("unsupported value type %T", v)
}
