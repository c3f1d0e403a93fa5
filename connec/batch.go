package connec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/maestrano-go/maestrano/internal/transport"
)

// MaxBatchOps is how many ops one batch call carries; [Client.Batch] splits
// longer lists into calls of this size, as the connectors do.
const MaxBatchOps = 50

// BatchOp is one write of a batch. Build it with [BatchCreate] or
// [BatchUpdate].
type BatchOp struct {
	// Method is "post" (create) or "put" (update).
	Method string
	// Collection is the collection name, e.g. "invoices".
	Collection string
	// ID is the record to update ("" for a create).
	ID string
	// Record is the record, encoded as JSON under the collection name.
	Record any
}

// BatchCreate is an op that creates record in collection.
func BatchCreate(collection string, record any) BatchOp {
	return BatchOp{Method: "post", Collection: collection, Record: record}
}

// BatchUpdate is an op that merges record into record id of collection.
func BatchUpdate(collection, id string, record any) BatchOp {
	return BatchOp{Method: "put", Collection: collection, ID: id, Record: record}
}

// BatchResult is the outcome of one op.
type BatchResult struct {
	// Status is the op's HTTP status (0 when the op got no answer).
	Status int
	// Body is the op's answer body, e.g. {"invoices": {...}}.
	Body json.RawMessage
	// Err is nil for a 2xx op; an [*APIError] for a refused op; or, for
	// every op of a call that failed as a whole (and of the calls not
	// sent after it), that call's error.
	Err error
}

// Decode decodes the record of a successful op's body as T.
func Decode[T any](r BatchResult, collection string) (T, error) {
	var zero T
	if r.Err != nil {
		return zero, r.Err
	}
	return decodeOne[T](&transport.Response{Body: r.Body, URL: "batch result"}, collection)
}

type batchRequest struct {
	Sequential bool          `json:"sequential"`
	Ops        []batchWireOp `json:"ops"`
}

type batchWireOp struct {
	Method string          `json:"method"`
	URL    string          `json:"url"`
	Params json.RawMessage `json:"params"`
}

type batchResponse struct {
	Results []struct {
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"`
	} `json:"results"`
}

// Batch sends ops to POST {connec.host}/batch, [MaxBatchOps] per call, in
// order and sequentially, and returns one result per op in op order. The
// error is nil when every call was answered, even if ops were refused: look
// at each result's Err. When a call fails as a whole (connection, 5xx,
// malformed answer), Batch stops: that call's ops and the later ones carry
// the error, which Batch also returns. A call is never repeated after an
// unknown outcome, unless all its ops are updates (which may run twice).
func (c *Client) Batch(ctx context.Context, ops []BatchOp) ([]BatchResult, error) {
	wire := make([]batchWireOp, len(ops))
	for i, op := range ops {
		w, err := c.wireOp(op)
		if err != nil {
			return nil, fmt.Errorf("connec: batch op %d: %w", i, err)
		}
		wire[i] = w
	}
	results := make([]BatchResult, len(ops))
	for start := 0; start < len(wire); start += MaxBatchOps {
		end := min(start+MaxBatchOps, len(wire))
		err := c.batchCall(ctx, wire[start:end], results[start:end])
		if err != nil {
			for i := start; i < len(results); i++ {
				results[i] = BatchResult{Err: err}
			}
			return results, err
		}
	}
	return results, nil
}

func (c *Client) wireOp(op BatchOp) (batchWireOp, error) {
	method := strings.ToLower(op.Method)
	if method != "post" && method != "put" {
		return batchWireOp{}, fmt.Errorf("method %q is neither post nor put", op.Method)
	}
	if err := checkCollection(op.Collection); err != nil {
		return batchWireOp{}, err
	}
	u := "/" + c.basePath + "/" + url.PathEscape(c.group) + "/" + op.Collection + "/"
	switch {
	case method == "put" && op.Collection != CollectionCompany:
		if err := checkSegment("record id", op.ID); err != nil {
			return batchWireOp{}, err
		}
		u += url.PathEscape(op.ID)
	case op.ID != "":
		return batchWireOp{}, errors.New("a create (post) takes no id")
	}
	params, err := envelope(op.Collection, op.Record)
	if err != nil {
		return batchWireOp{}, err
	}
	return batchWireOp{Method: method, URL: u, Params: params}, nil
}

func (c *Client) batchCall(ctx context.Context, ops []batchWireOp, out []BatchResult) error {
	body, err := json.Marshal(batchRequest{Sequential: true, Ops: ops})
	if err != nil {
		return fmt.Errorf("connec: encoding the batch: %w", err)
	}
	onlyPuts := true
	for _, op := range ops {
		onlyPuts = onlyPuts && op.Method == "put"
	}
	resp, err := c.call(ctx, transport.Request{Method: http.MethodPost, Path: "batch", Body: body, Idempotent: onlyPuts})
	if err != nil {
		return err
	}
	var doc batchResponse
	if err := json.Unmarshal(resp.Body, &doc); err != nil {
		return &DecodeError{URL: resp.URL, Err: err}
	}
	if len(doc.Results) > len(ops) {
		return &DecodeError{URL: resp.URL, Err: fmt.Errorf("%d results for %d ops", len(doc.Results), len(ops))}
	}
	for i := range out {
		if i >= len(doc.Results) {
			out[i] = BatchResult{Err: ErrNoResult}
			continue
		}
		r := doc.Results[i]
		out[i] = BatchResult{Status: r.Status, Body: r.Body}
		if r.Status < 200 || r.Status > 299 {
			e := parseErrorBody(r.Status, r.Body)
			e.Method, e.URL = strings.ToUpper(ops[i].Method), ops[i].URL
			out[i].Err = e
		}
	}
	return nil
}
