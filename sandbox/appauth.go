package sandbox

import (
	"errors"
	"net/http"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// Credential problems found by [Sandbox.authenticateApp]; both mean 401.
var (
	errNoCredentials  = errors.New("sandbox: no HTTP Basic credentials")
	errBadCredentials = errors.New("sandbox: invalid api id or api key")
)

// maxAPIIDBytes bounds the api id looked up in the store.
const maxAPIIDBytes = 128

// authenticateApp checks the HTTP Basic credentials api.id:api.key of an
// app, the way the account API and Connec! both do. The key is compared in
// constant time, also for an unknown id, so an unknown app and a wrong key
// are indistinguishable. It returns errNoCredentials, errBadCredentials,
// or a store error.
func (s *Sandbox) authenticateApp(r *http.Request) (store.App, error) {
	id, key, ok := r.BasicAuth()
	if !ok {
		return store.App{}, errNoCredentials
	}
	if id == "" || len(id) > maxAPIIDBytes {
		secretEqual(key, "unknown app: compare anyway")
		return store.App{}, errBadCredentials
	}
	app, err := s.store.App(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		secretEqual(key, "unknown app: compare anyway")
		return store.App{}, errBadCredentials
	case err != nil:
		return store.App{}, err
	}
	if !secretEqual(key, app.APIKey) {
		return store.App{}, errBadCredentials
	}
	return app, nil
}
