package translator

import (
	"fmt"
	"net/netip"
	"strconv"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	setfsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/common/set_filter_state/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	netsetfsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/set_filter_state/v3"
	tcpproxyv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"wasp.dev/xds/authz"
	"wasp.dev/xds/ir"
)

// peerPrincipalFilter copies the client identity (TLV 0xD0, kept by the
// proxy_protocol listener filter as connection metadata) into the
// connection's filter state io.istio.peer_principal ("envoy.string"
// object), where RBAC's filter_state matcher and the access log read it for
// the whole connection. Port 15088 carries no TLS, so this is the only
// source of the peer's identity (facts.md, "Peer identity").
var peerPrincipalFilter = &listenerv3.Filter{
	Name: setFilterStateName,
	ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: mustPack(&netsetfsv3.Config{
		OnNewConnection: []*setfsv3.FilterStateValue{{
			Key:        &setfsv3.FilterStateValue_ObjectKey{ObjectKey: PeerPrincipalFilterState},
			FactoryKey: "envoy.string",
			Value: &setfsv3.FilterStateValue_FormatString{FormatString: &corev3.SubstitutionFormatString{
				Format: &corev3.SubstitutionFormatString_TextFormatSource{TextFormatSource: &corev3.DataSource{
					Specifier: &corev3.DataSource_InlineString{
						InlineString: "%DYNAMIC_METADATA(" + ProxyProtocolMetadataNamespace + ":" + PeerPrincipalMetadataKey + ")%",
					},
				}},
			}},
			// No identity (should not happen behind ztunnel) → no state,
			// so principal matchers fail closed instead of matching "-".
			SkipIfEmpty: true,
			ReadOnly:    true,
		}},
	})},
}

// waypointListener emits the Istio ambient "sandwich" listener: bound on
// "::" (dual stack) at port 15088, PROXY protocol required, and one filter
// chain per served Service port, matched on the destination the PROXY
// header restored (the Service VIP and port): HTTP ports get an HCM with
// their own route configuration, other ports a tcp_proxy. Traffic to a
// VIP:port the waypoint does not serve matches no chain and is closed.
func (t *translation) waypointListener(w *ir.Waypoint) error {
	port := w.Port
	if port == 0 {
		port = WaypointPort
	}
	lis := &listenerv3.Listener{
		Name:            WaypointListenerName,
		Address:         socketAddress(dualStackAny, port),
		ListenerFilters: []*listenerv3.ListenerFilter{proxyProtocolListenerFilter(true)},
	}
	setDualStack(lis, "")
	seen := map[netip.AddrPort]string{}
	for _, svc := range w.Services {
		policies := authz.ForService(w.AuthorizationPolicies, svc.Namespace, svc.Name)
		var ranges []*corev3.CidrRange
		for _, a := range svc.Addresses {
			ip, err := netip.ParseAddr(a)
			if err != nil {
				return fmt.Errorf("waypoint service %s/%s: address %q: %w", svc.Namespace, svc.Name, a, err)
			}
			ranges = append(ranges, &corev3.CidrRange{
				AddressPrefix: ip.String(),
				PrefixLen:     wrapperspb.UInt32(uint32(ip.BitLen())),
			})
		}
		for _, sp := range svc.Ports {
			name := waypointChainName(svc, sp)
			for _, a := range svc.Addresses {
				ap := netip.AddrPortFrom(netip.MustParseAddr(a), uint16(sp.Port))
				if other, dup := seen[ap]; dup {
					return fmt.Errorf("waypoint chain %s: %s is also served by %s", name, ap, other)
				}
				seen[ap] = name
			}
			fc := &listenerv3.FilterChain{
				Name: name,
				FilterChainMatch: &listenerv3.FilterChainMatch{
					DestinationPort: wrapperspb.UInt32(sp.Port),
					PrefixRanges:    ranges,
				},
			}
			// The peer identity first: authorization reads it.
			fc.Filters = []*listenerv3.Filter{peerPrincipalFilter}
			if sp.Protocol == ir.ProtocolHTTP {
				rbac, _, err := authz.HTTPFilters(policies)
				if err != nil {
					return fmt.Errorf("waypoint chain %s: %w", name, err)
				}
				nf, err := t.waypointHTTP(name, sp, w.HTTP, rbac)
				if err != nil {
					return err
				}
				fc.Filters = append(fc.Filters, nf)
			} else {
				rbac, _, err := authz.NetworkFilters(policies, "")
				if err != nil {
					return fmt.Errorf("waypoint chain %s: %w", name, err)
				}
				nf, err := tcpProxy(name, sp.Backend)
				if err != nil {
					return err
				}
				fc.Filters = append(append(fc.Filters, rbac...), nf)
			}
			lis.FilterChains = append(lis.FilterChains, fc)
		}
	}
	if len(lis.FilterChains) == 0 {
		// Envoy refuses a listener without filter chains; a waypoint that
		// serves nothing yet has nothing to listen for.
		return nil
	}
	t.out.Listeners = append(t.out.Listeners, lis)
	return nil
}

// waypointChainName names a chain, its route configuration and its stats:
// "<namespace>/<service>:<port>".
func waypointChainName(s *ir.WaypointService, p *ir.WaypointPort) string {
	return s.Namespace + "/" + s.Name + ":" + strconv.FormatUint(uint64(p.Port), 10)
}

// WaypointDefaultRouteName names the route of an HTTP port with no
// HTTPRoute: everything to the Service itself.
func WaypointDefaultRouteName(chain string) string { return chain + "/default" }

// waypointHTTP builds an HTTP chain's HCM and route configuration. What the
// authorization filters do not enforce as written (their findings) is for
// the controller to report: it calls wasp.dev/xds/authz itself.
func (t *translation) waypointHTTP(name string, sp *ir.WaypointPort, s *ir.HTTPSettings, rbac []*hcmv3.HttpFilter) (*listenerv3.Filter, error) {
	routes := sp.Routes
	if len(routes) == 0 {
		routes = []*ir.Route{{
			Name:     WaypointDefaultRouteName(name),
			Backends: []*ir.WeightedBackend{{Backend: sp.Backend, Weight: 1}},
		}}
	}
	// ztunnel already chose this chain by VIP; the Host header may be a
	// short name, an FQDN or an IP, so the one virtual host takes any.
	vh := &ir.VirtualHost{Name: name, Hostnames: []string{"*"}, Routes: routes}
	rc, err := t.routeConfig(name, []*ir.VirtualHost{vh})
	if err != nil {
		return nil, err
	}
	h, err := t.hcm(name, name, routes, s, rbac)
	if err != nil {
		return nil, fmt.Errorf("waypoint chain %s: %w", name, err)
	}
	t.out.Routes = append(t.out.Routes, rc)
	return hcmNetworkFilter("waypoint chain "+name, h)
}

func tcpProxy(name, cluster string) (*listenerv3.Filter, error) {
	a, err := pack("waypoint chain "+name+": tcp proxy", &tcpproxyv3.TcpProxy{
		StatPrefix:       name,
		ClusterSpecifier: &tcpproxyv3.TcpProxy_Cluster{Cluster: cluster},
	})
	if err != nil {
		return nil, err
	}
	return &listenerv3.Filter{Name: tcpProxyFilterName, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: a}}, nil
}
