package sandbox

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// wrongAppID is the original platform's answer to an unknown issuer.
const wrongAppID = "Wrong APP ID! The API app_id parameter is likely to be misconfigured."

// pickerChoice is one (user, group) link of the user picker.
type pickerChoice struct {
	URL                       string
	UserName, GroupName, Role string
}

// pickerUser is one user of the user picker: a link that logs in through
// the user's only group or opens the group picker, and one direct link per
// group.
type pickerUser struct {
	URL, Name string
	Groups    []pickerChoice
}

type pickerData struct {
	AppName string
	Users   []pickerUser
}

type groupPickerData struct {
	AppName, UserName string
	Choices           []pickerChoice
}

// selectGroupParam marks a login started from the HTML user picker: with
// it, a user_uid without group_id for a user in several of the app's groups
// gets the group picker; without it (scripts, tests) the first group in uid
// order is used, so that user_uid alone stays deterministic.
const selectGroupParam = "select_group"

type postData struct {
	ACS          string
	SAMLResponse string
}

// handleSSO serves GET /api/v1/auth/saml?SAMLRequest=...: the IdP.
//
// The AuthnRequest's AssertionConsumerServiceURL must be the app's registered
// consume URL (see [checkACS]); an unknown Issuer gets the "unknown app"
// page. Without user_uid it renders a user picker (the sandbox's stand-in
// for a login form). With user_uid it answers with a page that auto-posts a
// signed SAML Response to that consume URL. The group is group_id when
// given (it must be one of the user's groups that have the app); without
// it, a login from the user picker (select_group=1) of a user in several
// such groups gets the group picker, and any other the user's first such
// group in uid order (cld-2 before cld-10).
func (s *Sandbox) handleSSO(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	var ok bool
	if !q.Has("SAMLRequest") {
		return badRequest("missing SAMLRequest parameter")
	}
	raw := q.Get("SAMLRequest")
	if raw == "" {
		return badRequest("SAMLRequest is empty")
	}
	req, err := decodeAuthnRequest(raw)
	if err != nil {
		return badRequest(err.Error())
	}
	app, err := s.store.App(ctx, req.Issuer)
	if errors.Is(err, store.ErrNotFound) {
		return errPage(http.StatusBadRequest, "Unknown app",
			wrongAppID+" No app with the id "+strconv.Quote(clip(req.Issuer))+
				" (the Issuer of the SAML request, the app's api.id) is registered on this platform.")
	}
	if err != nil {
		return err
	}
	audience, err := checkACS(app, req.ACSURL)
	if err != nil {
		return err
	}

	userUID := q.Get("user_uid")
	if userUID == "" {
		return s.renderPicker(w, r, app)
	}
	user, err := s.store.User(ctx, userUID)
	if errors.Is(err, store.ErrNotFound) {
		return errPage(http.StatusNotFound, "User not found", "There is no user "+clip(userUID)+" on this platform.")
	}
	if err != nil {
		return err
	}
	mems, err := s.store.AppMemberships(ctx, app.UID, user.UID)
	if err != nil {
		return err
	}
	if len(mems) == 0 {
		return errPage(http.StatusForbidden, "Access Denied", "User "+user.UID+" does not belong to any organization that has "+app.Name+".")
	}
	mem := mems[0] // first by group uid (AppMemberships orders by uid)
	gid := q.Get("group_id")
	if gid == "" && len(mems) > 1 && q.Get(selectGroupParam) != "" {
		return s.renderGroupPicker(w, r, app, user, mems)
	}
	if gid != "" {
		found := false
		for _, m := range mems {
			if m.GroupUID == gid {
				mem, found = m, true
				break
			}
		}
		if !found {
			return errPage(http.StatusForbidden, "Access Denied", "User "+user.UID+" cannot access "+app.Name+" through organization "+clip(gid)+".")
		}
	}
	group, err := s.store.Group(ctx, mem.GroupUID)
	if err != nil {
		return err
	}
	in := assertionInput{req: req, audience: audience, user: user, group: group, role: mem.Role}
	if in.sigMethod, ok = signatureMethod(app.SignatureAlgorithm, s.sigMethod); !ok {
		return fmt.Errorf("app %s: unknown signature algorithm %q", app.UID, app.SignatureAlgorithm)
	}
	if group.ResellerUID != "" {
		rs, err := s.store.Reseller(ctx, group.ResellerUID)
		if err != nil {
			return fmt.Errorf("reseller of group %s: %w", group.UID, err)
		}
		in.reseller = &rs
	}
	xmlResp, err := s.buildResponse(in)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.renderPage(w, http.StatusOK, "post.html", postData{
		ACS:          req.ACSURL,
		SAMLResponse: base64.StdEncoding.EncodeToString(xmlResp),
	})
	return nil
}

// checkACS returns the audience (scheme://host[:port]/) of the consume URL
// acs after checking that acs is exactly the app's registered consume URL,
// [consumeURL] of the app.
//
// An IdP must never post an assertion to an arbitrary URL: the AuthnRequest
// is unsigned, so anyone can craft one naming a URL of their own and harvest
// a bearer assertion (and the user's SSO session token) from a logged-in
// user. Checking only the origin is not enough either: a request naming
// another handler of the app (its logout page, an open redirect, a page that
// logs its form) would get the signed assertion posted there. So the URL must
// equal, byte for byte, the one every SDK builds from the configuration the
// platform published: no other path, no query, no fragment, no other
// spelling of the same URL.
func checkACS(app store.App, acs string) (audience string, err error) {
	u, err := url.Parse(acs)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", badRequest("AssertionConsumerServiceURL must be an absolute http or https URL")
	}
	want := consumeURL(app)
	if acs != want {
		return "", badRequest(fmt.Sprintf("AssertionConsumerServiceURL %q is not the app's registered consume URL %q",
			clipN(acs, maxEchoedURL), want))
	}
	return u.Scheme + "://" + u.Host + "/", nil
}

// maxEchoedURL bounds the part of a refused URL echoed in an error message.
const maxEchoedURL = 200

// consumeURL is the app's registered consume URL: sso.idm joined with
// sso.consume_path, exactly as the SDKs join them.
func consumeURL(app store.App) string {
	return strings.TrimRight(app.SSOIdM, "/") + "/" + strings.TrimLeft(app.SSOConsumePath, "/")
}

// renderPicker renders the user picker: one entry per user in a group that
// has the app, with a link for the user (straight in through their only
// group, or to the group picker) and one per (user, group). The links are
// the current URL with user_uid (and group_id, or select_group) set.
func (s *Sandbox) renderPicker(w http.ResponseWriter, r *http.Request, app store.App) error {
	ctx := r.Context()
	mems, err := s.store.AppMemberships(ctx, app.UID, "")
	if err != nil {
		return err
	}
	users, err := s.store.Users(ctx)
	if err != nil {
		return err
	}
	groups, err := s.store.Groups(ctx)
	if err != nil {
		return err
	}
	userName := make(map[string]string, len(users))
	for _, u := range users {
		userName[u.UID] = u.FirstName + " " + u.LastName
	}
	groupName := make(map[string]string, len(groups))
	for _, g := range groups {
		groupName[g.UID] = g.Name
	}
	base := r.URL.Path + "?" + withoutParams(r.URL.RawQuery, "user_uid", "group_id", selectGroupParam)
	data := pickerData{AppName: app.Name}
	last := ""
	for _, m := range mems { // ordered by user, then group
		if m.UserUID != last {
			last = m.UserUID
			data.Users = append(data.Users, pickerUser{
				URL:  base + "&user_uid=" + url.QueryEscape(m.UserUID) + "&" + selectGroupParam + "=1",
				Name: userName[m.UserUID],
			})
		}
		u := &data.Users[len(data.Users)-1]
		u.Groups = append(u.Groups, pickerChoice{
			URL:       base + "&user_uid=" + url.QueryEscape(m.UserUID) + "&group_id=" + url.QueryEscape(m.GroupUID),
			UserName:  userName[m.UserUID],
			GroupName: groupName[m.GroupUID],
			Role:      m.Role,
		})
	}
	for i := range data.Users {
		if u := &data.Users[i]; len(u.Groups) == 1 {
			u.URL = u.Groups[0].URL
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	s.renderPage(w, http.StatusOK, "picker.html", data)
	return nil
}

// renderGroupPicker renders the group picker: one link per group of the
// user that has the app, the current URL with group_id set.
func (s *Sandbox) renderGroupPicker(w http.ResponseWriter, r *http.Request, app store.App, user store.User, mems []store.Membership) error {
	base := r.URL.Path + "?" + withoutParams(r.URL.RawQuery, "group_id", selectGroupParam)
	data := groupPickerData{AppName: app.Name, UserName: user.FirstName + " " + user.LastName}
	for _, m := range mems {
		g, err := s.store.Group(r.Context(), m.GroupUID)
		if err != nil {
			return err
		}
		data.Choices = append(data.Choices, pickerChoice{
			URL:       base + "&group_id=" + url.QueryEscape(m.GroupUID),
			UserName:  data.UserName,
			GroupName: g.Name,
			Role:      m.Role,
		})
	}
	w.Header().Set("Cache-Control", "no-store")
	s.renderPage(w, http.StatusOK, "group_picker.html", data)
	return nil
}

// withoutParams returns rawQuery without the named parameters, keeping the
// others byte for byte (and in order).
func withoutParams(rawQuery string, names ...string) string {
	parts := strings.Split(rawQuery, "&")
	kept := parts[:0]
	for _, p := range parts {
		if p == "" {
			continue
		}
		key, _, _ := strings.Cut(p, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		drop := false
		for _, n := range names {
			if key == n {
				drop = true
				break
			}
		}
		if !drop {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, "&")
}

// clip shortens user input echoed in an error message.
func clip(s string) string { return clipN(s, 64) }

// clipN shortens s to at most max bytes (plus an ellipsis), never splitting
// a UTF-8 sequence.
func clipN(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}
