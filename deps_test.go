package maestrano_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSDKDependencies keeps the SDK packages small: they may import the
// standard library, the XML-signature libraries and each other only. The
// sandbox, database drivers, browser drivers and benchmark peers stay out.
func TestSDKDependencies(t *testing.T) {
	t.Parallel()
	// Every SDK package belongs on this list (optional adapters with their
	// own dependencies, such as a Redis store, are checked separately).
	sdkPackages := []string{".", "./saml", "./sso", "./account", "./connec", "./internal/transport", "./internal/retry", "./internal/httpclient", "./internal/clip"}
	args := append([]string{"list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}"}, sdkPackages...)
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := []string{
		"github.com/maestrano-go/maestrano",
		"github.com/beevik/etree",
	}
	forbidden := []string{"github.com/maestrano-go/maestrano/sandbox", "github.com/maestrano-go/maestrano/demo", "github.com/maestrano-go/maestrano/internal/flowtest"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("SDK package depends on %s", dep)
			}
		}
		ok := false
		for _, a := range allowed {
			if dep == a || strings.HasPrefix(dep, a+"/") {
				ok = true
			}
		}
		if !ok {
			t.Errorf("SDK package depends on %s, which is not on the allowed list", dep)
		}
	}
}

// TestRedisStoreDependencies keeps the Redis adapter to the standard
// library, go-redis and go-redis's own dependencies.
func TestRedisStoreDependencies(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./redisstore").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := []string{
		"github.com/maestrano-go/maestrano/redisstore",
		"github.com/redis/go-redis/v9",
		"github.com/cespare/xxhash/v2",     // go-redis: cluster slots
		"github.com/dgryski/go-rendezvous", // go-redis: ring (older versions)
		"go.uber.org/atomic",               // go-redis
		"golang.org/x/sys",                 // xxhash / go-redis CPU features
	}
	for _, dep := range strings.Fields(string(out)) {
		ok := false
		for _, a := range allowed {
			if dep == a || strings.HasPrefix(dep, a+"/") {
				ok = true
			}
		}
		if !ok {
			t.Errorf("redisstore depends on %s, which is not on its allowed list", dep)
		}
	}
}

// TestSandboxDoesNotImportSDK keeps the two sides of the wire apart: the
// sandbox must not share code with the SDK it tests.
func TestSandboxDoesNotImportSDK(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "./sandbox/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/maestrano-go/maestrano") && !strings.HasPrefix(dep, "github.com/maestrano-go/maestrano/sandbox") {
			t.Errorf("sandbox depends on SDK package %s", dep)
		}
	}
}
