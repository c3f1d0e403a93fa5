package account

import "context"

// List returns the resellers (GET account/resellers).
func (s *ResellersService) List(ctx context.Context, opts *ListOptions) ([]Reseller, error) {
	return list[Reseller](ctx, s.c, "account/resellers", false, opts)
}

// Get returns one reseller (GET account/resellers/{id}).
func (s *ResellersService) Get(ctx context.Context, id string) (*Reseller, error) {
	return get[Reseller](ctx, s.c, "account/resellers", id)
}

// Groups returns the app's groups that the reseller serves
// (GET account/resellers/{id}/groups).
func (s *ResellersService) Groups(ctx context.Context, resellerID string, opts *ListOptions) ([]Group, error) {
	path, err := idPath("GET account/resellers", "account/resellers", "reseller_id", resellerID)
	if err != nil {
		return nil, err
	}
	return list[Group](ctx, s.c, path+"/groups", false, opts)
}
