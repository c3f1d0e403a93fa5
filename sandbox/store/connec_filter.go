package store

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Bounds of a $filter or $orderby expression.
const (
	MaxFilterBytes   = 4096 // length of the whole expression
	maxFilterTerms   = 64   // comparisons in one filter
	maxFilterDepth   = 32   // nesting of parentheses and not
	maxPathSegments  = 8    // segments of a field path: address.billing.city is 3
	maxSegmentBytes  = 64   // bytes of one path segment
	maxOrderByTerms  = 5    // fields in one $orderby
	maxLiteralBytes  = 1024 // bytes of one string literal
	maxNumberLiteral = 64   // bytes of one number literal
)

// FilterError reports a malformed $filter or $orderby expression: what is
// wrong and the byte offset where it was found.
type FilterError struct {
	Pos int    // byte offset in the expression
	Msg string // what is wrong
}

// Error returns the message with its position.
func (e *FilterError) Error() string {
	return fmt.Sprintf("at offset %d: %s", e.Pos, e.Msg)
}

// Filter is a parsed Connec! $filter: comparisons of entity fields with
// literals joined by and, or, not and parentheses, e.g.
//
//	status ne 'ARCHIVED' and (address.billing.city eq 'Paris' or updated_at gt '2016-10-04T00:36:23Z')
//
// Operators are eq, ne, gt, ge, lt and le; literals are single-quoted
// strings (a doubled quote stands for one), numbers, true, false, null and dates (quoted
// or bare ISO 8601, or datetime'…'). A quoted literal that is a date
// compares as an instant, so '2016-10-04T02:00:00+02:00' equals a stored
// "2016-10-04T00:00:00Z". Fields are paths of identifiers separated by "."
// or "/" (OData). and binds tighter than or. A field that is missing or of
// another JSON type than the literal never compares true, except with ne.
type Filter struct {
	root filterNode
}

// String returns the filter in canonical form: every operator lower case,
// every binary operation in parentheses. ParseFilter(f.String()) gives an
// equal filter.
func (f *Filter) String() string { return f.root.String() }

type filterNode interface {
	String() string
	sql(b *strings.Builder, args *[]any)
}

type filterBinary struct {
	op          string // "and" or "or"
	left, right filterNode
}

func (n *filterBinary) String() string {
	return "(" + n.left.String() + " " + n.op + " " + n.right.String() + ")"
}

type filterNot struct{ x filterNode }

func (n *filterNot) String() string { return "not " + n.x.String() }

type literalKind int

const (
	litString literalKind = iota
	litInt
	litFloat
	litBool
	litNull
	litDate // a string or bare literal that is an ISO 8601 date
)

type filterLiteral struct {
	kind  literalKind
	str   string    // litString, litDate: the text as written (unquoted)
	i     int64     // litInt
	f     float64   // litFloat
	b     bool      // litBool
	t     time.Time // litDate, UTC
	raw   string    // litInt, litFloat: the number as written
	quote bool      // litDate: written quoted
}

func (l filterLiteral) String() string {
	switch l.kind {
	case litInt, litFloat:
		return l.raw
	case litBool:
		return strconv.FormatBool(l.b)
	case litNull:
		return "null"
	case litDate:
		if !l.quote {
			return l.str
		}
	}
	return "'" + strings.ReplaceAll(l.str, "'", "''") + "'"
}

type filterCompare struct {
	path []string
	op   string // eq ne gt ge lt le
	val  filterLiteral
}

func (n *filterCompare) String() string {
	return strings.Join(n.path, ".") + " " + n.op + " " + n.val.String()
}

// ParseFilter parses a $filter expression. An empty or blank expression
// gives a nil filter, which matches everything. Errors are *FilterError.
func ParseFilter(s string) (*Filter, error) {
	if len(s) > MaxFilterBytes {
		return nil, &FilterError{Pos: MaxFilterBytes, Msg: fmt.Sprintf("filter longer than %d bytes", MaxFilterBytes)}
	}
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 1 { // only the end token
		return nil, nil
	}
	p := &filterParser{toks: toks}
	root, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEnd {
		return nil, &FilterError{Pos: t.pos, Msg: fmt.Sprintf("unexpected %s after the end of the expression", t.describe())}
	}
	return &Filter{root: root}, nil
}

// Token kinds.
type tokKind int

const (
	tokEnd tokKind = iota
	tokIdent
	tokString
	tokNumber
	tokDate // bare ISO 8601 date
	tokLParen
	tokRParen
	tokComma
	tokDot // "." or "/" between path segments
)

type token struct {
	kind tokKind
	text string // identifier, unquoted string, number or date text
	pos  int
}

func (t token) describe() string {
	switch t.kind {
	case tokEnd:
		return "end of expression"
	case tokString:
		return "string '" + clipLiteral(t.text) + "'"
	case tokLParen:
		return `"("`
	case tokRParen:
		return `")"`
	case tokComma:
		return `","`
	case tokDot:
		return `"."`
	}
	return `"` + clipLiteral(t.text) + `"`
}

func clipLiteral(s string) string {
	if len(s) > 32 {
		return strings.ToValidUTF8(s[:32], "") + "…"
	}
	return s
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// tokenize splits s into tokens, ending with a tokEnd.
func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{kind: tokLParen, pos: i})
			i++
		case c == ')':
			toks = append(toks, token{kind: tokRParen, pos: i})
			i++
		case c == ',':
			toks = append(toks, token{kind: tokComma, pos: i})
			i++
		case c == '.' || c == '/':
			toks = append(toks, token{kind: tokDot, pos: i})
			i++
		case c == '\'':
			text, next, err := scanString(s, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tokString, text: text, pos: i})
			i = next
		case isDigit(c) || c == '-' || c == '+':
			start := i
			i++
			for i < len(s) && (isIdentPart(s[i]) || strings.IndexByte(".:+-", s[i]) >= 0) {
				i++
			}
			text := s[start:i]
			kind := tokNumber
			if _, ok := parseFilterDate(text); ok {
				kind = tokDate
			} else if !validNumber(text) {
				return nil, &FilterError{Pos: start, Msg: fmt.Sprintf("malformed number %q", clipLiteral(text))}
			}
			toks = append(toks, token{kind: kind, text: text, pos: start})
		case isIdentStart(c):
			start := i
			for i < len(s) && isIdentPart(s[i]) {
				i++
			}
			toks = append(toks, token{kind: tokIdent, text: s[start:i], pos: start})
		default:
			return nil, &FilterError{Pos: i, Msg: fmt.Sprintf("unexpected character %q", rune(c))}
		}
		if len(toks) > 8*maxFilterTerms {
			return nil, &FilterError{Pos: i, Msg: "expression too long"}
		}
	}
	return append(toks, token{kind: tokEnd, pos: len(s)}), nil
}

// scanString reads the quoted string that starts at s[start]; a doubled
// quote stands for one quote.
func scanString(s string, start int) (text string, next int, err error) {
	var b strings.Builder
	for i := start + 1; i < len(s); i++ {
		if s[i] == '\'' {
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			if b.Len() > maxLiteralBytes {
				return "", 0, &FilterError{Pos: start, Msg: fmt.Sprintf("string longer than %d bytes", maxLiteralBytes)}
			}
			return b.String(), i + 1, nil
		}
		b.WriteByte(s[i])
	}
	return "", 0, &FilterError{Pos: start, Msg: "unterminated string"}
}

// validNumber reports whether text is a JSON-like number with an optional
// leading sign: -12, 3.5, 1e6, +7.
func validNumber(text string) bool {
	if len(text) > maxNumberLiteral {
		return false
	}
	t := strings.TrimLeft(text, "+-")
	if len(text)-len(t) > 1 || t == "" || !isDigit(t[0]) {
		return false
	}
	_, err := strconv.ParseFloat(t, 64)
	return err == nil && !strings.ContainsAny(t, "xXpP_") && !strings.EqualFold(t, "inf")
}

// filterDateLayouts are the date forms a literal may take.
var filterDateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseFilterDate parses an ISO 8601 date or timestamp (a time without zone
// is UTC). Only text that starts with a four-digit year and a dash is tried.
func parseFilterDate(text string) (time.Time, bool) {
	if len(text) < 10 || len(text) > 40 || text[4] != '-' || !isDigit(text[0]) {
		return time.Time{}, false
	}
	for _, l := range filterDateLayouts {
		if t, err := time.Parse(l, text); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

type filterParser struct {
	toks  []token
	i     int
	terms int
}

func (p *filterParser) peek() token { return p.toks[p.i] }

func (p *filterParser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEnd {
		p.i++
	}
	return t
}

// keyword reports whether the next token is the identifier kw (case
// insensitive) and consumes it if so.
func (p *filterParser) keyword(kw string) bool {
	if t := p.peek(); t.kind == tokIdent && strings.EqualFold(t.text, kw) {
		p.i++
		return true
	}
	return false
}

func (p *filterParser) tooDeep(depth int) error {
	if depth > maxFilterDepth {
		return &FilterError{Pos: p.peek().pos, Msg: fmt.Sprintf("expression nested deeper than %d levels", maxFilterDepth)}
	}
	return nil
}

// parseOr: and-expr ("or" and-expr)*
func (p *filterParser) parseOr(depth int) (filterNode, error) {
	left, err := p.parseAnd(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		right, err := p.parseAnd(depth)
		if err != nil {
			return nil, err
		}
		left = &filterBinary{op: "or", left: left, right: right}
	}
	return left, nil
}

// parseAnd: unary ("and" unary)*
func (p *filterParser) parseAnd(depth int) (filterNode, error) {
	left, err := p.parseUnary(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		right, err := p.parseUnary(depth)
		if err != nil {
			return nil, err
		}
		left = &filterBinary{op: "and", left: left, right: right}
	}
	return left, nil
}

// parseUnary: "not" unary | "(" or-expr ")" | comparison. A field named
// "not" still works: "not" is an operator only when no comparison operator
// follows it.
func (p *filterParser) parseUnary(depth int) (filterNode, error) {
	if err := p.tooDeep(depth); err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind == tokIdent && strings.EqualFold(t.text, "not") && !isCompareOp(p.toks[p.i+1]) {
		p.i++
		x, err := p.parseUnary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &filterNot{x: x}, nil
	}
	if t.kind == tokLParen {
		p.i++
		x, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if r := p.next(); r.kind != tokRParen {
			return nil, &FilterError{Pos: r.pos, Msg: fmt.Sprintf("expected \")\", found %s", r.describe())}
		}
		return x, nil
	}
	return p.parseCompare()
}

var compareOps = map[string]bool{"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true}

func isCompareOp(t token) bool {
	return t.kind == tokIdent && compareOps[strings.ToLower(t.text)]
}

// parsePath: ident (("." | "/") ident)*
func (p *filterParser) parsePath() ([]string, error) {
	t := p.next()
	if t.kind != tokIdent {
		return nil, &FilterError{Pos: t.pos, Msg: fmt.Sprintf("expected a field name, found %s", t.describe())}
	}
	path := []string{t.text}
	for p.peek().kind == tokDot {
		p.i++
		s := p.next()
		if s.kind != tokIdent {
			return nil, &FilterError{Pos: s.pos, Msg: fmt.Sprintf("expected a field name after \".\", found %s", s.describe())}
		}
		path = append(path, s.text)
	}
	if len(path) > maxPathSegments {
		return nil, &FilterError{Pos: t.pos, Msg: fmt.Sprintf("field path longer than %d segments", maxPathSegments)}
	}
	for _, seg := range path {
		if len(seg) > maxSegmentBytes {
			return nil, &FilterError{Pos: t.pos, Msg: fmt.Sprintf("field name longer than %d bytes", maxSegmentBytes)}
		}
	}
	return path, nil
}

// parseCompare: path op literal
func (p *filterParser) parseCompare() (filterNode, error) {
	p.terms++
	if p.terms > maxFilterTerms {
		return nil, &FilterError{Pos: p.peek().pos, Msg: fmt.Sprintf("more than %d comparisons", maxFilterTerms)}
	}
	path, err := p.parsePath()
	if err != nil {
		return nil, err
	}
	opTok := p.next()
	if !isCompareOp(opTok) {
		return nil, &FilterError{Pos: opTok.pos, Msg: fmt.Sprintf("expected an operator (eq, ne, gt, ge, lt, le), found %s", opTok.describe())}
	}
	op := strings.ToLower(opTok.text)
	lit, err := p.parseLiteral()
	if err != nil {
		return nil, err
	}
	if op != "eq" && op != "ne" && (lit.kind == litBool || lit.kind == litNull) {
		return nil, &FilterError{Pos: opTok.pos, Msg: fmt.Sprintf("operator %s needs a string, number or date, not %s", op, lit.String())}
	}
	return &filterCompare{path: path, op: op, val: lit}, nil
}

func (p *filterParser) parseLiteral() (filterLiteral, error) {
	t := p.next()
	switch t.kind {
	case tokString:
		if d, ok := parseFilterDate(t.text); ok {
			return filterLiteral{kind: litDate, str: t.text, t: d, quote: true}, nil
		}
		return filterLiteral{kind: litString, str: t.text}, nil
	case tokDate:
		d, _ := parseFilterDate(t.text)
		return filterLiteral{kind: litDate, str: t.text, t: d}, nil
	case tokNumber:
		return numberLiteral(t)
	case tokIdent:
		switch strings.ToLower(t.text) {
		case "true", "false":
			return filterLiteral{kind: litBool, b: strings.EqualFold(t.text, "true")}, nil
		case "null":
			return filterLiteral{kind: litNull}, nil
		case "datetime", "datetimeoffset", "date":
			s := p.next()
			if s.kind != tokString || s.pos != t.pos+len(t.text) {
				return filterLiteral{}, &FilterError{Pos: s.pos, Msg: fmt.Sprintf("expected a quoted date right after %s", t.text)}
			}
			d, ok := parseFilterDate(s.text)
			if !ok {
				return filterLiteral{}, &FilterError{Pos: s.pos, Msg: fmt.Sprintf("malformed date '%s'", clipLiteral(s.text))}
			}
			return filterLiteral{kind: litDate, str: s.text, t: d, quote: true}, nil
		}
	}
	return filterLiteral{}, &FilterError{Pos: t.pos, Msg: fmt.Sprintf("expected a value (string, number, date, true, false or null), found %s", t.describe())}
}

func numberLiteral(t token) (filterLiteral, error) {
	text := strings.TrimPrefix(t.text, "+")
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		return filterLiteral{kind: litInt, i: i, raw: text}, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return filterLiteral{}, &FilterError{Pos: t.pos, Msg: fmt.Sprintf("number %q out of range", clipLiteral(t.text))}
	}
	return filterLiteral{kind: litFloat, f: f, raw: text}, nil
}

// OrderTerm is one field of a $orderby: a field path and a direction.
type OrderTerm struct {
	Path []string // e.g. ["address", "billing", "city"]
	Desc bool
}

// ParseOrderBy parses a $orderby expression: comma-separated field paths,
// each optionally followed by asc or desc (any case), e.g. "name asc,
// updated_at DESC". Errors are *FilterError.
func ParseOrderBy(s string) ([]OrderTerm, error) {
	if len(s) > MaxFilterBytes {
		return nil, &FilterError{Pos: MaxFilterBytes, Msg: fmt.Sprintf("$orderby longer than %d bytes", MaxFilterBytes)}
	}
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &filterParser{toks: toks}
	var out []OrderTerm
	for p.peek().kind != tokEnd {
		if len(out) > 0 {
			if t := p.next(); t.kind != tokComma {
				return nil, &FilterError{Pos: t.pos, Msg: fmt.Sprintf("expected \",\" or the end, found %s", t.describe())}
			}
		}
		path, err := p.parsePath()
		if err != nil {
			return nil, err
		}
		term := OrderTerm{Path: path}
		if p.keyword("desc") {
			term.Desc = true
		} else {
			p.keyword("asc")
		}
		out = append(out, term)
		if len(out) > maxOrderByTerms {
			return nil, &FilterError{Pos: p.peek().pos, Msg: fmt.Sprintf("more than %d $orderby fields", maxOrderByTerms)}
		}
	}
	return out, nil
}

// jsonPath turns a field path into an SQLite JSON path. Segments are
// identifiers ([A-Za-z_][A-Za-z0-9_]*), so no quoting is needed; the path
// is still passed as a bound parameter.
func jsonPath(path []string) string { return "$." + strings.Join(path, ".") }

// sqlDate is the form SQLite's datetime() gives: UTC, second precision.
const sqlDate = "2006-01-02 15:04:05"

// sql appends the SQL of the comparison over the column doc. Every
// comparison is wrapped in IFNULL(…, 0) so that a missing field is false
// rather than NULL and not/and/or stay two-valued.
func (n *filterCompare) sql(b *strings.Builder, args *[]any) {
	path := jsonPath(n.path)
	negate := n.op == "ne"
	var cond string
	switch n.val.kind {
	case litBool:
		cond = "json_type(doc, ?) = ?"
		*args = append(*args, path, strconv.FormatBool(n.val.b))
	case litNull:
		cond = "IFNULL(json_type(doc, ?), 'null') = 'null'"
		*args = append(*args, path)
	case litString:
		cond = "json_type(doc, ?) = 'text' AND json_extract(doc, ?) " + sqlOp(n.op) + " ?"
		*args = append(*args, path, path, n.val.str)
	case litInt, litFloat:
		cond = "json_type(doc, ?) IN ('integer', 'real') AND json_extract(doc, ?) " + sqlOp(n.op) + " ?"
		var v any = n.val.i
		if n.val.kind == litFloat {
			v = n.val.f
		}
		*args = append(*args, path, path, v)
	case litDate:
		norm := n.val.t.Format(sqlDate)
		if n.op == "eq" || n.op == "ne" {
			cond = "json_type(doc, ?) = 'text' AND (json_extract(doc, ?) = ? OR datetime(json_extract(doc, ?)) = ?)"
			*args = append(*args, path, path, n.val.str, path, norm)
		} else {
			cond = "json_type(doc, ?) = 'text' AND datetime(json_extract(doc, ?)) " + sqlOp(n.op) + " ?"
			*args = append(*args, path, path, norm)
		}
	}
	if negate {
		b.WriteString("NOT ")
	}
	b.WriteString("IFNULL((")
	b.WriteString(cond)
	b.WriteString("), 0)")
}

// sqlOp maps a comparison to its SQL operator; ne is eq negated.
func sqlOp(op string) string {
	switch op {
	case "gt":
		return ">"
	case "ge":
		return ">="
	case "lt":
		return "<"
	case "le":
		return "<="
	}
	return "="
}

func (n *filterBinary) sql(b *strings.Builder, args *[]any) {
	b.WriteByte('(')
	n.left.sql(b, args)
	b.WriteString(map[string]string{"and": " AND ", "or": " OR "}[n.op])
	n.right.sql(b, args)
	b.WriteByte(')')
}

func (n *filterNot) sql(b *strings.Builder, args *[]any) {
	b.WriteString("NOT (")
	n.x.sql(b, args)
	b.WriteByte(')')
}

// SQL returns the filter as an SQL condition over a JSON column named doc,
// with its bound parameters. A nil filter gives "1".
func (f *Filter) SQL() (string, []any) {
	if f == nil {
		return "1", nil
	}
	var b strings.Builder
	var args []any
	f.root.sql(&b, &args)
	return b.String(), args
}
