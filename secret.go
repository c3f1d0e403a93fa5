package maestrano

import "log/slog"

// Secret is a string that is never printed: fmt, log/slog and error messages
// show "[redacted]" instead of its value. JSON encoding keeps the value, so a
// configuration can be written back; call [Secret.Reveal] to use it.
type Secret string

const redacted = "[redacted]"

// String returns "[redacted]" (or "" for an empty secret).
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns the same as String, so %#v does not leak either.
func (s Secret) GoString() string { return s.String() }

// LogValue keeps the secret out of structured logs.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }
