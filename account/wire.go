package account

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/maestrano-go/maestrano/internal/clip"
)

// envelope is the body of every account API answer (platform-wire §4.1).
type envelope struct {
	Success *bool           `json:"success"`
	Errors  json.RawMessage `json:"errors"`
	Data    json.RawMessage `json:"data"`
	// Error is not sent by the platform, but the PHP SDK expects it; an
	// answer that has it is read as failed.
	Error json.RawMessage `json:"error"`
}

// parseEnvelope reads body as the envelope; ok is false when it is not a
// JSON object.
func parseEnvelope(body []byte) (env envelope, ok bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return env, false
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return env, false
	}
	return env, true
}

// fieldErrors decodes the "errors" member: normally field → [messages],
// tolerating a single string per field, a list or a bare string (kept
// under "base"). Only when "errors" says nothing is the PHP-style "error"
// member read ({"message", "param"} → param: [message]; the sandbox sends
// both). The result is bounded (maxErrorFields etc.) and never nil.
func (env envelope) fieldErrors() map[string][]string {
	out := map[string][]string{}
	add := func(field string, raw json.RawMessage) {
		if len(out) >= maxErrorFields {
			return
		}
		field = clip.String(field, 64)
		msgs := messages(raw)
		if len(msgs) == 0 {
			return
		}
		out[field] = append(out[field], msgs...)
		if len(out[field]) > maxFieldMessages {
			out[field] = out[field][:maxFieldMessages]
		}
	}
	if raw := bytes.TrimSpace(env.Errors); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		var obj map[string]json.RawMessage
		if raw[0] == '{' && json.Unmarshal(raw, &obj) == nil {
			for k, v := range obj {
				add(k, v)
			}
		} else {
			add("base", raw)
		}
	}
	if len(out) > 0 {
		return out
	}
	raw := bytes.TrimSpace(env.Error)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return out
	}
	var e struct {
		Message string `json:"message"`
		Param   string `json:"param"`
	}
	if raw[0] == '{' && json.Unmarshal(raw, &e) == nil && e.Message != "" {
		field := e.Param
		if field == "" {
			field = "error"
		}
		msg, _ := json.Marshal(strings.TrimPrefix(e.Message, e.Param+" "))
		add(field, msg)
		return out
	}
	add("error", raw)
	return out
}

// messages turns one error value into strings: a string, a list of
// strings, or anything else as its JSON text.
func messages(raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return nil
		}
		return []string{clip.String(s, maxMessageBytes)}
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		var out []string
		for _, item := range list {
			out = append(out, messages(item)...)
			if len(out) >= maxFieldMessages {
				break
			}
		}
		return out
	}
	t := strings.TrimSpace(string(raw))
	if t == "" || t == "null" || t == "{}" {
		return nil
	}
	return []string{clip.String(t, maxMessageBytes)}
}

// The scalar types below decode what the platform's Rails servers emit and
// what the SDKs were seen to accept: numbers as JSON numbers or numeric
// strings (Rails renders decimals as strings), booleans as true/false or
// "true"/"false", null as the zero value.

type wireTime time.Time

// timeLayouts are tried in order: RFC 3339 covers both platform formats
// (2014-05-21T00:37:34Z and 2016-08-01T15:30:20.000Z); the others are what
// a Rails server renders for zone-less or date-only columns.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05.999999999 MST",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// parseTime reads a platform timestamp; a time without zone is UTC.
func parseTime(s string) (time.Time, error) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("account: %q is not a timestamp", clip.String(s, 64))
}

func (t *wireTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = wireTime{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("account: timestamp is not a string")
	}
	if s == "" {
		*t = wireTime{}
		return nil
	}
	v, err := parseTime(s)
	if err != nil {
		return err
	}
	*t = wireTime(v)
	return nil
}

type wireInt int64

func (n *wireInt) UnmarshalJSON(b []byte) error {
	s, null := scalar(b)
	if null {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// "12.0" is an integer too.
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int64(f)) {
			return fmt.Errorf("account: %q is not an integer", clip.String(s, 32))
		}
		v = int64(f)
	}
	*n = wireInt(v)
	return nil
}

// wireOptInt is an integer that may be null (unlimited cycles).
type wireOptInt struct{ p *int }

func (n *wireOptInt) UnmarshalJSON(b []byte) error {
	if _, null := scalar(b); null {
		n.p = nil
		return nil
	}
	var v wireInt
	if err := v.UnmarshalJSON(b); err != nil {
		return err
	}
	i := int(v)
	n.p = &i
	return nil
}

type wireFloat float64

func (f *wireFloat) UnmarshalJSON(b []byte) error {
	s, null := scalar(b)
	if null {
		*f = 0
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("account: %q is not a number", clip.String(s, 32))
	}
	*f = wireFloat(v)
	return nil
}

type wireBool bool

func (v *wireBool) UnmarshalJSON(b []byte) error {
	s, null := scalar(b)
	if null {
		*v = false
		return nil
	}
	switch strings.ToLower(s) {
	case "true", "1", "t":
		*v = true
	case "false", "0", "f":
		*v = false
	default:
		return fmt.Errorf("account: %q is not a boolean", clip.String(s, 32))
	}
	return nil
}

// scalar returns a JSON scalar's text (a string unquoted); null (or "")
// reports null.
func scalar(b []byte) (s string, null bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return "", true
	}
	if b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return string(b), false
		}
		s = strings.TrimSpace(s)
		return s, s == ""
	}
	return string(b), false
}
