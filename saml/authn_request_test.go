package saml

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"flag"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

var updateGolden = flag.Bool("update", false, "rewrite golden files under testdata")

func fixedIDs(ids ...string) Option {
	i := 0
	return withIDGenerator(func() (string, error) {
		id := ids[i%len(ids)]
		i++
		return id, nil
	})
}

// decodeRedirect undoes the HTTP-Redirect binding: base64, raw inflate.
func decodeRedirect(t *testing.T, v string) []byte {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatalf("SAMLRequest is not base64: %v", err)
	}
	x, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("SAMLRequest does not raw-inflate: %v", err)
	}
	return x
}

func TestRedirectURL(t *testing.T) {
	t.Parallel()
	sp := newTestSP(t, WithIssuer("app-1"), fixedIDs("_0123456789abcdef"))
	req, err := sp.NewAuthnRequest()
	if err != nil {
		t.Fatal(err)
	}
	if req.ID != "_0123456789abcdef" || req.ACSURL != testACS || req.Issuer != "app-1" || !req.IssueInstant.Equal(testNow) {
		t.Fatalf("request = %+v", req)
	}
	extra := url.Values{"group_id": {"cld-3"}, "marketplace": {"maestrano"}, "SAMLRequest": {"forged"}}
	for _, tc := range []struct {
		name, idp, prefix string
	}{
		{"no query", "https://idp.example.com/api/v1/auth/saml", "https://idp.example.com/api/v1/auth/saml?SAMLRequest="},
		{"trailing ?", "https://idp.example.com/api/v1/auth/saml?", "https://idp.example.com/api/v1/auth/saml?SAMLRequest="},
		{"existing query", "https://idp.example.com/api/v1/auth/saml?tenant=eu", "https://idp.example.com/api/v1/auth/saml?tenant=eu&SAMLRequest="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sp.RedirectURL(tc.idp, req, extra)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, tc.prefix) {
				t.Fatalf("URL = %q, want prefix %q", got, tc.prefix)
			}
			if strings.Count(got, "?") != 1 {
				t.Errorf("URL %q has %d '?'", got, strings.Count(got, "?"))
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if len(q["SAMLRequest"]) != 1 {
				t.Fatalf("SAMLRequest = %q, want exactly one (extra SAMLRequest must be dropped)", q["SAMLRequest"])
			}
			if q.Get("group_id") != "cld-3" || q.Get("marketplace") != "maestrano" {
				t.Errorf("extra params lost: %v", q)
			}
			// The extra parameters come after SAMLRequest.
			if i, j := strings.Index(u.RawQuery, "SAMLRequest="), strings.Index(u.RawQuery, "group_id="); i < 0 || j < i {
				t.Errorf("query %q: extra params must follow SAMLRequest", u.RawQuery)
			}
			x := decodeRedirect(t, q.Get("SAMLRequest"))
			doc := etree.NewDocument()
			if err := doc.ReadFromBytes(x); err != nil {
				t.Fatalf("request XML: %v", err)
			}
			r := doc.Root()
			if !is(r, NSProtocol, "AuthnRequest") {
				t.Fatalf("root = %s", r.Tag)
			}
			for attr, want := range map[string]string{
				"ID": req.ID, "Version": "2.0", "IssueInstant": "2026-03-01T12:00:00Z",
				"AssertionConsumerServiceURL": testACS, "ProtocolBinding": BindingHTTPPost,
			} {
				if got := r.SelectAttrValue(attr, ""); got != want {
					t.Errorf("%s = %q, want %q", attr, got, want)
				}
			}
			if iss, err := oneChild(r, NSAssertion, "Issuer"); err != nil || iss.Text() != "app-1" {
				t.Errorf("Issuer: %v %v", iss, err)
			}
			if p, err := oneChild(r, NSProtocol, "NameIDPolicy"); err != nil || p.SelectAttrValue("Format", "") != NameIDFormatPersistent {
				t.Errorf("NameIDPolicy: %v", err)
			}
			// What the IdP extracts by regex (platform-wire.md §2.1).
			for _, re := range []string{`ID="_0123456789abcdef"`, `AssertionConsumerServiceURL="` + regexp.QuoteMeta(testACS) + `"`, `<saml:Issuer[^>]*>app-1</saml:Issuer>`} {
				if !regexp.MustCompile(re).Match(x) {
					t.Errorf("request XML does not match %s:\n%s", re, x)
				}
			}
		})
	}
}

func TestRedirectURL_NoExtra(t *testing.T) {
	t.Parallel()
	sp := newTestSP(t, WithIssuer("app-1"))
	req, err := sp.NewAuthnRequest()
	if err != nil {
		t.Fatal(err)
	}
	got, err := sp.RedirectURL("https://idp.example.com/api/v1/auth/saml", req, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(got)
	if len(u.Query()) != 1 {
		t.Errorf("query %q: want SAMLRequest only", u.RawQuery)
	}
	for _, bad := range []string{"", "idp.example.com/sso", "ftp://idp.example.com/", "https:///nohost", "://"} {
		if _, err := sp.RedirectURL(bad, req, nil); err == nil {
			t.Errorf("RedirectURL(%q) succeeded, want error", bad)
		}
	}
}

func TestNewAuthnRequest_RandomID(t *testing.T) {
	t.Parallel()
	sp := newTestSP(t)
	seen := map[string]bool{}
	for range 100 {
		r, err := sp.NewAuthnRequest()
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^_[0-9a-f]{40}$`).MatchString(r.ID) {
			t.Fatalf("ID %q is not an xs:ID of 160 random bits", r.ID)
		}
		if seen[r.ID] {
			t.Fatalf("ID %q repeated", r.ID)
		}
		seen[r.ID] = true
	}
}

// The AuthnRequest document, pinned as a golden file (go test -update).
func TestAuthnRequest_XML(t *testing.T) {
	t.Parallel()
	sp := newTestSP(t, WithIssuer("app-1"), fixedIDs("_0123456789abcdef"))
	req, err := sp.NewAuthnRequest()
	if err != nil {
		t.Fatal(err)
	}
	got, err := req.XML()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "authn_request", "redirect", t.Name()+"_request.xml")
	if *updateGolden {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("AuthnRequest XML differs from %s:\ngot:  %s\nwant: %s", golden, got, want)
	}
	// And the redirect encoding round-trips.
	enc, err := EncodeRedirect(got)
	if err != nil {
		t.Fatal(err)
	}
	if back := decodeRedirect(t, enc); !bytes.Equal(back, got) {
		t.Errorf("EncodeRedirect does not round-trip")
	}
}
