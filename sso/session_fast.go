package sso

// decodeFast reads b when it is exactly what json.Marshal writes for a
// sessionWire (the form [CookieStore.Save] writes) with strings that need
// no escaping:
//
//	{"uid":"…","group_uid":"…","session":"…","session_recheck":"…"[,"preset":"…"][,"exp":N]}
//
// where every string is printable ASCII other than '"' and '\' and N is a
// JSON integer of at most 18 digits. For such input encoding/json gives the
// same values; decodeFast reports false for anything else, and the caller
// then uses encoding/json. It exists because the cookie is decoded on every
// request, and encoding/json was most of that cost.
func (w *sessionWire) decodeFast(b []byte) bool {
	p := fastParser{s: string(b)} // the one allocation: the fields are substrings of it
	var out sessionWire
	ok := p.lit(`{"uid":`) && p.str(&out.UID) &&
		p.lit(`,"group_uid":`) && p.str(&out.GroupUID) &&
		p.lit(`,"session":`) && p.str(&out.Session) &&
		p.lit(`,"session_recheck":`) && p.str(&out.SessionRecheck)
	if !ok {
		return false
	}
	if p.lit(`,"preset":`) && !p.str(&out.Preset) {
		return false
	}
	if p.lit(`,"exp":`) && !p.int(&out.Exp) {
		return false
	}
	if !p.lit("}") || p.i != len(p.s) {
		return false
	}
	*w = out
	return true
}

type fastParser struct {
	s string
	i int
}

// lit consumes lit if the input continues with it.
func (p *fastParser) lit(lit string) bool {
	if len(p.s)-p.i < len(lit) || p.s[p.i:p.i+len(lit)] != lit {
		return false
	}
	p.i += len(lit)
	return true
}

// str consumes a string of printable ASCII without '"' or '\'.
func (p *fastParser) str(dst *string) bool {
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return false
	}
	start := p.i + 1
	for j := start; j < len(p.s); j++ {
		switch c := p.s[j]; {
		case c == '"':
			*dst = p.s[start:j]
			p.i = j + 1
			return true
		case c < 0x20 || c > 0x7e || c == '\\':
			return false
		}
	}
	return false
}

// int consumes a JSON integer of 1 to 18 digits (no leading zero, optional
// minus sign).
func (p *fastParser) int(dst *int64) bool {
	j, neg := p.i, false
	if j < len(p.s) && p.s[j] == '-' {
		neg = true
		j++
	}
	start := j
	var n int64
	for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
		n = n*10 + int64(p.s[j]-'0')
		j++
	}
	digits := j - start
	if digits == 0 || digits > 18 || (digits > 1 && p.s[start] == '0') {
		return false
	}
	if neg {
		n = -n
	}
	*dst, p.i = n, j
	return true
}
