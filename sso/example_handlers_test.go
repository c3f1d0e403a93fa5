package sso_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"html"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/sandbox"
	"github.com/maestrano-go/maestrano/sso"
)

// ExampleSet_Mount is a whole multi-tenant app: login handlers for every
// marketplace, a page behind the session middleware, and logout. A scripted
// browser then logs in through the local platform sandbox.
func ExampleSet_Mount() {
	ctx := context.Background()

	// The platform: a sandbox on loopback, told where the app lives.
	sbSrv, appSrv := httptest.NewUnstartedServer(nil), httptest.NewUnstartedServer(nil)
	dir, _ := os.MkdirTemp("", "sandbox")
	defer os.RemoveAll(dir)
	sb, err := sandbox.Open(ctx, sandbox.Config{DataDir: dir, BaseURL: "http://" + sbSrv.Listener.Addr().String()})
	if err != nil {
		log.Fatal(err)
	}
	defer sb.Close()
	sb.SetAppHost(ctx, sandbox.DemoAppUID, "http://"+appSrv.Listener.Addr().String())
	sbSrv.Config.Handler = sb
	sbSrv.Start()
	defer sbSrv.Close()

	// The app.
	creds := sb.DevPlatform()
	reg, err := maestrano.AutoConfigure(ctx, maestrano.DevPlatform{Host: creds.Host, EnvKey: creds.EnvKey, EnvSecret: maestrano.Secret(creds.EnvSecret)})
	if err != nil {
		log.Fatal(err)
	}
	set, err := sso.NewSet(reg)
	if err != nil {
		log.Fatal(err)
	}
	key := make([]byte, 32) // in a real app: from the secret store, stable across restarts
	rand.Read(key)
	keys, _ := sso.NewKeyring(key)
	store, _ := sso.NewCookieStore(keys)
	mux := http.NewServeMux()
	err = set.Mount(mux, keys, store, func(w http.ResponseWriter, r *http.Request, id *sso.Identity) error {
		// Find or create the local user, group and membership here.
		fmt.Println("login:", id.LocalUID, id.User.FirstName, id.Group.Name, id.Membership.Role)
		return nil // nothing written: the browser goes to "/"
	})
	if err != nil {
		log.Fatal(err)
	}
	mw, _ := sso.NewMiddleware(set, store)
	mux.Handle("GET /{$}", mw.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := sso.FromContext(r.Context())
		fmt.Fprintf(w, "hello %s of %s", s.UserUID, s.GroupUID)
	})))
	mux.Handle("POST /logout", mw.Logout())
	appSrv.Config.Handler = mux
	appSrv.Start()
	defer appSrv.Close()

	// A browser: open the app, get sent to the IdP, pick usr-1, post the
	// response back, land on the page.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(appSrv.URL + "/")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	picker := resp.Request.URL.String() // the IdP's user picker
	resp, _ = browser.Get(picker + "&user_uid=usr-1")
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`action="([^"]*)"[\s\S]*name="SAMLResponse" value="([^"]*)"`).FindSubmatch(page)
	resp, err = browser.PostForm(html.UnescapeString(string(m[1])), url.Values{"SAMLResponse": {html.UnescapeString(string(m[2]))}})
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(string(body))
	// Output:
	// login: usr-1 John Acme Corp Admin
	// hello usr-1 of cld-1
}
