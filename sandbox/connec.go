package sandbox

import "net/http"

// connecRoutes registers the routes of the Connec! API (§6 of platform-wire.md).
func (s *Sandbox) connecRoutes(mux *http.ServeMux) {
	_ = mux
}
