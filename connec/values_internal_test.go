package connec

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzEachMember checks the member scanner against encoding/json on every
// valid JSON object: the same names, the same raw values (last one wins).
func FuzzEachMember(f *testing.F) {
	for _, s := range []string{`{}`, `null`, `{"a":1}`, `{"a" : [1,{"b":"}"}] , "c":"x\"y","d":null}`,
		`{"\u0061":true,"a":false}`, "{\n\"k\":\t{\"n\":[[],{}]}\r}", `{"a":"\\","b":-1.5e3}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want map[string]json.RawMessage
		if err := json.Unmarshal(b, &want); err != nil {
			return
		}
		got := map[string]json.RawMessage{}
		if err := eachMember(b, func(k string, v []byte) error { got[k] = bytes.Clone(v); return nil }); err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = map[string]json.RawMessage{}
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d members, want %d", b, len(got), len(want))
		}
		for k, v := range want {
			if !bytes.Equal(bytes.TrimSpace(got[k]), bytes.TrimSpace(v)) {
				t.Fatalf("%s: member %q = %s, want %s", b, k, got[k], v)
			}
		}
	})
}
