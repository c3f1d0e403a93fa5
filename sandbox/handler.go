package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
)

// Input bounds.
const (
	maxQueryBytes = 320 << 10 // whole raw query: room for a 64 KiB SAMLRequest, percent-encoded
	maxBodyBytes  = 64 << 10  // no handler needs a body; forms are tiny
)

// ErrorResponse is the JSON body of every JSON error answer.
type ErrorResponse struct {
	// Error ("error") is a one-line public reason; clients treat the
	// presence of this key as failure.
	Error string `json:"error"`
}

// handlerFunc is an HTTP handler that reports failure by returning an error;
// [Sandbox.jsonHandler] and [Sandbox.pageHandler] adapt it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// httpError is an error with the status and the one-line public reason to
// answer with. cause, if any, is logged and never sent.
type httpError struct {
	status int
	msg    string
	title  string // when set, render an HTML page with this title instead of text
	header http.Header
	cause  error
}

// Error returns the public reason followed by the cause, if any.
func (e *httpError) Error() string {
	if e.cause != nil {
		return e.msg + ": " + e.cause.Error()
	}
	return e.msg
}

// Unwrap returns the cause, or nil.
func (e *httpError) Unwrap() error { return e.cause }

func errStatus(status int, msg string) error { return &httpError{status: status, msg: msg} }

func badRequest(msg string) error { return errStatus(http.StatusBadRequest, msg) }

func notFound(msg string) error { return errStatus(http.StatusNotFound, msg) }

// parseQuery parses the request's query string. r.URL.Query silently drops
// what it cannot parse, so a malformed query ("SAMLRequest=%%%%", a stray
// ";") would otherwise look like missing parameters; it is refused here with
// a 400 that says what is wrong.
func parseQuery(r *http.Request) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("malformed query string: " + clipN(err.Error(), maxEchoedURL))
	}
	return q, nil
}

// errPage is an error answered with an HTML page.
func errPage(status int, title, msg string) error {
	return &httpError{status: status, title: title, msg: msg}
}

// jsonHandler adapts h, answering errors as {"error": reason}.
func (s *Sandbox) jsonHandler(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			he := s.classify(r, err)
			copyHeader(w.Header(), he.header)
			writeJSON(w, he.status, ErrorResponse{Error: he.msg})
		}
	})
}

// pageHandler adapts h, answering errors as plain text, or as an HTML page
// when the error carries a title.
func (s *Sandbox) pageHandler(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			he := s.classify(r, err)
			copyHeader(w.Header(), he.header)
			if he.title == "" {
				writeText(w, he.status, he.msg)
				return
			}
			s.renderPage(w, he.status, "error.html", errorPageData{Title: he.title, Message: he.msg})
		}
	})
}

// classify turns err into an *httpError, logging it. Unknown errors become a
// 500 with a fixed public message.
func (s *Sandbox) classify(r *http.Request, err error) *httpError {
	var he *httpError
	if errors.As(err, &he) {
		s.log.DebugContext(r.Context(), "sandbox: request refused",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", he.status), slog.String("reason", he.msg))
		return he
	}
	s.log.ErrorContext(r.Context(), "sandbox: request failed",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
	return &httpError{status: http.StatusInternalServerError, msg: "internal error", title: "Internal error"}
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = v
	}
}

// decodedAll reports whether dec, after decoding one value, has nothing
// left but white space. (dec.More is no such test: it is false before a
// stray ']' or '}'.)
func decodedAll(dec *json.Decoder) bool {
	_, err := dec.Token()
	return err == io.EOF
}

// writeJSON writes v as a JSON body with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeText writes a one-line plain-text answer.
func writeText(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(msg + "\n"))
}
