// Package bench holds the benchmarks of docs/performance.md. It is a
// separate module so that the peers never become dependencies of the SDK.
//
//   - Verify/<size>/<impl> (verify_test.go): the SDK's SAML response
//     verification against github.com/crewjam/saml and
//     github.com/russellhaering/gosaml2 on the same signed responses, and
//     a floor (one RSA verify, one SHA-256 over the document, one etree
//     parse).
//   - SandboxLogin, SandboxConnecWrite and LoopbackFloor (load_test.go):
//     SSO logins and Connec! writes (webhooks on) against an in-process
//     sandbox over loopback at 1, 10 and 50 clients, with p50 and p99
//     (internal/loadgen), and the loopback noise floor.
//   - ConnecBulkRead and ConnecBulkReadPaired (connec_test.go): reading
//     10 000 and 100 000 entities with the SDK's iterator, a minimal
//     net/http + encoding/json loop and the sandbox's store, with the peak
//     heap.
//
// Run:
//
//	cd bench && go test -run '^$' -bench . -benchmem
package bench
