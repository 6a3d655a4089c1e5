package translator

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
	"google.golang.org/protobuf/types/known/wrapperspb"

	"wasp.dev/xds/ir"
)

// defaultConnectTimeout bounds new upstream connections when the IR says
// nothing; Envoy's own default (5s) is shorter than a cold pod start needs.
const defaultConnectTimeout = 10 * time.Second

// adsSource is the config source of every dynamic resource: the same ADS
// stream, so Envoy sees one consistent snapshot.
var adsSource = &corev3.ConfigSource{
	ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}},
	ResourceApiVersion:    corev3.ApiVersion_V3,
}

// http2Options makes a cluster speak cleartext HTTP/2 upstream.
var http2Options = mustPack(&httpv3.HttpProtocolOptions{
	UpstreamProtocolOptions: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_{
		ExplicitHttpConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig{
			ProtocolConfig: &httpv3.HttpProtocolOptions_ExplicitHttpConfig_Http2ProtocolOptions{
				Http2ProtocolOptions: &corev3.Http2ProtocolOptions{},
			},
		},
	},
})

// backendCluster is an EDS cluster: endpoints change far more often than
// clusters, and EDS updates them without re-warming the cluster. With
// istioMTLS (Proxy.IstioAutoMTLS) it picks Istio mTLS or plaintext per
// endpoint (istio_mtls.go).
func backendCluster(b *ir.Backend, istioMTLS bool) (*clusterv3.Cluster, error) {
	timeout := defaultConnectTimeout
	if b.ConnectTimeout != nil {
		timeout = b.ConnectTimeout.Std()
	}
	c := &clusterv3.Cluster{
		Name:                 b.Name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_EDS},
		EdsClusterConfig:     &clusterv3.Cluster_EdsClusterConfig{EdsConfig: adsSource},
		ConnectTimeout:       durationpb.New(timeout),
		LbPolicy:             clusterv3.Cluster_ROUND_ROBIN,
	}
	if b.Protocol == ir.UpstreamHTTP2 {
		c.TypedExtensionProtocolOptions = map[string]*anypb.Any{httpProtocolOpts: http2Options}
	}
	if istioMTLS {
		if err := withIstioMTLS(c, b); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// backendEndpoints builds the EDS resource. EDS addresses must be IP
// literals (Envoy resolves no names there and would NACK the whole update),
// which ValidateAll does not check, so it is checked here. With istioMTLS
// each sidecar endpoint carries the metadata its cluster's mTLS match
// selects; without it no endpoint does.
func backendEndpoints(b *ir.Backend, istioMTLS bool) (*endpointv3.ClusterLoadAssignment, error) {
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: b.Name}
	if len(b.Endpoints) == 0 {
		return cla, nil
	}
	lle := make([]*endpointv3.LbEndpoint, 0, len(b.Endpoints))
	for _, e := range b.Endpoints {
		if _, err := netip.ParseAddr(e.Address); err != nil {
			return nil, fmt.Errorf("backend %s: endpoint address %q is not an IP address", b.Name, e.Address)
		}
		w := e.Weight
		if w == 0 {
			w = 1
		}
		le := &endpointv3.LbEndpoint{
			HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
				Address: socketAddress(e.Address, e.Port),
			}},
			LoadBalancingWeight: wrapperspb.UInt32(w),
		}
		if istioMTLS {
			le.Metadata = istioEndpointMetadata(e)
		}
		lle = append(lle, le)
	}
	cla.Endpoints = []*endpointv3.LocalityLbEndpoints{{LbEndpoints: lle}}
	return cla, nil
}

// codeServerCluster reaches the controller's .wasm HTTP server by DNS. It
// is a plain (non-EDS) cluster so it is usable as soon as CDS delivers it,
// before the listeners whose Wasm filters fetch through it.
func codeServerCluster(name string, cc codeCluster, codeTLS *tlsv3.UpstreamTlsContext) (*clusterv3.Cluster, error) {
	port, err := strconv.ParseUint(cc.port, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: port: %w", name, err)
	}
	typ := clusterv3.Cluster_STRICT_DNS
	if net.ParseIP(cc.host) != nil {
		typ = clusterv3.Cluster_STATIC
	}
	ts, err := codeServerTransport(name, cc, codeTLS)
	if err != nil {
		return nil, err
	}
	return &clusterv3.Cluster{
		Name:                 name,
		TransportSocket:      ts,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: typ},
		ConnectTimeout:       durationpb.New(defaultConnectTimeout),
		LbPolicy:             clusterv3.Cluster_ROUND_ROBIN,
		LoadAssignment: &endpointv3.ClusterLoadAssignment{
			ClusterName: name,
			Endpoints: []*endpointv3.LocalityLbEndpoints{{LbEndpoints: []*endpointv3.LbEndpoint{{
				HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
					Address: socketAddress(cc.host, uint32(port)),
				}},
			}}}},
		},
	}, nil
}

func socketAddress(host string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
		Address:       host,
		PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
	}}}
}
