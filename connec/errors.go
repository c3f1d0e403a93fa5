package connec

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

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
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			e.RetryAfter = time.Duration(s) * time.Second
		}
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
type DecodeError struct {
	// URL is the URL called.
	URL string
	// Err says what did not decode.
	Err error
}

// Error names the URL and the problem.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("connec: unexpected answer from %s: %v", e.URL, e.Err)
}

// Unwrap returns the decoding error.
func (e *DecodeError) Unwrap() error { return e.Err }
