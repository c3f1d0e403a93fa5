package demo

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/connec"
	"github.com/maestrano-go/maestrano/sso"
)

// Bounds of the data page.
const (
	// dataPageSize is how many records one page of the data page lists.
	dataPageSize = 10
	// maxSkip bounds the skip parameter of the data page.
	maxSkip = 1_000_000
	// connecCallTimeout bounds the Connec! calls of one page.
	connecCallTimeout = 15 * time.Second
	// maxShownError bounds a message of the platform shown on a page.
	maxShownError = 200
)

// dataCollections are the collections the data page shows, in order.
var dataCollections = []struct{ Name, Title string }{
	{connec.CollectionOrganizations, "Organizations"},
	{connec.CollectionPeople, "People"},
}

func collectionTitle(name string) (string, bool) {
	for _, c := range dataCollections {
		if c.Name == name {
			return c.Title, true
		}
	}
	return "", false
}

type collectionLink struct {
	Name, Title string
	Current     bool
}

// dataRow is one record as the data page lists it.
type dataRow struct {
	ID, Name, Email, Updated string
}

// dataForm is what the create form held, shown again after a refusal.
type dataForm struct {
	Name, FirstName, LastName, Email string
}

type dataPage struct {
	Collections       []collectionLink
	Collection, Title string
	Entities          []dataRow
	// Local is set when the list is the app's own copy (Connec! failed).
	Local            bool
	Prev, Next       string
	Range            string
	Error, Notice    string
	FormErrors       []string
	Form             dataForm
	Live             []notification
	LiveURL, SelfURL string
}

func (a *App) dataRoutes() {
	a.mux.Handle("GET /data", a.mw.Require(a.page(a.handleData)))
	a.mux.Handle("POST /data/{collection}", a.mw.Require(a.page(a.handleDataCreate)))
	a.mux.Handle("GET /data/notifications", a.mw.Require(http.HandlerFunc(a.handleLiveNotifications)))
}

// connecClient returns the Connec! client of the user's marketplace and
// group. A client is a small value over the marketplace configuration.
func (a *App) connecClient(u *localUser) (*connec.Client, error) {
	mp, err := a.reg.Get(u.Marketplace)
	if err != nil {
		return nil, err
	}
	opts := []connec.Option{connec.WithLogger(a.logger)}
	if a.httpClient != nil {
		opts = append(opts, connec.WithHTTPClient(a.httpClient))
	}
	return connec.New(mp, u.GroupUID, opts...)
}

// newDataPage fills what every rendering of the data page shows: the
// collection links and the notifications received.
func (a *App) newDataPage(ctx context.Context, req *request, coll string) (dataPage, error) {
	title, _ := collectionTitle(coll)
	p := dataPage{Collection: coll, Title: title, LiveURL: "/data/notifications", SelfURL: "/data?collection=" + coll}
	for _, c := range dataCollections {
		p.Collections = append(p.Collections, collectionLink{Name: c.Name, Title: c.Title, Current: c.Name == coll})
	}
	live, err := a.db.notifications(ctx, req.user.Marketplace, req.user.GroupUID)
	if err != nil {
		return p, err
	}
	p.Live = live
	return p, nil
}

// handleData serves GET /data?collection=&skip=: one page of the group's
// organizations or people, read from Connec!, with prev/next links.
func (a *App) handleData(w http.ResponseWriter, r *http.Request, req *request) {
	q := r.URL.Query()
	coll := q.Get("collection")
	if coll == "" {
		coll = connec.CollectionOrganizations
	}
	if _, ok := collectionTitle(coll); !ok {
		a.errorPage(w, http.StatusNotFound, errorPage{Title: "Not found", Message: "The data page shows organizations and people only."})
		return
	}
	skip := 0
	if s := q.Get("skip"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > maxSkip {
			a.errorPage(w, http.StatusBadRequest, errorPage{Title: "Bad request", Message: "The page number in the address is not valid.", Retry: "/data?collection=" + coll})
			return
		}
		skip = n
	}
	ctx := r.Context()
	p, err := a.newDataPage(ctx, req, coll)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	p.Notice = a.takeFlash(w, r, req)
	a.listData(ctx, req, &p, skip)
	a.render(w, r, http.StatusOK, "data", req, p)
}

// listData fills p with one page from Connec!, or with the app's own copy
// when Connec! fails.
func (a *App) listData(ctx context.Context, req *request, p *dataPage, skip int) {
	ctx, cancel := context.WithTimeout(ctx, connecCallTimeout)
	defer cancel()
	c, err := a.connecClient(req.user)
	if err == nil {
		q := connec.Query{}.Top(dataPageSize).Skip(skip)
		var pg pageInfo
		// A record that does not decode costs only itself: the page shows
		// the others and says how many were left out.
		var bad *connec.RecordsError
		usable := func(err error) bool { return err == nil || errors.As(err, &bad) }
		switch p.Collection {
		case connec.CollectionPeople:
			var page *connec.Page[connec.Person]
			if page, err = c.People().List(ctx, q); usable(err) && page != nil {
				for _, v := range page.Items {
					p.Entities = append(p.Entities, personRow(v))
				}
				pg = pageInfo{page.Pagination, len(page.Items)}
			}
		default:
			var page *connec.Page[connec.Organization]
			if page, err = c.Organizations().List(ctx, q); usable(err) && page != nil {
				for _, v := range page.Items {
					p.Entities = append(p.Entities, organizationRow(v))
				}
				pg = pageInfo{page.Pagination, len(page.Items)}
			}
		}
		if bad != nil {
			a.logger.LogAttrs(ctx, slog.LevelWarn, "demo: connec records left out", slog.String("group", req.user.GroupUID),
				slog.String("collection", p.Collection), slog.String("error", bad.Error()))
			p.Error = fmt.Sprintf("%d record(s) of this page could not be read and are left out.", len(bad.Records))
			err = nil
		}
		if err == nil {
			p.setPager(skip, pg)
			return
		}
	}
	a.logger.LogAttrs(ctx, slog.LevelWarn, "demo: connec list failed", slog.String("group", req.user.GroupUID),
		slog.String("collection", p.Collection), slog.String("error", err.Error()))
	p.Error = connecProblem(err) + " Showing the app's own copy, kept up to date by Connec! notifications."
	p.Local = true
	local, lerr := a.db.entities(ctx, req.user.Marketplace, req.user.GroupUID, p.Collection)
	if lerr != nil {
		a.logger.LogAttrs(ctx, slog.LevelError, "demo: local copy", slog.String("error", lerr.Error()))
		return
	}
	for _, e := range local {
		p.Entities = append(p.Entities, dataRow{ID: e.ID, Name: e.Name, Updated: e.UpdatedAt.Format(time.DateTime)})
	}
}

type pageInfo struct {
	connec.Pagination
	n int
}

func (p *dataPage) setPager(skip int, pg pageInfo) {
	base := "/data?collection=" + url.QueryEscape(p.Collection)
	if skip > 0 {
		prev := max(0, skip-dataPageSize)
		p.Prev = base
		if prev > 0 {
			p.Prev += "&skip=" + strconv.Itoa(prev)
		}
	}
	if pg.Next != "" || (pg.Total > 0 && skip+pg.n < pg.Total) {
		p.Next = base + "&skip=" + strconv.Itoa(skip+pg.n)
	}
	switch {
	case pg.n == 0:
		p.Range = ""
	case pg.Total > 0:
		p.Range = fmt.Sprintf("%d–%d of %d", skip+1, skip+pg.n, pg.Total)
	default:
		p.Range = fmt.Sprintf("%d–%d", skip+1, skip+pg.n)
	}
}

func organizationRow(v connec.Organization) dataRow {
	row := dataRow{ID: v.ID.Connec(), Name: v.Name, Updated: connecTime(v.UpdatedAt)}
	if v.Email != nil {
		row.Email = v.Email.Address
	}
	return row
}

func personRow(v connec.Person) dataRow {
	row := dataRow{ID: v.ID.Connec(), Name: personName(v), Updated: connecTime(v.UpdatedAt)}
	if v.Email != nil {
		row.Email = v.Email.Address
	}
	return row
}

func personName(v connec.Person) string {
	return strings.TrimSpace(v.FirstName + " " + v.LastName)
}

func connecTime(t connec.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateTime)
}

// connecProblem says, for the user, what went wrong with a Connec! call.
// The details are for the log.
func connecProblem(err error) string {
	var conn *maestrano.ConnectionError
	switch {
	case errors.Is(err, connec.ErrUnauthorized), errors.Is(err, connec.ErrForbidden):
		return "Connec! refused the app's access to this group's data."
	case errors.Is(err, connec.ErrRateLimited):
		return "Connec! asked the app to slow down; try again in a minute."
	case errors.As(err, &conn), errors.Is(err, context.DeadlineExceeded):
		return "Connec! could not be reached."
	default:
		return "Connec! could not list the data."
	}
}

// handleDataCreate serves POST /data/{collection}: the form creates an
// organization or a person in Connec! (which notifies the group's other
// apps); the app keeps a copy and shows the list again.
func (a *App) handleDataCreate(w http.ResponseWriter, r *http.Request, req *request) {
	coll := r.PathValue("collection")
	if _, ok := collectionTitle(coll); !ok {
		a.errorPage(w, http.StatusNotFound, errorPage{Title: "Not found", Message: "The data page creates organizations and people only."})
		return
	}
	if err := r.ParseForm(); err != nil {
		a.errorPage(w, http.StatusBadRequest, errorPage{Title: "Bad request", Message: "The form could not be read; reload the page and try again."})
		return
	}
	f := dataForm{
		Name: strings.TrimSpace(r.PostForm.Get("name")), FirstName: strings.TrimSpace(r.PostForm.Get("first_name")),
		LastName: strings.TrimSpace(r.PostForm.Get("last_name")), Email: strings.TrimSpace(r.PostForm.Get("email")),
	}
	ctx := r.Context()
	refuse := func(status int, msg string, fieldErrs []string) {
		p, err := a.newDataPage(ctx, req, coll)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		p.Error, p.FormErrors, p.Form = msg, fieldErrs, f
		a.listData(ctx, req, &p, 0)
		if p.Local { // the list failed too: say first what the user did
			p.Error = msg
		}
		a.render(w, r, status, "data", req, p)
	}
	if errs := f.validate(coll); len(errs) > 0 {
		refuse(http.StatusUnprocessableEntity, "Nothing was added: correct the form.", errs)
		return
	}
	c, err := a.connecClient(req.user)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	cctx, cancel := context.WithTimeout(ctx, connecCallTimeout)
	defer cancel()
	var (
		id, name string
		doc      []byte
	)
	var email *connec.Email
	if f.Email != "" {
		email = &connec.Email{Address: f.Email}
	}
	switch coll {
	case connec.CollectionPeople:
		var v connec.Person
		if v, err = c.People().Create(cctx, connec.Person{FirstName: f.FirstName, LastName: f.LastName, Email: email}); err == nil {
			id, name = v.ID.Connec(), personName(v)
			doc, err = json.Marshal(v)
		}
	default:
		var v connec.Organization
		if v, err = c.Organizations().Create(cctx, connec.Organization{Name: f.Name, Email: email}); err == nil {
			id, name = v.ID.Connec(), v.Name
			doc, err = json.Marshal(v)
		}
	}
	if err != nil {
		a.logger.LogAttrs(ctx, slog.LevelInfo, "demo: connec create refused", slog.String("group", req.user.GroupUID),
			slog.String("collection", coll), slog.String("error", err.Error()))
		status, msg, items := http.StatusBadGateway, "Nothing was added. "+connecProblem(err), []string(nil)
		var apiErr *connec.APIError
		if errors.As(err, &apiErr) && errors.Is(err, connec.ErrBadRequest) {
			status, msg = http.StatusUnprocessableEntity, "Connec! refused the record."
			for _, it := range apiErr.Errors {
				if s := clipText(strings.TrimSpace(strings.Trim(it.Title+": "+it.Detail, ": ")), maxShownError); s != "" {
					items = append(items, s)
				}
			}
		}
		if errors.Is(err, connec.ErrServer) || !errors.As(err, &apiErr) {
			// The outcome of a create is then unknown: say so.
			msg += " The record may have been created anyway: look for it in the list before trying again."
		}
		refuse(status, msg, items)
		return
	}
	if err := a.db.saveEntity(ctx, req.user.Marketplace, req.user.GroupUID, coll, id, name, doc); err != nil {
		a.fail(w, r, err)
		return
	}
	a.setFlash(w, r, req, "Added "+name+" to Connec!; the group's other apps are notified.")
	http.Redirect(w, r, "/data?collection="+coll, http.StatusSeeOther)
}

// validate checks the form as the template's constraints do; the server
// cannot trust the browser to have checked.
func (f dataForm) validate(coll string) []string {
	var errs []string
	field := func(label, v string, required bool, maxLen int) {
		switch {
		case v == "" && required:
			errs = append(errs, label+" is required.")
		case utf8.RuneCountInString(v) > maxLen:
			errs = append(errs, fmt.Sprintf("%s must be at most %d characters.", label, maxLen))
		case !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return r < ' ' }):
			errs = append(errs, label+" contains characters that are not allowed.")
		}
	}
	if coll == connec.CollectionPeople {
		field("First name", f.FirstName, true, 100)
		field("Last name", f.LastName, true, 100)
	} else {
		field("Name", f.Name, true, 200)
	}
	field("Email", f.Email, false, 200)
	if f.Email != "" {
		if a, err := mail.ParseAddress(f.Email); err != nil || a.Address != f.Email {
			errs = append(errs, "Email is not an email address (name@example.com).")
		}
	}
	return errs
}

// handleLiveNotifications serves GET /data/notifications: the list of
// notifications as an HTML fragment, for static/live.js. It checks access
// like a page but does not end the session itself: a 403 makes the script
// reload the page, which then says why.
func (a *App) handleLiveNotifications(w http.ResponseWriter, r *http.Request) {
	sess, ok := sso.FromContext(r.Context())
	if !ok {
		http.Error(w, "log in again", http.StatusUnauthorized)
		return
	}
	ctx := r.Context()
	lu, ok, err := a.db.access(ctx, sess.Marketplace, sso.RealUID(sess.UserUID), sess.GroupUID)
	if err != nil {
		a.logger.LogAttrs(ctx, slog.LevelError, "demo: live notifications", slog.String("error", err.Error()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if !ok {
		http.Error(w, "access removed", http.StatusForbidden)
		return
	}
	live, err := a.db.notifications(ctx, lu.Marketplace, lu.GroupUID)
	if err != nil {
		a.logger.LogAttrs(ctx, slog.LevelError, "demo: live notifications", slog.String("error", err.Error()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	a.renderFragment(w, r, "data", "notifications", live)
}

// onNotification is the app's Connec! callback: each record is kept as
// the app's copy of the entity and listed as received, per group.
func (a *App) onNotification(ctx context.Context, n *connec.Notification) error {
	var errs []error
	for _, rec := range notificationRecords(n) {
		if rec.group == "" || rec.id == "" {
			a.logger.LogAttrs(ctx, slog.LevelInfo, "demo: notification record without group or id ignored", slog.String("collection", rec.collection))
			continue
		}
		err := a.db.applyNotification(ctx, n.Marketplace, rec.group, notification{Collection: rec.collection, EntityID: rec.id, Name: rec.name}, rec.doc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		a.logger.LogAttrs(ctx, slog.LevelInfo, "demo: connec notification", slog.String("marketplace", n.Marketplace),
			slog.String("group", rec.group), slog.String("collection", rec.collection), slog.String("id", rec.id))
	}
	return errors.Join(errs...)
}

// notificationRecord is one record of a notification, reduced to what the
// app keeps.
type notificationRecord struct {
	collection, group, id, name string
	doc                         []byte
}

func notificationRecords(n *connec.Notification) []notificationRecord {
	var out []notificationRecord
	add := func(coll string, e connec.Entity, name string, v any) {
		doc, err := json.Marshal(v)
		if err != nil {
			doc = []byte("{}")
		}
		if name == "" {
			name = e.Code
		}
		out = append(out, notificationRecord{collection: coll, group: e.GroupID, id: e.ID.Connec(), name: clipText(name, maxShownError), doc: doc})
	}
	for _, v := range n.Organizations {
		add(connec.CollectionOrganizations, v.Entity, v.Name, v)
	}
	for _, v := range n.People {
		add(connec.CollectionPeople, v.Entity, personName(v), v)
	}
	for _, v := range n.Items {
		add(connec.CollectionItems, v.Entity, v.Name, v)
	}
	for _, v := range n.Invoices {
		add(connec.CollectionInvoices, v.Entity, cmp.Or(v.TransactionNumber, v.Title), v)
	}
	for _, v := range n.Payments {
		add(connec.CollectionPayments, v.Entity, cmp.Or(v.TransactionNumber, v.Title), v)
	}
	for _, v := range n.Accounts {
		add(connec.CollectionAccounts, v.Entity, v.Name, v)
	}
	for _, v := range n.TaxCodes {
		add(connec.CollectionTaxCodes, v.Entity, v.Name, v)
	}
	for _, v := range n.Company {
		add(connec.CollectionCompany, v.Entity, v.Name, v)
	}
	for coll, recs := range n.Other {
		for _, raw := range recs {
			var v struct {
				connec.Entity
				Name, Title string
			}
			_ = json.Unmarshal(raw, &v) // decoded by the handler already: an object
			add(coll, v.Entity, cmp.Or(v.Name, v.Title), raw)
		}
	}
	return out
}

// clipText bounds s to n runes.
func clipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
