package maestrano

import (
	"bytes"
	"os"
	"testing"
)

// FuzzParseDevPlatformFile: the dev-platform.json reader never panics and
// either fails or returns what the file says.
func FuzzParseDevPlatformFile(f *testing.F) {
	for _, p := range []string{"testdata/devplatform/php/dev-platform.json", "testdata/devplatform/ruby/dev-platform.json", "testdata/devplatform/unknown-field/dev-platform.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"dev-platform":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dp, err := parseDevPlatformFile(bytes.NewReader(data))
		if err != nil && dp != (DevPlatform{}) {
			t.Fatalf("error %v with a non-empty result %+v", err, dp)
		}
	})
}

// FuzzParseRegistry: a static configuration file never panics the reader.
func FuzzParseRegistry(f *testing.F) {
	for _, p := range []string{"testdata/registry/static/marketplaces.json", "testdata/registry/typo/marketplaces.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"marketplaces":[{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		reg, err := ParseRegistry(bytes.NewReader(data))
		if (err == nil) == (reg == nil) {
			t.Fatalf("registry %v with error %v", reg, err)
		}
	})
}
