package sandbox

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func deflateBase64(t testing.TB, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	_, _ = fw.Write(b)
	_ = fw.Close()
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "idp", "authn_request", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeAuthnRequest(t *testing.T) {
	t.Parallel()
	enc := deflateBase64(t, fixture(t, "php_sdk.xml"))
	var wrapped strings.Builder // Ruby's Base64.encode64 wraps at 60 columns
	for i := 0; i < len(enc); i += 60 {
		wrapped.WriteString(enc[i:min(i+60, len(enc))] + "\n")
	}
	tests := []struct {
		name, in string
	}{
		{"plain", enc},
		{"line breaks", wrapped.String()},
		{"unescaped plus", strings.ReplaceAll(enc, "+", " ")},
		{"no padding", strings.TrimRight(enc, "=")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := decodeAuthnRequest(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			want := authnRequest{
				ID:     "ONELOGIN_5f1e3a7c9b2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f",
				ACSURL: "http://127.0.0.1:8081/maestrano/auth/saml/consume/maestrano",
				Issuer: "app-1",
			}
			if *req != want {
				t.Errorf("got %+v, want %+v", *req, want)
			}
		})
	}
}

// FuzzDecodeAuthnRequest checks that the SAMLRequest decoder never panics
// and that whatever it accepts is complete and bounded.
func FuzzDecodeAuthnRequest(f *testing.F) {
	for _, name := range []string{"php_sdk.xml", "doctype.xml", "wrong_root.xml"} {
		f.Add(deflateBase64(f, fixture(f, name)))
	}
	f.Add(base64.StdEncoding.EncodeToString(fixture(f, "php_sdk.xml"))) // not deflated
	f.Add(deflateBase64(f, []byte(`<AuthnRequest xmlns="urn:oasis:names:tc:SAML:2.0:protocol" ID="x" AssertionConsumerServiceURL="http://a/"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">app-1</Issuer></AuthnRequest>`)))
	f.Add("")
	f.Add("====")
	f.Fuzz(func(t *testing.T, in string) {
		req, err := decodeAuthnRequest(in)
		if err != nil {
			if req != nil {
				t.Fatal("request and error")
			}
			return
		}
		if req.ID == "" || req.ACSURL == "" || req.Issuer == "" {
			t.Fatalf("incomplete request accepted: %+v", req)
		}
		if len(req.ID) > maxAuthnRequestField || len(req.ACSURL) > maxAuthnRequestField || len(req.Issuer) > maxAuthnRequestField {
			t.Fatal("oversized field accepted")
		}
	})
}
