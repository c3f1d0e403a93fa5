package sandbox_test

import (
	"bytes"
	"compress/flate"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/maestrano-go/maestrano/sandbox"
)

// testNow is the pinned clock of most tests.
var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

const defaultACS = "http://127.0.0.1:8081/maestrano/auth/saml/consume/maestrano"

type env struct {
	sb  *sandbox.Sandbox
	srv *httptest.Server
	dir string
}

// setup starts a sandbox in a fresh data dir behind a real HTTP server. cfg
// may set Now, SessionRecheck and SignatureAlgorithm; DataDir and BaseURL are
// filled in.
func setup(t *testing.T, cfg sandbox.Config) *env {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(t.TempDir(), "data")
	}
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	sb, err := sandbox.Open(t.Context(), cfg)
	if err != nil {
		srv.Close()
		t.Fatalf("Open: %v", err)
	}
	srv.Config.Handler = sb
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		if err := sb.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &env{sb: sb, srv: srv, dir: cfg.DataDir}
}

// do sends a request and returns the status, headers and body.
func (e *env) do(t *testing.T, method, path string, hdr http.Header) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func basic(key, secret string) http.Header {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(key, secret)
	return http.Header{"Authorization": r.Header["Authorization"]}
}

func (e *env) authHeader() http.Header {
	dp := e.sb.DevPlatform()
	return basic(dp.EnvKey, dp.EnvSecret)
}

func decodeJSON[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %T from %q: %v", v, body, err)
	}
	return v
}

// authnRequestXML returns a minimal AuthnRequest.
func authnRequestXML(id, issuer, acs string) string {
	return fmt.Sprintf(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID=%q Version="2.0" IssueInstant="2030-01-02T03:04:05Z" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" AssertionConsumerServiceURL=%q><saml:Issuer>%s</saml:Issuer><samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" AllowCreate="true"/></samlp:AuthnRequest>`,
		id, acs, issuer)
}

// encodeRequest deflates (raw) and base64-encodes xml, the Redirect binding.
func encodeRequest(t testing.TB, xml []byte) string {
	t.Helper()
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(xml); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func ssoPath(samlRequest string, extra ...string) string {
	p := "/api/v1/auth/saml?SAMLRequest=" + url.QueryEscape(samlRequest)
	for i := 0; i+1 < len(extra); i += 2 {
		p += "&" + url.QueryEscape(extra[i]) + "=" + url.QueryEscape(extra[i+1])
	}
	return p
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "idp", "authn_request", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	formActionRe   = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	samlResponseRe = regexp.MustCompile(`name="SAMLResponse" value="([^"]*)"`)
)

// postedResponse extracts the form action and the decoded SAMLResponse XML
// of an auto-submit page.
func postedResponse(t *testing.T, page string) (action string, doc *etree.Document) {
	t.Helper()
	if !strings.Contains(page, `<body onload="document.forms[0].submit();">`) {
		t.Fatalf("not an auto-submit page:\n%s", page)
	}
	am, rm := formActionRe.FindStringSubmatch(page), samlResponseRe.FindStringSubmatch(page)
	if am == nil || rm == nil {
		t.Fatalf("no form action or SAMLResponse in:\n%s", page)
	}
	raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(rm[1]))
	if err != nil {
		t.Fatalf("SAMLResponse is not base64: %v", err)
	}
	doc = etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatalf("SAMLResponse is not XML: %v", err)
	}
	return html.UnescapeString(am[1]), doc
}

// validateAssertion checks the assertion's signature with goxmldsig against
// cert, at time now, and returns the validated assertion.
func validateAssertion(t *testing.T, doc *etree.Document, cert *x509.Certificate, now time.Time) *etree.Element {
	t.Helper()
	assertion := doc.FindElement("/Response/Assertion")
	if assertion == nil {
		t.Fatal("no Response/Assertion")
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	vc.Clock = dsig.NewFakeClockAt(now)
	validated, err := vc.Validate(assertion)
	if err != nil {
		t.Fatalf("assertion signature does not validate: %v", err)
	}
	return validated
}

func attributes(assertion *etree.Element) map[string]string {
	out := map[string]string{}
	for _, a := range assertion.FindElements("./AttributeStatement/Attribute") {
		vals := a.SelectElements("AttributeValue")
		if len(vals) == 1 {
			out[a.SelectAttrValue("Name", "")] = vals[0].Text()
		} else {
			out[a.SelectAttrValue("Name", "")] = fmt.Sprintf("<%d values>", len(vals))
		}
	}
	return out
}

// login runs the IdP flow for user (and group, if not empty) and returns the
// validated assertion.
func (e *env) login(t *testing.T, user, group string) *etree.Element {
	t.Helper()
	extra := []string{"user_uid", user}
	if group != "" {
		extra = append(extra, "group_id", group)
	}
	status, _, body := e.do(t, "GET", ssoPath(encodeRequest(t, []byte(authnRequestXML("_req1", "app-1", defaultACS))), extra...), nil)
	if status != http.StatusOK {
		t.Fatalf("login %s/%s: status %d: %s", user, group, status, body)
	}
	_, doc := postedResponse(t, body)
	return validateAssertion(t, doc, e.sb.Certificate(), testNow)
}
