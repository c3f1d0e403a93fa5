package saml

import (
	"strings"
	"testing"
)

// In unsolicited mode a response that answers a request (someone else's:
// this session has none outstanding) is refused; only a true IdP-initiated
// response, without InResponseTo, is accepted.
func TestParseResponse_UnsolicitedRefusesAnotherSessionsAnswer(t *testing.T) {
	t.Parallel()
	sp := newTestSP(t, WithUnsolicitedResponses())
	a, err := sp.ParseResponse(t.Context(), signedEncoded(t, inResponseTo("_someone-elses-request")))
	wantRefused(t, a, err, ReasonInResponseTo)
	if !strings.Contains(err.Error(), "_someone-elses-request") {
		t.Errorf("error %v does not name the request", err)
	}
}

// Whatever the document puts in an error, the message stays bounded.
func TestValidationErrorDetailIsBounded(t *testing.T) {
	t.Parallel()
	long := "https://evil.example/" + strings.Repeat("A", 5000)
	x := signedEncoded(t, replaceRaw(`Destination="`+testACS+`"`, `Destination="`+long+`"`))
	a, err := newTestSP(t).ParseResponse(t.Context(), x, testRequestID)
	wantRefused(t, a, err, ReasonDestination)
	if len(err.Error()) > maxDetail+100 {
		t.Errorf("error is %d bytes long", len(err.Error()))
	}
	if e := refuse(ReasonMalformed, "%s", strings.Repeat("x", 10_000)); len(e.Detail) > maxDetail+len("…") {
		t.Errorf("refuse kept %d bytes", len(e.Detail))
	}
}

func TestRedirectURLRefusesFragment(t *testing.T) {
	t.Parallel()
	sp := newTestSP(t)
	req, err := sp.NewAuthnRequest()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"https://idp.example.com/sso#top", "https://idp.example.com/sso?a=1#"} {
		if _, err := sp.RedirectURL(u, req, nil); err == nil || !strings.Contains(err.Error(), "fragment") {
			t.Errorf("%s: error %v, want a fragment error", u, err)
		}
	}
}

// An attribute twice on one element is not XML; encoding/xml keeps the
// last, another parser the first. Refused wherever it is, signed or not.
func TestParseResponse_DuplicateAttributes(t *testing.T) {
	t.Parallel()
	cases := map[string]mod{
		"Recipient twice in the signed confirmation": replaceRaw(`Recipient="`+testACS+`"`, `Recipient="http://evil.example/" Recipient="`+testACS+`"`),
		"NotOnOrAfter twice in the signed confirmation": rawXML(func(x []byte) []byte {
			return []byte(strings.Replace(string(x), `SubjectConfirmationData `, `SubjectConfirmationData NotOnOrAfter="2099-01-01T00:00:00Z" `, 1))
		}),
		"Destination twice on the Response": replaceRaw(`Destination="`+testACS+`"`, `Destination="http://evil.example/" Destination="`+testACS+`"`),
		"same namespaced attribute under two prefixes": rawXML(func(x []byte) []byte {
			return []byte(strings.Replace(string(x), `<samlp:Response `, `<samlp:Response xmlns:a="urn:x" xmlns:b="urn:x" a:k="1" b:k="2" `, 1))
		}),
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			x := signedEncoded(t, m)
			if dec, _ := DecodeResponse(x, DefaultMaxResponseSize); !strings.Contains(string(dec), "evil") && !strings.Contains(string(dec), "2099") && !strings.Contains(string(dec), `b:k="2"`) {
				t.Fatal("the mutation did not apply")
			}
			a, err := newTestSP(t).ParseResponse(t.Context(), x, testRequestID)
			wantRefused(t, a, err, ReasonMalformed)
			if !strings.Contains(err.Error(), "appears twice") {
				t.Errorf("error %v does not say what is wrong", err)
			}
		})
	}
}

func TestParseResponse_ByteOrderMark(t *testing.T) {
	t.Parallel()
	x := encode(append([]byte("\xEF\xBB\xBF"), signedResponse(t)...))
	if _, err := newTestSP(t).ParseResponse(t.Context(), x, testRequestID); err != nil {
		t.Fatalf("a response with a UTF-8 BOM: %v", err)
	}
}
