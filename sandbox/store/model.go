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
	Key    string
	Secret string
}

// App is an application registered on the platform, with the paths the
// platform uses to reach it.
type App struct {
	UID                      string
	Name                     string
	APIKey                   string
	Host                     string // base URL of the app
	SSOIdM                   string // host where SSOInitPath and SSOConsumePath live
	SSOInitPath              string
	SSOConsumePath           string
	SyncStartPath            string
	SyncTogglePath           string
	SyncStatusPath           string
	GroupPath                string
	GroupUserPath            string
	ConnecNotificationPath   string
	ConnecExternalIDs        bool
	ConnecInitializationPath *string // nil when unset (sent as JSON null)
	ConnecBasePath           string
	ConnecTimeout            int // seconds
	APIBase                  string
}

// Marketplace is a tenant of the platform on which an app is published.
type Marketplace struct {
	Name        string
	NID         string
	Environment string
	AppUID      string
}

// Group is an organization (customer) on the platform.
type Group struct {
	UID          string
	Name         string
	OrgUID       string
	Currency     string
	Timezone     string
	Country      string
	City         string
	CreatedAt    time.Time
	FreeTrialEnd time.Time
}

// User is a person who can log in to apps through the platform.
type User struct {
	UID         string
	FirstName   string
	LastName    string
	Email       string
	CompanyName string
	Country     string
	SSOSession  string // current SSO session token; secret
}

// Membership is a user's role in a group.
type Membership struct {
	UserUID  string
	GroupUID string
	Role     string
}
