package connec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
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
	got, bad, err := decodePage[Raw](&transport.Response{Body: body, URL: "http://x/"}, "people")
	want, werr := decodePageReference(body, "people")
	if len(bad) != 0 {
		t.Fatalf("%q: raw records cannot fail to decode, got %v", body, bad)
	}
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

// checkTypedPageAgrees holds the typed decoder to the reference followed by
// json.Unmarshal of each record: the page is refused when the reference
// refuses it; otherwise the same records decode, and each that does not is
// reported at its place, with its JSON as received, its field and its id.
func checkTypedPageAgrees(t *testing.T, body []byte) {
	t.Helper()
	got, bad, err := decodePage[Person](&transport.Response{Body: body, URL: "http://x/"}, "people")
	ref, rerr := decodePageReference(body, "people")
	if (err == nil) != (rerr == nil) {
		t.Fatalf("%q: decodePage error %v, reference error %v", body, err, rerr)
	}
	if err != nil {
		return
	}
	var wantItems []Person
	var wantBad []*DecodeError
	for i, raw := range ref.Items {
		var v Person
		if err := json.Unmarshal(raw, &v); err != nil {
			wantBad = append(wantBad, recordError("http://x/", "people", i, raw, err))
			continue
		}
		wantItems = append(wantItems, v)
	}
	if got.Pagination != ref.Pagination || len(got.Items) != len(wantItems) || len(bad) != len(wantBad) {
		t.Fatalf("%q: got %d records, %d bad, %+v; reference %d, %d bad, %+v", body, len(got.Items), len(bad), got.Pagination, len(wantItems), len(wantBad), ref.Pagination)
	}
	for i := range got.Items {
		a, aerr := json.Marshal(got.Items[i])
		b, berr := json.Marshal(wantItems[i])
		if aerr != nil || berr != nil || !bytes.Equal(a, b) {
			t.Fatalf("%q: record %d is %s (%v), reference %s (%v)", body, i, a, aerr, b, berr)
		}
	}
	for i, e := range bad {
		w := wantBad[i]
		if e.at != w.at || e.Index != ref.Pagination.Skip+w.at || e.ID != w.ID || e.Field != w.Field || e.Collection != "people" ||
			!bytes.Equal(e.Record, bytes.TrimSpace(w.Record)) || e.Err == nil || e.Err.Error() != w.Err.Error() {
			t.Fatalf("%q: bad record %d is %+v, reference %+v", body, i, e, w)
		}
		if e.Error() == "" || strings.Contains(e.Error(), string(e.Record)) && len(e.Record) > 8 {
			t.Fatalf("%q: message %q is empty or carries the record", body, e.Error())
		}
	}
}

var pageSeeds = []string{
	`{"people":[{"id":"a","first_name":{"deep":[1]}},{"id":"b"}],"pagination":{"skip":40}}`,
	`{"people":[ {"id":[{"id":"p1","provider":"connec","realm":"r"}],"birth_date":5} , {"id":"c","address_work":{"billing":{"city":7}}},{"id":7}],"people":[{"is_customer":"yes"},null,1,"x",[]]}`,
	`{"people":[{"id":"a","id":"b","email":[]},{"first_name":"ok"}]}`,
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
		checkTypedPageAgrees(t, []byte(s))
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

// FuzzDecodeTypedPage holds the typed page decoder, which reads on past a
// record that does not fit its type, to the reference decoding each record
// on its own.
func FuzzDecodeTypedPage(f *testing.F) {
	for _, s := range pageSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkTypedPageAgrees(t, body) })
}
