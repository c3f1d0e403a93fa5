// Package flowtest drives the browser side of an SSO login over real HTTP,
// the way a script (or a curl session) would: it keeps cookies, follows no
// redirect by itself, and reads the IdP's auto-submit form. It is used by
// the end-to-end tests of the demo app and the mno command.
package flowtest

import (
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// Browser is an HTTP client with a cookie jar that reports redirects
// instead of following them.
type Browser struct {
	t testing.TB
	// Client sends the requests; it keeps cookies and does not follow
	// redirects.
	Client *http.Client
}

// NewBrowser returns a Browser whose failures fail t.
func NewBrowser(t testing.TB) *Browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Browser{t: t, Client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Page is a response with its body read.
type Page struct {
	Status   int    // HTTP status code
	Location string // Location header resolved against the request URL; "" if none
	Body     string // body, read up to 4 MiB
}

// Get fetches u.
func (b *Browser) Get(u string) Page {
	b.t.Helper()
	resp, err := b.Client.Get(u)
	if err != nil {
		b.t.Fatalf("GET %s: %v", u, err)
	}
	return read(b.t, resp)
}

// PostForm posts vals to u.
func (b *Browser) PostForm(u string, vals url.Values) Page {
	b.t.Helper()
	resp, err := b.Client.PostForm(u, vals)
	if err != nil {
		b.t.Fatalf("POST %s: %v", u, err)
	}
	return read(b.t, resp)
}

func read(t testing.TB, resp *http.Response) Page {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		t.Fatalf("reading %s: %v", resp.Request.URL, err)
	}
	loc := resp.Header.Get("Location")
	if loc != "" {
		if u, err := resp.Request.URL.Parse(loc); err == nil {
			loc = u.String()
		}
	}
	return Page{Status: resp.StatusCode, Location: loc, Body: string(body)}
}

// AutoPost reads the IdP's auto-submit page: the form action and the
// SAMLResponse value, HTML-unescaped. It searches strings rather than
// matching regular expressions: internal/loadgen calls it on every login,
// and the regular expressions were a fifth of a login's CPU in the
// benchmarks, which measure the platform and the SDK, not the harness.
func AutoPost(body string) (action, samlResponse string, err error) {
	attr := func(from, name string) (string, bool) {
		_, rest, ok := strings.Cut(from, name+`="`)
		if !ok {
			return "", false
		}
		v, _, ok := strings.Cut(rest, `"`)
		return html.UnescapeString(v), ok
	}
	_, form, ok := strings.Cut(body, "<form")
	if !ok {
		return "", "", errors.New("flowtest: page has no form")
	}
	action, ok = attr(form, "action")
	if !ok {
		return "", "", errors.New("flowtest: form has no action")
	}
	_, field, ok := strings.Cut(form, `name="SAMLResponse"`)
	if !ok {
		return "", "", errors.New("flowtest: form has no SAMLResponse field")
	}
	if samlResponse, ok = attr(field, "value"); !ok || samlResponse == "" {
		return "", "", errors.New("flowtest: empty SAMLResponse")
	}
	return action, samlResponse, nil
}

// IdPResponse follows the app's init URL to the IdP, picks the user (and
// the group, when not empty) with query parameters, and returns the ACS
// URL and the SAMLResponse the IdP would have the browser post.
func (b *Browser) IdPResponse(initURL, userUID, groupUID string) (acs, samlResponse string) {
	b.t.Helper()
	p := b.Get(initURL)
	if p.Status != http.StatusFound || p.Location == "" {
		b.t.Fatalf("GET %s: status %d, want a redirect to the IdP; body: %.300s", initURL, p.Status, p.Body)
	}
	idp := p.Location + "&user_uid=" + url.QueryEscape(userUID)
	if groupUID != "" {
		idp += "&group_id=" + url.QueryEscape(groupUID)
	}
	p = b.Get(idp)
	if p.Status != http.StatusOK {
		b.t.Fatalf("GET IdP: status %d; body: %.300s", p.Status, p.Body)
	}
	acs, resp, err := AutoPost(p.Body)
	if err != nil {
		b.t.Fatalf("IdP page: %v; body: %.300s", err, p.Body)
	}
	return acs, resp
}

// Login runs the whole login and returns the page the app lands on.
func (b *Browser) Login(initURL, userUID, groupUID string) Page {
	b.t.Helper()
	acs, resp := b.IdPResponse(initURL, userUID, groupUID)
	p := b.PostForm(acs, url.Values{"SAMLResponse": {resp}})
	if p.Status != http.StatusSeeOther {
		b.t.Fatalf("POST %s: status %d, want 303; body: %.500s", acs, p.Status, p.Body)
	}
	return b.Get(p.Location)
}

// Text returns the text of the element with the given id attribute in an
// HTML page, unescaped, or "".
func Text(body, id string) string {
	re := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(html.UnescapeString(m[1]))
}

// Field returns the value of the first input named name in an HTML page,
// unescaped, or "".
func Field(body, name string) string {
	re := regexp.MustCompile(`<input[^>]*name="` + regexp.QuoteMeta(name) + `"[^>]*value="([^"]*)"`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}
