package translator

import (
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"wasp.dev/xds/ir"
)

// dnsBackendCluster is a STRICT_DNS cluster whose endpoints are names the
// proxy resolves (ir.Backend.DNS, Istio ServiceEntry resolution DNS). EDS
// cannot carry names (Envoy NACKs them), so the endpoints are inline; they
// change only when the ServiceEntry does.
func dnsBackendCluster(b *ir.Backend) *clusterv3.Cluster {
	timeout := defaultConnectTimeout
	if b.ConnectTimeout != nil {
		timeout = b.ConnectTimeout.Std()
	}
	cla := &endpointv3.ClusterLoadAssignment{ClusterName: b.Name}
	if len(b.Endpoints) > 0 {
		lle := make([]*endpointv3.LbEndpoint, 0, len(b.Endpoints))
		for _, e := range b.Endpoints {
			w := e.Weight
			if w == 0 {
				w = 1
			}
			lle = append(lle, &endpointv3.LbEndpoint{
				HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
					Address: socketAddress(e.Address, e.Port),
				}},
				LoadBalancingWeight: wrapperspb.UInt32(w),
			})
		}
		cla.Endpoints = []*endpointv3.LocalityLbEndpoints{{LbEndpoints: lle}}
	}
	c := &clusterv3.Cluster{
		Name:                 b.Name,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STRICT_DNS},
		ConnectTimeout:       durationpb.New(timeout),
		LbPolicy:             clusterv3.Cluster_ROUND_ROBIN,
		LoadAssignment:       cla,
	}
	if b.Protocol == ir.UpstreamHTTP2 {
		c.TypedExtensionProtocolOptions = map[string]*anypb.Any{httpProtocolOpts: http2Options}
	}
	return c
}
