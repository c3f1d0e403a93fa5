package account

import "context"

// List returns the groups that use the app (GET account/groups). The
// GroupID of opts does not apply to groups (it is refused).
func (s *GroupsService) List(ctx context.Context, opts *ListOptions) ([]Group, error) {
	return list[Group](ctx, s.c, "account/groups", false, opts)
}

// Get returns one group (GET account/groups/{id}).
func (s *GroupsService) Get(ctx context.Context, id string) (*Group, error) {
	return get[Group](ctx, s.c, "account/groups", id)
}
