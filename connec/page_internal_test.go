package connec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/maestrano-go/maestrano/internal/transport"
)

// decodePageReference is the decoder decodePage replaced: the body into a
// map of raw members, then the records. decodePage must agree with it.
func decodePageReference(body []byte, name string) (*Page[Raw], error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, err
	}
	raw, ok := doc[name]
	if !ok {
		return nil, fmt.Errorf("no %q member", name)
	}
	p := &Page[Raw]{}
	if !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		if err := json.Unmarshal(raw, &p.Items); err != nil {
			return nil, err
		}
	}
	if pg, ok := doc["pagination"]; ok {
		if err := json.Unmarshal(pg, &p.Pagination); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func checkPageAgrees(t *testing.T, body []byte) {
	t.Helper()
	got, err := decodePage[Raw](&transport.Response{Body: body, URL: "http://x/"}, "people")
	want, werr := decodePageReference(body, "people")
	if (err == nil) != (werr == nil) {
		t.Fatalf("%q: decodePage error %v, reference error %v", body, err, werr)
	}
	if err != nil {
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("%q: error %T, want *DecodeError", body, err)
		}
		return
	}
	if got.Pagination != want.Pagination || len(got.Items) != len(want.Items) {
		t.Fatalf("%q: got %+v, reference %+v", body, got, want)
	}
	for i := range got.Items {
		// Compare the values: the reference keeps the member's spacing.
		var a, b any
		_ = json.Unmarshal(got.Items[i], &a)
		_ = json.Unmarshal(want.Items[i], &b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%q: item %d is %s, reference %s", body, i, got.Items[i], want.Items[i])
		}
	}
}

var pageSeeds = []string{
	`{"people":[{"id":"a"},{"id":"b"}],"pagination":{"skip":0,"top":2,"total":5,"next":"http://x/api/v2/cld-1/people?$skip=2"}}`,
	`{"pagination":{"total":0},"people":[]}`,
	`{"people":null}`,
	`{"people":[{"id":"a"}],"people":[{"id":"b"},{"id":"c"}]}`,
	`{"other":{"deep":[1,2,{"x":null}]},"people":[1]}`,
	` {"people":[]} `,
	`{"people":[]} x`,
	`{"people":[]}{}`,
	`[{"people":[]}]`,
	`{"people":[}`,
	`{"persons":[]}`,
	`{"people":{"id":"a"}}`,
	`{"people":[],"pagination":[]}`,
	`{"people":[],"pagination":null}`,
	`"people"`,
	``,
}

func TestDecodePageAgreesWithReference(t *testing.T) {
	for _, s := range pageSeeds {
		checkPageAgrees(t, []byte(s))
	}
}

// FuzzDecodePage holds the streaming page decoder to the map-based one: the
// same refusals, the same records and pagination.
func FuzzDecodePage(f *testing.F) {
	for _, s := range pageSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkPageAgrees(t, body) })
}
