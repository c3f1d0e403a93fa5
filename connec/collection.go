package connec

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/maestrano-go/maestrano/internal/transport"
)

// Raw is a record of a collection this package has no type for.
type Raw = json.RawMessage

// Collection is one Connec! collection of the client's group, with records
// decoded as T (a typed record such as [Invoice], or [Raw]). Get one with
// [Of] or the client's shortcuts ([Client.Invoices], ...). It is a small
// value; copy it freely.
type Collection[T any] struct {
	c    *Client
	name string
	err  error
}

// Of returns collection name of c with records decoded as T. An invalid
// name makes every call fail with the same error.
func Of[T any](c *Client, name string) Collection[T] {
	return Collection[T]{c: c, name: name, err: checkCollection(name)}
}

// Collection returns any collection with raw JSON records.
func (c *Client) Collection(name string) Collection[Raw] { return Of[Raw](c, name) }

// Organizations returns the "organizations" collection.
func (c *Client) Organizations() Collection[Organization] {
	return Of[Organization](c, CollectionOrganizations)
}

// People returns the "people" collection.
func (c *Client) People() Collection[Person] { return Of[Person](c, CollectionPeople) }

// Items returns the "items" collection.
func (c *Client) Items() Collection[Item] { return Of[Item](c, CollectionItems) }

// Invoices returns the "invoices" collection.
func (c *Client) Invoices() Collection[Invoice] { return Of[Invoice](c, CollectionInvoices) }

// Payments returns the "payments" collection.
func (c *Client) Payments() Collection[Payment] { return Of[Payment](c, CollectionPayments) }

// Accounts returns the "accounts" collection.
func (c *Client) Accounts() Collection[Account] { return Of[Account](c, CollectionAccounts) }

// TaxCodes returns the "tax_codes" collection.
func (c *Client) TaxCodes() Collection[TaxCode] { return Of[TaxCode](c, CollectionTaxCodes) }

// Name returns the collection name.
func (col Collection[T]) Name() string { return col.name }

// Pagination is the "pagination" member of a list answer.
type Pagination struct {
	Skip  int `json:"skip"`
	Top   int `json:"top"`
	Total int `json:"total"`
	// Next is the absolute URL of the next page; "" on the last page.
	Next string `json:"next,omitempty"`
}

// Page is one page of a list.
type Page[T any] struct {
	Items      []T
	Pagination Pagination
}

// Get returns the record with the given id (its Connec! id, or in
// external-ids mode any id the API resolves).
func (col Collection[T]) Get(ctx context.Context, id string) (T, error) {
	var zero T
	if err := col.check(id, true); err != nil {
		return zero, err
	}
	resp, err := col.c.call(ctx, transport.Request{Method: http.MethodGet, Path: col.c.path(col.name, id)})
	if err != nil {
		return zero, err
	}
	return decodeOne[T](resp, col.name)
}

// List returns one page: the records matching q (a zero Query lists from
// the start with the server's page size).
//
// A record that does not decode as T (a stored record with a known field
// of the wrong type, say) does not cost the others: List then returns the
// page of the records that decoded together with a [*RecordsError] that
// lists the others, each a [*DecodeError] holding the record's JSON. Any
// other error comes with a nil page.
func (col Collection[T]) List(ctx context.Context, q Query) (*Page[T], error) {
	if err := col.check("", false); err != nil {
		return nil, err
	}
	vals, err := q.Values()
	if err != nil {
		return nil, err
	}
	p, bad, err := col.page(ctx, col.c.path(col.name), vals)
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return p, &RecordsError{URL: bad[0].URL, Collection: col.name, Decoded: len(p.Items), Records: bad}
	}
	return p, nil
}

// page reads one page: the records that decoded, and those that did not.
func (col Collection[T]) page(ctx context.Context, path string, vals url.Values) (*Page[T], []*DecodeError, error) {
	resp, err := col.c.call(ctx, transport.Request{Method: http.MethodGet, Path: path, Query: vals})
	if err != nil {
		return nil, nil, err
	}
	p, bad, err := decodePage[T](resp, col.name)
	if err != nil {
		return nil, nil, err
	}
	if col.c.pageLoaded != nil {
		col.c.pageLoaded(p.Items)
	}
	return p, bad, nil
}

// All returns every record matching q, one page in memory at a time: it
// follows pagination.next until the last page. Breaking out of the loop
// stops it. The next URL must stay on connec.host (the credentials go with
// it).
//
// A record that does not decode as T is yielded in its place as a zero T
// with a [*DecodeError] that names it (collection, index, id, field) and
// holds its JSON; the iteration then goes on with the next record, unless
// the loop breaks. Any other error (the call, a page that is not a list
// answer, a pagination.next that is refused) ends the iteration: it is
// yielded once, as the last pair. A loop that must stop at the first
// error of any kind breaks on err != nil; one that skips bad records
// continues when errors.As finds a *DecodeError with a Record.
func (col Collection[T]) All(ctx context.Context, q Query) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if err := col.check("", false); err != nil {
			yield(zero, err)
			return
		}
		vals, err := q.Values()
		if err != nil {
			yield(zero, err)
			return
		}
		path := col.c.path(col.name)
		var loop pageLoop
		loop.seen(path, vals)
		for {
			p, bad, err := col.page(ctx, path, vals)
			if err != nil {
				yield(zero, err)
				return
			}
			next := p.Pagination.Next
			items := p.Items
			records := len(items) + len(bad)
			p = nil
			for at, i := 0, 0; at < records; at++ {
				if len(bad) > 0 && bad[0].at == at {
					e := bad[0]
					bad[0], bad = nil, bad[1:]
					if !yield(zero, e) {
						return
					}
					continue
				}
				v := items[i]
				items[i] = zero // let the page go as it is consumed
				i++
				if !yield(v, nil) {
					return
				}
			}
			if next == "" || records == 0 {
				return
			}
			items, bad = nil, nil
			nextPath, err := col.c.relative(next)
			if err != nil {
				yield(zero, err)
				return
			}
			if err := loop.advance(path, vals, nextPath); err != nil {
				yield(zero, &DecodeError{URL: next, Err: err})
				return
			}
			path, vals = nextPath, nil
		}
	}
}

// pageLoop catches a pagination.next that would keep All running forever:
// a next whose $skip does not move forward, or one that leads back to a page
// already read (a cycle). It remembers one 32-byte hash per page read.
type pageLoop struct {
	pages map[[sha256.Size]byte]struct{}
}

// seen records the page at path (with vals, or with the query in path) and
// reports whether it was read before.
func (l *pageLoop) seen(path string, vals url.Values) bool {
	p, q, _ := strings.Cut(path, "?")
	all, err := url.ParseQuery(q)
	if err != nil {
		all = url.Values{"": {q}}
	}
	for k, vs := range vals {
		all[k] = append(all[k], vs...)
	}
	key := sha256.Sum256([]byte(p + "?" + all.Encode()))
	if l.pages == nil {
		l.pages = map[[sha256.Size]byte]struct{}{}
	}
	if _, ok := l.pages[key]; ok {
		return true
	}
	l.pages[key] = struct{}{}
	return false
}

// advance checks the move from the page just read (path, vals) to next.
func (l *pageLoop) advance(path string, vals url.Values, next string) error {
	if cur, ok := skipOf(path, vals); ok {
		if n, ok := skipOf(next, nil); ok && n <= cur {
			return fmt.Errorf("pagination.next does not move forward ($skip %d after %d)", n, cur)
		}
	}
	if l.seen(next, nil) {
		return errors.New("pagination.next leads back to a page already read")
	}
	return nil
}

// skipOf returns the $skip of a page (0 when absent), and false when it is
// not a number.
func skipOf(path string, vals url.Values) (int, bool) {
	v := vals.Get("$skip")
	if _, q, ok := strings.Cut(path, "?"); ok && v == "" {
		qv, err := url.ParseQuery(q)
		if err != nil {
			return 0, false
		}
		v = qv.Get("$skip")
	}
	if v == "" {
		return 0, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 0
}

// relative turns pagination.next into a path (with query) on connec.host,
// refusing another origin.
func (c *Client) relative(next string) (string, error) {
	u, err := url.Parse(next)
	if err != nil {
		return "", &DecodeError{URL: "pagination.next", Err: err}
	}
	base, err := c.t.URL("", nil)
	if err != nil {
		return "", err
	}
	if u.IsAbs() || u.Host != "" {
		if !strings.EqualFold(u.Scheme, base.Scheme) || !strings.EqualFold(u.Host, base.Host) {
			return "", &DecodeError{URL: "pagination.next", Err: fmt.Errorf("next page is on another origin (%s://%s), not following it", u.Scheme, u.Host)}
		}
	}
	p := u.EscapedPath()
	if !strings.HasPrefix(p, base.EscapedPath()) {
		return "", &DecodeError{URL: "pagination.next", Err: fmt.Errorf("next page path %q is outside %s", p, base.EscapedPath())}
	}
	rel := strings.TrimPrefix(p, base.EscapedPath())
	if u.RawQuery != "" {
		rel += "?" + u.RawQuery
	}
	return rel, nil
}

// Create creates a record and returns it as stored (with its id).
func (col Collection[T]) Create(ctx context.Context, v T) (T, error) {
	var zero T
	if err := col.check("", false); err != nil {
		return zero, err
	}
	body, err := envelope(col.name, v)
	if err != nil {
		return zero, err
	}
	resp, err := col.c.call(ctx, transport.Request{Method: http.MethodPost, Path: col.c.path(col.name), Body: body})
	if err != nil {
		return zero, err
	}
	return decodeOne[T](resp, col.name)
}

// Update writes v over the record id and returns the record as stored. The
// API merges: members absent from v are left as they are.
func (col Collection[T]) Update(ctx context.Context, id string, v T) (T, error) {
	var zero T
	if err := col.check(id, true); err != nil {
		return zero, err
	}
	body, err := envelope(col.name, v)
	if err != nil {
		return zero, err
	}
	resp, err := col.c.call(ctx, transport.Request{Method: http.MethodPut, Path: col.c.path(col.name, id), Body: body})
	if err != nil {
		return zero, err
	}
	return decodeOne[T](resp, col.name)
}

// Delete deletes the record id. (Connec! itself rarely allows it; the
// answer is then an [*APIError].)
func (col Collection[T]) Delete(ctx context.Context, id string) error {
	if err := col.check(id, true); err != nil {
		return err
	}
	_, err := col.c.call(ctx, transport.Request{Method: http.MethodDelete, Path: col.c.path(col.name, id)})
	return err
}

func (col Collection[T]) check(id string, needID bool) error {
	if col.c == nil {
		return errors.New("connec: collection has no client")
	}
	if col.err != nil {
		return col.err
	}
	if needID {
		return checkSegment("record id", id)
	}
	return nil
}

// Company returns the group's company record.
func (c *Client) Company(ctx context.Context) (Company, error) {
	resp, err := c.call(ctx, transport.Request{Method: http.MethodGet, Path: c.path(CollectionCompany)})
	if err != nil {
		return Company{}, err
	}
	return decodeOne[Company](resp, CollectionCompany)
}

// UpdateCompany merges v into the group's company record.
func (c *Client) UpdateCompany(ctx context.Context, v Company) (Company, error) {
	body, err := envelope(CollectionCompany, v)
	if err != nil {
		return Company{}, err
	}
	resp, err := c.call(ctx, transport.Request{Method: http.MethodPut, Path: c.path(CollectionCompany), Body: body})
	if err != nil {
		return Company{}, err
	}
	return decodeOne[Company](resp, CollectionCompany)
}

// envelope encodes {"<name>": v}.
func envelope(name string, v any) ([]byte, error) {
	b, err := json.Marshal(map[string]any{name: v})
	if err != nil {
		return nil, fmt.Errorf("connec: encoding the %s record: %w", name, err)
	}
	return b, nil
}

// decodeOne reads {"<name>": {...}}.
func decodeOne[T any](resp *transport.Response, name string) (T, error) {
	var zero T
	raw, err := member(resp.Body, name)
	if err != nil {
		return zero, &DecodeError{URL: resp.URL, Err: err}
	}
	if raw[0] != '{' {
		return zero, &DecodeError{URL: resp.URL, Err: fmt.Errorf("%q is not an object", name)}
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return zero, recordError(resp.URL, name, 0, raw, err)
	}
	return v, nil
}

// recordError describes record at (of a page's array, or 0) that did not
// decode, keeping a copy of its JSON raw.
func recordError(url, name string, at int, raw []byte, err error) *DecodeError {
	raw = bytes.TrimSpace(raw)
	raw = bytes.TrimSpace(bytes.TrimPrefix(raw, []byte(","))) // a Decoder's offset is before the comma
	e := &DecodeError{URL: url, Collection: name, Index: at, at: at, Record: bytes.Clone(raw), Err: err}
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		e.Field = jsonPath(te.Field)
	}
	// raw is one valid JSON value (the decoder read it whole).
	_ = eachMember(raw, func(k string, v []byte) error {
		if k == "id" {
			var id ID
			if json.Unmarshal(v, &id) != nil {
				id = ID{}
			}
			e.ID = id.Connec()
		}
		return nil
	})
	return e
}

// jsonPath drops the names of embedded Go structs (Entity) from the field
// path encoding/json reports, leaving the JSON member names.
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	return strings.Join(slices.DeleteFunc(parts, func(p string) bool { return p == "Entity" }), ".")
}

// isRecordFault reports whether err, from a Decoder's Decode, is about the
// value alone (it did not fit the Go type) rather than the stream (which
// is then not JSON, or cut short, and cannot be read on).
func isRecordFault(err error) bool {
	var se *json.SyntaxError
	return !errors.As(err, &se) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF)
}

// decodePage reads {"<name>": [...], "pagination": {...}}: the records
// that decode as T, and a [*DecodeError] for each that does not. It streams the
// members with one json.Decoder over the body, so that the records are
// scanned once and decoded in place; decoding the body into a map of raw
// members first scanned and copied the whole page twice more, and made
// reading typed records 1.5-2x slower than a plain encoding/json loop
// (bench module, BenchmarkConnecBulkReadPaired). As with json.Unmarshal,
// the body must be one JSON object and nothing else, and a repeated member
// counts once, the last one. Records are decoded one by one, so that one
// that does not fit T is skipped and the next one read.
func decodePage[T any](resp *transport.Response, name string) (*Page[T], []*DecodeError, error) {
	fail := func(err error) (*Page[T], []*DecodeError, error) {
		return nil, nil, &DecodeError{URL: resp.URL, Err: err}
	}
	dec := json.NewDecoder(bytes.NewReader(resp.Body))
	if tok, err := dec.Token(); err != nil {
		return fail(err)
	} else if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fail(errors.New("the answer is not a JSON object"))
	}
	p := &Page[T]{}
	var bad []*DecodeError
	found := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		switch key, _ := tok.(string); key {
		case name:
			found = true
			if p.Items, bad, err = decodeItems[T](dec, resp, name); err != nil {
				return fail(fmt.Errorf("%s: %w", name, err))
			}
		case "pagination":
			p.Pagination = Pagination{}
			if err := dec.Decode(&p.Pagination); err != nil {
				return fail(fmt.Errorf("pagination: %w", err))
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return fail(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail(errors.New("data after the JSON object"))
	}
	if !found {
		return fail(fmt.Errorf("no %q member", name))
	}
	for _, e := range bad {
		e.Index = p.Pagination.Skip + e.at
	}
	return p, bad, nil
}

// decodeItems reads the records array (or null) at the decoder's position.
func decodeItems[T any](dec *json.Decoder, resp *transport.Response, name string) ([]T, []*DecodeError, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, err
	}
	if tok == nil {
		return nil, nil, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, nil, errors.New("not an array of records")
	}
	items := []T{}
	var bad []*DecodeError
	for at := 0; dec.More(); at++ {
		start := dec.InputOffset()
		var v T
		if err := dec.Decode(&v); err != nil {
			if !isRecordFault(err) {
				return nil, nil, err
			}
			bad = append(bad, recordError(resp.URL, name, at, resp.Body[start:dec.InputOffset()], err))
			continue
		}
		items = append(items, v)
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return nil, nil, err
	}
	return items, bad, nil
}

// member returns the raw value of the top-level member name of a JSON object.
func member(body []byte, name string) (json.RawMessage, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	raw, ok := doc[name]
	raw = bytes.TrimSpace(raw)
	if !ok || len(raw) == 0 {
		return nil, fmt.Errorf("no %q member", name)
	}
	return raw, nil
}
