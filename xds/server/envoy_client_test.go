package server

import (
	"context"
	"slices"
	"testing"

	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"wasp.dev/xds/ir"
)

// sotwEnvoy behaves like Envoy on a state-of-the-world ADS stream: it
// ACKs every response, follows CDS with an EDS request for every EDS
// cluster and LDS with an RDS request for every route configuration the
// listeners name, and keeps the latest resources of each type.
type sotwEnvoy struct {
	t      *testing.T
	stream discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient
	latest map[string][]*anypb.Any
	names  map[string][]string // subscribed names per type (nil: wildcard)
}

func newSotwEnvoy(t *testing.T, client discoveryv3.AggregatedDiscoveryServiceClient) *sotwEnvoy {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stream, err := client.StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e := &sotwEnvoy{t: t, stream: stream, latest: map[string][]*anypb.Any{}, names: map[string][]string{}}
	e.request(resourcev3.ClusterType, nil, "", "")
	e.request(resourcev3.ListenerType, nil, "", "")
	return e
}

func (e *sotwEnvoy) request(typ string, names []string, version, nonce string) {
	e.t.Helper()
	req := &discoveryv3.DiscoveryRequest{TypeUrl: typ, ResourceNames: names, VersionInfo: version, ResponseNonce: nonce}
	if nonce == "" && version == "" && (typ == resourcev3.ClusterType) {
		req.Node = node
	}
	if err := e.stream.Send(req); err != nil {
		e.t.Fatal(err)
	}
}

// step handles one response.
func (e *sotwEnvoy) step() {
	e.t.Helper()
	r := recvWithin(e.t, e.stream.Recv)
	e.latest[r.TypeUrl] = r.Resources
	e.request(r.TypeUrl, e.names[r.TypeUrl], r.VersionInfo, r.Nonce) // ACK
	var follow string
	var names []string
	switch r.TypeUrl {
	case resourcev3.ClusterType:
		follow, names = resourcev3.EndpointType, edsNames(e.t, r.Resources)
	case resourcev3.ListenerType:
		follow, names = resourcev3.RouteType, rdsNames(e.t, r.Resources)
	default:
		return
	}
	if !slices.Equal(names, e.names[follow]) {
		e.names[follow] = names
		e.request(follow, names, "", "")
	}
}

// until steps until cond holds.
func (e *sotwEnvoy) until(what string, cond func() bool) {
	e.t.Helper()
	for i := 0; !cond(); i++ {
		if i == 50 {
			e.t.Fatalf("no convergence: %s", what)
		}
		e.step()
	}
}

func (e *sotwEnvoy) has(typ, name string) bool {
	return slices.Contains(names(e.t, typ, e.latest[typ]), name)
}

// TestADSNewServiceConverges adds a Service to a running waypoint: the
// client must end up with its cluster, its endpoints, its filter chain and
// its route configuration, which Envoy only asks for after it has seen the
// listener naming it.
func TestADSNewServiceConverges(t *testing.T) {
	_, pub, _, client := startServer(t)
	publish(t, pub, waypointIR(t))
	e := newSotwEnvoy(t, client)
	e.until("initial config", func() bool {
		return e.has(resourcev3.RouteType, "default/reviews:9080") && len(e.latest[resourcev3.EndpointType]) == 6
	})

	px := waypointIR(t)
	px.Backends = append(px.Backends, &ir.Backend{
		Name:      "default/ratings:9080",
		Endpoints: []*ir.Endpoint{{Address: "10.244.4.1", Port: 9080}},
	})
	px.Waypoint.Services = append(px.Waypoint.Services, &ir.WaypointService{
		Namespace: "default", Name: "ratings", Addresses: []string{"10.96.50.50"},
		Ports: []*ir.WaypointPort{{Port: 9080, Protocol: ir.ProtocolHTTP, Backend: "default/ratings:9080"}},
	})
	publish(t, pub, px)
	e.until("the ratings service", func() bool {
		return e.has(resourcev3.ClusterType, "default/ratings:9080") &&
			e.has(resourcev3.EndpointType, "default/ratings:9080") &&
			e.has(resourcev3.RouteType, "default/ratings:9080")
	})
	for _, a := range e.latest[resourcev3.RouteType] {
		var rc routev3.RouteConfiguration
		if err := a.UnmarshalTo(&rc); err != nil {
			t.Fatal(err)
		}
		if rc.Name == "default/ratings:9080" && rc.VirtualHosts[0].Routes[0].Name != "default/ratings:9080/default" {
			t.Fatalf("ratings' default route is %s", rc.VirtualHosts[0].Routes[0].Name)
		}
	}
	for _, a := range e.latest[resourcev3.EndpointType] {
		var cla endpointv3.ClusterLoadAssignment
		if err := a.UnmarshalTo(&cla); err != nil {
			t.Fatal(err)
		}
		if cla.ClusterName == "default/ratings:9080" && cla.Endpoints[0].LbEndpoints[0].GetEndpoint().GetAddress().GetSocketAddress().Address != "10.244.4.1" {
			t.Fatal("ratings endpoint wrong")
		}
	}
}
