// Package clientkey extracts the value that names a request's bucket (client
// address, header value, route) from raw request data. It is pure so the
// fuzzer can drive it with any bytes: every input gives a value and none
// panics.
package clientkey

import (
	"net/netip"
	"strings"
)

// MaxValueLen caps the bytes of a key value that are hashed. Envoy bounds
// header sizes already (60 KiB by default); the cap keeps a hostile header
// from costing more than a short hash, and 256 bytes exceeds any address,
// token or user id a bucket should be keyed on.
const MaxValueLen = 256

// Clamp shortens v to MaxValueLen bytes.
func Clamp(v string) string {
	if len(v) > MaxValueLen {
		return v[:MaxValueLen]
	}
	return v
}

// HostOnly returns the IP of an Envoy address ("10.0.0.1:8080",
// "[::1]:8080", "10.0.0.1", "::1") in canonical form, dropping the port: a
// client opens many connections from many ports, and the bucket is the
// client's. Text that is not an address is returned as is (clamped), so an
// odd peer (a pipe, an unknown format) still gets a stable bucket.
func HostOnly(addr string) string {
	addr = strings.TrimSpace(addr)
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		return Clamp(ap.Addr().Unmap().String())
	}
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")); err == nil {
		return Clamp(a.Unmap().String()) // a zone (%eth0) can be long
	}
	return Clamp(addr)
}

// FromForwarded returns the client address from a forwarding header such as
// x-forwarded-for ("client, proxy1, proxy2") when trustedHops proxies of
// ours appended the right-most entries: the (trustedHops+1)th entry from
// the right, as Envoy's xff_num_trusted_hops. ok is false when the header
// has too few entries (or an empty one there), and the caller falls back to
// the connection address. Repeated headers are joined by the host with ",".
func FromForwarded(header string, trustedHops int) (string, bool) {
	if trustedHops < 0 {
		return "", false
	}
	rest := header
	for skipped := 0; ; skipped++ {
		i := strings.LastIndexByte(rest, ',')
		entry := rest[i+1:]
		if skipped == trustedHops {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				return "", false
			}
			return HostOnly(entry), true
		}
		if i < 0 {
			return "", false
		}
		rest = rest[:i]
	}
}
