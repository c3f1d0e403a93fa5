package sso

import (
	"errors"
	"testing"
	"time"

	"github.com/maestrano-go/maestrano/saml"
)

func TestMapIdentity(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	full := saml.Attributes{
		"mno_uid": {"usr-1"}, "mno_session": {"tok"}, "mno_session_recheck": {"2030-01-02T03:07:05Z"},
		"group_uid": {"cld-1"}, "group_name": {"Acme Corp"}, "group_end_free_trial": {"2030-02-02T03:04:05Z"},
		"group_role": {"Admin"}, "group_has_credit_card": {"false"}, "group_email": {"cld-1@example.com"},
		"group_currency": {"USD"}, "group_timezone": {"America/Los_Angeles"}, "group_country": {"US"}, "group_city": {"Los Angeles"},
		"group_org_uid": {"org-1"}, "uid": {"usr-1"}, "virtual_uid": {"usr-1.cld-1"}, "email": {"john.doe@example.com"},
		"virtual_email": {"usr-1.cld-1@mno-api-sandbox-mail.maestrano.com"}, "name": {"John"}, "surname": {"Doe"},
		"country": {"US"}, "company_name": {"Acme"},
	}
	id, err := mapIdentity("maestrano", &saml.Assertion{NameID: "usr-1", Attributes: full}, now, RealUIDs)
	if err != nil {
		t.Fatal(err)
	}
	want := Identity{
		Marketplace: "maestrano", LocalUID: "usr-1", LocalEmail: "john.doe@example.com",
		User: User{UID: "usr-1", VirtualUID: "usr-1.cld-1", Email: "john.doe@example.com", VirtualEmail: "usr-1.cld-1@mno-api-sandbox-mail.maestrano.com",
			FirstName: "John", LastName: "Doe", Country: "US", CompanyName: "Acme"},
		Group: Group{UID: "cld-1", Name: "Acme Corp", Email: "cld-1@example.com", Currency: "USD", Timezone: "America/Los_Angeles",
			Country: "US", City: "Los Angeles", OrgUID: "org-1", FreeTrialEndAt: time.Date(2030, 2, 2, 3, 4, 5, 0, time.UTC)},
		Membership: Membership{UserUID: "usr-1", GroupUID: "cld-1", Role: "Admin"},
		Session:    Session{Marketplace: "maestrano", UserUID: "usr-1", GroupUID: "cld-1", Token: "tok", Recheck: now.Add(3 * time.Minute)},
	}
	id.Assertion = nil
	if *id != want {
		t.Fatalf("got  %+v\nwant %+v", *id, want)
	}

	// Virtual mode: the local key, email and membership are per group; the
	// session keeps the real uid (the IdP checks it).
	vid, err := mapIdentity("maestrano", &saml.Assertion{NameID: "usr-1", Attributes: full}, now, VirtualUIDs)
	if err != nil || vid.LocalUID != "usr-1.cld-1" || vid.LocalEmail != "usr-1.cld-1@mno-api-sandbox-mail.maestrano.com" ||
		vid.Membership.UserUID != "usr-1.cld-1" || vid.Session.UserUID != "usr-1" || vid.User.UID != "usr-1" || vid.UIDMode != VirtualUIDs {
		t.Fatalf("virtual: %+v %v", vid, err)
	}
	if VirtualUIDs.UserUID("usr-1", "cld-2") != "usr-1.cld-2" || RealUIDs.UserUID("usr-1", "cld-2") != "usr-1" || RealUID("usr-1.cld-2") != "usr-1" || RealUID("usr-1") != "usr-1" {
		t.Fatal("UserUID / RealUID")
	}

	without := func(names ...string) saml.Attributes {
		a := saml.Attributes{}
		for k, v := range full {
			a[k] = v
		}
		for _, n := range names {
			delete(a, n)
		}
		return a
	}
	cases := []struct {
		name   string
		nameID string
		attrs  saml.Attributes
		attr   string
	}{
		{"no group", "usr-1", without("group_uid"), "group_uid"},
		{"no session", "usr-1", without("mno_session"), "mno_session"},
		{"uid differs from the signed NameID", "usr-2", full, "uid"},
	}
	for _, c := range cases {
		_, err := mapIdentity("maestrano", &saml.Assertion{NameID: c.nameID, Attributes: c.attrs}, now, RealUIDs)
		var merr *MappingError
		if !errors.As(err, &merr) || merr.Attribute != c.attr {
			t.Errorf("%s: error %v, want a *MappingError on %s", c.name, err, c.attr)
		}
	}

	// A recheck far in the future is capped.
	far := saml.Attributes{}
	for k, v := range full {
		far[k] = v
	}
	far["mno_session_recheck"] = []string{"2099-01-01T00:00:00Z"}
	id, err = mapIdentity("maestrano", &saml.Assertion{NameID: "usr-1", Attributes: far}, now, RealUIDs)
	if err != nil || !id.Session.Recheck.Equal(now.Add(MaxRecheck)) {
		t.Fatalf("far recheck: %v %v, want %v", id.Session.Recheck, err, now.Add(MaxRecheck))
	}

	// Tolerated: no role (Guest), unreadable dates, NameID only.
	id, err = mapIdentity("maestrano", &saml.Assertion{NameID: "usr-9", Attributes: saml.Attributes{
		"group_uid": {"cld-1"}, "mno_session": {"tok"}, "mno_session_recheck": {"soon"}, "group_end_free_trial": {"never"},
	}}, now, RealUIDs)
	if err != nil || id.User.UID != "usr-9" || id.Membership.Role != "Guest" || !id.Session.Recheck.Equal(now) || !id.Group.FreeTrialEndAt.IsZero() || id.User.VirtualUID != "usr-9.cld-1" {
		t.Fatalf("tolerant mapping: %+v %v", id, err)
	}
}
