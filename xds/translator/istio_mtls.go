package translator

import (
	"fmt"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	rawbufferv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/raw_buffer/v3"
	"google.golang.org/protobuf/types/known/structpb"

	"wasp.dev/xds/ir"
	"wasp.dev/xds/sds"
)

// Istio automatic mTLS (issue 10, docs/istio-sidecar.md). A Service
// backend's cluster carries two transport socket matches whenever the
// proxy's integration has AutoMTLS on, whatever its endpoints are today:
// endpoints come and go over EDS without touching the cluster, and a
// cluster change would re-warm it and drain its connections. The EDS
// resource then marks each sidecar endpoint, and Envoy picks the socket per
// endpoint: Istio mTLS for marked ones, plaintext for the rest.
const (
	// transportSocketMatchKey is the endpoint metadata namespace Envoy
	// compares transport_socket_matches against.
	transportSocketMatchKey = "envoy.transport_socket_match"
	// tlsModeKey and its value are Istio's own (its outbound clusters use
	// the same metadata), so configs read the same as Istio's.
	tlsModeKey = "tlsMode"

	// Match names, as Istio names them; they show up in Envoy's admin
	// output and stats.
	istioMTLSMatchName = "tlsMode-istio"
	plaintextMatchName = "tlsMode-disabled"

	tlsTransportSocket       = "envoy.transport_sockets.tls"
	rawBufferTransportSocket = "envoy.transport_sockets.raw_buffer"
)

// plaintextSocket is the catch-all match's socket: no TLS.
var plaintextSocket = &corev3.TransportSocket{
	Name:       rawBufferTransportSocket,
	ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: mustPack(&rawbufferv3.RawBuffer{})},
}

// tlsModeIstio is {tlsMode: istio}: the match's criteria and the marked
// endpoints' metadata. A new Struct each time, so a caller that edits one
// resource cannot change another (plaintextSocket, built from constants
// only, is shared like http2Options).
func tlsModeIstio() *structpb.Struct {
	return &structpb.Struct{Fields: map[string]*structpb.Value{
		tlsModeKey: structpb.NewStringValue(string(ir.TLSModeIstio)),
	}}
}

// istioTransportSocketMatches returns the cluster's matches for Service
// port s, most specific first (Envoy uses the first that matches): Istio
// mTLS with the SDS secrets of `wasp sds` and the Service port's Istio SNI,
// then plaintext for everything else.
func istioTransportSocketMatches(s *ir.ServiceRef) ([]*clusterv3.Cluster_TransportSocketMatch, error) {
	tlsCtx, err := sds.UpstreamTLSContext(sds.OutboundSNI(s.Port, s.Name, s.Namespace))
	if err != nil {
		return nil, err
	}
	tlsAny, err := pack("istio upstream tls context", tlsCtx)
	if err != nil {
		return nil, err
	}
	return []*clusterv3.Cluster_TransportSocketMatch{
		{
			Name:  istioMTLSMatchName,
			Match: tlsModeIstio(),
			TransportSocket: &corev3.TransportSocket{
				Name:       tlsTransportSocket,
				ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: tlsAny},
			},
		},
		{
			Name:            plaintextMatchName,
			Match:           &structpb.Struct{}, // empty: matches every endpoint
			TransportSocket: plaintextSocket,
		},
	}, nil
}

// istioEndpointMetadata marks an endpoint for the mTLS match, or returns
// nil when e is not a sidecar endpoint.
func istioEndpointMetadata(e *ir.Endpoint) *corev3.Metadata {
	if e.TLSMode != ir.TLSModeIstio {
		return nil
	}
	return &corev3.Metadata{FilterMetadata: map[string]*structpb.Struct{
		transportSocketMatchKey: tlsModeIstio(),
	}}
}

// withIstioMTLS adds the matches to c, the cluster of b.
func withIstioMTLS(c *clusterv3.Cluster, b *ir.Backend) error {
	m, err := istioTransportSocketMatches(b.Service)
	if err != nil {
		return fmt.Errorf("backend %s: %w", b.Name, err)
	}
	c.TransportSocketMatches = m
	return nil
}
