package sso

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/maestrano-go/maestrano"
	"github.com/maestrano-go/maestrano/saml"
)

// User is the person who logged in.
type User struct {
	// UID is the user's platform id, e.g. "usr-1".
	UID string
	// VirtualUID is UID scoped to the group, e.g. "usr-1.cld-1"; apps that
	// keep one local user per group use it.
	VirtualUID string
	// Email is the user's real email address.
	Email string
	// VirtualEmail is a per-group alias that reaches the user, e.g.
	// "usr-1.cld-1@mail.maestrano.com".
	VirtualEmail string
	// FirstName is the attribute "name".
	FirstName string
	// LastName is the attribute "surname".
	LastName string
	// Country is an ISO 3166-1 alpha-2 code.
	Country string
	// CompanyName is the user's company, free text.
	CompanyName string
}

// Group is the customer account the user logged in through.
type Group struct {
	// UID is the group's platform id, e.g. "cld-1".
	UID string
	// Name is the group's display name.
	Name string
	// Email is the group's principal email address.
	Email string
	// Currency is an ISO 4217 code, e.g. "USD".
	Currency string
	// Timezone is an IANA (Olson) zone name; it is passed on as sent.
	Timezone string
	// Country is an ISO 3166-1 alpha-2 code.
	Country string
	// City is free text.
	City string
	// OrgUID is the marketplace organization id ("org-…"), if sent.
	OrgUID string
	// HasCreditCard says whether the group can be billed.
	HasCreditCard bool
	// FreeTrialEndAt is zero when the IdP sent none or an unreadable one.
	FreeTrialEndAt time.Time
}

// Membership is the user's role in the group: "Member", "Power User",
// "Admin", "Super Admin" (or "Guest").
type Membership struct {
	// UserUID names the user.
	UserUID string
	// GroupUID names the group.
	GroupUID string
	// Role is the user's role in the group.
	Role string
}

// UIDMode says how an app keys its local users (the Ruby SDK's
// sso.creation_mode).
type UIDMode int

const (
	// RealUIDs keeps one local user per platform user: the key is the
	// user's uid ("usr-1") and their real email.
	RealUIDs UIDMode = iota
	// VirtualUIDs keeps one local user per user and group: the key is the
	// virtual uid ("usr-1.cld-1") and the virtual email. Apps that must not
	// let one person's data cross customer accounts use it.
	VirtualUIDs
)

// UserUID returns the local key of a user in mode m: realUID, or
// "realUID.groupUID" in virtual mode. Webhooks that name a real uid and a
// group (a member removed) map to the local user with it.
func (m UIDMode) UserUID(realUID, groupUID string) string {
	if m == VirtualUIDs && groupUID != "" {
		return realUID + "." + groupUID
	}
	return realUID
}

// RealUID returns the platform uid in a real or virtual uid: the part
// before the first ".".
func RealUID(uid string) string {
	if i := strings.IndexByte(uid, '.'); i >= 0 {
		return uid[:i]
	}
	return uid
}

// Identity is the outcome of a login.
type Identity struct {
	// Marketplace names the marketplace the user came from.
	Marketplace string
	// UIDMode is the mode of the service that mapped the identity.
	UIDMode UIDMode
	// LocalUID is the key the app files the user under: User.UID with
	// RealUIDs, User.VirtualUID with VirtualUIDs.
	LocalUID string
	// LocalEmail is User.Email with RealUIDs, User.VirtualEmail (or
	// User.Email when the IdP sent none) with VirtualUIDs.
	LocalEmail string
	// User is who logged in.
	User User
	// Group is the customer account they logged in through.
	Group Group
	// Membership is their role in that group; its UserUID is LocalUID.
	Membership Membership
	// Session is what the app keeps for the single-logout re-check.
	Session Session
	// Assertion is the verified assertion, for attributes this package
	// does not map.
	Assertion *saml.Assertion
}

// LogValue keeps the session token (and the raw assertion) out of
// structured logs.
func (id Identity) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("marketplace", id.Marketplace),
		slog.String("user_uid", id.User.UID),
		slog.String("group_uid", id.Group.UID),
		slog.String("role", id.Membership.Role),
	)
}

// MappingError says that a verified assertion lacks an attribute the
// mapping needs, or carries contradictory ones.
type MappingError struct {
	// Attribute is the SAML attribute name.
	Attribute string
	// Problem says what is wrong with it.
	Problem string
}

// Error names the attribute and the problem.
func (e *MappingError) Error() string {
	return fmt.Sprintf("sso: assertion attribute %q %s", e.Attribute, e.Problem)
}

func mapIdentity(marketplace string, a *saml.Assertion, now time.Time, mode UIDMode) (*Identity, error) {
	at := a.Attributes
	get := func(name string) string { return strings.TrimSpace(at.Get(name)) }
	uid := get("uid")
	if uid == "" {
		uid = get("mno_uid")
	}
	if uid == "" {
		uid = a.NameID
	}
	if uid != a.NameID && !strings.HasPrefix(a.NameID, uid+".") {
		return nil, &MappingError{Attribute: "uid", Problem: fmt.Sprintf("(%q) does not match the signed NameID %q", uid, a.NameID)}
	}
	groupUID := get("group_uid")
	if groupUID == "" {
		return nil, &MappingError{Attribute: "group_uid", Problem: "is missing"}
	}
	token := at.Get("mno_session")
	if token == "" {
		return nil, &MappingError{Attribute: "mno_session", Problem: "is missing"}
	}
	recheck, err := time.Parse(time.RFC3339Nano, get("mno_session_recheck"))
	switch {
	case err != nil:
		// Ask the IdP at the first request rather than trust a guess.
		recheck = now
	case recheck.After(now.Add(MaxRecheck)):
		recheck = now.Add(MaxRecheck)
	}
	freeTrial, _ := time.Parse(time.RFC3339Nano, get("group_end_free_trial"))
	role := get("group_role")
	if role == "" {
		role = "Guest"
	}
	id := &Identity{
		Marketplace: marketplace,
		User: User{
			UID: uid, VirtualUID: get("virtual_uid"), Email: get("email"), VirtualEmail: get("virtual_email"),
			FirstName: get("name"), LastName: get("surname"), Country: get("country"), CompanyName: get("company_name"),
		},
		Group: Group{
			UID: groupUID, Name: get("group_name"), Email: get("group_email"), Currency: get("group_currency"),
			Timezone: get("group_timezone"), Country: get("group_country"), City: get("group_city"),
			OrgUID: get("group_org_uid"), HasCreditCard: strings.EqualFold(get("group_has_credit_card"), "true"),
			FreeTrialEndAt: freeTrial,
		},
		Membership: Membership{UserUID: uid, GroupUID: groupUID, Role: role},
		Session:    Session{Marketplace: marketplace, UserUID: uid, GroupUID: groupUID, Token: maestrano.Secret(token), Recheck: recheck.UTC()},
		Assertion:  a,
	}
	if id.User.VirtualUID == "" {
		id.User.VirtualUID = uid + "." + groupUID
	}
	id.UIDMode, id.LocalUID, id.LocalEmail = mode, uid, id.User.Email
	if mode == VirtualUIDs {
		id.LocalUID = id.User.VirtualUID
		if id.User.VirtualEmail != "" {
			id.LocalEmail = id.User.VirtualEmail
		}
	}
	id.Membership.UserUID = id.LocalUID
	return id, nil
}
