package saml

import (
	"fmt"

	"github.com/maestrano-go/maestrano/internal/clip"
)

// Reason classifies why a SAML message was refused.
type Reason string

// The reasons a [*ValidationError] can carry.
const (
	ReasonTooLarge     Reason = "too large"
	ReasonMalformed    Reason = "malformed"
	ReasonStatus       Reason = "status not success"
	ReasonStructure    Reason = "unexpected structure"
	ReasonSignature    Reason = "signature invalid"
	ReasonIssuer       Reason = "wrong issuer"
	ReasonNotYetValid  Reason = "not yet valid"
	ReasonExpired      Reason = "expired"
	ReasonAudience     Reason = "wrong audience"
	ReasonDestination  Reason = "wrong destination"
	ReasonRecipient    Reason = "wrong recipient"
	ReasonInResponseTo Reason = "unexpected InResponseTo"
	ReasonReplay       Reason = "replayed"
	ReasonSubject      Reason = "subject missing"
)

// ValidationError says why a SAML response (or request) was refused. Detail
// is written for the developer; it never quotes secrets or whole documents.
type ValidationError struct {
	// Reason classifies the refusal; switch on it.
	Reason Reason
	// Detail says what exactly was wrong, for the developer.
	Detail string
	// Err is the underlying error, if any (for example from the XML-DSig library).
	Err error
}

// Error returns "saml: response refused: <reason>: <detail>".
func (e *ValidationError) Error() string {
	if e.Detail == "" {
		return "saml: response refused: " + string(e.Reason)
	}
	return fmt.Sprintf("saml: response refused: %s: %s", e.Reason, e.Detail)
}

// PublicMessage returns a message for the end user whose login failed. It
// says only what the user can do, never what was wrong with the response:
// show it, and log Error() for the developer.
func (e *ValidationError) PublicMessage() string {
	switch e.Reason {
	case ReasonExpired, ReasonNotYetValid:
		return "The login took too long or a clock is off. Please log in again."
	case ReasonReplay, ReasonInResponseTo:
		return "This login link was already used or belongs to another session. Please log in again."
	default:
		return "The login could not be verified. Please try again, or contact the app's support if it keeps failing."
	}
}

// Unwrap returns the underlying error.
func (e *ValidationError) Unwrap() error { return e.Err }

// maxDetail bounds a Detail: parts of it can come from the document, and
// apps show errors to people.
const maxDetail = 400

func refuse(r Reason, format string, args ...any) *ValidationError {
	return &ValidationError{Reason: r, Detail: clip.String(fmt.Sprintf(format, args...), maxDetail)}
}
