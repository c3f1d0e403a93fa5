package connec_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/connec"
)

func TestBatchChunksAndOrder(t *testing.T) {
	t.Parallel()
	f := newFakeConnec(t)
	f.seed("people", map[string]any{"id": "p-1", "first_name": "Ada"})
	var ops []connec.BatchOp
	for i := range 120 {
		switch {
		case i == 60:
			// Refused op in the middle: an id on create is a conflict.
			ops = append(ops, connec.BatchCreate("people", connec.Person{Entity: connec.Entity{ID: connec.PlainID("x")}}))
		case i == 70:
			ops = append(ops, connec.BatchUpdate("people", "p-1", connec.Person{LastName: "Lovelace"}))
		case i == 80:
			ops = append(ops, connec.BatchUpdate("people", "missing", connec.Person{LastName: "x"}))
		default:
			ops = append(ops, connec.BatchCreate("people", connec.Person{FirstName: fmt.Sprint(i)}))
		}
	}
	results, err := f.client(t).Batch(t.Context(), ops)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 120 || f.calls() != 3 {
		t.Fatalf("results %d calls %d; want 120 and 3", len(results), f.calls())
	}
	for i, want := range []int{50, 50, 20} {
		_, body := f.request(i)
		var req struct {
			Sequential bool                           `json:"sequential"`
			Ops        []struct{ Method, URL string } `json:"ops"`
		}
		if err := json.Unmarshal([]byte(body), &req); err != nil || !req.Sequential || len(req.Ops) != want {
			t.Fatalf("call %d: %d ops (%v)", i, len(req.Ops), err)
		}
		if r, _ := f.request(i); r.URL.Path != "/batch" || r.Method != http.MethodPost {
			t.Errorf("call %d: %s %s", i, r.Method, r.URL.Path)
		}
		if req.Ops[0].URL != "/api/v2/cld-1/people/" {
			t.Errorf("op url = %q", req.Ops[0].URL)
		}
	}
	for i, r := range results {
		switch i {
		case 60:
			if !errors.Is(r.Err, connec.ErrConflict) || r.Status != 409 {
				t.Errorf("op 60: %+v", r)
			}
		case 80:
			var apiErr *connec.APIError
			if !errors.As(r.Err, &apiErr) || apiErr.URL != "/api/v2/cld-1/people/missing" || apiErr.Method != "PUT" {
				t.Errorf("op 80: %+v", r)
			}
		case 70:
			p, err := connec.Decode[connec.Person](r, "people")
			if err != nil || p.FirstName != "Ada" || p.LastName != "Lovelace" {
				t.Errorf("op 70: %+v %v", p, err)
			}
		default:
			p, err := connec.Decode[connec.Person](r, "people")
			if err != nil || r.Status != 201 || p.FirstName != fmt.Sprint(i) || p.ID.Connec() == "" {
				t.Errorf("op %d: %+v %v", i, p, err)
			}
		}
	}
}

func TestBatchCallFailure(t *testing.T) {
	t.Parallel()
	ops := func(n int, update bool) []connec.BatchOp {
		var out []connec.BatchOp
		for i := range n {
			if update {
				out = append(out, connec.BatchUpdate("people", "p-1", connec.Person{FirstName: fmt.Sprint(i)}))
			} else {
				out = append(out, connec.BatchCreate("people", connec.Person{FirstName: fmt.Sprint(i)}))
			}
		}
		return out
	}
	// The second call answers 503: it is not repeated (creates), the third
	// is not sent, and its ops and the later ones carry the error.
	f := newFakeConnec(t)
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 2 {
			connecError(w, 503, "Service Unavailable")
			return true
		}
		return false
	}
	results, err := f.client(t).Batch(t.Context(), ops(120, false))
	if !errors.Is(err, connec.ErrServer) || f.calls() != 2 || len(results) != 120 {
		t.Fatalf("err = %v calls = %d results = %d", err, f.calls(), len(results))
	}
	if results[49].Err != nil || !errors.Is(results[50].Err, connec.ErrServer) || !errors.Is(results[119].Err, connec.ErrServer) {
		t.Errorf("results: %v / %v / %v", results[49].Err, results[50].Err, results[119].Err)
	}
	// Updates only: the same 503 is retried.
	f = newFakeConnec(t)
	f.seed("people", map[string]any{"id": "p-1"})
	f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 1 {
			connecError(w, 503, "Service Unavailable")
			return true
		}
		return false
	}
	if _, err := f.client(t).Batch(t.Context(), ops(3, true)); err != nil || f.calls() != 2 {
		t.Fatalf("updates: err = %v calls = %d; want a retry", err, f.calls())
	}
	// Fewer results than ops; malformed answer.
	for name, body := range map[string]string{"short": `{"results":[{"status":201,"body":{"people":{"id":"a"}}}]}`, "malformed": `{"results":`} {
		f = newFakeConnec(t)
		f.fault = func(w http.ResponseWriter, r *http.Request, n int) bool { w.Write([]byte(body)); return true }
		results, err := f.client(t).Batch(t.Context(), ops(2, false))
		switch name {
		case "short":
			if err != nil || results[0].Err != nil || !errors.Is(results[1].Err, connec.ErrNoResult) {
				t.Errorf("short: %v %+v", err, results)
			}
		case "malformed":
			var de *connec.DecodeError
			if !errors.As(err, &de) {
				t.Errorf("malformed: %v", err)
			}
		}
	}
}

func TestBatchRefusesBadOps(t *testing.T) {
	t.Parallel()
	c, err := connec.New(&maestrano.Marketplace{API: maestrano.APIConfig{ID: "a", Key: "k"}, Connec: maestrano.ConnecConfig{Host: "https://c.example.com"}}, "cld-1")
	if err != nil {
		t.Fatal(err)
	}
	for name, op := range map[string]connec.BatchOp{
		"delete":       {Method: "delete", Collection: "people", ID: "x"},
		"bad name":     connec.BatchCreate("People", nil),
		"update no id": connec.BatchUpdate("people", "", connec.Person{}),
		"create w/ id": {Method: "post", Collection: "people", ID: "x"},
		"unencodable":  connec.BatchCreate("people", func() {}),
		"traversal id": connec.BatchUpdate("people", "..", nil),
	} {
		if _, err := c.Batch(t.Context(), []connec.BatchOp{op}); err == nil || !strings.Contains(err.Error(), "batch op 0") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
