package demo

import (
	"bytes"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/live.js
var liveJS []byte

// pageTitles names the pages; each is templates/<name>.html on the layout.
var pageTitles = map[string]string{
	"login":     "Log in",
	"error":     "Error",
	"dashboard": "Dashboard",
	"billing":   "Billing",
	"data":      "Data",
	"events":    "Events",
}

// parsePages builds one template set per page.
func parsePages() (map[string]*template.Template, error) {
	layout, err := template.ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	out := make(map[string]*template.Template, len(pageTitles))
	for name := range pageTitles {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}

// view is what the layout sees.
type view struct {
	Title, Page string
	User        *localUser // nil when logged out
	CSRF        string
	Data        any
}

type loginLink struct{ Marketplace, URL string }

type loginPage struct {
	Logins        []loginLink
	NoMarketplace bool
}

type errorPage struct {
	Title, Message, Retry string
}

type dashboardPage struct {
	User *localUser
}

type eventsPage struct {
	Events []event
}

// render writes the named page. It renders into a buffer first, so that a
// template error becomes a 500 rather than half a page.
func (a *App) render(w http.ResponseWriter, r *http.Request, status int, name string, req *request, data any) {
	v := view{Title: pageTitles[name], Page: name, Data: data}
	if req != nil {
		v.User, v.CSRF = req.user, req.csrf
	}
	if e, ok := data.(errorPage); ok {
		v.Title = e.Title
	}
	var buf bytes.Buffer
	if err := a.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		a.logger.Error("demo: render", slog.String("page", name), slog.String("error", err.Error()))
		status, buf = http.StatusInternalServerError, *bytes.NewBufferString("internal error\n")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderFragment writes the template named fragment of page name alone
// (no layout), for a script that refreshes part of a page.
func (a *App) renderFragment(w http.ResponseWriter, r *http.Request, name, fragment string, data any) {
	var buf bytes.Buffer
	if err := a.pages[name].ExecuteTemplate(&buf, fragment, data); err != nil {
		a.logger.LogAttrs(r.Context(), slog.LevelError, "demo: render fragment", slog.String("fragment", fragment), slog.String("error", err.Error()))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

func (a *App) errorPage(w http.ResponseWriter, status int, e errorPage) {
	a.render(w, nil, status, "error", nil, e)
}

func serveLiveJS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(liveJS)
}
