package sandbox

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// maxPageBody bounds the request body excerpt shown per delivery on the
// admin page; the JSON API gives the whole body.
const maxPageBody = 4 << 10

type webhookPageData struct {
	State      string
	Limit      int
	States     []stateOption
	Deliveries []deliveryView
	Groups     []groupView
	HeaderName string
}

type stateOption struct {
	Value, Label string
	Selected     bool
}

type deliveryView struct {
	ID, Kind, AppUID, GroupUID, UserUID, Method, Path, State string
	Attempts, Failures, ChangeCount                          int
	Created, Next, Delivered                                 string
	Body                                                     string
	BodyClipped                                              bool
	AttemptLog                                               []attemptView
}

type attemptView struct {
	Number                 int
	Started, Duration, URL string
	Status                 int
	Response, Error        string
}

type groupView struct {
	UID, Name string
	Members   []memberView
}

type memberView struct {
	UserUID, Name, Role string
}

const pageTime = "2006-01-02 15:04:05.000Z"

func formatPageTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(pageTime)
}

// handleAdminWebhooks serves GET /admin/webhooks[?state=&limit=]: the
// deliveries with their attempts and a redeliver button each, and the
// groups and memberships with buttons that remove them (firing the account
// webhooks).
func (s *Sandbox) handleAdminWebhooks(w http.ResponseWriter, r *http.Request) error {
	f, err := deliveryFilter(r)
	if err != nil {
		return errPage(http.StatusBadRequest, "Bad request", err.Error())
	}
	ctx := r.Context()
	ds, attempts, err := s.deliveriesWithAttempts(ctx, f)
	if err != nil {
		return err
	}
	groups, users, mems, err := s.adminWorld(ctx)
	if err != nil {
		return err
	}
	data := webhookPageData{State: f.State, Limit: f.Limit, HeaderName: DeliveryIDHeader}
	for _, st := range []string{"", store.DeliveryCollecting, store.DeliveryPending, store.DeliveryDelivered, store.DeliveryDead} {
		label := st
		if st == "" {
			label = "all"
		}
		data.States = append(data.States, stateOption{Value: st, Label: label, Selected: st == f.State})
	}
	for _, d := range ds {
		v := deliveryView{
			ID: d.ID, Kind: d.Kind, AppUID: d.AppUID, GroupUID: d.GroupUID, UserUID: d.UserUID,
			Method: d.Method, Path: d.Path, State: d.State, Attempts: d.Attempts, Failures: d.Failures,
			ChangeCount: d.ChangeCount, Created: formatPageTime(d.CreatedAt), Delivered: formatPageTime(d.DeliveredAt),
		}
		if d.State == store.DeliveryPending || d.State == store.DeliveryCollecting {
			v.Next = formatPageTime(d.NextAttemptAt)
		}
		if len(d.Body) > maxPageBody {
			v.Body, v.BodyClipped = string(d.Body[:maxPageBody]), true
		} else {
			v.Body = string(d.Body)
		}
		for _, a := range attempts[d.ID] {
			v.AttemptLog = append(v.AttemptLog, attemptView{
				Number: a.Number, Started: formatPageTime(a.StartedAt), Duration: strconv.FormatInt(a.Duration.Milliseconds(), 10) + " ms",
				URL: a.URL, Status: a.Status, Response: a.Response, Error: a.Error,
			})
		}
		data.Deliveries = append(data.Deliveries, v)
	}
	userName := make(map[string]string, len(users))
	for _, u := range users {
		userName[u.UID] = u.FirstName + " " + u.LastName
	}
	byGroup := make(map[string][]memberView)
	for _, m := range mems {
		byGroup[m.GroupUID] = append(byGroup[m.GroupUID], memberView{UserUID: m.UserUID, Name: userName[m.UserUID], Role: m.Role})
	}
	for _, g := range groups {
		data.Groups = append(data.Groups, groupView{UID: g.UID, Name: g.Name, Members: byGroup[g.UID]})
	}
	s.renderPage(w, http.StatusOK, "webhooks.html", data)
	return nil
}

// handleAdminRedeliver serves POST /admin/webhooks/{id}/redeliver.
func (s *Sandbox) handleAdminRedeliver(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	return s.adminAction(w, r, "/admin/webhooks", "Delivery not found", "There is no webhook delivery "+clip(id)+".",
		func(ctx context.Context) error { return s.Redeliver(ctx, id) })
}

// handleAdminRemoveGroup serves POST /admin/groups/{uid}/remove.
func (s *Sandbox) handleAdminRemoveGroup(w http.ResponseWriter, r *http.Request) error {
	uid := r.PathValue("uid")
	return s.adminAction(w, r, "/admin/webhooks", "Group not found", "There is no group "+clip(uid)+" on this platform.",
		func(ctx context.Context) error { _, err := s.RemoveGroup(ctx, uid); return err })
}

// handleAdminRemoveMember serves POST
// /admin/groups/{group_uid}/users/{uid}/remove.
func (s *Sandbox) handleAdminRemoveMember(w http.ResponseWriter, r *http.Request) error {
	group, user := r.PathValue("group_uid"), r.PathValue("uid")
	return s.adminAction(w, r, "/admin/webhooks", "Membership not found", "User "+clip(user)+" is not a member of group "+clip(group)+".",
		func(ctx context.Context) error { _, err := s.RemoveMember(ctx, group, user); return err })
}
