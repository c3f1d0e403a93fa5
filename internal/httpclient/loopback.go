package httpclient

import (
	"net"
	"strings"
)

// IsLoopbackHost reports whether host (a host name or IP literal, without
// port; IPv6 may be bracketed) names the local machine: "localhost", a name
// under ".localhost" (RFC 6761), or a loopback IP address. A name that
// merely starts with "127." is not loopback: it resolves wherever its owner
// wants.
func IsLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
