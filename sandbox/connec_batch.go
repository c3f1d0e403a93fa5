package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ConnecBatchRequest is the body of POST /batch.
type ConnecBatchRequest struct {
	// Sequential is accepted for compatibility; operations always run one
	// after the other, in order.
	Sequential bool            `json:"sequential"`
	Ops        []ConnecBatchOp `json:"ops"`
}

// ConnecBatchOp is one operation of a batch.
type ConnecBatchOp struct {
	Method string `json:"method"` // "post" or "put" (any case)
	// URL is "/api/v2/{group_id}/{collection}/" for a post and
	// "/api/v2/{group_id}/{collection}/{id}" for a put; the legacy
	// /connec/api/v2 prefix and an absolute URL are accepted.
	URL    string                     `json:"url"`
	Params map[string]json.RawMessage `json:"params"` // {"<collection>": {...}}
}

// ConnecBatchResult is the outcome of one operation, in operation order.
type ConnecBatchResult struct {
	Status int `json:"status"`
	Body   any `json:"body"` // {"<collection>": {...}} or {"errors": [...]}
}

// ConnecBatchResponse is the answer of POST /batch.
type ConnecBatchResponse struct {
	Results []ConnecBatchResult `json:"results"`
}

// handleConnecBatch serves POST /batch: each operation is authorized for
// its own group and runs in its own transaction; a failed one does not stop
// the others. The answer is 200 with one result per operation.
func (s *Sandbox) handleConnecBatch(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return methodNotAllowed(w, r, "POST")
	}
	app, err := s.authConnecApp(r)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	var req ConnecBatchRequest
	if err := decodeStrictJSON(b, &req); err != nil {
		return connecBadRequest(`body must be {"sequential": true, "ops": [...]}: ` + err.Error())
	}
	if len(req.Ops) == 0 {
		return connecBadRequest("ops is empty")
	}
	if len(req.Ops) > ConnecMaxBatchOps {
		return connecBadRequest("more than " + strconv.Itoa(ConnecMaxBatchOps) + " ops in one batch")
	}
	ext := wantsExternalIDs(r)
	resp := ConnecBatchResponse{Results: make([]ConnecBatchResult, 0, len(req.Ops))}
	for _, op := range req.Ops {
		status, body, err := s.connecBatchOp(r, app.UID, ext, op)
		if err != nil {
			ce := s.toConnecError(r, err)
			status, body = ce.status, connecErrorBody(ce, "batch")
		}
		resp.Results = append(resp.Results, ConnecBatchResult{Status: status, Body: body})
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Sandbox) connecBatchOp(r *http.Request, appUID string, ext bool, op ConnecBatchOp) (int, any, error) {
	ctx := r.Context()
	method := strings.ToUpper(op.Method)
	if method != http.MethodPost && method != http.MethodPut {
		return 0, nil, connecBadRequest("op method must be post or put, not " + strconv.Quote(clip(op.Method)))
	}
	u, err := url.Parse(op.URL)
	if err != nil || len(op.URL) > 2048 {
		return 0, nil, connecBadRequest("op url is not a URL")
	}
	p := u.Path
	prefix := ConnecBasePath
	switch {
	case strings.HasPrefix(p, ConnecLegacyBasePath+"/"):
		prefix = ConnecLegacyBasePath
	case !strings.HasPrefix(p, ConnecBasePath+"/"):
		return 0, nil, connecBadRequest("op url must start with " + ConnecBasePath + "/, not " + strconv.Quote(clip(op.URL)))
	}
	segs := strings.Split(strings.TrimSuffix(strings.TrimPrefix(p, prefix+"/"), "/"), "/")
	if len(segs) < 2 || len(segs) > 3 || segs[0] == "" {
		return 0, nil, connecNotFound("no Connec! resource at " + strconv.Quote(clip(op.URL)))
	}
	app, err := s.store.App(ctx, appUID)
	if err != nil {
		return 0, nil, err
	}
	group, err := s.authorizeGroup(ctx, app, segs[0])
	if err != nil {
		return 0, nil, err
	}
	coll := segs[1]
	if !connecCollections[coll] {
		return 0, nil, connecUnknownResource(coll)
	}
	id := ""
	if len(segs) == 3 {
		id = segs[2]
	}
	switch {
	case method == http.MethodPost && (id != "" || coll == connecSingleton):
		return 0, nil, connecBadRequest("post creates: its url is " + prefix + "/{group_id}/{collection}/")
	case method == http.MethodPut && id == "" && coll != connecSingleton:
		return 0, nil, connecBadRequest("put updates: its url names the entity")
	case len(id) > maxConnecIDBytes:
		return 0, nil, connecNotFound("no " + coll + " with id " + strconv.Quote(clip(id)))
	}
	raw, err := json.Marshal(op.Params)
	if err != nil {
		return 0, nil, err
	}
	fields, err := parseConnecEnvelope(raw, coll)
	if err != nil {
		return 0, nil, err
	}
	c := connecCaller{app: app, group: group, prefix: prefix, externalIDs: ext}
	status, body, _, err := s.connecWrite(ctx, c, coll, id, method == http.MethodPost, fields)
	if err != nil {
		var ce *connecError
		if !errors.As(err, &ce) {
			return 0, nil, err
		}
		return 0, nil, ce
	}
	return status, body, nil
}
