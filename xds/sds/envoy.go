package sds

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
)

// bootstrapConnectTimeout: the server is on loopback; a connect that takes
// longer means it is not up yet (containers start together) and Envoy's
// gRPC retry with backoff is the right answer.
const bootstrapConnectTimeout = time.Second

// httpProtocolOptionsKey is the extension name Envoy reads a cluster's
// HttpProtocolOptions from.
const httpProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

// SecretConfig refers Envoy to one of this server's secrets (ServerCertSecret
// or ValidationContextSecret), fetched over gRPC through the bootstrap
// cluster BootstrapClusterName.
func SecretConfig(name string) *tlsv3.SdsSecretConfig {
	return &tlsv3.SdsSecretConfig{
		Name: name,
		SdsConfig: &corev3.ConfigSource{
			ResourceApiVersion: corev3.ApiVersion_V3,
			ConfigSourceSpecifier: &corev3.ConfigSource_ApiConfigSource{ApiConfigSource: &corev3.ApiConfigSource{
				ApiType:             corev3.ApiConfigSource_GRPC,
				TransportApiVersion: corev3.ApiVersion_V3,
				GrpcServices: []*corev3.GrpcService{{
					TargetSpecifier: &corev3.GrpcService_EnvoyGrpc_{EnvoyGrpc: &corev3.GrpcService_EnvoyGrpc{
						ClusterName: BootstrapClusterName,
					}},
				}},
				// The server ignores the node; don't resend it.
				SetNodeOnFirstMessageOnly: true,
			}},
		},
	}
}

// UpstreamTLSContext is Istio mTLS to a sidecar-injected endpoint: the
// workload certificate, the mesh roots, ALPN IstioALPN and sni (see
// OutboundSNI). It is validated.
func UpstreamTLSContext(sni string) (*tlsv3.UpstreamTlsContext, error) {
	c := &tlsv3.UpstreamTlsContext{
		Sni: sni,
		CommonTlsContext: &tlsv3.CommonTlsContext{
			AlpnProtocols:                  []string{IstioALPN},
			TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{SecretConfig(ServerCertSecret)},
			ValidationContextType: &tlsv3.CommonTlsContext_ValidationContextSdsSecretConfig{
				ValidationContextSdsSecretConfig: SecretConfig(ValidationContextSecret),
			},
		},
	}
	if err := c.ValidateAll(); err != nil {
		return nil, fmt.Errorf("istio upstream tls context: %w", err)
	}
	return c, nil
}

// OutboundSNI is the SNI an Istio client sends to a Service port:
// outbound_.<port>_._.<service>.<namespace>.svc.cluster.local.
func OutboundSNI(port uint32, service, namespace string) string {
	return fmt.Sprintf("outbound_.%d_._.%s.%s.svc.%s", port, service, namespace, ClusterDomain)
}

// BootstrapCluster is the static cluster for Envoy's bootstrap
// (static_resources.clusters) that reaches this server at address
// (DefaultAddress unless `wasp sds --address` says otherwise) over HTTP/2.
func BootstrapCluster(address string) (*clusterv3.Cluster, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("sds bootstrap cluster: %w", err)
	}
	if _, err := netip.ParseAddr(host); err != nil {
		// A STATIC cluster takes IP addresses only.
		return nil, fmt.Errorf("sds bootstrap cluster: host %q is not an IP address", host)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("sds bootstrap cluster: port %q: %w", portText, err)
	}
	opts := &httpv3.HttpProtocolOptions{
		UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{
			ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
				ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{
					Http2ProtocolOptions: &corev3.Http2ProtocolOptions{},
				},
			},
		},
	}
	// Any hides its content from the cluster's ValidateAll: check first.
	if err := opts.ValidateAll(); err != nil {
		return nil, fmt.Errorf("sds bootstrap cluster: %w", err)
	}
	h2, err := anypb.New(opts)
	if err != nil {
		return nil, err
	}
	c := &clusterv3.Cluster{
		Name:                 BootstrapClusterName,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STATIC},
		ConnectTimeout:       durationpb.New(bootstrapConnectTimeout),
		TypedExtensionProtocolOptions: map[string]*anypb.Any{
			httpProtocolOptionsKey: h2,
		},
		LoadAssignment: &endpointv3.ClusterLoadAssignment{
			ClusterName: BootstrapClusterName,
			Endpoints: []*endpointv3.LocalityLbEndpoints{{
				LbEndpoints: []*endpointv3.LbEndpoint{{
					HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
						Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
							Address:       host,
							PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: uint32(port)},
						}}},
					}},
				}},
			}},
		},
	}
	if err := c.ValidateAll(); err != nil {
		return nil, fmt.Errorf("sds bootstrap cluster: %w", err)
	}
	return c, nil
}
