package sandbox

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// Admin edit pages: server-rendered, plain HTML forms (no JavaScript), every
// POST behind the same-origin check of the /admin page. A form with errors
// is rendered again (422) with the values entered and a message per field;
// a successful one redirects (303) back to its page.

// adminEditRoutes registers the admin pages for marketplaces and apps,
// groups, users and memberships, bills and recurring bills.
func (s *Sandbox) adminEditRoutes(mux *http.ServeMux) {
	mux.Handle("GET /admin/apps", s.pageHandler(s.handleAdminApps))
	mux.Handle("GET /admin/apps/{uid}", s.pageHandler(s.handleAdminApp))
	mux.Handle("POST /admin/apps/{uid}", s.adminForm(s.handleAdminAppSave))
	mux.Handle("GET /admin/groups", s.pageHandler(s.handleAdminGroups))
	mux.Handle("POST /admin/groups", s.adminForm(s.handleAdminGroupCreate))
	mux.Handle("GET /admin/groups/{uid}", s.pageHandler(s.handleAdminGroup))
	mux.Handle("POST /admin/groups/{uid}", s.adminForm(s.handleAdminGroupSave))
	mux.Handle("POST /admin/groups/{uid}/members", s.adminForm(s.handleAdminGroupMember))
	mux.Handle("GET /admin/users", s.pageHandler(s.handleAdminUsers))
	mux.Handle("POST /admin/users", s.adminForm(s.handleAdminUserCreate))
	mux.Handle("GET /admin/users/{uid}", s.pageHandler(s.handleAdminUser))
	mux.Handle("POST /admin/users/{uid}", s.adminForm(s.handleAdminUserSave))
	mux.Handle("POST /admin/users/{uid}/memberships", s.adminForm(s.handleAdminUserMembership))
	mux.Handle("GET /admin/bills", s.pageHandler(s.handleAdminBills))
	mux.Handle("POST /admin/bills/{uid}/{action}", s.adminForm(s.handleAdminBillAction))
	mux.Handle("POST /admin/recurring_bills/{uid}/{action}", s.adminForm(s.handleAdminRecurringBillAction))
}

// adminForm adapts an admin form handler: same-origin check, then the form
// body parsed (bounded by ServeHTTP) into r.PostForm.
func (s *Sandbox) adminForm(h handlerFunc) http.Handler {
	return s.pageHandler(func(w http.ResponseWriter, r *http.Request) error {
		if err := s.checkSameOrigin(r); err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return errPage(http.StatusBadRequest, "Bad request", "The form could not be read.")
		}
		if len(r.PostForm) > 64 {
			return errPage(http.StatusBadRequest, "Bad request", "Too many form fields.")
		}
		return h(w, r)
	})
}

func formValue(r *http.Request, name string) string { return strings.TrimSpace(r.PostFormValue(name)) }

func seeOther(w http.ResponseWriter, r *http.Request, path string) error {
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}

func adminNotFound(what, uid string) error {
	return errPage(http.StatusNotFound, "Not found", "There is no "+what+" "+clip(uid)+" on this platform.")
}

// --- apps and marketplaces

type adminAppRow struct {
	App           store.App
	Marketplace   store.Marketplace
	Subscriptions []string
}

type adminAppsData struct{ Apps []adminAppRow }

func (s *Sandbox) adminAppRows(r *http.Request) ([]adminAppRow, error) {
	apps, err := s.store.Apps(r.Context())
	if err != nil {
		return nil, err
	}
	var rows []adminAppRow
	for _, a := range apps {
		mp, err := s.store.AppMarketplace(r.Context(), a.UID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		subs, err := s.store.AppSubscriptions(r.Context(), a.UID)
		if err != nil {
			return nil, err
		}
		rows = append(rows, adminAppRow{App: a, Marketplace: mp, Subscriptions: subs})
	}
	return rows, nil
}

func (s *Sandbox) handleAdminApps(w http.ResponseWriter, r *http.Request) error {
	rows, err := s.adminAppRows(r)
	if err != nil {
		return err
	}
	s.renderPage(w, http.StatusOK, "admin_apps.html", adminAppsData{Apps: rows})
	return nil
}

type adminAppData struct {
	App                 store.App
	SignatureAlgorithms []string
	Marketplace         store.Marketplace
	Environments        []string
	Subscriptions       string
	InitPath            string
	Errors              store.FieldErrors
}

func (s *Sandbox) environmentNames() []string {
	var out []string
	for _, e := range s.envs {
		out = append(out, e.Name)
	}
	return out
}

func (s *Sandbox) handleAdminApp(w http.ResponseWriter, r *http.Request) error {
	app, err := adminByPath(r, "app", s.store.App)
	if err != nil {
		return err
	}
	uid := app.UID
	mp, err := s.store.AppMarketplace(r.Context(), uid)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	subs, err := s.store.AppSubscriptions(r.Context(), uid)
	if err != nil {
		return err
	}
	d := adminAppData{App: app, Marketplace: mp, Environments: s.environmentNames(), Subscriptions: strings.Join(subs, " "), SignatureAlgorithms: store.SignatureAlgorithms}
	if app.ConnecInitializationPath != nil {
		d.InitPath = *app.ConnecInitializationPath
	}
	s.renderPage(w, http.StatusOK, "admin_app.html", d)
	return nil
}

func (s *Sandbox) handleAdminAppSave(w http.ResponseWriter, r *http.Request) error {
	app, err := adminByPath(r, "app", s.store.App)
	if err != nil {
		return err
	}
	uid := app.UID
	errs := store.FieldErrors{}
	app.Name = formValue(r, "name")
	if err := store.CheckText(app.Name, 200); err != nil || app.Name == "" {
		errs.Add("name", "must be 1 to 200 characters without control characters")
	}
	for _, h := range []struct {
		field string
		dst   *string
	}{{"host", &app.Host}, {"sso_idm", &app.SSOIdM}} {
		*h.dst = strings.TrimSuffix(formValue(r, h.field), "/")
		if err := store.CheckHost(*h.dst); err != nil {
			errs.Add(h.field, err.Error())
		}
	}
	for _, p := range []struct {
		field string
		dst   *string
	}{
		{"sso_init_path", &app.SSOInitPath}, {"sso_consume_path", &app.SSOConsumePath},
		{"sync_start_path", &app.SyncStartPath}, {"sync_toggle_path", &app.SyncTogglePath}, {"sync_status_path", &app.SyncStatusPath},
		{"group_path", &app.GroupPath}, {"group_user_path", &app.GroupUserPath},
		{"notification_path", &app.ConnecNotificationPath}, {"connec_base_path", &app.ConnecBasePath}, {"api_base", &app.APIBase},
	} {
		*p.dst = formValue(r, p.field)
		if err := store.CheckPath(*p.dst); err != nil {
			errs.Add(p.field, err.Error())
		}
	}
	if !strings.HasSuffix(app.APIBase, "/") {
		errs.Add("api_base", "must end with / (clients concatenate it)")
	}
	app.SignatureAlgorithm = formValue(r, "signature_algorithm")
	if !slices.Contains(store.SignatureAlgorithms, app.SignatureAlgorithm) {
		errs.Add("signature_algorithm", "must be empty (the sandbox default), rsa-sha256 or rsa-sha1")
	}
	app.ConnecExternalIDs = r.PostFormValue("external_ids") != ""
	initPath := formValue(r, "initialization_path")
	app.ConnecInitializationPath = nil
	if initPath != "" {
		app.ConnecInitializationPath = &initPath
		if err := store.CheckPath(initPath); err != nil {
			errs.Add("initialization_path", err.Error())
		}
	}
	timeout, err := strconv.Atoi(formValue(r, "connec_timeout"))
	if err != nil || timeout < 1 || timeout > 3600 {
		errs.Add("connec_timeout", "must be a number of seconds between 1 and 3600")
	}
	app.ConnecTimeout = timeout
	subs := strings.FieldsFunc(r.PostFormValue("subscriptions"), func(c rune) bool { return c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t' })
	if len(subs) > 64 {
		errs.Add("subscriptions", "at most 64 collections")
	}
	for _, c := range subs {
		if !isCollectionName(c) {
			errs.Add("subscriptions", clip(c)+" is not a collection name such as organizations")
		}
	}
	mp := store.Marketplace{AppUID: uid, Name: formValue(r, "marketplace"), NID: formValue(r, "nid"), Environment: formValue(r, "environment")}
	if !slices.Contains(s.environmentNames(), mp.Environment) {
		errs.Add("environment", "is not one of the environments")
	}
	if !isName(mp.Name) {
		errs.Add("marketplace", "must be 1 to 64 of a-z 0-9 . _ -")
	}
	if !isName(mp.NID) {
		errs.Add("nid", "must be 1 to 64 of a-z 0-9 . _ -")
	}
	if len(errs) == 0 {
		err := s.store.UpdateMarketplace(r.Context(), mp)
		if errors.Is(err, store.ErrConflict) {
			errs.Add("marketplace", "environment "+mp.Environment+" already has an app on marketplace "+mp.Name)
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		s.renderPage(w, http.StatusUnprocessableEntity, "admin_app.html", adminAppData{App: app, Marketplace: mp,
			Environments: s.environmentNames(), Subscriptions: strings.Join(subs, " "), InitPath: initPath, Errors: errs,
			SignatureAlgorithms: store.SignatureAlgorithms})
		return nil
	}
	if err := s.store.UpdateApp(r.Context(), app); err != nil {
		return err
	}
	if err := s.store.SetAppSubscriptions(r.Context(), uid, subs); err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "sandbox: admin updated app", "app", uid)
	return seeOther(w, r, "/admin/apps/"+url.PathEscape(uid))
}

func isName(v string) bool {
	if v == "" || len(v) > 64 {
		return false
	}
	for i, c := range v {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || (i > 0 && (c == '.' || c == '_' || c == '-'))
		if !ok {
			return false
		}
	}
	return true
}

func isCollectionName(v string) bool {
	if v == "" || len(v) > 64 || v[0] < 'a' || v[0] > 'z' {
		return false
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c == '_') {
			return false
		}
	}
	return true
}

// --- groups and members

type adminGroupRow struct {
	Group   store.Group
	Apps    []string
	Members int
}

type adminGroupsData struct {
	Groups []adminGroupRow
	Apps   []store.App
	New    store.Group
	NewApp map[string]bool
	Errors store.FieldErrors
}

type adminMember struct {
	User store.User
	Role string
}

type adminGroupData struct {
	Group       store.Group
	Apps        []store.App
	GroupApps   map[string]bool
	Resellers   []store.Reseller
	Members     []adminMember
	Users       []store.User // everyone, for "add member"
	Roles       []string
	Accountings []string
	TrialEnd    string
	Errors      store.FieldErrors
}

func (s *Sandbox) adminGroupsData(r *http.Request) (adminGroupsData, error) {
	groups, err := s.store.Groups(r.Context())
	if err != nil {
		return adminGroupsData{}, err
	}
	apps, err := s.store.Apps(r.Context())
	if err != nil {
		return adminGroupsData{}, err
	}
	mems, err := s.store.Memberships(r.Context())
	if err != nil {
		return adminGroupsData{}, err
	}
	count := map[string]int{}
	for _, m := range mems {
		count[m.GroupUID]++
	}
	d := adminGroupsData{Apps: apps, NewApp: map[string]bool{}}
	for _, g := range groups {
		ga, err := s.store.GroupApps(r.Context(), g.UID)
		if err != nil {
			return adminGroupsData{}, err
		}
		d.Groups = append(d.Groups, adminGroupRow{Group: g, Apps: ga, Members: count[g.UID]})
	}
	return d, nil
}

func (s *Sandbox) handleAdminGroups(w http.ResponseWriter, r *http.Request) error {
	d, err := s.adminGroupsData(r)
	if err != nil {
		return err
	}
	d.New = store.Group{Currency: "USD", Timezone: "America/Los_Angeles", Country: "US", City: "Los Angeles"}
	for _, a := range d.Apps {
		d.NewApp[a.UID] = true
	}
	s.renderPage(w, http.StatusOK, "admin_groups.html", d)
	return nil
}

// groupFromForm reads the editable group fields into g and validates them.
func groupFromForm(r *http.Request, g *store.Group, errs store.FieldErrors) {
	g.Name = formValue(r, "name")
	g.Currency = strings.ToUpper(formValue(r, "currency"))
	g.Timezone = formValue(r, "timezone")
	g.Country = strings.ToUpper(formValue(r, "country"))
	g.City = formValue(r, "city")
	if v := formValue(r, "org_uid"); v != "" || g.UID != "" {
		g.OrgUID = v
	}
	if v := formValue(r, "email"); v != "" || g.UID != "" {
		g.Email = v
	}
	if v := formValue(r, "status"); v != "" {
		g.Status = v
	}
	g.MainAccounting = formValue(r, "main_accounting")
	g.HasCreditCard = r.PostFormValue("has_credit_card") != ""
	g.ResellerUID = formValue(r, "reseller")
	check := *g
	if check.OrgUID == "" {
		check.OrgUID = "org-1" // assigned on creation
	}
	if check.Email == "" {
		check.Email = "new@example.com" // assigned on creation
	}
	if check.Status == "" {
		check.Status = "running"
	}
	merge(errs, store.ValidateGroup(check))
}

func (s *Sandbox) formApps(r *http.Request, errs store.FieldErrors) []string {
	apps := []string{}
	for _, a := range r.PostForm["app"] {
		if len(apps) >= 64 {
			break
		}
		if _, err := s.store.App(r.Context(), a); err != nil {
			errs.Add("apps", "unknown app "+clip(a))
			continue
		}
		apps = append(apps, a)
	}
	return apps
}

func (s *Sandbox) handleAdminGroupCreate(w http.ResponseWriter, r *http.Request) error {
	errs := store.FieldErrors{}
	g := store.Group{Status: "running"}
	groupFromForm(r, &g, errs)
	apps := s.formApps(r, errs)
	if g.ResellerUID != "" {
		if _, err := s.store.Reseller(r.Context(), g.ResellerUID); err != nil {
			errs.Add("reseller", "is not a reseller")
		}
	}
	if len(errs) > 0 {
		d, err := s.adminGroupsData(r)
		if err != nil {
			return err
		}
		d.New, d.Errors = g, errs
		for _, a := range apps {
			d.NewApp[a] = true
		}
		s.renderPage(w, http.StatusUnprocessableEntity, "admin_groups.html", d)
		return nil
	}
	g, err := s.store.CreateGroup(r.Context(), g, apps, s.now())
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "sandbox: admin created group", "group", g.UID)
	return seeOther(w, r, "/admin/groups/"+url.PathEscape(g.UID))
}

func (s *Sandbox) adminGroupData(r *http.Request, g store.Group) (adminGroupData, error) {
	ctx := r.Context()
	d := adminGroupData{Group: g, GroupApps: map[string]bool{}, Roles: store.Roles, Accountings: store.MainAccountings,
		TrialEnd: g.FreeTrialEnd.UTC().Format(time.DateOnly)}
	var err error
	if d.Apps, err = s.store.Apps(ctx); err != nil {
		return d, err
	}
	ga, err := s.store.GroupApps(ctx, g.UID)
	if err != nil {
		return d, err
	}
	for _, a := range ga {
		d.GroupApps[a] = true
	}
	if d.Resellers, err = s.store.Resellers(ctx); err != nil {
		return d, err
	}
	if d.Users, err = s.store.Users(ctx); err != nil {
		return d, err
	}
	mems, err := s.store.Memberships(ctx)
	if err != nil {
		return d, err
	}
	users := map[string]store.User{}
	for _, u := range d.Users {
		users[u.UID] = u
	}
	for _, m := range mems {
		if m.GroupUID == g.UID {
			d.Members = append(d.Members, adminMember{User: users[m.UserUID], Role: m.Role})
		}
	}
	return d, nil
}

// adminByPath loads, with get, the object the path's {uid} names; an
// unknown one is the admin's 404 page for kind ("group", "user", …).
func adminByPath[T any](r *http.Request, kind string, get func(context.Context, string) (T, error)) (T, error) {
	uid := r.PathValue("uid")
	v, err := get(r.Context(), uid)
	if errors.Is(err, store.ErrNotFound) {
		return v, adminNotFound(kind, uid)
	}
	return v, err
}

// adminShow renders tmpl with the page data (data) of the object the path
// names (load).
func adminShow[T, D any](s *Sandbox, w http.ResponseWriter, r *http.Request, load func(*http.Request) (T, error),
	data func(*http.Request, T) (D, error), tmpl string) error {
	v, err := load(r)
	if err != nil {
		return err
	}
	d, err := data(r, v)
	if err != nil {
		return err
	}
	s.renderPage(w, http.StatusOK, tmpl, d)
	return nil
}

func (s *Sandbox) adminGroupByPath(r *http.Request) (store.Group, error) {
	return adminByPath(r, "group", s.store.Group)
}

func (s *Sandbox) handleAdminGroup(w http.ResponseWriter, r *http.Request) error {
	return adminShow(s, w, r, s.adminGroupByPath, s.adminGroupData, "admin_group.html")
}

func (s *Sandbox) handleAdminGroupSave(w http.ResponseWriter, r *http.Request) error {
	g, err := s.adminGroupByPath(r)
	if err != nil {
		return err
	}
	errs := store.FieldErrors{}
	groupFromForm(r, &g, errs)
	trial := formValue(r, "free_trial_end")
	if t, ok := parseAPITime(trial); ok {
		g.FreeTrialEnd = t.Truncate(time.Second)
	} else {
		errs.Add("free_trial_end", "is not a valid date (YYYY-MM-DD)")
	}
	apps := s.formApps(r, errs)
	if len(errs) == 0 {
		err := s.store.UpdateGroup(r.Context(), g, apps, s.now())
		if errors.Is(err, store.ErrNotFound) {
			errs.Add("reseller", "is not a reseller")
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		d, err := s.adminGroupData(r, g)
		if err != nil {
			return err
		}
		d.Errors, d.TrialEnd = errs, trial
		d.GroupApps = map[string]bool{}
		for _, a := range apps {
			d.GroupApps[a] = true
		}
		s.renderPage(w, http.StatusUnprocessableEntity, "admin_group.html", d)
		return nil
	}
	s.log.InfoContext(r.Context(), "sandbox: admin updated group", "group", g.UID)
	return seeOther(w, r, "/admin/groups/"+url.PathEscape(g.UID))
}

// setMembershipFromForm adds or changes a membership; it returns a page
// error for an unknown user, group or role.
func (s *Sandbox) setMembershipFromForm(r *http.Request, userUID, groupUID string) error {
	role := formValue(r, "role")
	if !slices.Contains(store.Roles, role) {
		return errPage(http.StatusUnprocessableEntity, "Unknown role", "The role must be one of "+strings.Join(store.Roles, ", ")+".")
	}
	err := s.store.SetMembership(r.Context(), store.Membership{UserUID: userUID, GroupUID: groupUID, Role: role})
	if errors.Is(err, store.ErrNotFound) {
		return errPage(http.StatusUnprocessableEntity, "Unknown user or group", "There is no user "+clip(userUID)+" or no group "+clip(groupUID)+".")
	}
	if err == nil {
		s.log.InfoContext(r.Context(), "sandbox: admin set membership", "user", userUID, "group", groupUID, "role", role)
	}
	return err
}

func (s *Sandbox) handleAdminGroupMember(w http.ResponseWriter, r *http.Request) error {
	g, err := s.adminGroupByPath(r)
	if err != nil {
		return err
	}
	if err := s.setMembershipFromForm(r, formValue(r, "user"), g.UID); err != nil {
		return err
	}
	return seeOther(w, r, "/admin/groups/"+url.PathEscape(g.UID))
}

// --- users and memberships

type adminUsersData struct {
	Users  []store.User
	New    store.User
	Errors store.FieldErrors
}

type adminUserMembership struct {
	Group store.Group
	Role  string
}

type adminUserData struct {
	User        store.User
	Memberships []adminUserMembership
	Groups      []store.Group
	Roles       []string
	Errors      store.FieldErrors
}

func (s *Sandbox) handleAdminUsers(w http.ResponseWriter, r *http.Request) error {
	users, err := s.store.Users(r.Context())
	if err != nil {
		return err
	}
	s.renderPage(w, http.StatusOK, "admin_users.html", adminUsersData{Users: users, New: store.User{Country: "US"}})
	return nil
}

func userFromForm(r *http.Request, u *store.User, errs store.FieldErrors) {
	u.FirstName = formValue(r, "first_name")
	u.LastName = formValue(r, "last_name")
	u.Email = formValue(r, "email")
	u.CompanyName = formValue(r, "company_name")
	u.Country = strings.ToUpper(formValue(r, "country"))
	if _, set := r.PostForm["password"]; set {
		u.Password = r.PostFormValue("password")
	}
	merge(errs, store.ValidateUser(*u))
}

func (s *Sandbox) handleAdminUserCreate(w http.ResponseWriter, r *http.Request) error {
	errs := store.FieldErrors{}
	var u store.User
	userFromForm(r, &u, errs)
	if len(errs) > 0 {
		users, err := s.store.Users(r.Context())
		if err != nil {
			return err
		}
		u.Password = ""
		s.renderPage(w, http.StatusUnprocessableEntity, "admin_users.html", adminUsersData{Users: users, New: u, Errors: errs})
		return nil
	}
	u, err := s.store.CreateUser(r.Context(), u, s.now())
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "sandbox: admin created user", "user", u.UID)
	return seeOther(w, r, "/admin/users/"+url.PathEscape(u.UID))
}

func (s *Sandbox) adminUserData(r *http.Request, u store.User) (adminUserData, error) {
	d := adminUserData{User: u, Roles: store.Roles}
	var err error
	if d.Groups, err = s.store.Groups(r.Context()); err != nil {
		return d, err
	}
	mems, err := s.store.Memberships(r.Context())
	if err != nil {
		return d, err
	}
	groups := map[string]store.Group{}
	for _, g := range d.Groups {
		groups[g.UID] = g
	}
	for _, m := range mems {
		if m.UserUID == u.UID {
			d.Memberships = append(d.Memberships, adminUserMembership{Group: groups[m.GroupUID], Role: m.Role})
		}
	}
	return d, nil
}

func (s *Sandbox) adminUserByPath(r *http.Request) (store.User, error) {
	return adminByPath(r, "user", s.store.User)
}

func (s *Sandbox) handleAdminUser(w http.ResponseWriter, r *http.Request) error {
	return adminShow(s, w, r, s.adminUserByPath, s.adminUserData, "admin_user.html")
}

func (s *Sandbox) handleAdminUserSave(w http.ResponseWriter, r *http.Request) error {
	u, err := s.adminUserByPath(r)
	if err != nil {
		return err
	}
	errs := store.FieldErrors{}
	userFromForm(r, &u, errs)
	if len(errs) > 0 {
		d, err := s.adminUserData(r, u)
		if err != nil {
			return err
		}
		d.Errors = errs
		s.renderPage(w, http.StatusUnprocessableEntity, "admin_user.html", d)
		return nil
	}
	if err := s.store.UpdateUser(r.Context(), u, s.now()); err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "sandbox: admin updated user", "user", u.UID)
	return seeOther(w, r, "/admin/users/"+url.PathEscape(u.UID))
}

func (s *Sandbox) handleAdminUserMembership(w http.ResponseWriter, r *http.Request) error {
	u, err := s.adminUserByPath(r)
	if err != nil {
		return err
	}
	if err := s.setMembershipFromForm(r, u.UID, formValue(r, "group")); err != nil {
		return err
	}
	return seeOther(w, r, "/admin/users/"+url.PathEscape(u.UID))
}

// --- bills

type adminBillsData struct {
	Bills            []store.Bill
	RecurringBills   []store.RecurringBill
	BillActions      []string
	RecurringActions []string
}

func (s *Sandbox) handleAdminBills(w http.ResponseWriter, r *http.Request) error {
	bills, err := s.store.Bills(r.Context(), "", "")
	if err != nil {
		return err
	}
	rbills, err := s.store.RecurringBills(r.Context(), "", "")
	if err != nil {
		return err
	}
	s.renderPage(w, http.StatusOK, "admin_bills.html", adminBillsData{Bills: bills, RecurringBills: rbills,
		BillActions: []string{"invoice", "cancel", "submit"}, RecurringActions: []string{"activate", "expire", "cancel"}})
	return nil
}

func (s *Sandbox) handleAdminBillAction(w http.ResponseWriter, r *http.Request) error {
	status, ok := billActions[r.PathValue("action")]
	if !ok {
		return errPage(http.StatusNotFound, "Not found", "Bills can be invoiced, cancelled or submitted.")
	}
	if _, err := s.SetBillStatus(r.Context(), r.PathValue("uid"), status); errors.Is(err, store.ErrNotFound) {
		return adminNotFound("bill", r.PathValue("uid"))
	} else if err != nil {
		return err
	}
	return seeOther(w, r, "/admin/bills")
}

func (s *Sandbox) handleAdminRecurringBillAction(w http.ResponseWriter, r *http.Request) error {
	status, ok := recurringBillActions[r.PathValue("action")]
	if !ok {
		return errPage(http.StatusNotFound, "Not found", "Recurring bills can be activated, expired, cancelled or submitted.")
	}
	if _, err := s.SetRecurringBillStatus(r.Context(), r.PathValue("uid"), status); errors.Is(err, store.ErrNotFound) {
		return adminNotFound("recurring bill", r.PathValue("uid"))
	} else if err != nil {
		return err
	}
	return seeOther(w, r, "/admin/bills")
}
