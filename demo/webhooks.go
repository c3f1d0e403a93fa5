package demo

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/maestrano-go/maestrano"
)

// maxWebhookBody bounds a webhook's body.
const maxWebhookBody = 4 << 10

// webhookRoute is a webhook path and the marketplaces configured with it;
// the request's credentials tell them apart.
type webhookRoute struct {
	marketplaces []string
}

// webhookPattern turns a configured webhook path ("/groups/:id/x") into a
// ServeMux pattern ("/groups/{id}/x").
func webhookPattern(method, p string) string {
	if u, err := url.Parse(p); err == nil {
		p = u.Path
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") && len(s) > 1 {
			segs[i] = "{" + strings.Map(func(r rune) rune {
				if r == '-' {
					return '_'
				}
				return r
			}, s[1:]) + "}"
		}
	}
	return method + " " + strings.Join(segs, "/")
}

func (a *App) webhookRoutes(mp *maestrano.Marketplace) {
	if p := mp.Webhooks.Account.GroupPath; p != "" {
		a.addWebhook(webhookPattern(http.MethodDelete, p), mp.Name, a.handleGroupRemoved)
	}
	if p := mp.Webhooks.Account.GroupUserPath; p != "" {
		a.addWebhook(webhookPattern(http.MethodDelete, p), mp.Name, a.handleMemberRemoved)
	}
}

// addWebhook routes pattern to h for marketplace name. Marketplaces that
// share a path share the route; the credentials choose.
func (a *App) addWebhook(pattern, name string, h func(http.ResponseWriter, *http.Request, string)) {
	if rt, ok := a.webhooks[pattern]; ok {
		rt.marketplaces = append(rt.marketplaces, name)
		return
	}
	rt := &webhookRoute{marketplaces: []string{name}}
	a.webhooks[pattern] = rt
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxWebhookBody)
		for _, mp := range rt.marketplaces {
			if a.reg.AuthenticateRequest(r, mp) {
				h(w, r, mp)
				return
			}
		}
		a.logger.LogAttrs(r.Context(), slog.LevelWarn, "demo: webhook refused: bad credentials", slog.String("path", r.URL.Path))
		w.Header().Set("WWW-Authenticate", `Basic realm="maestrano"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "Invalid credentials"})
	})
}

// handleGroupRemoved is the account webhook "the group cancelled the
// service": the group is disabled locally; its users lose access on their
// next request (see [App.logged]).
func (a *App) handleGroupRemoved(w http.ResponseWriter, r *http.Request, marketplace string) {
	group := r.PathValue("id")
	changed, err := a.db.disableGroup(r.Context(), marketplace, group)
	if err != nil {
		a.webhookFailed(w, r, err)
		return
	}
	outcome := "Disabled the group: its users can no longer use the app."
	if !changed {
		outcome = "Nothing to do: the group was unknown or already disabled."
	}
	a.recordWebhook(w, r, marketplace, group, event{Kind: "Group removed", Subject: group, Outcome: outcome})
}

// handleMemberRemoved is the account webhook "the user left the group":
// that membership goes.
func (a *App) handleMemberRemoved(w http.ResponseWriter, r *http.Request, marketplace string) {
	group, user := r.PathValue("group_id"), maskUser(r.PathValue("id"))
	changed, err := a.db.removeMember(r.Context(), marketplace, group, user)
	if err != nil {
		a.webhookFailed(w, r, err)
		return
	}
	outcome := "Removed the membership: the user can no longer use the app in this group."
	if !changed {
		outcome = "Nothing to do: the user was not a member of the group here."
	}
	a.recordWebhook(w, r, marketplace, group, event{Kind: "Member removed", Subject: user, Outcome: outcome})
}

// maskUser turns a virtual uid ("usr-1.cld-1") into the user's uid.
func maskUser(uid string) string {
	if i := strings.IndexByte(uid, '.'); i > 0 {
		return uid[:i]
	}
	return uid
}

func (a *App) recordWebhook(w http.ResponseWriter, r *http.Request, marketplace, group string, e event) {
	if err := a.db.addEvent(r.Context(), marketplace, group, e); err != nil {
		a.webhookFailed(w, r, err)
		return
	}
	a.logger.LogAttrs(r.Context(), slog.LevelInfo, "demo: account webhook", slog.String("marketplace", marketplace),
		slog.String("kind", e.Kind), slog.String("subject", e.Subject), slog.String("group", group))
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

func (a *App) webhookFailed(w http.ResponseWriter, r *http.Request, err error) {
	a.logger.LogAttrs(r.Context(), slog.LevelError, "demo: webhook failed", slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error; retry later"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
