package sandbox

import "net/http"

// accountRoutes registers the routes of the account API (§4 of platform-wire.md): bills, recurring bills, groups, users, resellers.
func (s *Sandbox) accountRoutes(mux *http.ServeMux) {
	_ = mux
}
