// Package e2e holds end-to-end tests that run the sandbox and an app built
// from the SDK in one process, over loopback HTTP. It has no code of its
// own; see its _test.go files. The load test (issue 4) runs 50 concurrent
// clients doing SSO logins and Connec! writes and then reads every write
// back; it asserts on correctness only, never on time.
package e2e
