package clip

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "abc…"},
		{"ééé", 3, "é…"}, // the cut would fall inside the second é
		{"\xffab", 10, "\uFFFDab"},
		{"€", 1, "…"},
		{"", 0, ""},
	} {
		if got := String(c.in, c.n); got != c.want {
			t.Errorf("String(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
	for n := range 20 {
		if got := String(strings.Repeat("日\xff", 5), n); !utf8.ValidString(got) {
			t.Errorf("n=%d: %q is not valid UTF-8", n, got)
		}
	}
}
