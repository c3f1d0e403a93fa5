package maestrano_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/sandbox"
)

// ExampleLoadDevPlatform reads the developer-platform settings from the
// environment (pass os.Getenv; here a map stands in for it) and shows the URL
// the marketplace configuration is fetched from.
func ExampleLoadDevPlatform() {
	vars := map[string]string{
		"MNO_DEVPL_HOST":       "https://developer.maestrano.com",
		"MNO_DEVPL_API_PATH":   "/api/config/v1/", // the PHP SDK's form; "/api/config/v1/marketplaces" works too
		"MNO_DEVPL_ENV_KEY":    "5e351c6a-b385-425d-b7d2-bafdb22f9476",
		"MNO_DEVPL_ENV_SECRET": "SFHrk0XVRZXfQS9hO8stYA",
	}
	dp, err := maestrano.LoadDevPlatform("", func(k string) string { return vars[k] })
	if err != nil {
		fmt.Println(err)
		return
	}
	u, _ := dp.MarketplacesURL()
	fmt.Println(u)
	fmt.Println(dp.EnvKey, dp.EnvSecret) // the secret never prints
	// Output:
	// https://developer.maestrano.com/api/config/v1/marketplaces
	// 5e351c6a-b385-425d-b7d2-bafdb22f9476 [redacted]
}

// ExampleAutoConfigure configures an app from the local developer platform
// (the sandbox) and keeps a copy on disk, so that the app still starts when
// the developer platform is down.
func ExampleAutoConfigure() {
	ctx := context.Background()
	srv := httptest.NewUnstartedServer(nil)
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	sb, err := sandbox.Open(ctx, sandbox.Config{DataDir: filepath.Join(dir, "sandbox"), BaseURL: "http://" + srv.Listener.Addr().String()})
	if err != nil {
		log.Fatal(err)
	}
	defer sb.Close()
	srv.Config.Handler = sb
	srv.Start()
	defer srv.Close()

	creds := sb.DevPlatform() // what `mno sandbox` prints as MNO_DEVPL_*
	vars := map[string]string{"MNO_DEVPL_HOST": creds.Host, "MNO_DEVPL_ENV_KEY": creds.EnvKey, "MNO_DEVPL_ENV_SECRET": creds.EnvSecret}
	dp, err := maestrano.LoadDevPlatform("", func(k string) string { return vars[k] })
	if err != nil {
		log.Fatal(err)
	}
	reg, err := maestrano.AutoConfigure(ctx, dp, maestrano.WithCache(filepath.Join(dir, "cache")))
	if err != nil {
		log.Fatal(err)
	}
	mp, _ := reg.Get("maestrano")
	fmt.Println(reg.Names(), mp.SSO.InitPath)

	// The platform goes away; the cached copy still configures the app.
	srv.Close()
	reg, err = maestrano.AutoConfigure(ctx, dp, maestrano.WithCache(filepath.Join(dir, "cache")), maestrano.WithRetries(0))
	fmt.Println(reg.Names(), err)
	// Output:
	// [maestrano] /maestrano/auth/saml/init/maestrano
	// [maestrano] <nil>
}

// ExampleLoadRegistryFile configures an app without the developer platform,
// from a file in the developer platform's answer shape, and prints the
// public metadata of one marketplace (never the API key).
func ExampleLoadRegistryFile() {
	reg, err := maestrano.LoadRegistryFile("testdata/registry/static/marketplaces.json")
	if err != nil {
		log.Fatal(err)
	}
	mp, _ := reg.Get("maestrano")
	md, _ := json.Marshal(mp.Metadata().API)
	fmt.Println(reg.Names())
	fmt.Println(strings.Replace(string(md), runtime.Version(), "goX", 1))
	// Output:
	// [maestrano maestrano-uat]
	// {"id":"app-static","host":"https://api-hub.example.com","base":"/api/v1/","version":"0.1.0","lang":"go","lang_version":"goX"}
}
