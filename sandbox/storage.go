package sandbox

import (
	"context"
	"time"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// Storage is the sandbox's state: every method the sandbox's handlers, its
// webhook worker and [Open] call. [*store.Store] (SQLite in WAL mode, with
// versioned migrations) is the implementation [Open] uses by default;
// [Config.Storage] may supply another. An implementation must be safe for
// concurrent use and return [store.ErrNotFound] (possibly wrapped) for a
// missing row and [store.ErrConflict] where the store does; the store's doc
// comments are the contract of each method.
type Storage interface {
	// Platform and developer platform.
	SeedWorld(ctx context.Context, now time.Time, w *store.World) (seeded bool, err error)
	Environments(ctx context.Context) ([]store.Environment, error)
	EnvironmentMarketplaces(ctx context.Context, env string) ([]store.Marketplace, error)
	SetBaseURL(ctx context.Context, base string) error
	Marketplaces(ctx context.Context) ([]store.Marketplace, error)
	UpdateMarketplace(ctx context.Context, m store.Marketplace) error

	// Apps.
	App(ctx context.Context, uid string) (store.App, error)
	Apps(ctx context.Context) ([]store.App, error)
	AppMarketplace(ctx context.Context, appUID string) (store.Marketplace, error)
	AppGroups(ctx context.Context, appUID string) ([]store.Group, error)
	AppHasGroup(ctx context.Context, appUID, groupUID string) (bool, error)
	AppMemberships(ctx context.Context, appUID, userUID string) ([]store.Membership, error)
	AppUsers(ctx context.Context, appUID, groupUID string) ([]store.User, error)
	AppSubscriptions(ctx context.Context, appUID string) ([]string, error)
	SetAppSubscriptions(ctx context.Context, appUID string, collections []string) error
	SetAppHost(ctx context.Context, uid, host string) error
	UpdateApp(ctx context.Context, a store.App) error

	// Groups, users, memberships, resellers.
	Group(ctx context.Context, uid string) (store.Group, error)
	Groups(ctx context.Context) ([]store.Group, error)
	GroupApps(ctx context.Context, groupUID string) ([]string, error)
	CreateGroup(ctx context.Context, g store.Group, apps []string, now time.Time) (store.Group, error)
	UpdateGroup(ctx context.Context, g store.Group, apps []string, now time.Time) error
	User(ctx context.Context, uid string) (store.User, error)
	Users(ctx context.Context) ([]store.User, error)
	CreateUser(ctx context.Context, u store.User, now time.Time) (store.User, error)
	UpdateUser(ctx context.Context, u store.User, now time.Time) error
	SetSSOSession(ctx context.Context, userUID, token string) error
	Memberships(ctx context.Context) ([]store.Membership, error)
	SetMembership(ctx context.Context, m store.Membership) error
	Reseller(ctx context.Context, uid string) (store.Reseller, error)
	Resellers(ctx context.Context) ([]store.Reseller, error)

	// Bills.
	Bill(ctx context.Context, uid string) (store.Bill, error)
	Bills(ctx context.Context, appUID, groupUID string) ([]store.Bill, error)
	CreateBill(ctx context.Context, b store.Bill) (store.Bill, error)
	CancelBill(ctx context.Context, appUID, uid string, now time.Time) (store.Bill, error)
	SetBillStatus(ctx context.Context, uid, status string, now time.Time) (store.Bill, error)
	RecurringBill(ctx context.Context, uid string) (store.RecurringBill, error)
	RecurringBills(ctx context.Context, appUID, groupUID string) ([]store.RecurringBill, error)
	CreateRecurringBill(ctx context.Context, b store.RecurringBill) (store.RecurringBill, error)
	CancelRecurringBill(ctx context.Context, appUID, uid string, now time.Time) (store.RecurringBill, error)
	SetRecurringBillStatus(ctx context.Context, uid, status string, now time.Time) (store.RecurringBill, error)

	// Connec! entities. WriteConnecEntity records the change for the
	// webhooks in the same transaction as the write.
	ConnecEntity(ctx context.Context, group, collection, id string) (store.ConnecEntity, error)
	ListConnecEntities(ctx context.Context, group, collection string, q store.ConnecQuery) (store.ConnecPage, error)
	WriteConnecEntity(ctx context.Context, w store.ConnecWrite) (store.ConnecEntity, bool, error)
	DeleteConnecEntity(ctx context.Context, group, collection, id string) error
	ConnecCollectionCounts(ctx context.Context, group string) (map[string]int, error)
	ConnecKnownIDs(ctx context.Context, group string, ids []string) (map[string][]store.ExternalID, error)
	ResolveConnecExternalID(ctx context.Context, group string, x store.ExternalID) (id, collection string, err error)

	// Webhook outbox. RemoveGroup and RemoveMembership enqueue the account
	// webhooks in the transaction of the removal.
	RemoveGroup(ctx context.Context, groupUID string, now time.Time, fo store.FanOut) ([]store.Delivery, error)
	RemoveMembership(ctx context.Context, groupUID, userUID string, now time.Time) ([]store.Delivery, error)
	FanOutChanges(ctx context.Context, now time.Time, window time.Duration, maxChanges int) (int, error)
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Delivery, error)
	FinishAttempt(ctx context.Context, id string, a store.Attempt, out store.AttemptOutcome, now time.Time) error
	ReleaseLease(ctx context.Context, id string) error
	ReleaseAllLeases(ctx context.Context) (int64, error)
	NextDeliveryDue(ctx context.Context) (at time.Time, ok bool, err error)
	Redeliver(ctx context.Context, id string, now time.Time) error
	Delivery(ctx context.Context, id string) (store.Delivery, error)
	Deliveries(ctx context.Context, f store.DeliveryFilter) ([]store.Delivery, error)
	Attempts(ctx context.Context, ids ...string) (map[string][]store.Attempt, error)
	PruneOutbox(ctx context.Context, cutoff time.Time) (store.Pruned, error)
}

// The SQLite store is the default Storage.
var _ Storage = (*store.Store)(nil)
