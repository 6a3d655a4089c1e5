package translator

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	tlsinspectorv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"wasp.dev/xds/ir"
)

// Downstream TLS (Gateway listeners of protocol HTTPS, mode Terminate).
// One Envoy listener per port, one filter chain per Gateway listener,
// chosen by SNI: Envoy's filter chain match prefers an exact server name,
// then the longest wildcard suffix, then the chain without server names
// (docs/policies.md "HTTPS listeners"). Each chain has its own HCM and
// route configuration, so the routes of one Gateway listener never answer
// a connection made for another. Certificates are SDS secrets on the ADS
// stream: a rotated Secret is a new secret version and leaves the listener
// (and its connections) alone.

// tlsInspectorName is the listener filter that reads SNI and ALPN.
const tlsInspectorName = "envoy.filters.listener.tls_inspector"

// downstreamALPN offers HTTP/2 first: clients that speak it use it, the
// rest fall back to HTTP/1.1 (the HCM's codec is AUTO).
var downstreamALPN = []string{"h2", "http/1.1"}

var tlsInspectorFilter = &listenerv3.ListenerFilter{
	Name:       tlsInspectorName,
	ConfigType: &listenerv3.ListenerFilter_TypedConfig{TypedConfig: mustPack(&tlsinspectorv3.TlsInspector{})},
}

// tlsFilterChains builds one chain (and route configuration) per TLS server.
func (t *translation) tlsFilterChains(l *ir.HTTPListener) ([]*listenerv3.FilterChain, error) {
	var chains []*listenerv3.FilterChain
	for _, ts := range l.TLS {
		var routes []*ir.Route
		for _, vh := range ts.VirtualHosts {
			routes = append(routes, vh.Routes...)
		}
		rc, err := t.routeConfig(ts.Name, ts.VirtualHosts)
		if err != nil {
			return nil, err
		}
		h, err := t.hcm(l.Name, ts.Name, routes, l.HTTP, nil)
		if err != nil {
			return nil, fmt.Errorf("tls server %s: %w", ts.Name, err)
		}
		nf, err := hcmNetworkFilter("tls server "+ts.Name, h)
		if err != nil {
			return nil, err
		}
		sock, err := downstreamTLSSocket(ts)
		if err != nil {
			return nil, err
		}
		fc := &listenerv3.FilterChain{Name: ts.Name, Filters: []*listenerv3.Filter{nf}, TransportSocket: sock}
		if len(ts.ServerNames) > 0 {
			fc.FilterChainMatch = &listenerv3.FilterChainMatch{ServerNames: ts.ServerNames}
		}
		chains = append(chains, fc)
		t.out.Routes = append(t.out.Routes, rc)
	}
	return chains, nil
}

// downstreamTLSSocket terminates TLS with the server's certificates, each
// an SDS secret fetched over ADS.
func downstreamTLSSocket(ts *ir.TLSServer) (*corev3.TransportSocket, error) {
	common := &tlsv3.CommonTlsContext{AlpnProtocols: downstreamALPN}
	for _, c := range ts.Certificates {
		common.TlsCertificateSdsSecretConfigs = append(common.TlsCertificateSdsSecretConfigs,
			&tlsv3.SdsSecretConfig{Name: c, SdsConfig: adsSource})
	}
	a, err := pack("tls server "+ts.Name+": downstream tls context", &tlsv3.DownstreamTlsContext{CommonTlsContext: common})
	if err != nil {
		return nil, err
	}
	return &corev3.TransportSocket{Name: tlsTransportSocket, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: a}}, nil
}

// tlsSecret is the SDS resource of a certificate.
func tlsSecret(c *ir.TLSCertificate) *tlsv3.Secret {
	return &tlsv3.Secret{
		Name: c.Name,
		Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
			CertificateChain: &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: c.CertificateChain}},
			PrivateKey:       &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: c.PrivateKey.Clear()}},
		}},
	}
}
