// Package bench compares the SDK's SAML response verification with
// github.com/crewjam/saml and github.com/russellhaering/gosaml2 on the same
// signed responses, against a floor (one RSA verify, one SHA-256 over the
// document, one etree parse). It is a separate module so that the peers
// never become dependencies of the SDK. Run:
//
//	cd bench && go test -run '^$' -bench . -benchmem
package bench
