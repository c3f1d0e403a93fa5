package connec

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/maestrano-go/maestrano/internal/retry"
	"github.com/maestrano-go/maestrano/internal/transport"

	"github.com/maestrano-go/maestrano/internal/clip"
)

// Sentinel errors an [*APIError] matches with errors.Is, by HTTP status.
var (
	ErrBadRequest   = errors.New("connec: bad request")          // 400, 422
	ErrUnauthorized = errors.New("connec: unauthorized")         // 401
	ErrForbidden    = errors.New("connec: forbidden")            // 403
	ErrNotFound     = errors.New("connec: not found")            // 404
	ErrConflict     = errors.New("connec: conflict")             // 409
	ErrRateLimited  = errors.New("connec: rate limited")         // 429
	ErrServer       = errors.New("connec: server error")         // 5xx
	ErrNoResult     = errors.New("connec: no result for the op") // batch answer shorter than the request
)

// maxMessage bounds the part of a non-JSON error body kept in an APIError.
const maxMessage = 512

// ErrorItem is one entry of Connec!'s {"errors":[...]} body.
type ErrorItem struct {
	ID     string `json:"id,omitempty"`
	Href   string `json:"href,omitempty"`
	Status string `json:"status,omitempty"`
	Code   string `json:"code,omitempty"`
	Title  string `json:"title,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// APIError is a non-2xx answer of the Connec! API (or of one batch op).
// errors.Is matches it against [ErrNotFound] and the other sentinels by
// status.
type APIError struct {
	// Method and URL name the call (the URL never carries credentials or
	// the query).
	Method string
	URL    string
	// StatusCode is the HTTP status (of the op, in a batch).
	StatusCode int
	// Errors is the decoded {"errors":[...]} body; nil when the body had
	// another shape.
	Errors []ErrorItem
	// Message is the start of a body that was not an errors document.
	Message string
	// RetryAfter is the wait a 429 asked for (0 when none).
	RetryAfter time.Duration
}

// Error summarises the call and the first error.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("connec: ")
	if e.Method != "" || e.URL != "" {
		b.WriteString(strings.TrimSpace(e.Method + " " + e.URL))
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	if len(e.Errors) > 0 {
		first := e.Errors[0]
		msg := first.Title
		if first.Detail != "" && first.Detail != first.Title {
			if msg != "" {
				msg += ": "
			}
			msg += first.Detail
		}
		if msg != "" {
			b.WriteString(": ")
			b.WriteString(msg)
		}
		if len(e.Errors) > 1 {
			fmt.Fprintf(&b, " (and %d more)", len(e.Errors)-1)
		}
	} else if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Is matches the sentinel of the status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrServer:
		return e.StatusCode >= 500 && e.StatusCode <= 599
	}
	return false
}

func newAPIError(method string, resp *transport.Response) *APIError {
	e := parseErrorBody(resp.StatusCode, resp.Body)
	e.Method, e.URL = method, resp.URL
	if resp.StatusCode == http.StatusTooManyRequests {
		e.RetryAfter, _ = retry.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return e
}

// parseErrorBody reads {"errors":[...]}, or keeps the start of any other body.
func parseErrorBody(status int, body []byte) *APIError {
	e := &APIError{StatusCode: status}
	var doc struct {
		Errors []ErrorItem `json:"errors"`
	}
	if err := json.Unmarshal(body, &doc); err == nil && len(doc.Errors) > 0 {
		e.Errors = doc.Errors
		return e
	}
	e.Message = snippet(body)
	return e
}

// snippet returns the start of body as valid, single-line UTF-8.
func snippet(body []byte) string {
	return strings.Join(strings.Fields(clip.String(strings.TrimSpace(string(body)), maxMessage)), " ")
}

// DecodeError reports a 2xx answer whose body is not what the API sends.
//
// When the body was sound but one record in it did not decode as its Go
// type (a known field of the wrong type, say), Record holds that record's
// JSON and Collection, Index, ID and Field name it; the other records of
// the answer are not affected (see [Collection.List] and [Collection.All]).
// Error never includes the record's content, which may be personal data.
type DecodeError struct {
	// URL is the URL called ("" for a record of a notification).
	URL string
	// Collection is the collection of the record at fault.
	Collection string
	// Index is the record's place in the list: the pagination.skip of its
	// page plus its place in the page's array (0 for a single record).
	Index int
	// ID is the record's Connec! id as far as it could be read ("" if not).
	ID string
	// Field is the JSON path of the member at fault, e.g. "name" or
	// "address.billing.city" ("" when the decoder did not say).
	Field string
	// Record is the record's JSON as received; nil when the error is not
	// about one record.
	Record Raw
	// Err says what did not decode.
	Err error

	at int // place in the page's array
}

// Error names the URL and the problem, and the record when one is at fault.
func (e *DecodeError) Error() string {
	if e.Record == nil {
		return fmt.Sprintf("connec: unexpected answer from %s: %v", e.URL, e.Err)
	}
	if e.URL == "" { // a notification
		return fmt.Sprintf("connec: %s: %s", e.record(), e.problem())
	}
	return fmt.Sprintf("connec: %s from %s: %s", e.record(), e.URL, e.problem())
}

// record names the record at fault.
func (e *DecodeError) record() string {
	s := fmt.Sprintf("%s record %d", e.Collection, e.Index)
	if e.ID != "" {
		s += fmt.Sprintf(" (id %q)", clip.String(e.ID, 64))
	}
	return s
}

// problem says what did not decode in the record, in JSON terms.
func (e *DecodeError) problem() string {
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(e.Err, &te) && e.Field != "":
		return fmt.Sprintf("field %q is a JSON %s, not %s", e.Field, te.Value, jsonKind(te.Type))
	case errors.As(e.Err, &te) && te.Field == "":
		return fmt.Sprintf("the record is a JSON %s, not %s", te.Value, jsonKind(te.Type))
	case e.Field != "":
		return fmt.Sprintf("field %q: %v", e.Field, e.Err)
	}
	return e.Err.Error()
}

// jsonKind names the JSON a Go type decodes from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "the expected type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case reflect.TypeFor[ID]():
		return "an id (a string or an array of {id, provider, realm})"
	case reflect.TypeFor[Time](), reflect.TypeFor[json.Number]():
		return "a string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.String()
}

// Unwrap returns the decoding error.
func (e *DecodeError) Unwrap() error { return e.Err }

// maxListed bounds the records a [RecordsError] names in its message.
const maxListed = 3

// RecordsError is what [Collection.List] returns, together with the page,
// when records of the page did not decode: the page holds the records that
// did, and Records the others, in page order, each a [*DecodeError] with
// the record's JSON. errors.As finds the first of them as a *DecodeError.
type RecordsError struct {
	// URL is the URL called.
	URL string
	// Collection is the collection listed.
	Collection string
	// Decoded is how many records of the page decoded.
	Decoded int
	// Records are the records that did not decode.
	Records []*DecodeError
}

// Error counts the records and names the first few.
func (e *RecordsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "connec: %d of %d %s records from %s do not decode", len(e.Records), len(e.Records)+e.Decoded, e.Collection, e.URL)
	for i, r := range e.Records {
		if i == maxListed {
			fmt.Fprintf(&b, "; and %d more", len(e.Records)-maxListed)
			break
		}
		fmt.Fprintf(&b, "; %s: %s", r.record(), r.problem())
	}
	return b.String()
}

// Unwrap returns the record errors.
func (e *RecordsError) Unwrap() []error {
	errs := make([]error, len(e.Records))
	for i, r := range e.Records {
		errs[i] = r
	}
	return errs
}
