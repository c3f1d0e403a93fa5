package maestrano

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"sort"
)

// Registry holds the configuration of every marketplace (tenant) an app is
// listed on, keyed by marketplace name. It is immutable once built and safe
// for concurrent use.
type Registry struct {
	byName map[string]*Marketplace
	names  []string
}

// NewRegistry validates each marketplace and indexes it by name. Duplicate
// names are an error.
func NewRegistry(mps ...*Marketplace) (*Registry, error) {
	r := &Registry{byName: make(map[string]*Marketplace, len(mps))}
	var problems []string
	for i, mp := range mps {
		if mp == nil {
			problems = append(problems, fmt.Sprintf("marketplaces[%d] is nil", i))
			continue
		}
		if err := mp.Validate(); err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if _, dup := r.byName[mp.Name]; dup {
			problems = append(problems, fmt.Sprintf("marketplace %q is listed twice", mp.Name))
			continue
		}
		r.byName[mp.Name] = mp.clone()
		r.names = append(r.names, mp.Name)
	}
	if len(problems) > 0 {
		return nil, &ConfigError{Problems: problems}
	}
	sort.Strings(r.names)
	return r, nil
}

// Get returns the configuration of the named marketplace. The result is a
// copy; changing it does not change the registry.
func (r *Registry) Get(name string) (*Marketplace, error) {
	mp, ok := r.byName[name]
	if !ok {
		return nil, &UnknownMarketplaceError{Name: name, Known: r.Names()}
	}
	return mp.clone(), nil
}

// Names returns the marketplace names, sorted.
func (r *Registry) Names() []string {
	return append([]string(nil), r.names...)
}

// Authenticate reports whether id and key are the API credentials of the
// named marketplace. It compares in constant time. The platform
// authenticates its calls to the app (webhooks) this way.
func (r *Registry) Authenticate(name, id, key string) bool {
	mp, ok := r.byName[name]
	if !ok {
		return false
	}
	idOK := subtle.ConstantTimeCompare([]byte(id), []byte(mp.API.ID))
	keyOK := subtle.ConstantTimeCompare([]byte(key), []byte(mp.API.Key.Reveal()))
	return idOK&keyOK == 1
}

// AuthenticateRequest checks the request's HTTP Basic credentials against
// the named marketplace, as [Registry.Authenticate] does.
func (r *Registry) AuthenticateRequest(req *http.Request, name string) bool {
	id, key, ok := req.BasicAuth()
	return ok && r.Authenticate(name, id, key)
}
