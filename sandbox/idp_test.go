package sandbox_test

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/maestrano-go/maestrano/sandbox"
)

func TestIdPBadRequests(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	valid := func(acs string) string { return encodeRequest(t, []byte(authnRequestXML("_r1", "app-1", acs))) }
	tests := []struct {
		name     string
		path     string
		status   int
		wantBody string
	}{
		{"missing SAMLRequest", "/api/v1/auth/saml", 400, "missing SAMLRequest parameter"},
		{"missing SAMLRequest, other parameters", "/api/v1/auth/saml?user_uid=usr-1", 400, "missing SAMLRequest parameter"},
		{"empty SAMLRequest", "/api/v1/auth/saml?SAMLRequest=", 400, "SAMLRequest is empty"},
		{"bad base64", ssoPath("!!!not base64***"), 400, "SAMLRequest is not valid base64"},
		{"not deflate", ssoPath(base64.StdEncoding.EncodeToString([]byte("plain text, not deflated"))), 400, "not valid raw DEFLATE"},
		{"deflate bomb", ssoPath(encodeRequest(t, make([]byte, 10<<20))), 400, "SAMLRequest too large"},
		{"encoded too large", ssoPath(strings.Repeat("A", 65<<10)), 400, "SAMLRequest too large"},
		{"query too large", "/api/v1/auth/saml?x=" + strings.Repeat("A", 400<<10), 400, "query string too large"},
		{"doctype", ssoPath(encodeRequest(t, readFixture(t, "doctype.xml"))), 400, "must not contain a DOCTYPE"},
		{"not xml", ssoPath(encodeRequest(t, []byte("<a><b></a>"))), 400, "not well-formed XML"},
		{"wrong root", ssoPath(encodeRequest(t, readFixture(t, "wrong_root.xml"))), 400, "not a SAML 2.0 AuthnRequest"},
		{"wrong namespace", ssoPath(encodeRequest(t, []byte(strings.Replace(authnRequestXML("_r", "app-1", defaultACS), "SAML:2.0:protocol", "SAML:1.0:protocol", 1)))), 400, "not a SAML 2.0 AuthnRequest"},
		{"no ID", ssoPath(encodeRequest(t, []byte(authnRequestXML("", "app-1", defaultACS)))), 400, "AuthnRequest has no ID"},
		{"no ACS", ssoPath(encodeRequest(t, []byte(authnRequestXML("_r", "app-1", "")))), 400, "no AssertionConsumerServiceURL"},
		{"no issuer", ssoPath(encodeRequest(t, []byte(authnRequestXML("_r", "", defaultACS)))), 400, "AuthnRequest has no Issuer"},
		{"unknown issuer", ssoPath(encodeRequest(t, []byte(authnRequestXML("_r", "app-42", defaultACS)))), 400, "Wrong APP ID! The API app_id parameter is likely to be misconfigured."},
		{"foreign origin", ssoPath(valid("https://evil.example/maestrano/auth/saml/consume/maestrano")), 400, "is not the app's registered consume URL"},
		{"foreign port", ssoPath(valid("http://127.0.0.1:8082/maestrano/auth/saml/consume/maestrano")), 400, "is not the app's registered consume URL"},
		{"foreign scheme", ssoPath(valid("https://127.0.0.1:8081/maestrano/auth/saml/consume/maestrano")), 400, "is not the app's registered consume URL"},
		{"javascript ACS", ssoPath(valid("javascript:alert(1)")), 400, "must be an absolute http or https URL"},
		{"relative ACS", ssoPath(valid("/maestrano/auth/saml/consume/maestrano")), 400, "must be an absolute http or https URL"},
		{"unknown user", ssoPath(valid(defaultACS), "user_uid", "usr-404"), 404, "User not found"},
		{"user without the app's group", ssoPath(valid(defaultACS), "user_uid", "usr-3", "group_id", "cld-1"), 403, "Access Denied"},
		{"group the user is not in", ssoPath(valid(defaultACS), "user_uid", "usr-2", "group_id", "cld-2"), 403, "Access Denied"},
		{"unknown group", ssoPath(valid(defaultACS), "user_uid", "usr-1", "group_id", "cld-404"), 403, "Access Denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			status, _, body := e.do(t, "GET", tt.path, nil)
			if status != tt.status {
				t.Fatalf("status = %d, want %d; body %s", status, tt.status, body)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body %q does not contain %q", body, tt.wantBody)
			}
			if strings.Contains(body, "SAMLResponse") {
				t.Error("error answer carries a SAMLResponse")
			}
		})
	}
}

func TestIdPPicker(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	req := encodeRequest(t, []byte(authnRequestXML("_r1", "app-1", defaultACS)))
	// Clients append their own parameters, sometimes group_id: it is replaced.
	status, hdr, body := e.do(t, "GET", ssoPath(req, "marketplace", "maestrano", "group_id", "cld-2"), nil)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	if hdr.Get("Cache-Control") != "no-store" || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Errorf("headers %v", hdr)
	}
	for _, want := range []string{
		"John Doe — Acme Corp (Admin)",
		"John Doe — Globex Ltd (Member)",
		"Jane Roe — Acme Corp (Power User)",
		"Alan Smithee — Globex Ltd (Super Admin)",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("picker lacks %q", want)
		}
	}
	// Follow the first link: it must log John Doe in through Acme Corp.
	i := strings.Index(body, `<a href="`)
	if i < 0 {
		t.Fatal("no link")
	}
	href := html.UnescapeString(body[i+len(`<a href="`) : i+strings.Index(body[i:], `">`)])
	if !strings.HasPrefix(href, "/api/v1/auth/saml?SAMLRequest=") || !strings.HasSuffix(href, "&marketplace=maestrano&user_uid=usr-1&group_id=cld-1") {
		t.Fatalf("link %q", href)
	}
	status, _, body = e.do(t, "GET", href, nil)
	if status != http.StatusOK {
		t.Fatalf("follow link: status %d: %s", status, body)
	}
	_, doc := postedResponse(t, body)
	a := attributes(validateAssertion(t, doc, e.sb.Certificate(), testNow))
	if a["group_uid"] != "cld-1" || a["uid"] != "usr-1" {
		t.Errorf("attributes %v", a)
	}
}

func TestIdPLogin(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{SessionRecheck: 5 * time.Minute})
	tests := []struct {
		user, group         string
		wantGroup, wantRole string
		wantName            string
	}{
		{"usr-1", "", "cld-1", "Admin", "Acme Corp"},
		{"usr-1", "cld-1", "cld-1", "Admin", "Acme Corp"},
		{"usr-1", "cld-2", "cld-2", "Member", "Globex Ltd"},
		{"usr-2", "", "cld-1", "Power User", "Acme Corp"},
		{"usr-3", "", "cld-2", "Super Admin", "Globex Ltd"},
	}
	for _, tt := range tests {
		t.Run(tt.user+"/"+tt.group, func(t *testing.T) {
			t.Parallel()
			a := attributes(e.login(t, tt.user, tt.group))
			want := map[string]string{
				"mno_uid":               tt.user,
				"mno_session_recheck":   "2030-01-02T03:09:05Z",
				"group_uid":             tt.wantGroup,
				"group_name":            tt.wantName,
				"group_end_free_trial":  "2030-02-02T03:04:05Z",
				"group_role":            tt.wantRole,
				"group_has_credit_card": "false",
				"group_email":           tt.wantGroup + "@example.com",
				"group_currency":        "USD",
				"group_timezone":        "America/Los_Angeles",
				"group_country":         "US",
				"group_city":            "Los Angeles",
				"group_org_uid":         "org-" + strings.TrimPrefix(tt.wantGroup, "cld-"),
				"uid":                   tt.user,
				"virtual_uid":           tt.user + "." + tt.wantGroup,
				"virtual_email":         tt.user + "." + tt.wantGroup + "@mno-api-sandbox-mail.maestrano.com",
				"country":               "US",
			}
			for k, v := range want {
				if a[k] != v {
					t.Errorf("%s = %q, want %q", k, a[k], v)
				}
			}
			if s := a["mno_session"]; len(s) != 36 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
				t.Errorf("mno_session %q is not 36 [a-z0-9]", s)
			}
			for _, k := range []string{"email", "name", "surname", "company_name"} {
				if a[k] == "" {
					t.Errorf("%s is empty", k)
				}
			}
			if len(a) != 22 {
				t.Errorf("%d attributes, want 22: %v", len(a), a)
			}
		})
	}
}

// TestIdPResponseShape checks the Response envelope and the assertion
// structure, for both signature algorithms.
func TestIdPResponseShape(t *testing.T) {
	t.Parallel()
	for _, alg := range []struct{ cfg, uri string }{
		{"", dsig.RSASHA256SignatureMethod},
		{sandbox.SignatureRSASHA1, dsig.RSASHA1SignatureMethod},
	} {
		t.Run("alg="+alg.cfg, func(t *testing.T) {
			t.Parallel()
			e := setup(t, sandbox.Config{SignatureAlgorithm: alg.cfg})
			reqXML := readFixture(t, "php_sdk.xml")
			status, hdr, body := e.do(t, "GET", ssoPath(encodeRequest(t, reqXML), "user_uid", "usr-1"), nil)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			if hdr.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", hdr.Get("Cache-Control"))
			}
			if !strings.Contains(body, "<noscript>") || !strings.Contains(body, `type="submit"`) {
				t.Error("no no-JS submit button")
			}
			if m := samlResponseRe.FindStringSubmatch(body); m == nil || strings.ContainsAny(m[1], "\r\n") {
				t.Error("SAMLResponse missing or has line breaks")
			}
			action, doc := postedResponse(t, body)
			if action != defaultACS {
				t.Errorf("form action %q", action)
			}
			resp := doc.Root()
			wantIssuer := e.srv.URL + "/api/v1/auth/saml"
			const reqID = "ONELOGIN_5f1e3a7c9b2d4e6f8a0b1c2d3e4f5a6b7c8d9e0f"
			attrChecks := []struct {
				el        *etree.Element
				key, want string
			}{
				{resp, "Version", "2.0"},
				{resp, "IssueInstant", "2030-01-02T03:04:05Z"},
				{resp, "Destination", defaultACS},
				{resp, "InResponseTo", reqID},
			}
			if resp.Tag != "Response" || resp.NamespaceURI() != "urn:oasis:names:tc:SAML:2.0:protocol" {
				t.Fatalf("root %s in %s", resp.Tag, resp.NamespaceURI())
			}
			if !strings.HasPrefix(resp.SelectAttrValue("ID", ""), "_") {
				t.Errorf("Response ID %q", resp.SelectAttrValue("ID", ""))
			}
			if got := resp.FindElement("./Issuer").Text(); got != wantIssuer {
				t.Errorf("Response Issuer %q, want %q", got, wantIssuer)
			}
			if got := resp.FindElement("./Status/StatusCode").SelectAttrValue("Value", ""); got != "urn:oasis:names:tc:SAML:2.0:status:Success" {
				t.Errorf("StatusCode %q", got)
			}
			assertions := resp.SelectElements("Assertion")
			if len(assertions) != 1 {
				t.Fatalf("%d assertions", len(assertions))
			}
			as := assertions[0]
			if as.NamespaceURI() != "urn:oasis:names:tc:SAML:2.0:assertion" {
				t.Errorf("assertion namespace %q", as.NamespaceURI())
			}
			var order []string
			for _, c := range as.ChildElements() {
				order = append(order, c.Tag)
			}
			if got := strings.Join(order, ","); got != "Issuer,Signature,Subject,Conditions,AttributeStatement,AuthnStatement" {
				t.Errorf("assertion children %s", got)
			}
			sig := as.SelectElement("Signature")
			assertionID := as.SelectAttrValue("ID", "")
			attrChecks = append(attrChecks, []struct {
				el        *etree.Element
				key, want string
			}{
				{as, "IssueInstant", "2030-01-02T03:04:05Z"},
				{as, "Version", "2.0"},
				{sig.FindElement("./SignedInfo/SignatureMethod"), "Algorithm", alg.uri},
				{sig.FindElement("./SignedInfo/CanonicalizationMethod"), "Algorithm", "http://www.w3.org/2001/10/xml-exc-c14n#"},
				{sig.FindElement("./SignedInfo/Reference"), "URI", "#" + assertionID},
				{as.FindElement("./Subject/NameID"), "Format", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"},
				{as.FindElement("./Subject/SubjectConfirmation"), "Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer"},
				{as.FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData"), "InResponseTo", reqID},
				{as.FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData"), "NotOnOrAfter", "2030-01-02T03:07:05Z"},
				{as.FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData"), "Recipient", defaultACS},
				{as.FindElement("./Conditions"), "NotBefore", "2030-01-02T03:04:00Z"},
				{as.FindElement("./Conditions"), "NotOnOrAfter", "2030-01-02T04:04:05Z"},
				{as.FindElement("./AuthnStatement"), "AuthnInstant", "2030-01-02T03:04:05Z"},
				{as.FindElement("./AuthnStatement"), "SessionIndex", assertionID},
			}...)
			for _, c := range attrChecks {
				if c.el == nil {
					t.Errorf("missing element for %s", c.key)
					continue
				}
				if got := c.el.SelectAttrValue(c.key, ""); got != c.want {
					t.Errorf("%s/@%s = %q, want %q", c.el.Tag, c.key, got, c.want)
				}
			}
			var transforms []string
			for _, tr := range sig.FindElements("./SignedInfo/Reference/Transforms/Transform") {
				transforms = append(transforms, tr.SelectAttrValue("Algorithm", ""))
			}
			if got := strings.Join(transforms, " "); got != "http://www.w3.org/2000/09/xmldsig#enveloped-signature http://www.w3.org/2001/10/xml-exc-c14n#" {
				t.Errorf("transforms %s", got)
			}
			if got := as.FindElement("./Issuer").Text(); got != wantIssuer {
				t.Errorf("Assertion Issuer %q", got)
			}
			if got := as.FindElement("./Subject/NameID").Text(); got != "usr-1" {
				t.Errorf("NameID %q", got)
			}
			if got := as.FindElement("./Conditions/AudienceRestriction/Audience").Text(); got != "http://127.0.0.1:8081/" {
				t.Errorf("Audience %q", got)
			}
			validated := validateAssertion(t, doc, e.sb.Certificate(), testNow)
			if a := attributes(validated); a["group_uid"] != "cld-1" || a["group_role"] != "Admin" {
				t.Errorf("group_uid %q role %q", a["group_uid"], a["group_role"])
			}
		})
	}
}

// TestIdPSignatureTamper checks that the signature actually covers the
// assertion: an edited attribute or a foreign certificate fails validation.
func TestIdPSignatureTamper(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	other := setup(t, sandbox.Config{})
	status, _, body := e.do(t, "GET", ssoPath(encodeRequest(t, []byte(authnRequestXML("_r", "app-1", defaultACS))), "user_uid", "usr-2"), nil)
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	_, doc := postedResponse(t, body)
	raw, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(raw, []byte(">Power User<"), []byte(">Super Admin<"), 1)
	if bytes.Equal(tampered, raw) {
		t.Fatal("role not found in response")
	}
	tdoc := etree.NewDocument()
	if err := tdoc.ReadFromBytes(tampered); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		doc  *etree.Document
		cert *x509.Certificate
	}{
		"tampered":     {tdoc, e.sb.Certificate()},
		"foreign cert": {doc, other.sb.Certificate()},
	} {
		vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{tc.cert}})
		vc.Clock = dsig.NewFakeClockAt(testNow)
		if _, err := vc.Validate(tc.doc.FindElement("/Response/Assertion")); err == nil {
			t.Errorf("%s: validation succeeded", name)
		}
	}
}

// TestIdPEscaping checks that attribute values with XML metacharacters are
// escaped in the assertion and the pages.
func TestIdPEscaping(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	// The ACS must be the registered consume URL, so the metacharacters go
	// into the app's host (a path prefix of sso.idm).
	if err := e.sb.SetAppHost(t.Context(), sandbox.DemoAppUID, "http://127.0.0.1:8081/t&x=a+b"); err != nil {
		t.Fatal(err)
	}
	acs := "http://127.0.0.1:8081/t&x=a+b/maestrano/auth/saml/consume/maestrano"
	reqXML := authnRequestXML("ID", "app-1", "ACS")
	reqXML = strings.Replace(reqXML, `"ID"`, `"`+html.EscapeString("_r&<")+`"`, 1)
	reqXML = strings.Replace(reqXML, `"ACS"`, `"`+html.EscapeString(acs)+`"`, 1)
	status, _, body := e.do(t, "GET", ssoPath(encodeRequest(t, []byte(reqXML)), "user_uid", "usr-1"), nil)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	action, doc := postedResponse(t, body)
	if action != acs {
		t.Errorf("action %q, want %q", action, acs)
	}
	if got := doc.Root().SelectAttrValue("InResponseTo", ""); got != "_r&<" {
		t.Errorf("InResponseTo %q", got)
	}
	validateAssertion(t, doc, e.sb.Certificate(), testNow)
}
