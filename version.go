package maestrano

import "runtime"

// Version is the SDK version, sent in the User-Agent header.
const Version = "0.1.0"

// DefaultUserAgent is the User-Agent of every request the SDK makes unless
// the caller sets another: "maestrano-go/<Version> (go<runtime>; <GOOS>/<GOARCH>)".
func DefaultUserAgent() string {
	return "maestrano-go/" + Version + " (" + runtime.Version() + "; " + runtime.GOOS + "/" + runtime.GOARCH + ")"
}
