package sandbox_test

import (
	"errors"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	dsig "github.com/russellhaering/goxmldsig"

	"github.com/maestrano-go/maestrano/sandbox"
	"github.com/maestrano-go/maestrano/sandbox/store"
)

var linkRe = regexp.MustCompile(`<a (?:class="[^"]*" )?href="([^"]*)">([^<]*)</a>`)

// links returns the links of a page: text → href (unescaped).
func links(body string) map[string]string {
	out := map[string]string{}
	for _, m := range linkRe.FindAllStringSubmatch(body, -1) {
		out[html.UnescapeString(m[2])] = html.UnescapeString(m[1])
	}
	return out
}

// TestIdPGroupPicker walks the HTML flow: the user picker's link of a user
// in several of the app's groups opens the group picker, whose links log in
// through the chosen group; a user in one group goes straight in; a
// scripted user_uid without group_id keeps the first group.
func TestIdPGroupPicker(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	req := encodeRequest(t, []byte(authnRequestXML("_r1", "app-1", defaultACS)))
	status, _, body := e.do(t, "GET", ssoPath(req, "marketplace", "maestrano"), nil)
	if status != http.StatusOK {
		t.Fatalf("user picker: %d %s", status, body)
	}
	l := links(body)
	john, jane := l["John Doe"], l["Jane Roe"]
	if !strings.HasSuffix(john, "&user_uid=usr-1&select_group=1") {
		t.Fatalf("John Doe link %q", john)
	}
	if !strings.HasSuffix(jane, "&user_uid=usr-2&group_id=cld-1") {
		t.Errorf("Jane Roe (one group) link %q, want straight in", jane)
	}

	status, hdr, body := e.do(t, "GET", john, nil)
	if status != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("group picker: %d %v %s", status, hdr, body)
	}
	if !strings.Contains(body, "Log in to Demo App as John Doe") {
		t.Errorf("group picker page:\n%s", body)
	}
	gl := links(body)
	if len(gl) != 2 || gl["Acme Corp (Admin)"] == "" || gl["Globex Ltd (Member)"] == "" {
		t.Fatalf("group picker links %v", gl)
	}
	globex := gl["Globex Ltd (Member)"]
	if strings.Contains(globex, "select_group") || !strings.Contains(globex, "&marketplace=maestrano&") || !strings.HasSuffix(globex, "&user_uid=usr-1&group_id=cld-2") {
		t.Errorf("group link %q", globex)
	}
	status, _, body = e.do(t, "GET", globex, nil)
	if status != http.StatusOK {
		t.Fatalf("login through Globex: %d %s", status, body)
	}
	_, doc := postedResponse(t, body)
	if a := attributes(validateAssertion(t, doc, e.sb.Certificate(), testNow)); a["group_uid"] != "cld-2" || a["group_role"] != "Member" {
		t.Errorf("attributes %v", a)
	}

	// select_group with a group_id, or for a user with one group: no picker.
	for _, p := range []string{
		ssoPath(req, "user_uid", "usr-1", "select_group", "1", "group_id", "cld-2"),
		ssoPath(req, "user_uid", "usr-2", "select_group", "1"),
		ssoPath(req, "user_uid", "usr-1"), // scripted: first group
	} {
		status, _, body := e.do(t, "GET", p, nil)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %s", p, status, body)
		}
		postedResponse(t, body)
	}
	// select_group with a group the user is not in is still refused.
	if status, _, body := e.do(t, "GET", ssoPath(req, "user_uid", "usr-2", "select_group", "1", "group_id", "cld-2"), nil); status != http.StatusForbidden {
		t.Errorf("foreign group: %d %s", status, body)
	}
}

// TestIdPUnknownIssuer: an AuthnRequest from an app the platform does not
// know gets an HTML page with the original message and the issuer, escaped.
func TestIdPUnknownIssuer(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{})
	for _, issuer := range []string{"app-42", `<script>alert("x")</script>`, strings.Repeat("é", 300)} {
		status, hdr, body := e.do(t, "GET", ssoPath(encodeRequest(t, []byte(authnRequestXML("_r", html.EscapeString(issuer), defaultACS)))), nil)
		if status != http.StatusBadRequest || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
			t.Fatalf("%.20s: status %d, type %q", issuer, status, hdr.Get("Content-Type"))
		}
		for _, want := range []string{"<title>Unknown app", "Wrong APP ID! The API app_id parameter is likely to be misconfigured.", "is registered on this platform"} {
			if !strings.Contains(body, want) {
				t.Errorf("%.20s: page lacks %q:\n%s", issuer, want, body)
			}
		}
		if strings.Contains(body, "<script>") || strings.Contains(body, "SAMLResponse") {
			t.Errorf("%.20s: unescaped issuer or response in page", issuer)
		}
	}
}

// worldWith returns the default world changed by edit.
func worldWith(edit func(w *store.World)) *store.World {
	w := store.DefaultWorld()
	edit(w)
	return w
}

// TestIdPResellerAttributes: a group with a reseller adds group_reseller_id
// and the reseller_* attributes; a group without has none of them.
func TestIdPResellerAttributes(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{Seed: worldWith(func(w *store.World) {
		w.Resellers = []store.ResellerSeed{{ID: "rsl-449s8fsd", Name: "Blue & <Consulting>", Code: "US-204512-BCL", Country: "AU"}}
		w.Groups[0].Reseller = "rsl-449s8fsd"
	})})
	a := attributes(e.login(t, "usr-1", "cld-1"))
	want := map[string]string{"group_reseller_id": "rsl-449s8fsd", "reseller_id": "rsl-449s8fsd", "reseller_name": "Blue & <Consulting>", "reseller_country": "AU"}
	for k, v := range want {
		if a[k] != v {
			t.Errorf("%s = %q, want %q", k, a[k], v)
		}
	}
	if len(a) != 22+len(want) {
		t.Errorf("%d attributes: %v", len(a), a)
	}
	a = attributes(e.login(t, "usr-1", "cld-2"))
	for k := range want {
		if _, ok := a[k]; ok {
			t.Errorf("group without reseller has %s", k)
		}
	}
}

// TestIdPPerAppSignature: an app configured for SHA-1 (seed file) gets
// SHA-1 signatures whatever the sandbox default; the admin page changes it
// back to the default.
func TestIdPPerAppSignature(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg, app, want string
	}{
		{"", "", dsig.RSASHA256SignatureMethod},
		{"", store.SignatureRSASHA1, dsig.RSASHA1SignatureMethod},
		{sandbox.SignatureRSASHA1, "", dsig.RSASHA1SignatureMethod},
		{sandbox.SignatureRSASHA1, store.SignatureRSASHA256, dsig.RSASHA256SignatureMethod},
	} {
		t.Run(tc.cfg+"/"+tc.app, func(t *testing.T) {
			t.Parallel()
			e := setup(t, sandbox.Config{SignatureAlgorithm: tc.cfg, Seed: worldWith(func(w *store.World) {
				w.Apps[0].SSO.SignatureAlgorithm = tc.app
			})})
			as := e.login(t, "usr-1", "")
			status, _, body := e.do(t, "GET", ssoPath(encodeRequest(t, []byte(authnRequestXML("_r", "app-1", defaultACS))), "user_uid", "usr-1"), nil)
			if status != http.StatusOK {
				t.Fatal(status)
			}
			_, doc := postedResponse(t, body)
			if got := doc.FindElement("/Response/Assertion/Signature/SignedInfo/SignatureMethod").SelectAttrValue("Algorithm", ""); got != tc.want {
				t.Errorf("SignatureMethod %q, want %q", got, tc.want)
			}
			if attributes(as)["uid"] != "usr-1" {
				t.Error("assertion does not validate")
			}
		})
	}
}

// TestSeedSignatureAlgorithm: a seed file with an unknown algorithm is
// refused with the field named.
func TestSeedSignatureAlgorithm(t *testing.T) {
	t.Parallel()
	_, err := store.ParseWorld([]byte(`{"apps":[{"sso":{"signature_algorithm":"rsa-md5"}}]}`))
	var se *store.SeedError
	if err == nil || !strings.Contains(err.Error(), "apps[0].sso.signature_algorithm") || !errors.As(err, &se) {
		t.Fatalf("err %v", err)
	}
	w, err := store.ParseWorld([]byte("apps:\n  - sso:\n      signature_algorithm: rsa-sha1\n"))
	if err != nil || w.Apps[0].SSO.SignatureAlgorithm != "rsa-sha1" {
		t.Fatalf("yaml: %v %+v", err, w)
	}
}

// TestIdPAttributeXMLEscaping: attribute values with XML metacharacters,
// quotes, non-ASCII text, and (written to the database behind the
// validation's back) control characters and line ends come out escaped or
// replaced, and the signature still validates over what a parser reads.
func TestIdPAttributeXMLEscaping(t *testing.T) {
	t.Parallel()
	e := setup(t, sandbox.Config{Seed: worldWith(func(w *store.World) {
		w.Groups[0].Name = `A&B <Corp> "Ltd" 'x'`
		w.Groups[0].City = "Zürich"
		u := &w.Users[0]
		u.FirstName, u.LastName, u.CompanyName = `<b>&"'é漢`, `O'Brien & "Sons"`, "Ω <x/> ]]> 🙂"
	})})
	db, _ := openDB(t, e.dir)
	if _, err := db.ExecContext(t.Context(), "UPDATE users SET email = ? WHERE uid = 'usr-1'", "a\r\nb\rc\x01d\te\x00f\xffg"); err != nil {
		t.Fatal(err)
	}
	reqID := "_id&#13;&#10;&#9;x&lt;&amp;&quot;'é"
	reqXML := strings.Replace(authnRequestXML("ID", "app-1", defaultACS), `"ID"`, `"`+reqID+`"`, 1)
	status, _, body := e.do(t, "GET", ssoPath(encodeRequest(t, []byte(reqXML)), "user_uid", "usr-1", "group_id", "cld-1"), nil)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	_, doc := postedResponse(t, body)
	raw, _ := doc.WriteToString()
	if !strings.Contains(raw, "&lt;b&gt;&amp;") || strings.Contains(raw, "<b>") || strings.Contains(raw, "<x/>") {
		t.Errorf("values not escaped in %s", raw)
	}
	as := validateAssertion(t, doc, e.sb.Certificate(), testNow)
	a := attributes(as)
	for k, v := range map[string]string{
		"name": `<b>&"'é漢`, "surname": `O'Brien & "Sons"`, "company_name": "Ω <x/> ]]> 🙂",
		"group_name": `A&B <Corp> "Ltd" 'x'`, "group_city": "Zürich",
		"email": "a\nb\nc\uFFFDd\te\uFFFDf\uFFFDg",
	} {
		if a[k] != v {
			t.Errorf("%s = %q, want %q", k, a[k], v)
		}
	}
	if got := as.FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData").SelectAttrValue("InResponseTo", ""); got != `_id  x<&"'é` {
		t.Errorf("InResponseTo %q", got)
	}
}
