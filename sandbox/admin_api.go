package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// The admin JSON API, for scripts, next to the admin pages: HTTP Basic with
// any developer-platform environment's credentials, JSON bodies (bounded,
// unknown members refused), answers in JSON and errors as {"error": ...},
// with "fields" for a body that does not validate (422).
//
//	GET   /api/sandbox/v1/marketplaces
//	GET   /api/sandbox/v1/apps, GET|PATCH /api/sandbox/v1/apps/{uid}
//	GET|POST /api/sandbox/v1/groups, GET|PATCH /api/sandbox/v1/groups/{uid}
//	GET|POST /api/sandbox/v1/users, GET|PATCH /api/sandbox/v1/users/{uid}
//	GET   /api/sandbox/v1/memberships
//	PUT   /api/sandbox/v1/groups/{group_uid}/users/{uid}   {"role": "Admin"}
//	GET   /api/sandbox/v1/bills, GET /api/sandbox/v1/recurring_bills
//	POST  /api/sandbox/v1/connec/{group_uid}/{collection}       {"origin_app": "app-2", "entity": {...}}
//	PUT   /api/sandbox/v1/connec/{group_uid}/{collection}/{id}  (the same body; merges)
//
// Removals (DELETE groups/{uid}, DELETE groups/{g}/users/{u}), session
// rotation, webhook deliveries and bill status changes are in webhooks.go,
// admin.go and account_admin.go.
func (s *Sandbox) adminAPIRoutes(mux *http.ServeMux) {
	const p = "/api/sandbox/v1"
	mux.Handle("GET "+p+"/marketplaces", s.adminAPI(s.handleAPIMarketplaces))
	mux.Handle("GET "+p+"/apps", s.adminAPI(s.handleAPIApps))
	mux.Handle("GET "+p+"/apps/{uid}", s.adminAPI(s.handleAPIApp))
	mux.Handle("PATCH "+p+"/apps/{uid}", s.adminAPI(s.handleAPIAppPatch))
	mux.Handle("GET "+p+"/groups", s.adminAPI(s.handleAPIGroups))
	mux.Handle("POST "+p+"/groups", s.adminAPI(s.handleAPIGroupCreate))
	mux.Handle("GET "+p+"/groups/{uid}", s.adminAPI(s.handleAPIGroup))
	mux.Handle("PATCH "+p+"/groups/{uid}", s.adminAPI(s.handleAPIGroupPatch))
	mux.Handle("GET "+p+"/users", s.adminAPI(s.handleAPIUsers))
	mux.Handle("POST "+p+"/users", s.adminAPI(s.handleAPIUserCreate))
	mux.Handle("GET "+p+"/users/{uid}", s.adminAPI(s.handleAPIUser))
	mux.Handle("PATCH "+p+"/users/{uid}", s.adminAPI(s.handleAPIUserPatch))
	mux.Handle("GET "+p+"/memberships", s.adminAPI(s.handleAPIMemberships))
	mux.Handle("PUT "+p+"/groups/{group_uid}/users/{uid}", s.adminAPI(s.handleAPISetMembership))
	mux.Handle("GET "+p+"/bills", s.adminAPI(s.handleAPIBills))
	mux.Handle("GET "+p+"/recurring_bills", s.adminAPI(s.handleAPIRecurringBills))
	mux.Handle("POST "+p+"/connec/{group_uid}/{collection}", s.adminAPI(s.handleAPIConnecWrite))
	mux.Handle("PUT "+p+"/connec/{group_uid}/{collection}/{id}", s.adminAPI(s.handleAPIConnecWrite))
}

// adminAPI adapts h: JSON errors, environment credentials first.
func (s *Sandbox) adminAPI(h handlerFunc) http.Handler {
	return s.jsonHandler(func(w http.ResponseWriter, r *http.Request) error {
		if _, err := s.checkEnvCredentials(r); err != nil {
			return err
		}
		return h(w, r)
	})
}

// FieldErrorsResponse is the 422 answer of the admin API to a body that
// does not validate.
type FieldErrorsResponse struct {
	Error  string              `json:"error"`  // "invalid input: " and the fields
	Fields map[string][]string `json:"fields"` // field → messages
}

// invalid answers 422 with the field errors; handlers return its nil.
func invalid(w http.ResponseWriter, errs store.FieldErrors) error {
	writeJSON(w, http.StatusUnprocessableEntity, FieldErrorsResponse{Error: "invalid input: " + strings.Join(errs.Fields(), ", "), Fields: errs})
	return nil
}

// readAdminJSON decodes the (bounded) body into v: one JSON object, no
// unknown members, nothing after it, sent as application/json (415
// otherwise, so that a form post from a page cannot pass for the API).
func readAdminJSON(r *http.Request, v any) error {
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != "application/json" {
		return errStatus(http.StatusUnsupportedMediaType, "the body must be sent with Content-Type: application/json")
	}
	b, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errStatus(http.StatusRequestEntityTooLarge, "body larger than the limit")
	}
	if err != nil {
		return badRequest("cannot read the body")
	}
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		return badRequest("body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("invalid JSON body: " + clipN(err.Error(), 160))
	}
	if !decodedAll(dec) {
		return badRequest("invalid JSON body: data after the object")
	}
	return nil
}

// --- marketplaces and apps

// AdminApp is an app in the admin API (its API key is not shown).
type AdminApp struct {
	UID                string   `json:"uid"`
	Name               string   `json:"name"`
	Host               string   `json:"host"`
	SSOIdM             string   `json:"sso_idm"`
	SSOInitPath        string   `json:"sso_init_path"`
	SSOConsumePath     string   `json:"sso_consume_path"`
	SignatureAlgorithm string   `json:"signature_algorithm"` // "" = the sandbox default
	GroupPath          string   `json:"group_path"`
	GroupUserPath      string   `json:"group_user_path"`
	NotificationPath   string   `json:"notification_path"`
	ExternalIDs        bool     `json:"external_ids"`
	Subscriptions      []string `json:"subscriptions"`
	Marketplace        string   `json:"marketplace"`
	NID                string   `json:"nid"`
	Environment        string   `json:"environment"`
}

// AdminMarketplace is one publication of an app on a marketplace.
type AdminMarketplace struct {
	Name        string `json:"name"`
	NID         string `json:"nid"`
	Environment string `json:"environment"`
	AppUID      string `json:"app_uid"`
}

func (s *Sandbox) handleAPIMarketplaces(w http.ResponseWriter, r *http.Request) error {
	mps, err := s.store.Marketplaces(r.Context())
	if err != nil {
		return err
	}
	out := []AdminMarketplace{}
	for _, m := range mps {
		out = append(out, AdminMarketplace{Name: m.Name, NID: m.NID, Environment: m.Environment, AppUID: m.AppUID})
	}
	writeJSON(w, http.StatusOK, map[string]any{"marketplaces": out})
	return nil
}

func (s *Sandbox) adminApp(r *http.Request, a store.App) (AdminApp, error) {
	mp, err := s.store.AppMarketplace(r.Context(), a.UID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return AdminApp{}, err
	}
	subs, err := s.store.AppSubscriptions(r.Context(), a.UID)
	if err != nil {
		return AdminApp{}, err
	}
	if subs == nil {
		subs = []string{}
	}
	return AdminApp{UID: a.UID, Name: a.Name, Host: a.Host, SSOIdM: a.SSOIdM, SSOInitPath: a.SSOInitPath,
		SSOConsumePath: a.SSOConsumePath, SignatureAlgorithm: a.SignatureAlgorithm, GroupPath: a.GroupPath,
		GroupUserPath: a.GroupUserPath, NotificationPath: a.ConnecNotificationPath, ExternalIDs: a.ConnecExternalIDs,
		Subscriptions: subs, Marketplace: mp.Name, NID: mp.NID, Environment: mp.Environment}, nil
}

func (s *Sandbox) handleAPIApps(w http.ResponseWriter, r *http.Request) error {
	apps, err := s.store.Apps(r.Context())
	if err != nil {
		return err
	}
	out := []AdminApp{}
	for _, a := range apps {
		aa, err := s.adminApp(r, a)
		if err != nil {
			return err
		}
		out = append(out, aa)
	}
	writeJSON(w, http.StatusOK, map[string]any{"apps": out})
	return nil
}

// apiLoad loads, with get, the object uid names; an unknown one is the
// admin API's 404 "unknown <kind> <uid>".
func apiLoad[T any](ctx context.Context, kind, uid string, get func(context.Context, string) (T, error)) (T, error) {
	v, err := get(ctx, uid)
	if errors.Is(err, store.ErrNotFound) {
		return v, notFound("unknown " + kind + " " + clip(uid))
	}
	return v, err
}

// apiUser loads a user by its real or virtual uid.
func (s *Sandbox) apiUser(ctx context.Context, uid string) (store.User, error) {
	return apiLoad(ctx, "user", uid, func(ctx context.Context, uid string) (store.User, error) {
		return s.store.User(ctx, realUserUID(uid))
	})
}

// writeWithMemberships answers status with shape(v, every membership): a
// group or user of the admin API.
func writeWithMemberships[T, O any](w http.ResponseWriter, r *http.Request, st Storage, status int, v T,
	shape func(T, []store.Membership) (O, error)) error {
	mems, err := st.Memberships(r.Context())
	if err != nil {
		return err
	}
	out, err := shape(v, mems)
	if err != nil {
		return err
	}
	writeJSON(w, status, out)
	return nil
}

func (s *Sandbox) apiAppByPath(r *http.Request) (store.App, error) {
	return apiLoad(r.Context(), "app", r.PathValue("uid"), s.store.App)
}

func (s *Sandbox) handleAPIApp(w http.ResponseWriter, r *http.Request) error {
	a, err := s.apiAppByPath(r)
	if err != nil {
		return err
	}
	return s.writeAdminApp(w, r, a)
}

func (s *Sandbox) writeAdminApp(w http.ResponseWriter, r *http.Request, a store.App) error {
	aa, err := s.adminApp(r, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, aa)
	return nil
}

// AdminAppPatch is the body of PATCH /api/sandbox/v1/apps/{uid}: the
// members given replace the app's.
type AdminAppPatch struct {
	Name               *string   `json:"name"`
	Host               *string   `json:"host"`
	SSOIdM             *string   `json:"sso_idm"`
	SSOInitPath        *string   `json:"sso_init_path"`
	SSOConsumePath     *string   `json:"sso_consume_path"`
	SignatureAlgorithm *string   `json:"signature_algorithm"`
	GroupPath          *string   `json:"group_path"`
	GroupUserPath      *string   `json:"group_user_path"`
	NotificationPath   *string   `json:"notification_path"`
	ExternalIDs        *bool     `json:"external_ids"`
	Subscriptions      *[]string `json:"subscriptions"`
}

func (s *Sandbox) handleAPIAppPatch(w http.ResponseWriter, r *http.Request) error {
	a, err := s.apiAppByPath(r)
	if err != nil {
		return err
	}
	var p AdminAppPatch
	if err := readAdminJSON(r, &p); err != nil {
		return err
	}
	errs := store.FieldErrors{}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&a.Name, p.Name)
	set(&a.Host, p.Host)
	set(&a.SSOIdM, p.SSOIdM)
	set(&a.SSOInitPath, p.SSOInitPath)
	set(&a.SSOConsumePath, p.SSOConsumePath)
	set(&a.SignatureAlgorithm, p.SignatureAlgorithm)
	set(&a.GroupPath, p.GroupPath)
	set(&a.GroupUserPath, p.GroupUserPath)
	set(&a.ConnecNotificationPath, p.NotificationPath)
	if p.ExternalIDs != nil {
		a.ConnecExternalIDs = *p.ExternalIDs
	}
	a.Host, a.SSOIdM = strings.TrimSuffix(a.Host, "/"), strings.TrimSuffix(a.SSOIdM, "/")
	if err := store.CheckText(a.Name, 200); err != nil || a.Name == "" {
		errs.Add("name", "must be 1 to 200 characters without control characters")
	}
	for f, v := range map[string]string{"host": a.Host, "sso_idm": a.SSOIdM} {
		if err := store.CheckHost(v); err != nil {
			errs.Add(f, err.Error())
		}
	}
	for f, v := range map[string]string{"sso_init_path": a.SSOInitPath, "sso_consume_path": a.SSOConsumePath,
		"group_path": a.GroupPath, "group_user_path": a.GroupUserPath, "notification_path": a.ConnecNotificationPath} {
		if err := store.CheckPath(v); err != nil {
			errs.Add(f, err.Error())
		}
	}
	if !slices.Contains(store.SignatureAlgorithms, a.SignatureAlgorithm) {
		errs.Add("signature_algorithm", "must be empty (the sandbox default), rsa-sha256 or rsa-sha1")
	}
	var subs []string
	if p.Subscriptions != nil {
		subs = *p.Subscriptions
		if len(subs) > 64 {
			errs.Add("subscriptions", "at most 64 collections")
		}
		for _, c := range subs {
			if !isCollectionName(c) {
				errs.Add("subscriptions", clip(c)+" is not a collection name such as organizations")
			}
		}
	}
	if len(errs) > 0 {
		return invalid(w, errs)
	}
	if err := s.store.UpdateApp(r.Context(), a); err != nil {
		return err
	}
	if p.Subscriptions != nil {
		if err := s.store.SetAppSubscriptions(r.Context(), a.UID, subs); err != nil {
			return err
		}
	}
	s.log.InfoContext(r.Context(), "sandbox: admin API updated app", "app", a.UID)
	return s.writeAdminApp(w, r, a)
}

// --- groups

// AdminGroup is a group in the admin API: its account API shape, the apps
// it uses and its members.
type AdminGroup struct {
	AccountGroup
	OrgUID  string            `json:"org_uid"`
	Apps    []string          `json:"apps"`
	Members []AdminMembership `json:"members"`
}

// AdminMembership is a user's role in a group.
type AdminMembership struct {
	UserUID  string `json:"user_uid"`
	GroupUID string `json:"group_uid"`
	Role     string `json:"role"`
}

func (s *Sandbox) adminGroup(r *http.Request, g store.Group, mems []store.Membership) (AdminGroup, error) {
	apps, err := s.store.GroupApps(r.Context(), g.UID)
	if err != nil {
		return AdminGroup{}, err
	}
	out := AdminGroup{AccountGroup: accountGroup(g), OrgUID: g.OrgUID, Apps: apps, Members: []AdminMembership{}}
	if out.Apps == nil {
		out.Apps = []string{}
	}
	for _, m := range mems {
		if m.GroupUID == g.UID {
			out.Members = append(out.Members, AdminMembership{UserUID: m.UserUID, GroupUID: m.GroupUID, Role: m.Role})
		}
	}
	return out, nil
}

func (s *Sandbox) handleAPIGroups(w http.ResponseWriter, r *http.Request) error {
	groups, err := s.store.Groups(r.Context())
	if err != nil {
		return err
	}
	mems, err := s.store.Memberships(r.Context())
	if err != nil {
		return err
	}
	out := []AdminGroup{}
	for _, g := range groups {
		ag, err := s.adminGroup(r, g, mems)
		if err != nil {
			return err
		}
		out = append(out, ag)
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": out})
	return nil
}

func (s *Sandbox) writeAdminGroup(w http.ResponseWriter, r *http.Request, status int, uid string) error {
	g, err := apiLoad(r.Context(), "group", uid, s.store.Group)
	if err != nil {
		return err
	}
	return writeWithMemberships(w, r, s.store, status, g, func(g store.Group, mems []store.Membership) (AdminGroup, error) {
		return s.adminGroup(r, g, mems)
	})
}

func (s *Sandbox) handleAPIGroup(w http.ResponseWriter, r *http.Request) error {
	return s.writeAdminGroup(w, r, http.StatusOK, r.PathValue("uid"))
}

// AdminGroupInput is the body of POST /api/sandbox/v1/groups (name
// required) and PATCH /api/sandbox/v1/groups/{uid} (the members given
// replace the group's). Apps, when given, replaces the apps the group
// uses; on creation it defaults to every app.
type AdminGroupInput struct {
	Name           *string   `json:"name"`
	OrgUID         *string   `json:"org_uid"`
	Email          *string   `json:"email"`
	Currency       *string   `json:"currency"`
	Timezone       *string   `json:"timezone"`
	Country        *string   `json:"country"`
	City           *string   `json:"city"`
	Status         *string   `json:"status"`
	HasCreditCard  *bool     `json:"has_credit_card"`
	MainAccounting *string   `json:"main_accounting"`
	Reseller       *string   `json:"reseller_id"`
	FreeTrialEnd   *string   `json:"free_trial_end_at"` // RFC 3339 or YYYY-MM-DD
	Apps           *[]string `json:"apps"`
}

// apply copies the given members into g and validates the result.
func (in AdminGroupInput) apply(g *store.Group, errs store.FieldErrors) {
	for _, f := range []struct {
		dst *string
		v   *string
	}{{&g.Name, in.Name}, {&g.OrgUID, in.OrgUID}, {&g.Email, in.Email}, {&g.Currency, in.Currency},
		{&g.Timezone, in.Timezone}, {&g.Country, in.Country}, {&g.City, in.City}, {&g.Status, in.Status},
		{&g.MainAccounting, in.MainAccounting}, {&g.ResellerUID, in.Reseller}} {
		if f.v != nil {
			*f.dst = strings.TrimSpace(*f.v)
		}
	}
	g.Currency, g.Country = strings.ToUpper(g.Currency), strings.ToUpper(g.Country)
	if in.HasCreditCard != nil {
		g.HasCreditCard = *in.HasCreditCard
	}
	if in.FreeTrialEnd != nil {
		if t, ok := parseAPITime(*in.FreeTrialEnd); ok {
			g.FreeTrialEnd = t.UTC().Truncate(time.Second)
		} else {
			errs.Add("free_trial_end_at", "is not a valid time (RFC 3339 or YYYY-MM-DD)")
		}
	}
	check := *g
	if check.OrgUID == "" && g.UID == "" {
		check.OrgUID = "org-1" // assigned on creation
	}
	if check.Email == "" && g.UID == "" {
		check.Email = "new@example.com" // assigned on creation
	}
	merge(errs, store.ValidateGroup(check))
}

func (s *Sandbox) groupInputApps(r *http.Request, in AdminGroupInput, errs store.FieldErrors) ([]string, error) {
	if in.Apps == nil {
		return nil, nil
	}
	apps := []string{}
	if len(*in.Apps) > 64 {
		errs.Add("apps", "at most 64 apps")
		return nil, nil
	}
	for _, a := range *in.Apps {
		if _, err := s.store.App(r.Context(), a); errors.Is(err, store.ErrNotFound) {
			errs.Add("apps", "unknown app "+clip(a))
		} else if err != nil {
			return nil, err
		}
		apps = append(apps, a)
	}
	return apps, nil
}

func (s *Sandbox) checkReseller(r *http.Request, uid string, errs store.FieldErrors) error {
	if uid == "" {
		return nil
	}
	_, err := s.store.Reseller(r.Context(), uid)
	if errors.Is(err, store.ErrNotFound) {
		errs.Add("reseller_id", "is not a reseller")
		return nil
	}
	return err
}

func (s *Sandbox) handleAPIGroupCreate(w http.ResponseWriter, r *http.Request) error {
	var in AdminGroupInput
	if err := readAdminJSON(r, &in); err != nil {
		return err
	}
	g := store.Group{Status: "running", Currency: "USD", Timezone: "America/Los_Angeles", Country: "US", City: "Los Angeles"}
	errs := store.FieldErrors{}
	if in.Name == nil {
		errs.Add("name", store.MsgBlank)
	}
	in.apply(&g, errs)
	apps, err := s.groupInputApps(r, in, errs)
	if err != nil {
		return err
	}
	if err := s.checkReseller(r, g.ResellerUID, errs); err != nil {
		return err
	}
	if len(errs) > 0 {
		return invalid(w, errs)
	}
	if apps == nil {
		all, err := s.store.Apps(r.Context())
		if err != nil {
			return err
		}
		apps = []string{}
		for _, a := range all {
			apps = append(apps, a.UID)
		}
	}
	g, err = s.store.CreateGroup(r.Context(), g, apps, s.now())
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "sandbox: admin API created group", "group", g.UID)
	return s.writeAdminGroup(w, r, http.StatusCreated, g.UID)
}

func (s *Sandbox) handleAPIGroupPatch(w http.ResponseWriter, r *http.Request) error {
	g, err := apiLoad(r.Context(), "group", r.PathValue("uid"), s.store.Group)
	if err != nil {
		return err
	}
	var in AdminGroupInput
	if err := readAdminJSON(r, &in); err != nil {
		return err
	}
	errs := store.FieldErrors{}
	in.apply(&g, errs)
	apps, err := s.groupInputApps(r, in, errs)
	if err != nil {
		return err
	}
	if err := s.checkReseller(r, g.ResellerUID, errs); err != nil {
		return err
	}
	if len(errs) > 0 {
		return invalid(w, errs)
	}
	if err := s.store.UpdateGroup(r.Context(), g, apps, s.now()); err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "sandbox: admin API updated group", "group", g.UID)
	return s.writeAdminGroup(w, r, http.StatusOK, g.UID)
}

// --- users and memberships

// AdminUser is a user in the admin API: its account API shape and its
// memberships.
type AdminUser struct {
	AccountUser
	Memberships []AdminMembership `json:"memberships"`
}

func adminAPIUser(u store.User, mems []store.Membership) AdminUser {
	out := AdminUser{AccountUser: accountUser(u), Memberships: []AdminMembership{}}
	for _, m := range mems {
		if m.UserUID == u.UID {
			out.Memberships = append(out.Memberships, AdminMembership{UserUID: m.UserUID, GroupUID: m.GroupUID, Role: m.Role})
		}
	}
	return out
}

func (s *Sandbox) handleAPIUsers(w http.ResponseWriter, r *http.Request) error {
	users, err := s.store.Users(r.Context())
	if err != nil {
		return err
	}
	mems, err := s.store.Memberships(r.Context())
	if err != nil {
		return err
	}
	out := []AdminUser{}
	for _, u := range users {
		out = append(out, adminAPIUser(u, mems))
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

func (s *Sandbox) writeAdminUser(w http.ResponseWriter, r *http.Request, status int, uid string) error {
	u, err := s.apiUser(r.Context(), uid)
	if err != nil {
		return err
	}
	return writeWithMemberships(w, r, s.store, status, u, func(u store.User, mems []store.Membership) (AdminUser, error) {
		return adminAPIUser(u, mems), nil
	})
}

func (s *Sandbox) handleAPIUser(w http.ResponseWriter, r *http.Request) error {
	return s.writeAdminUser(w, r, http.StatusOK, r.PathValue("uid"))
}

// AdminUserInput is the body of POST /api/sandbox/v1/users (first_name
// and email required) and PATCH /api/sandbox/v1/users/{uid} (the members
// given replace the user's).
type AdminUserInput struct {
	FirstName   *string `json:"name"`
	LastName    *string `json:"surname"`
	Email       *string `json:"email"`
	CompanyName *string `json:"company_name"`
	Country     *string `json:"country"`
	Password    *string `json:"password"`
}

func (in AdminUserInput) apply(u *store.User, errs store.FieldErrors) {
	for _, f := range []struct {
		dst *string
		v   *string
	}{{&u.FirstName, in.FirstName}, {&u.LastName, in.LastName}, {&u.Email, in.Email},
		{&u.CompanyName, in.CompanyName}, {&u.Country, in.Country}} {
		if f.v != nil {
			*f.dst = strings.TrimSpace(*f.v)
		}
	}
	if in.Password != nil {
		u.Password = *in.Password
	}
	u.Country = strings.ToUpper(u.Country)
	for field, msgs := range store.ValidateUser(*u) {
		// The wire names of the account API.
		switch field {
		case "first_name":
			field = "name"
		case "last_name":
			field = "surname"
		}
		for _, m := range msgs {
			errs.Add(field, m)
		}
	}
}

func (s *Sandbox) handleAPIUserCreate(w http.ResponseWriter, r *http.Request) error {
	var in AdminUserInput
	if err := readAdminJSON(r, &in); err != nil {
		return err
	}
	u := store.User{Country: "US"}
	errs := store.FieldErrors{}
	in.apply(&u, errs)
	if len(errs) > 0 {
		return invalid(w, errs)
	}
	u, err := s.store.CreateUser(r.Context(), u, s.now())
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "sandbox: admin API created user", "user", u.UID)
	return s.writeAdminUser(w, r, http.StatusCreated, u.UID)
}

func (s *Sandbox) handleAPIUserPatch(w http.ResponseWriter, r *http.Request) error {
	u, err := s.apiUser(r.Context(), r.PathValue("uid"))
	if err != nil {
		return err
	}
	var in AdminUserInput
	if err := readAdminJSON(r, &in); err != nil {
		return err
	}
	errs := store.FieldErrors{}
	in.apply(&u, errs)
	if len(errs) > 0 {
		return invalid(w, errs)
	}
	if err := s.store.UpdateUser(r.Context(), u, s.now()); err != nil {
		return err
	}
	return s.writeAdminUser(w, r, http.StatusOK, u.UID)
}

func (s *Sandbox) handleAPIMemberships(w http.ResponseWriter, r *http.Request) error {
	mems, err := s.store.Memberships(r.Context())
	if err != nil {
		return err
	}
	out := []AdminMembership{}
	for _, m := range mems {
		out = append(out, AdminMembership{UserUID: m.UserUID, GroupUID: m.GroupUID, Role: m.Role})
	}
	writeJSON(w, http.StatusOK, map[string]any{"memberships": out})
	return nil
}

// AdminRoleInput is the body of PUT /api/sandbox/v1/groups/{g}/users/{u}.
type AdminRoleInput struct {
	Role string `json:"role"` // Member, Power User, Admin or Super Admin
}

func (s *Sandbox) handleAPISetMembership(w http.ResponseWriter, r *http.Request) error {
	var in AdminRoleInput
	if err := readAdminJSON(r, &in); err != nil {
		return err
	}
	m := store.Membership{GroupUID: r.PathValue("group_uid"), UserUID: realUserUID(r.PathValue("uid")), Role: in.Role}
	if !slices.Contains(store.Roles, m.Role) {
		errs := store.FieldErrors{}
		errs.Add("role", "must be one of "+strings.Join(store.Roles, ", "))
		return invalid(w, errs)
	}
	err := s.store.SetMembership(r.Context(), m)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("unknown user " + clip(m.UserUID) + " or group " + clip(m.GroupUID))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, AdminMembership{UserUID: m.UserUID, GroupUID: m.GroupUID, Role: m.Role})
	return nil
}

// --- bills

// writeAllBills answers {key: [every bill of list, of every app, in its
// account API shape]}.
func writeAllBills[T, W any](w http.ResponseWriter, r *http.Request, key string,
	list func(ctx context.Context, appUID, groupUID string) ([]T, error), shape func(T) W) error {
	items, err := list(r.Context(), "", "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{key: mapAll(items, shape)}) // [] when there is none
	return nil
}

func (s *Sandbox) handleAPIBills(w http.ResponseWriter, r *http.Request) error {
	return writeAllBills(w, r, "bills", s.store.Bills, accountBill)
}

func (s *Sandbox) handleAPIRecurringBills(w http.ResponseWriter, r *http.Request) error {
	return writeAllBills(w, r, "recurring_bills", s.store.RecurringBills, accountRecurringBill)
}

// --- Connec! entities as another app

// AdminConnecWrite is the body of the admin API's Connec! writes.
type AdminConnecWrite struct {
	// OriginApp is the app the change is made as ("" for the admin): it
	// must have access to the group, and is the one app not notified.
	OriginApp string `json:"origin_app"`
	// Entity is the entity (plain ids or id arrays), created or merged.
	Entity map[string]json.RawMessage `json:"entity"`
}

func (s *Sandbox) handleAPIConnecWrite(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	groupUID, coll, id := r.PathValue("group_uid"), r.PathValue("collection"), r.PathValue("id")
	var in AdminConnecWrite
	if err := readAdminJSON(r, &in); err != nil {
		return err
	}
	g, err := s.store.Group(ctx, groupUID)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("unknown group " + clip(groupUID))
	}
	if err != nil {
		return err
	}
	if !connecCollections[coll] {
		return notFound("unknown Connec! collection " + clip(coll))
	}
	if in.Entity == nil {
		return badRequest(`"entity" must be a JSON object`)
	}
	caller := connecCaller{group: g, prefix: ConnecBasePath}
	if in.OriginApp != "" {
		app, err := s.store.App(ctx, in.OriginApp)
		if errors.Is(err, store.ErrNotFound) {
			return badRequest("unknown origin_app " + clip(in.OriginApp))
		}
		if err != nil {
			return err
		}
		ok, err := s.store.AppHasGroup(ctx, app.UID, g.UID)
		if err != nil {
			return err
		}
		if !ok {
			return errStatus(http.StatusForbidden, "app "+app.UID+" has no access to group "+g.UID)
		}
		caller.app = app
	}
	create := r.Method == http.MethodPost && coll != connecSingleton
	status, body, location, err := s.connecWrite(ctx, caller, coll, id, create, in.Entity)
	var ce *connecError
	if errors.As(err, &ce) {
		return errStatus(ce.status, ce.title+": "+ce.detail)
	}
	if err != nil {
		return err
	}
	if location != "" {
		w.Header().Set("Location", location)
	}
	writeJSON(w, status, body)
	return nil
}
