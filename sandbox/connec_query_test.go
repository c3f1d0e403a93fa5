package sandbox_test

import (
	"strconv"
	"strings"
	"testing"
)

// The list parameters are given once each and as UTF-8: a repeated $top or
// $filter (which one wins?) or invalid UTF-8 in a value is a 400 that says
// so, never a silent pick or an empty page.
func TestConnecListQueryHygiene(t *testing.T) {
	t.Parallel()
	e := setupConnec(t)
	for _, tt := range []struct{ name, query, want string }{
		{"repeated $top", "%24top=1&%24top=2", "$top"},
		{"repeated $skip", "%24skip=1&%24skip=2", "$skip"},
		{"repeated $filter", "%24filter=first_name+eq+%27a%27&%24filter=first_name+eq+%27b%27", "$filter"},
		{"repeated $orderby", "%24orderby=first_name&%24orderby=last_name", "$orderby"},
		{"invalid UTF-8 in $filter", "%24filter=first_name+eq+%27%ff%fe%27", "UTF-8"},
		{"invalid UTF-8 in $orderby", "%24orderby=%ff", "UTF-8"},
	} {
		status, _, body := e.call(t, "GET", "/api/v2/cld-1/people?"+tt.query, "", nil)
		checkConnecError(t, tt.name, status, body, 400, "Bad request")
		if !strings.Contains(body, tt.want) {
			t.Errorf("%s: the error does not name %q: %s", tt.name, tt.want, body)
		}
	}
}

// A $top or $skip beyond the integer range is a big number, not a bad one:
// $top is capped as any other large $top, $skip gives an empty page.
func TestConnecListHugeTopSkip(t *testing.T) {
	t.Parallel()
	e := setupConnec(t)
	e.mustCall(t, 201, "POST", "/api/v2/cld-1/people", `{"people":{"first_name":"Ada"}}`, nil)
	huge := "99999999999999999999999"
	body := e.mustCall(t, 200, "GET", "/api/v2/cld-1/people?%24top="+huge, "", nil)
	pg, _ := body["pagination"].(map[string]any)
	if top, _ := pg["top"].(float64); top <= 0 || top > 1e6 {
		t.Errorf("huge $top: pagination.top = %v, want the cap", pg["top"])
	}
	if people, _ := body["people"].([]any); len(people) != 1 {
		t.Errorf("huge $top: %d people, want 1", len(people))
	}
	body = e.mustCall(t, 200, "GET", "/api/v2/cld-1/people?%24skip="+huge, "", nil)
	if people, _ := body["people"].([]any); len(people) != 0 {
		t.Errorf("huge $skip: %d people, want none", len(people))
	}
	// Still refused: negative and non-numeric values.
	for _, v := range []string{"-" + huge, "-1", "1e3", "+"} {
		status, _, b := e.call(t, "GET", "/api/v2/cld-1/people?%24skip="+v, "", nil)
		checkConnecError(t, "$skip="+strconv.Quote(v), status, b, 400, "Bad request")
	}
}
