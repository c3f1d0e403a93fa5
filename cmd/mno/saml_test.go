package main

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/saml"
	"github.com/maestrano-go/maestrano/sandbox"
)

// loginResponse is a real SAMLResponse from the sandbox IdP.
type loginResponse struct {
	encoded   string // base64, as posted
	certPath  string // the IdP certificate, PEM
	sha1      string // its SHA-1 fingerprint, as the platform publishes it
	now       time.Time
	requestID string
	acs       string
	issuer    string
}

var formValue = regexp.MustCompile(`name="SAMLResponse" value="([^"]*)"`)

// sandboxLogin runs an SP-initiated login against a sandbox over loopback.
func sandboxLogin(t *testing.T) loginResponse {
	t.Helper()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	srv := httptest.NewUnstartedServer(nil)
	sb, err := sandbox.Open(t.Context(), sandbox.Config{DataDir: filepath.Join(t.TempDir(), "data"), BaseURL: "http://" + srv.Listener.Addr().String(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = sb
	srv.Start()
	t.Cleanup(func() { srv.Close(); sb.Close() })
	const acs = "http://127.0.0.1:8081/maestrano/auth/saml/consume/maestrano"
	idp := srv.URL + "/api/v1/auth/saml"
	sp, err := saml.NewServiceProvider(acs, nil, saml.WithFingerprints(saml.FingerprintSHA256(sb.Certificate())), saml.WithIssuer("app-1"), saml.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	req, err := sp.NewAuthnRequest()
	if err != nil {
		t.Fatal(err)
	}
	u, err := sp.RedirectURL(idp, req, url.Values{"user_uid": {"usr-1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formValue.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no SAMLResponse in %d answer:\n%s", resp.StatusCode, body)
	}
	certPath := filepath.Join(t.TempDir(), "idp.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: sb.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum(sb.Certificate().Raw)
	return loginResponse{encoded: html.UnescapeString(string(m[1])), certPath: certPath, sha1: fmt.Sprintf("%x", sum), now: now, requestID: req.ID, acs: acs, issuer: idp}
}

// run runs mno with args and stdin; it returns stdout, stderr and the exit
// status main would use.
func run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	m := NewMain(&out, &errb)
	m.Stdin = strings.NewReader(stdin)
	err := m.Run(t.Context(), args)
	code := 0
	var exit *exitError
	var usage *usageError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.code
	case errors.As(err, &usage):
		code = 2
	default:
		code = 1
	}
	return out.String(), errb.String(), code
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSAMLVerify(t *testing.T) {
	t.Parallel()
	lr := sandboxLogin(t)
	at := lr.now.Format(time.RFC3339)
	xml, err := saml.DecodeResponse(lr.encoded, saml.DefaultMaxResponseSize)
	if err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, "response.b64", lr.encoded)
	wrapped := writeFile(t, "wrapped.b64", wrap64(lr.encoded))
	colons := strings.ToUpper(regexp.MustCompile(`..`).ReplaceAllString(lr.sha1, "$0:"))
	colons = strings.TrimSuffix(colons, ":")
	tampered := strings.Replace(string(xml), ">usr-1<", ">usr-2<", 1)
	all := []string{"--cert", lr.certPath, "--now", at, "--audience", "http://127.0.0.1:8081/", "--destination", lr.acs, "--request-id", lr.requestID, "--issuer", lr.issuer}

	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  []string // in stdout
	}{
		{name: "valid, all checks, JSON", args: append(append([]string{"saml", "verify", "--json"}, all...), file), code: 0, want: []string{`"valid": true`, `"name_id": "usr-1"`, `"mno_uid": [`}},
		{name: "valid, human output", args: []string{"saml", "verify", "--cert", lr.certPath, "--now", at, file}, code: 0, want: []string{"valid\n", "name_id:      usr-1"}},
		{name: "base64 with line breaks", args: []string{"saml", "verify", "--cert", lr.certPath, "--now", at, wrapped}, code: 0},
		{name: "raw XML on stdin", stdin: string(xml), args: []string{"saml", "verify", "--cert", lr.certPath, "--now", at, "-"}, code: 0},
		{name: "form body on stdin", stdin: "SAMLResponse=" + url.QueryEscape(lr.encoded), args: []string{"saml", "verify", "--cert", lr.certPath, "--now", at}, code: 0},
		{name: "SHA-1 fingerprint with colons, no cert", args: []string{"saml", "verify", "--fingerprint", colons, "--now", at, file}, code: 0},
		{name: "expired", args: []string{"saml", "verify", "--json", "--cert", lr.certPath, "--now", lr.now.Add(time.Hour).Format(time.RFC3339), file}, code: 1, want: []string{`"valid": false`, "expired at", "allowed skew 1m30s"}},
		{name: "zero skew", args: []string{"saml", "verify", "--cert", lr.certPath, "--skew", "0s", "--now", lr.now.Add(-time.Minute).Format(time.RFC3339), file}, code: 1, want: []string{"invalid:"}},
		{name: "wrong audience", args: []string{"saml", "verify", "--cert", lr.certPath, "--now", at, "--audience", "https://other.example/", file}, code: 1, want: []string{"wrong audience"}},
		{name: "wrong destination", args: []string{"saml", "verify", "--cert", lr.certPath, "--now", at, "--destination", "https://other.example/acs", file}, code: 1, want: []string{"destination"}},
		{name: "wrong request ID", args: []string{"saml", "verify", "--cert", lr.certPath, "--now", at, "--request-id", "_other", file}, code: 1, want: []string{"InResponseTo"}},
		{name: "tampered", stdin: tampered, args: []string{"saml", "verify", "--json", "--cert", lr.certPath, "--now", at}, code: 1, want: []string{"signature invalid"}},
		{name: "wrong fingerprint", args: []string{"saml", "verify", "--fingerprint", strings.Repeat("ab", 32), "--now", at, file}, code: 1, want: []string{"not a configured IdP certificate"}},
		{name: "not SAML", stdin: "hello", args: []string{"saml", "verify", "--cert", lr.certPath}, code: 1},
		{name: "no trust anchor", args: []string{"saml", "verify", file}, code: 2},
		{name: "bad --now", args: []string{"saml", "verify", "--cert", lr.certPath, "--now", "yesterday", file}, code: 2},
		{name: "bad fingerprint", args: []string{"saml", "verify", "--fingerprint", "xyz", file}, code: 2},
		{name: "missing file", args: []string{"saml", "verify", "--cert", lr.certPath, filepath.Join(t.TempDir(), "nope")}, code: 2},
		{name: "missing cert file", args: []string{"saml", "verify", "--cert", filepath.Join(t.TempDir(), "nope"), file}, code: 2},
		{name: "two inputs", args: []string{"saml", "verify", "--cert", lr.certPath, file, file}, code: 2},
		{name: "unknown flag", args: []string{"saml", "verify", "--bogus"}, code: 2},
		{name: "unknown subcommand", args: []string{"saml", "sign"}, code: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, code := run(t, tc.stdin, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(strings.Join(tc.args, " "), "--json") {
				var res map[string]any
				if err := json.Unmarshal([]byte(out), &res); err != nil {
					t.Fatalf("not one JSON object: %v\n%s", err, out)
				}
				for _, k := range []string{"valid", "error", "issuer", "name_id", "assertion_id", "attributes"} {
					if _, ok := res[k]; !ok {
						t.Errorf("JSON lacks %q", k)
					}
				}
			}
		})
	}
}

func wrap64(s string) string {
	var b strings.Builder
	for len(s) > 64 {
		b.WriteString(s[:64] + "\r\n")
		s = s[64:]
	}
	return b.String() + s
}

func TestSAMLDecode(t *testing.T) {
	t.Parallel()
	lr := sandboxLogin(t)
	xml, _ := saml.DecodeResponse(lr.encoded, saml.DefaultMaxResponseSize)
	req := `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">app-1</saml:Issuer></samlp:AuthnRequest>`
	deflated, err := saml.EncodeRedirect([]byte(req))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, stdin, want string
		code              int
	}{
		{name: "POST base64", stdin: lr.encoded, want: "<samlp:Response"},
		{name: "raw XML", stdin: string(xml), want: "  <saml:Issuer>"},
		{name: "redirect value", stdin: deflated, want: `<samlp:AuthnRequest`},
		{name: "redirect URL", stdin: "https://idp.example.com/sso?SAMLRequest=" + url.QueryEscape(deflated) + "&RelayState=x", want: `ID="_r1"`},
		{name: "URL-encoded value", stdin: url.QueryEscape(deflated), want: "app-1"},
		{name: "plain base64 of XML", stdin: base64.StdEncoding.EncodeToString([]byte(req)), want: "app-1"},
		{name: "garbage", stdin: "!!!", code: 1},
		{name: "base64 of garbage", stdin: base64.StdEncoding.EncodeToString([]byte("garbage")), code: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, code := run(t, tc.stdin, "saml", "decode")
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, out)
			}
		})
	}
}
