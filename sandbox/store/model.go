package store

import "time"

// Role names a user's role in a group, as the platform sends it in the
// group_role SAML attribute.
const (
	RoleMember     = "Member"
	RolePowerUser  = "Power User"
	RoleAdmin      = "Admin"
	RoleSuperAdmin = "Super Admin"
)

// Credentials are the developer-platform environment credentials an app
// presents (HTTP Basic) to fetch its marketplace configuration.
type Credentials struct {
	Key    string // environment key, the HTTP Basic user (UUID-like)
	Secret string // environment secret, the HTTP Basic password; secret
}

// App is an application registered on the platform, with the paths the
// platform uses to reach it.
type App struct {
	UID                      string  // app API id and SAML issuer, e.g. "app-1"
	Name                     string  // display name, e.g. "Demo App"
	APIKey                   string  // app API key (HTTP Basic password); secret
	Host                     string  // base URL of the app
	SSOIdM                   string  // host where SSOInitPath and SSOConsumePath live
	SSOInitPath              string  // app path that starts SSO
	SSOConsumePath           string  // app path receiving the SAML response (ACS)
	SyncStartPath            string  // app path starting a synchronization
	SyncTogglePath           string  // app path toggling synchronization
	SyncStatusPath           string  // app path of sync status; ":cld-uid" placeholder
	GroupPath                string  // account webhook path for a group; ":id" placeholder
	GroupUserPath            string  // account webhook path for a membership; ":group_id", ":id"
	ConnecNotificationPath   string  // app path receiving Connec! notifications
	ConnecExternalIDs        bool    // id-array format in Connec! notifications
	ConnecInitializationPath *string // nil when unset (sent as JSON null)
	ConnecBasePath           string  // Connec! API base path, e.g. "/api/v2"
	ConnecTimeout            int     // seconds
	APIBase                  string  // platform API base path, e.g. "/api/v1/"
	// SignatureAlgorithm is how the IdP signs this app's assertions:
	// [SignatureRSASHA256], [SignatureRSASHA1] (the original platform's), or
	// "" for the sandbox's default.
	SignatureAlgorithm string
}

// Signature algorithms an app's assertions may be signed with.
const (
	SignatureRSASHA256 = "rsa-sha256"
	SignatureRSASHA1   = "rsa-sha1"
)

// SignatureAlgorithms are the accepted values of [App.SignatureAlgorithm],
// "" (the sandbox default) first.
var SignatureAlgorithms = []string{"", SignatureRSASHA256, SignatureRSASHA1}

// Marketplace is a tenant of the platform on which an app is published.
type Marketplace struct {
	Name        string // marketplace name, e.g. "maestrano"
	NID         string // the app's NID on this marketplace, e.g. "demo-app"
	Environment string // developer-platform environment name, e.g. "sandbox"
	AppUID      string // uid of the published [App]
}

// Group is an organization (customer) on the platform.
type Group struct {
	UID          string    // e.g. "cld-1"
	Name         string    // e.g. "Acme Corp"
	OrgUID       string    // organization uid, e.g. "org-1"
	Currency     string    // ISO 4217 code, e.g. "USD"
	Timezone     string    // Olson name, e.g. "America/Los_Angeles"
	Country      string    // ISO 3166-1 alpha-2, e.g. "US"
	City         string    // e.g. "Los Angeles"
	CreatedAt    time.Time // UTC
	FreeTrialEnd time.Time // UTC; end of the free trial

	// Account-API fields (schema_account.go).
	Email          string    // e.g. "cld-1@example.com"
	Status         string    // e.g. "running"
	HasCreditCard  bool      // sent as has_credit_card
	MainAccounting string    // "", "quickbooks", "xero" or "myob"
	ResellerUID    string    // "" or the uid of the group's [Reseller]
	UpdatedAt      time.Time // UTC
}

// User is a person who can log in to apps through the platform.
type User struct {
	UID         string // e.g. "usr-1"
	FirstName   string // sent as the "name" SAML attribute
	LastName    string // sent as the "surname" SAML attribute
	Email       string // real email address
	CompanyName string // sent as the "company_name" SAML attribute
	Country     string // ISO 3166-1 alpha-2, e.g. "US"
	SSOSession  string // current SSO session token; secret

	// Account-API fields (schema_account.go).
	Password  string    // for users/authenticate; "" accepts any password but "invalid_password"; secret
	CreatedAt time.Time // UTC
	UpdatedAt time.Time // UTC
}

// Membership is a user's role in a group.
type Membership struct {
	UserUID  string // uid of the [User]
	GroupUID string // uid of the [Group]
	Role     string // one of the Role constants, e.g. [RoleAdmin]
}
