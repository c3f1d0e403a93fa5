package account

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Kind classifies an [*APIError]. Each kind but KindOther has a sentinel
// error that errors.Is matches: errors.Is(err, ErrNotFound) is true for an
// *APIError of KindNotFound.
type Kind int

// The kinds of API error.
const (
	// KindOther is any error answer the other kinds do not describe
	// (an unexpected status, a 4xx without field errors).
	KindOther Kind = iota
	// KindAuthentication: the platform refused the app's api.id/api.key
	// (401, 403, or an "authentication" field error).
	KindAuthentication
	// KindNotFound: no such object for this app ({"id":["does not exist"]},
	// sent with HTTP 200 on GET and 400 on DELETE, or a 404).
	KindNotFound
	// KindValidation: the request was refused with field errors (400, 422,
	// success:false on 200), or the SDK refused it before sending
	// (StatusCode 0).
	KindValidation
	// KindRateLimited: HTTP 429 after the retries were used up.
	KindRateLimited
	// KindServer: HTTP 5xx after the retries were used up (or at once for a
	// create, whose outcome is then unknown).
	KindServer
	// KindMalformedResponse: the answer is not the {success, errors, data}
	// envelope, or its data has the wrong shape.
	KindMalformedResponse
	// KindInvalidPassword: [UsersService.Authenticate] was answered
	// "invalid password or non existing user".
	KindInvalidPassword
)

var kindNames = map[Kind]string{
	KindOther:             "error",
	KindAuthentication:    "authentication failed",
	KindNotFound:          "not found",
	KindValidation:        "invalid request",
	KindRateLimited:       "rate limited",
	KindServer:            "server error",
	KindMalformedResponse: "malformed answer",
	KindInvalidPassword:   "invalid password or non existing user",
}

// String names the kind.
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Sentinels matched by errors.Is against an [*APIError] of the same kind.
// They carry no detail; use errors.As to get the *APIError.
var (
	ErrAuthentication    = &kindError{KindAuthentication}
	ErrNotFound          = &kindError{KindNotFound}
	ErrValidation        = &kindError{KindValidation}
	ErrRateLimited       = &kindError{KindRateLimited}
	ErrServer            = &kindError{KindServer}
	ErrMalformedResponse = &kindError{KindMalformedResponse}
	ErrInvalidPassword   = &kindError{KindInvalidPassword}
)

// ErrResponseTooLarge is returned (wrapped) when an answer is larger than
// the client's bound (see [WithMaxResponseBytes]).
var ErrResponseTooLarge = errors.New("account: answer too large")

type kindError struct{ kind Kind }

func (e *kindError) Error() string { return "account: " + e.kind.String() }

// APIError is an error answer of the account API, or a request the SDK
// refused to send. Connection failures are not APIErrors: they are
// *maestrano.ConnectionError.
type APIError struct {
	// Op is the call, e.g. "GET /api/v1/account/bills/bill-1".
	Op string
	// StatusCode is the HTTP status; 0 when the SDK refused the request
	// before sending it.
	StatusCode int
	// Kind classifies the error.
	Kind Kind
	// Errors are the field errors of the envelope, field → messages, e.g.
	// {"price_cents": ["can't be blank"]}. Never nil.
	Errors map[string][]string
	// RetryAfter is the wait the server asked for on a 429 (0 if none).
	RetryAfter time.Duration
}

// Error names the call, the kind and the field errors.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("account: ")
	if e.Op != "" {
		b.WriteString(e.Op + ": ")
	}
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "HTTP %d: ", e.StatusCode)
	}
	b.WriteString(e.Kind.String())
	if len(e.Errors) > 0 {
		b.WriteString(": ")
		for i, field := range slices.Sorted(maps.Keys(e.Errors)) {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(field + " " + strings.Join(e.Errors[field], ", "))
		}
	}
	return b.String()
}

// Is reports whether target is the sentinel of e's kind.
func (e *APIError) Is(target error) bool {
	k, ok := target.(*kindError)
	return ok && k.kind == e.Kind
}

// FieldErrors returns the messages for one field (nil if none).
func (e *APIError) FieldErrors(field string) []string { return e.Errors[field] }

// Bounds on what an error keeps of the server's field errors, so that a
// hostile or broken server cannot make error values (and logs) huge.
const (
	maxErrorFields   = 32
	maxFieldMessages = 8
	maxMessageBytes  = 512
)
