package envoysim

import (
	"fmt"
	"net/netip"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
)

// Names of the Envoy extensions this package recognises.
const (
	proxyProtocolFilter = "envoy.filters.listener.proxy_protocol"
	hcmTypeURL          = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
	setFilterStateURL   = "type.googleapis.com/envoy.extensions.filters.network.set_filter_state.v3.Config"
	tcpProxyTypeURL     = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
)

// chainSelection is the outcome of Envoy's listener and filter-chain match.
type chainSelection struct {
	listener *listenerv3.Listener
	chain    *listenerv3.FilterChain
	hcm      *hcmv3.HttpConnectionManager
	// proxyProtocol is set when the listener expects a PROXY protocol header
	// (a waypoint's 15088 listener): the destination is the restored one.
	proxyProtocol bool
	// tls is the downstream handshake's outcome on a TLS chain (tls.go).
	tls *TLSResult
}

// selectChain finds the listener bound to port and the filter chain whose
// match fits dst, with Envoy's precedence: destination port (exact beats
// unset), then destination IP (longest prefix beats unset).
func (ix *index) selectChain(port uint32, dst netip.AddrPort, client *ClientTLS) (*chainSelection, error) {
	var l *listenerv3.Listener
	for _, cand := range ix.listeners {
		if cand.GetAddress().GetSocketAddress().GetPortValue() == port {
			l = cand
			break
		}
	}
	if l == nil {
		return nil, fmt.Errorf("no listener on port %d (connection refused)", port)
	}
	sel := &chainSelection{listener: l}
	inspectTLS := false
	for _, lf := range l.GetListenerFilters() {
		switch lf.GetName() {
		case proxyProtocolFilter:
			sel.proxyProtocol = true
		case tlsInspectorFilter:
			inspectTLS = true
		default:
			return nil, fmt.Errorf("listener %q: listener filter %q is not modelled", l.GetName(), lf.GetName())
		}
	}
	sni := ""
	if client != nil && inspectTLS {
		sni = client.ServerName
	}
	chain, err := matchFilterChain(l, dst, sni)
	if err != nil {
		return nil, err
	}
	sel.chain = chain
	if sel.tls, err = ix.handshake(chain, client); err != nil {
		return nil, err
	}
	for _, f := range chain.GetFilters() {
		switch url := f.GetTypedConfig().GetTypeUrl(); url {
		case hcmTypeURL:
			hcm := &hcmv3.HttpConnectionManager{}
			if err := f.GetTypedConfig().UnmarshalTo(hcm); err != nil {
				return nil, fmt.Errorf("filter chain %q: %w", chain.GetName(), err)
			}
			sel.hcm = hcm
		case setFilterStateURL:
			// Connection filter state (the client identity from the PROXY
			// header's TLV): the request's PeerPrincipal stands for it.
		case tcpProxyTypeURL:
			return nil, fmt.Errorf("filter chain %q is TCP (tcp_proxy), not HTTP", chain.GetName())
		default:
			return nil, fmt.Errorf("filter chain %q: network filter %q (%s) is not modelled", chain.GetName(), f.GetName(), url)
		}
	}
	if sel.hcm == nil {
		return nil, fmt.Errorf("filter chain %q has no HTTP connection manager", chain.GetName())
	}
	return sel, nil
}

func matchFilterChain(l *listenerv3.Listener, dst netip.AddrPort, sni string) (*listenerv3.FilterChain, error) {
	for _, fc := range l.GetFilterChains() {
		if err := checkModelledMatch(fc.GetFilterChainMatch()); err != nil {
			return nil, fmt.Errorf("listener %q filter chain %q: %w", l.GetName(), fc.GetName(), err)
		}
	}
	// Destination port: chains naming this port win over chains naming none.
	var byPort []*listenerv3.FilterChain
	for _, exact := range []bool{true, false} {
		for _, fc := range l.GetFilterChains() {
			p := fc.GetFilterChainMatch().GetDestinationPort()
			if (exact && p != nil && p.GetValue() == uint32(dst.Port())) || (!exact && p == nil) {
				byPort = append(byPort, fc)
			}
		}
		if len(byPort) > 0 {
			break
		}
	}
	// Destination IP: the longest matching prefix wins over no prefix.
	var byIP []*listenerv3.FilterChain
	bestLen := -1
	for _, fc := range byPort {
		ranges := fc.GetFilterChainMatch().GetPrefixRanges()
		n := -1
		if len(ranges) == 0 {
			n = 0
		}
		for _, r := range ranges {
			if bits, ok := prefixMatch(r, dst.Addr()); ok {
				n = max(n, bits+1)
			}
		}
		switch {
		case n > bestLen:
			byIP, bestLen = []*listenerv3.FilterChain{fc}, n
		case n == bestLen && n >= 0:
			byIP = append(byIP, fc)
		}
	}
	// Server name (SNI, from the tls_inspector): exact, longest wildcard,
	// then none; Envoy rejects configs where this still leaves two.
	if best := bySNI(byIP, sni); len(best) > 0 {
		return best[0], nil
	}
	if d := l.GetDefaultFilterChain(); d != nil {
		return d, nil
	}
	return nil, fmt.Errorf("listener %q: no filter chain matches destination %s (Envoy closes the connection)", l.GetName(), dst)
}

// prefixMatch reports whether addr is in the CIDR range and its length.
func prefixMatch(r *corev3.CidrRange, addr netip.Addr) (int, bool) {
	a, err := netip.ParseAddr(r.GetAddressPrefix())
	if err != nil {
		return 0, false
	}
	bits := a.BitLen()
	if r.GetPrefixLen() != nil {
		bits = int(r.GetPrefixLen().GetValue())
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return 0, false
	}
	return bits, p.Contains(addr.Unmap())
}

// checkModelledMatch refuses match criteria this package does not model.
func checkModelledMatch(m *listenerv3.FilterChainMatch) error {
	if m == nil {
		return nil
	}
	rest := proto.Clone(m).(*listenerv3.FilterChainMatch)
	rest.DestinationPort = nil
	rest.PrefixRanges = nil
	rest.ServerNames = nil
	if !proto.Equal(rest, &listenerv3.FilterChainMatch{}) {
		return fmt.Errorf("filter_chain_match criteria beyond destination_port, prefix_ranges and server_names are not modelled: %v", rest)
	}
	return nil
}
