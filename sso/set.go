package sso

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/maestrano-go/maestrano"
)

// Set is the SSO of every marketplace (tenant) an app is listed on: one
// [Service] per marketplace. It is immutable and safe for concurrent use.
// A refreshed configuration needs a new Set (and new routes).
type Set struct {
	services map[string]*Service
	names    []string
}

// NewSet builds a Service for every marketplace of reg, with the same opts.
func NewSet(reg *maestrano.Registry, opts ...Option) (*Set, error) {
	if reg == nil {
		return nil, errors.New("sso: NewSet: nil registry")
	}
	var svcs []*Service
	for _, name := range reg.Names() {
		mp, err := reg.Get(name)
		if err != nil {
			return nil, err
		}
		svc, err := New(mp, opts...)
		if err != nil {
			return nil, err
		}
		svcs = append(svcs, svc)
	}
	return NewSetOf(svcs...)
}

// NewSetOf groups services built with [New], for apps that configure each
// marketplace differently.
func NewSetOf(services ...*Service) (*Set, error) {
	s := &Set{services: make(map[string]*Service, len(services))}
	for _, svc := range services {
		if svc == nil {
			return nil, errors.New("sso: NewSetOf: nil service")
		}
		if _, dup := s.services[svc.Marketplace()]; dup {
			return nil, fmt.Errorf("sso: NewSetOf: marketplace %q twice", svc.Marketplace())
		}
		s.services[svc.Marketplace()] = svc
		s.names = append(s.names, svc.Marketplace())
	}
	sort.Strings(s.names)
	return s, nil
}

// Service returns the named marketplace's service.
func (s *Set) Service(name string) (*Service, bool) {
	svc, ok := s.services[name]
	return svc, ok
}

// Names returns the marketplace names, sorted.
func (s *Set) Names() []string { return slices.Clone(s.names) }

// Mount registers every marketplace's login handlers on mux: GET at the
// path of its sso.init_path, POST at the path of its sso.consume_path.
// Marketplaces may share a path when their configured paths differ by
// query (the platform's "/maestrano/init/?marketplace=x" form): a request
// goes to the marketplace whose configured query parameters it carries,
// and a request that matches none gets 404. Mount returns an error, and
// registers nothing, when two marketplaces claim the same path and query;
// it also returns an error (rather than panicking) when mux already has a
// conflicting pattern.
func (s *Set) Mount(mux *http.ServeMux, keys *Keyring, store SessionStore, login LoginFunc, opts ...HandlerOption) (err error) {
	if mux == nil {
		return errors.New("sso: Mount: nil mux")
	}
	type claim struct {
		query url.Values
		h     http.Handler
	}
	routes := map[string][]claim{}
	var patterns []string
	for _, name := range s.names {
		svc := s.services[name]
		hs, err := NewHandlers(svc, keys, store, login, opts...)
		if err != nil {
			return err
		}
		for _, rt := range []struct {
			method, path string
			h            http.Handler
		}{{http.MethodGet, svc.InitPath(), hs.Init()}, {http.MethodPost, svc.ConsumePath(), hs.Consume()}} {
			u, err := url.Parse(rt.path)
			if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.ContainsAny(u.Path, "{}") {
				return fmt.Errorf("sso: Mount: marketplace %s: path %q is not a plain absolute path", name, rt.path)
			}
			key := rt.method + " " + u.EscapedPath()
			for _, c := range routes[key] {
				if queryEqual(c.query, u.Query()) {
					return fmt.Errorf("sso: Mount: marketplace %s: %s is already claimed by another marketplace", name, rt.method+" "+rt.path)
				}
			}
			if routes[key] == nil {
				patterns = append(patterns, key)
			}
			routes[key] = append(routes[key], claim{query: u.Query(), h: rt.h})
		}
	}
	// Most specific claims first: more required parameters win.
	for _, cs := range routes {
		sort.SliceStable(cs, func(i, j int) bool { return len(cs[i].query) > len(cs[j].query) })
	}
	defer func() {
		// ServeMux panics on a conflicting pattern; that is an error here.
		if p := recover(); p != nil {
			err = fmt.Errorf("sso: Mount: %v", p)
		}
	}()
	for _, pattern := range patterns {
		cs := routes[pattern]
		mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			for _, c := range cs {
				if queryContains(q, c.query) {
					c.h.ServeHTTP(w, r)
					return
				}
			}
			http.Error(w, "no marketplace is configured for this URL", http.StatusNotFound)
		}))
	}
	return nil
}

func queryContains(have, want url.Values) bool {
	for k, vs := range want {
		if !slices.Equal(have[k], vs) {
			return false
		}
	}
	return true
}

func queryEqual(a, b url.Values) bool { return queryContains(a, b) && queryContains(b, a) }
