package sso_test

import (
	"context"
	"fmt"
	"html"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/sandbox"
	"github.com/maestrano-go/maestrano/sso"
)

// Example runs one whole login against the local platform sandbox: the app
// configures itself from the developer platform, sends the user to the IdP,
// and verifies what comes back.
func Example() {
	ctx := context.Background()

	// The platform side: a sandbox on a loopback port.
	srv := httptest.NewUnstartedServer(nil)
	dir, _ := os.MkdirTemp("", "sandbox")
	defer os.RemoveAll(dir)
	sb, err := sandbox.Open(ctx, sandbox.Config{DataDir: dir, BaseURL: "http://" + srv.Listener.Addr().String()})
	if err != nil {
		log.Fatal(err)
	}
	defer sb.Close()
	srv.Config.Handler = sb
	srv.Start()
	defer srv.Close()

	// The app side: configuration from the developer platform.
	creds := sb.DevPlatform()
	reg, err := maestrano.AutoConfigure(ctx, maestrano.DevPlatform{
		Host: creds.Host, EnvKey: creds.EnvKey, EnvSecret: maestrano.Secret(creds.EnvSecret),
	})
	if err != nil {
		log.Fatal(err)
	}
	mp, _ := reg.Get("maestrano")
	svc, err := sso.New(mp)
	if err != nil {
		log.Fatal(err)
	}

	// The init path redirects the browser to the IdP; keep requestID.
	redirect, requestID, err := svc.StartLogin(nil)
	if err != nil {
		log.Fatal(err)
	}

	// The browser picks usr-1 on the sandbox IdP and gets the form that
	// posts the SAMLResponse to the app.
	resp, err := http.Get(redirect + "&user_uid=usr-1")
	if err != nil {
		log.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	samlResponse := html.UnescapeString(regexp.MustCompile(`name="SAMLResponse" value="([^"]*)"`).FindStringSubmatch(string(page))[1])

	// The consume path verifies it.
	id, err := svc.FinishLogin(ctx, samlResponse, requestID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(id.User.UID, id.User.FirstName, id.User.LastName)
	fmt.Println(id.Group.UID, id.Group.Name, id.Membership.Role)

	// Later requests ask the platform whether the session is still alive
	// (at most once per recheck period).
	alive, err := svc.CheckSession(ctx, &id.Session)
	fmt.Println("session alive:", alive, err)
	// Output:
	// usr-1 John Doe
	// cld-1 Acme Corp Admin
	// session alive: true <nil>
}
