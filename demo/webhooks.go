package demo

import (
	"context"
	"log/slog"

	"github.com/maestrano-go/maestrano/account"
)

// maxWebhookBody bounds a webhook's body (the platform sends none).
const maxWebhookBody = 4 << 10

// accountWebhooks mounts the SDK's account webhook handler on each
// marketplace's webhooks.account.group_path and group_user_path. The
// handler checks the platform's credentials (the marketplace's own api.id
// and api.key; marketplaces sharing a path are told apart by them) and
// answers for the app; the callbacks change the app's database.
func (a *App) accountWebhooks(logger *slog.Logger) error {
	h, err := account.NewWebhookHandler(a.reg, account.WebhookCallbacks{
		GroupRemoved:  a.groupRemoved,
		MemberRemoved: a.memberRemoved,
	}, account.WithWebhookLogger(logger), account.WithWebhookMaxBody(maxWebhookBody))
	if err != nil {
		return err
	}
	for _, p := range h.Patterns() {
		a.mux.Handle(p, h)
	}
	return nil
}

// groupRemoved is the account webhook "the group cancelled the service":
// the group is disabled locally; its users lose access on their next
// request (see [App.logged]).
func (a *App) groupRemoved(ctx context.Context, ev account.GroupRemoved) error {
	changed, err := a.db.disableGroup(ctx, ev.Marketplace, ev.GroupID)
	if err != nil {
		return err
	}
	outcome := "Disabled the group: its users can no longer use the app."
	if !changed {
		outcome = "Nothing to do: the group was unknown or already disabled."
	}
	return a.recordWebhook(ctx, ev.Marketplace, ev.GroupID, event{Kind: "Group removed", Subject: ev.GroupID, Outcome: outcome})
}

// memberRemoved is the account webhook "the user left the group": that
// membership goes. The platform may name the user by a virtual uid
// ("usr-1.cld-1"); the app files users under their real uid.
func (a *App) memberRemoved(ctx context.Context, ev account.MemberRemoved) error {
	user := ev.RealUserID()
	changed, err := a.db.removeMember(ctx, ev.Marketplace, ev.GroupID, user)
	if err != nil {
		return err
	}
	outcome := "Removed the membership: the user can no longer use the app in this group."
	if !changed {
		outcome = "Nothing to do: the user was not a member of the group here."
	}
	return a.recordWebhook(ctx, ev.Marketplace, ev.GroupID, event{Kind: "Member removed", Subject: user, Outcome: outcome})
}

// recordWebhook keeps the event for the events page.
func (a *App) recordWebhook(ctx context.Context, marketplace, group string, e event) error {
	if err := a.db.addEvent(ctx, marketplace, group, e); err != nil {
		return err
	}
	a.logger.LogAttrs(ctx, slog.LevelInfo, "demo: account webhook", slog.String("marketplace", marketplace),
		slog.String("kind", e.Kind), slog.String("subject", e.Subject), slog.String("group", group))
	return nil
}
