package translate

import "net/netip"

// validEndpoint says whether an EndpointSlice address and port can go into
// EDS: Envoy takes only IP literals and ports 1-65535 there, and one bad
// endpoint would fail the whole update.
func validEndpoint(addr string, port int32) bool {
	_, err := netip.ParseAddr(addr)
	return err == nil && port > 0 && port <= 65535
}
