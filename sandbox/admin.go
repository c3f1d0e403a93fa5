package sandbox

import (
	"context"
	"errors"
	"net/http"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

type adminMembership struct {
	GroupUID, GroupName, Role string
}

type adminUser struct {
	UID, Name, Email string
	Memberships      []adminMembership
}

type adminData struct {
	Marketplaces   []store.Marketplace
	Apps           []store.App
	Groups         []store.Group
	Users          []adminUser
	DevPlatformURL string
}

// adminWorld loads the groups, users and memberships the admin pages show.
func (s *Sandbox) adminWorld(ctx context.Context) ([]store.Group, []store.User, []store.Membership, error) {
	groups, err := s.store.Groups(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	users, err := s.store.Users(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	mems, err := s.store.Memberships(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	return groups, users, mems, nil
}

// handleAdmin serves GET / and GET /admin: the state of the sandbox, with a
// button per user to rotate their SSO session.
func (s *Sandbox) handleAdmin(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	mps, err := s.store.Marketplaces(ctx)
	if err != nil {
		return err
	}
	apps, err := s.store.Apps(ctx)
	if err != nil {
		return err
	}
	groups, users, mems, err := s.adminWorld(ctx)
	if err != nil {
		return err
	}
	groupName := make(map[string]string, len(groups))
	for _, g := range groups {
		groupName[g.UID] = g.Name
	}
	byUser := make(map[string][]adminMembership)
	for _, m := range mems {
		byUser[m.UserUID] = append(byUser[m.UserUID], adminMembership{GroupUID: m.GroupUID, GroupName: groupName[m.GroupUID], Role: m.Role})
	}
	data := adminData{
		Marketplaces:   mps,
		Apps:           apps,
		Groups:         groups,
		DevPlatformURL: s.baseURL + DevPlatformAPIPath + "/marketplaces",
	}
	for _, u := range users {
		data.Users = append(data.Users, adminUser{
			UID:         u.UID,
			Name:        u.FirstName + " " + u.LastName,
			Email:       u.Email,
			Memberships: byUser[u.UID],
		})
	}
	s.renderPage(w, http.StatusOK, "admin.html", data)
	return nil
}

// checkSameOrigin refuses cross-site form posts: Sec-Fetch-Site must be
// absent or "same-origin", and Origin, when present, must be the sandbox's
// BaseURL.
func (s *Sandbox) checkSameOrigin(r *http.Request) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		return errPage(http.StatusForbidden, "Forbidden", "cross-site request refused")
	}
	if o := r.Header.Get("Origin"); o != "" && o != s.baseURL {
		return errPage(http.StatusForbidden, "Forbidden", "cross-origin request refused")
	}
	return nil
}

// handleAdminRotate serves POST /admin/users/{uid}/rotate_session, the admin
// page's button, and redirects back to /admin.
func (s *Sandbox) handleAdminRotate(w http.ResponseWriter, r *http.Request) error {
	uid := r.PathValue("uid")
	return s.adminAction(w, r, "/admin", "User not found", "There is no user "+clip(uid)+" on this platform.",
		func(ctx context.Context) error { return s.RotateSession(ctx, uid) })
}

// adminAction serves an admin page's button: a same-origin POST that runs
// do, then goes back to the page back. A target do does not find
// (store.ErrNotFound) is the 404 page with title and msg.
func (s *Sandbox) adminAction(w http.ResponseWriter, r *http.Request, back, title, msg string, do func(context.Context) error) error {
	if err := s.checkSameOrigin(r); err != nil {
		return err
	}
	if err := do(r.Context()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errPage(http.StatusNotFound, title, msg)
		}
		return err
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}

// handleAPIRotate serves POST /api/sandbox/v1/users/{uid}/rotate_session for
// scripts, authenticated with the developer-platform credentials.
func (s *Sandbox) handleAPIRotate(w http.ResponseWriter, r *http.Request) error {
	uid := r.PathValue("uid")
	if err := s.RotateSession(r.Context(), uid); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound("unknown user " + clip(uid))
		}
		return err
	}
	writeJSON(w, http.StatusOK, RotateSessionResponse{UID: realUserUID(uid), Rotated: true})
	return nil
}
