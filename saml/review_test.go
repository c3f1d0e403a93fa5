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
