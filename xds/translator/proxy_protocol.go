package translator

import (
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	proxyprotocolv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/proxy_protocol/v3"
)

// proxyProtocolListenerFilter requires a PROXY header on every connection
// (allow_requests_without_proxy_protocol false: a connection that did not
// come through ztunnel, or the ingress load balancer, is refused). With
// peerPrincipal it also keeps TLV 0xD0, the client's SPIFFE identity that
// ztunnel sends, as connection metadata.
func proxyProtocolListenerFilter(peerPrincipal bool) *listenerv3.ListenerFilter {
	pp := &proxyprotocolv3.ProxyProtocol{AllowRequestsWithoutProxyProtocol: false}
	if peerPrincipal {
		pp.Rules = []*proxyprotocolv3.ProxyProtocol_Rule{{
			TlvType: PeerPrincipalTLV,
			OnTlvPresent: &proxyprotocolv3.ProxyProtocol_KeyValuePair{
				MetadataNamespace: ProxyProtocolMetadataNamespace,
				Key:               PeerPrincipalMetadataKey,
			},
		}}
	}
	return &listenerv3.ListenerFilter{
		Name:       proxyProtocolName,
		ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: mustPack(pp)},
	}
}
