package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

const adminConnecPage = 50 // entities per page of the admin browser

type adminConnecEntity struct {
	ID, UpdatedAt, JSON string
}

type adminConnecData struct {
	Groups      []store.Group
	Collections []string
	Counts      map[string]int
	Apps        []store.App // apps of the selected group, possible origins
	Group       string
	Collection  string
	Entities    []adminConnecEntity
	Total       int
	Skip        int
	PrevSkip    int
	NextSkip    int // 0: no next page
	Edit        adminConnecEdit
	Message     string
}

type adminConnecEdit struct {
	ID, Origin, JSON string
}

// handleAdminConnec serves GET /admin/connec: browse the entities of a
// group's collection and a form to create or change one as an app or as
// the admin. Query: group, collection, skip, id (fills the form).
func (s *Sandbox) handleAdminConnec(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	return s.renderAdminConnec(w, r, http.StatusOK, q.Get("group"), q.Get("collection"), q.Get("skip"), adminConnecEdit{ID: q.Get("id")}, q.Get("msg"))
}

func (s *Sandbox) renderAdminConnec(w http.ResponseWriter, r *http.Request, status int, group, coll, skipParam string, edit adminConnecEdit, msg string) error {
	ctx := r.Context()
	groups, err := s.store.Groups(ctx)
	if err != nil {
		return err
	}
	data := adminConnecData{Groups: groups, Collections: sortedCollections(), Edit: edit, Message: msg}
	if group == "" && len(groups) > 0 {
		group = groups[0].UID
	}
	if _, err := s.store.Group(ctx, group); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errPage(http.StatusNotFound, "Group not found", "There is no group "+clip(group)+" on this platform.")
		}
		return err
	}
	data.Group = group
	if coll == "" {
		coll = "organizations"
	}
	if !connecCollections[coll] {
		return errPage(http.StatusBadRequest, "Unknown collection", "There is no Connec! collection "+clip(coll)+".")
	}
	data.Collection = coll
	if data.Counts, err = s.store.ConnecCollectionCounts(ctx, group); err != nil {
		return err
	}
	apps, err := s.store.Apps(ctx)
	if err != nil {
		return err
	}
	for _, a := range apps {
		ok, err := s.store.AppHasGroup(ctx, a.UID, group)
		if err != nil {
			return err
		}
		if ok {
			data.Apps = append(data.Apps, a)
		}
	}
	if skipParam != "" {
		if data.Skip, err = strconv.Atoi(skipParam); err != nil || data.Skip < 0 {
			return errPage(http.StatusBadRequest, "Bad request", "skip must be a non-negative integer.")
		}
	}
	page, err := s.store.ListConnecEntities(ctx, group, coll, store.ConnecQuery{Skip: data.Skip, Top: adminConnecPage})
	if err != nil {
		return err
	}
	data.Total = page.Total
	data.PrevSkip = max(0, data.Skip-adminConnecPage)
	if data.Skip+len(page.Entities) < page.Total {
		data.NextSkip = data.Skip + len(page.Entities)
	}
	for _, e := range page.Entities {
		var buf bytes.Buffer
		_ = json.Indent(&buf, e.JSON(), "", "  ")
		data.Entities = append(data.Entities, adminConnecEntity{ID: e.ID, UpdatedAt: e.UpdatedAt.Format("2006-01-02 15:04:05"), JSON: buf.String()})
	}
	if edit.ID != "" && edit.JSON == "" {
		e, err := s.store.ConnecEntity(ctx, group, coll, edit.ID)
		if err == nil {
			var buf bytes.Buffer
			_ = json.Indent(&buf, e.JSON(), "", "  ")
			data.Edit.JSON = buf.String()
		}
	}
	s.renderPage(w, status, "connec_admin.html", data)
	return nil
}

// handleAdminConnecWrite serves POST /admin/connec: the form creates (no
// id) or updates (merges into) an entity, recorded as a change by the
// chosen origin app ("" for the admin), then redirects to the browser.
func (s *Sandbox) handleAdminConnecWrite(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkSameOrigin(r); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errPage(http.StatusBadRequest, "Bad request", "The form could not be read.")
	}
	ctx := r.Context()
	group, coll := r.PostForm.Get("group"), r.PostForm.Get("collection")
	edit := adminConnecEdit{ID: r.PostForm.Get("id"), Origin: r.PostForm.Get("origin"), JSON: r.PostForm.Get("json")}
	fail := func(msg string) error {
		return s.renderAdminConnec(w, r, http.StatusBadRequest, group, coll, "", edit, msg)
	}
	g, err := s.store.Group(ctx, group)
	if errors.Is(err, store.ErrNotFound) {
		return errPage(http.StatusNotFound, "Group not found", "There is no group "+clip(group)+" on this platform.")
	}
	if err != nil {
		return err
	}
	if !connecCollections[coll] {
		return errPage(http.StatusBadRequest, "Unknown collection", "There is no Connec! collection "+clip(coll)+".")
	}
	if edit.Origin != "" {
		ok, err := s.store.AppHasGroup(ctx, edit.Origin, group)
		if err != nil {
			return err
		}
		if !ok {
			return fail("App " + clip(edit.Origin) + " has no access to group " + group + ".")
		}
	}
	var fields map[string]json.RawMessage
	if err := decodeStrictJSON([]byte(edit.JSON), &fields); err != nil || fields == nil {
		return fail("The entity must be a JSON object.")
	}
	if te := checkConnecTypes(coll, fields); te != nil {
		return fail("The entity's " + te.Error() + ".")
	}
	in, err := s.foldEntity(ctx, g, fields)
	if err != nil {
		return fail("The entity's ids are malformed.")
	}
	wr := store.ConnecWrite{
		GroupUID: group, Collection: coll, ID: edit.ID, Fields: in.fields, ExternalIDs: in.externalIDs,
		OriginAppUID: edit.Origin, Now: s.now(), Singleton: coll == connecSingleton, Create: edit.ID == "" && coll != connecSingleton,
	}
	if wr.Create && len(in.externalIDs) > 0 {
		wr.Create, wr.Upsert = false, true
	}
	e, _, err := s.store.WriteConnecEntity(ctx, wr)
	if err == nil {
		s.wakeWebhooks() // the change is committed: fan it out now
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fail("There is no " + coll + " with id " + clip(edit.ID) + " in this group.")
	case errors.Is(err, store.ErrConflict):
		return fail("An external id of this entity already names another entity.")
	case err != nil:
		return err
	}
	who := "the admin"
	if edit.Origin != "" {
		who = edit.Origin
	}
	v := url.Values{"group": {group}, "collection": {coll}, "id": {e.ID}, "msg": {"Saved " + coll + " " + e.ID + " as " + who + "."}}
	http.Redirect(w, r, "/admin/connec?"+v.Encode(), http.StatusSeeOther)
	return nil
}
