package translator

import (
	"fmt"
	"net/netip"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"

	"wasp.dev/xds/ir"
)

// dualStackAny binds IPv6 and, with ipv4_compat, IPv4 too.
const dualStackAny = "::"

// ingressListener emits one listener per ingress port: one filter chain, one
// HCM, and a route configuration (same name as the listener) whose virtual
// hosts select by hostname.
func (t *translation) ingressListener(l *ir.HTTPListener) error {
	if l.Address != "" {
		if _, err := netip.ParseAddr(l.Address); err != nil {
			return fmt.Errorf("listener %s: address %q is not an IP address", l.Name, l.Address)
		}
	}
	lis := &listenerv3.Listener{
		Name:    l.Name,
		Address: socketAddress(bindAddress(l.Address), l.Port),
	}
	setDualStack(lis, l.Address)
	if l.ProxyProtocol {
		lis.ListenerFilters = []*listenerv3.ListenerFilter{proxyProtocolListenerFilter(false)}
	}
	if len(l.TLS) > 0 {
		chains, err := t.tlsFilterChains(l)
		if err != nil {
			return fmt.Errorf("listener %s: %w", l.Name, err)
		}
		lis.FilterChains = chains
		// After the PROXY header, which precedes the TLS hello.
		lis.ListenerFilters = append(lis.ListenerFilters, tlsInspectorFilter)
		t.out.Listeners = append(t.out.Listeners, lis)
		return nil
	}
	var routes []*ir.Route
	for _, vh := range l.VirtualHosts {
		routes = append(routes, vh.Routes...)
	}
	rc, err := t.routeConfig(l.Name, l.VirtualHosts)
	if err != nil {
		return err
	}
	h, err := t.hcm(l.Name, l.Name, routes, l.HTTP, nil)
	if err != nil {
		return fmt.Errorf("listener %s: %w", l.Name, err)
	}
	nf, err := hcmNetworkFilter("listener "+l.Name, h)
	if err != nil {
		return err
	}
	lis.FilterChains = []*listenerv3.FilterChain{{Name: l.Name, Filters: []*listenerv3.Filter{nf}}}
	t.out.Listeners = append(t.out.Listeners, lis)
	t.out.Routes = append(t.out.Routes, rc)
	return nil
}

func bindAddress(a string) string {
	if a == "" {
		return dualStackAny
	}
	return a
}

// setDualStack accepts IPv4 on a "::" listener (IPv4-mapped addresses).
func setDualStack(l *listenerv3.Listener, addr string) {
	if addr == "" || addr == dualStackAny {
		l.GetAddress().GetSocketAddress().Ipv4Compat = true
	}
}
