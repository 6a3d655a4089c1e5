package server

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/anypb"
	"sigs.k8s.io/yaml"

	"wasp.dev/xds/ir"
	"wasp.dev/xds/translator"
)

const waypointNode = "default/waypoint"

// waypointIR is the golden waypoint case plus a rate limit whose code comes
// from the controller's code server, so every resource type and the code
// cluster are in the snapshot.
func waypointIR(t *testing.T) *ir.Proxy {
	t.Helper()
	b, err := os.ReadFile("../translator/testdata/waypoint-three-services.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var p ir.Proxy
	if err := yaml.UnmarshalStrict(b, &p); err != nil {
		t.Fatal(err)
	}
	p.WasmModules = []*ir.WasmModule{{
		Name:   "ratelimit",
		URL:    "http://wasp-controller.wasp-system.svc:8082/wasm/ratelimit.wasm",
		SHA256: "e109acee44c104eb4cafeedcf8bb2e750bdb12fa1ed8dfaf8965144f632fc2cc",
	}}
	p.WasmFilters = []*ir.WasmFilter{{
		Name: ir.FilterRateLimit, Module: "ratelimit",
		Policies: map[string]json.RawMessage{
			"default/ratelimit": json.RawMessage(`{"tokenBucket":{"maxTokens":3,"tokensPerFill":3,"fillInterval":"60s"}}`),
		},
	}}
	reviews := p.Waypoint.Services[2].Ports[0]
	reviews.Routes[0].Wasm = map[string]string{ir.FilterRateLimit: "default/ratelimit"}
	return &p
}

// recorder is an Observer that keeps what it saw.
type recorder struct {
	NopObserver
	mu    sync.Mutex
	acks  []string
	nacks []string
}

func (r *recorder) ACK(node, typeURL, _ string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acks = append(r.acks, node+" "+typeURL)
}

func (r *recorder) NACK(node, typeURL, _, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nacks = append(r.nacks, node+" "+typeURL+" "+msg)
}

func (r *recorder) snapshot() (acks, nacks []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.acks), slices.Clone(r.nacks)
}

// startServer serves ADS over mTLS on a loopback TCP port (as the
// controller does) and returns a client authenticated as waypointNode.
func startServer(t *testing.T) (*Server, *Publisher, *recorder, discoveryv3.AggregatedDiscoveryServiceClient) {
	t.Helper()
	ts := startTLSServer(t)
	return ts.srv, ts.pub, ts.rec, ts.dial(t, ts.clientTLS(t, waypointNode))
}

func publish(t *testing.T, p *Publisher, px *ir.Proxy) {
	t.Helper()
	res := p.Apply(context.Background(), &ir.IR{Proxies: []*ir.Proxy{px}})
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
}

var node = &corev3.Node{Id: waypointNode, Cluster: "wasp"}

// names extracts resource names of one type from Anys.
func names(t *testing.T, typ string, rs []*anypb.Any) []string {
	t.Helper()
	var out []string
	for _, a := range rs {
		if a.TypeUrl != typ {
			t.Fatalf("resource of type %s in a %s response", a.TypeUrl, typ)
		}
		m, err := a.UnmarshalNew()
		if err != nil {
			t.Fatal(err)
		}
		switch v := m.(type) {
		case *clusterv3.Cluster:
			out = append(out, v.Name)
		case *endpointv3.ClusterLoadAssignment:
			out = append(out, v.ClusterName)
		case *listenerv3.Listener:
			out = append(out, v.Name)
		case *routev3.RouteConfiguration:
			out = append(out, v.Name)
		}
	}
	slices.Sort(out)
	return out
}

// rdsNames is what Envoy does after LDS: collect the route configurations
// its HCMs name.
func rdsNames(t *testing.T, rs []*anypb.Any) []string {
	t.Helper()
	var out []string
	for _, a := range rs {
		var l listenerv3.Listener
		if err := a.UnmarshalTo(&l); err != nil {
			t.Fatal(err)
		}
		for _, fc := range l.FilterChains {
			for _, f := range fc.Filters {
				var h hcmv3.HttpConnectionManager
				if f.GetTypedConfig().MessageIs(&h) {
					if err := f.GetTypedConfig().UnmarshalTo(&h); err != nil {
						t.Fatal(err)
					}
					out = append(out, h.GetRds().RouteConfigName)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func edsNames(t *testing.T, rs []*anypb.Any) []string {
	t.Helper()
	var out []string
	for _, a := range rs {
		var c clusterv3.Cluster
		if err := a.UnmarshalTo(&c); err != nil {
			t.Fatal(err)
		}
		if c.GetType() == clusterv3.Cluster_EDS {
			out = append(out, c.Name)
		}
	}
	slices.Sort(out)
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// recvWithin receives one message or fails after a generous deadline (a
// hang here is a failure, not a measurement).
func recvWithin[T any](t *testing.T, recv func() (T, error)) T {
	t.Helper()
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() { v, err := recv(); ch <- result{v, err} }()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.v
	case <-time.After(10 * time.Second):
		t.Fatal("no xDS response within 10s")
	}
	var zero T
	return zero
}

func TestADSStateOfTheWorld(t *testing.T) {
	srv, pub, rec, client := startServer(t)
	px := waypointIR(t)
	publish(t, pub, px)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := client.StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	send := func(r *discoveryv3.DiscoveryRequest) {
		t.Helper()
		if err := stream.Send(r); err != nil {
			t.Fatal(err)
		}
	}
	recv := func(typ string) *discoveryv3.DiscoveryResponse {
		t.Helper()
		r := recvWithin(t, stream.Recv)
		if r.TypeUrl != typ {
			t.Fatalf("got a %s response, want %s", r.TypeUrl, typ)
		}
		return r
	}
	ack := func(typ string, names []string, r *discoveryv3.DiscoveryResponse) {
		send(&discoveryv3.DiscoveryRequest{TypeUrl: typ, ResourceNames: names, VersionInfo: r.VersionInfo, ResponseNonce: r.Nonce})
	}

	// Envoy's order on ADS: CDS, then EDS for the EDS clusters, then LDS,
	// then RDS for the route configurations the listeners name.
	send(&discoveryv3.DiscoveryRequest{Node: node, TypeUrl: resourcev3.ClusterType})
	cds := recv(resourcev3.ClusterType)
	clusters := names(t, resourcev3.ClusterType, cds.Resources)
	if !slices.Contains(clusters, translator.WasmCodeClusterPrefix+"wasp-controller.wasp-system.svc:8082") {
		t.Fatalf("CDS lacks the wasm code cluster: %v", clusters)
	}
	ack(resourcev3.ClusterType, nil, cds)
	eds := edsNames(t, cds.Resources)
	send(&discoveryv3.DiscoveryRequest{TypeUrl: resourcev3.EndpointType, ResourceNames: eds})
	edsResp := recv(resourcev3.EndpointType)
	if got := names(t, resourcev3.EndpointType, edsResp.Resources); !slices.Equal(got, eds) {
		t.Fatalf("EDS returned %v, want %v", got, eds)
	}
	ack(resourcev3.EndpointType, eds, edsResp)
	send(&discoveryv3.DiscoveryRequest{TypeUrl: resourcev3.ListenerType})
	lds := recv(resourcev3.ListenerType)
	if got := names(t, resourcev3.ListenerType, lds.Resources); !slices.Equal(got, []string{translator.WaypointListenerName}) {
		t.Fatalf("LDS returned %v", got)
	}
	ack(resourcev3.ListenerType, nil, lds)
	rds := rdsNames(t, lds.Resources)
	send(&discoveryv3.DiscoveryRequest{TypeUrl: resourcev3.RouteType, ResourceNames: rds})
	rdsResp := recv(resourcev3.RouteType)
	if got := names(t, resourcev3.RouteType, rdsResp.Resources); !slices.Equal(got, rds) || len(got) != 3 {
		t.Fatalf("RDS returned %v, want %v (3 HTTP chains)", got, rds)
	}
	ack(resourcev3.RouteType, rds, rdsResp)
	waitFor(t, "4 ACKs", func() bool { a, _ := rec.snapshot(); return len(a) == 4 })

	// A restart of the controller republishes identical content: the
	// versions are content hashes, so they do not move.
	snap, err := NewSnapshot(mustTranslate(t, px))
	if err != nil {
		t.Fatal(err)
	}
	if snap.Versions[resourcev3.ClusterType] != cds.VersionInfo || snap.Versions[resourcev3.ListenerType] != lds.VersionInfo {
		t.Fatalf("versions are not content hashes: %v vs cds %s lds %s", snap.Versions, cds.VersionInfo, lds.VersionInfo)
	}

	// Change: a new reviews endpoint. Only EDS changes, so only EDS is sent.
	px2 := waypointIR(t)
	for _, b := range px2.Backends {
		if b.Name == "default/reviews-v2:9080" {
			b.Endpoints = append(b.Endpoints, &ir.Endpoint{Address: "10.244.3.3", Port: 9080})
		}
	}
	publish(t, pub, px2)
	upd := recv(resourcev3.EndpointType)
	if upd.VersionInfo == edsResp.VersionInfo {
		t.Fatal("EDS version did not change")
	}
	found := false
	for _, a := range upd.Resources {
		var cla endpointv3.ClusterLoadAssignment
		if err := a.UnmarshalTo(&cla); err != nil {
			t.Fatal(err)
		}
		if cla.ClusterName == "default/reviews-v2:9080" && len(cla.Endpoints[0].LbEndpoints) == 2 {
			found = true
		}
	}
	if !found {
		t.Fatal("updated EDS lacks the new endpoint")
	}

	// NACK it, as Envoy would if it refused the config.
	send(&discoveryv3.DiscoveryRequest{
		TypeUrl: resourcev3.EndpointType, ResourceNames: eds,
		VersionInfo: edsResp.VersionInfo, ResponseNonce: upd.Nonce,
		ErrorDetail: &status.Status{Code: 3, Message: "test rejection"},
	})
	waitFor(t, "the NACK", func() bool { _, n := rec.snapshot(); return srv.NACKs() == 1 && len(n) == 1 })
	_, nacks := rec.snapshot()
	if len(nacks) != 1 || nacks[0] != waypointNode+" "+resourcev3.EndpointType+" test rejection" {
		t.Fatalf("observer NACKs = %v", nacks)
	}
}

func TestADSDelta(t *testing.T) {
	srv, pub, rec, client := startServer(t)
	px := waypointIR(t)
	publish(t, pub, px)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := client.DeltaAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	send := func(r *discoveryv3.DeltaDiscoveryRequest) {
		t.Helper()
		if err := stream.Send(r); err != nil {
			t.Fatal(err)
		}
	}
	recv := func(typ string) *discoveryv3.DeltaDiscoveryResponse {
		t.Helper()
		r := recvWithin(t, stream.Recv)
		if r.TypeUrl != typ {
			t.Fatalf("got a %s response, want %s", r.TypeUrl, typ)
		}
		return r
	}
	resources := func(r *discoveryv3.DeltaDiscoveryResponse) []*anypb.Any {
		var out []*anypb.Any
		for _, res := range r.Resources {
			out = append(out, res.Resource)
		}
		return out
	}

	send(&discoveryv3.DeltaDiscoveryRequest{Node: node, TypeUrl: resourcev3.ClusterType, ResourceNamesSubscribe: []string{"*"}})
	cds := recv(resourcev3.ClusterType)
	if len(cds.Resources) != 7 { // 6 backends + the code server
		t.Fatalf("delta CDS returned %d clusters: %v", len(cds.Resources), names(t, resourcev3.ClusterType, resources(cds)))
	}
	send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resourcev3.ClusterType, ResponseNonce: cds.Nonce})
	eds := edsNames(t, resources(cds))
	send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resourcev3.EndpointType, ResourceNamesSubscribe: eds})
	edsResp := recv(resourcev3.EndpointType)
	if got := names(t, resourcev3.EndpointType, resources(edsResp)); !slices.Equal(got, eds) {
		t.Fatalf("delta EDS returned %v, want %v", got, eds)
	}
	send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resourcev3.EndpointType, ResponseNonce: edsResp.Nonce})
	send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resourcev3.ListenerType, ResourceNamesSubscribe: []string{"*"}})
	lds := recv(resourcev3.ListenerType)
	send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resourcev3.ListenerType, ResponseNonce: lds.Nonce})
	rds := rdsNames(t, resources(lds))
	send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resourcev3.RouteType, ResourceNamesSubscribe: rds})
	rdsResp := recv(resourcev3.RouteType)
	if got := names(t, resourcev3.RouteType, resources(rdsResp)); !slices.Equal(got, rds) || len(got) != 3 {
		t.Fatalf("delta RDS returned %v, want %v", got, rds)
	}
	send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resourcev3.RouteType, ResponseNonce: rdsResp.Nonce})
	waitFor(t, "4 ACKs", func() bool { a, _ := rec.snapshot(); return len(a) == 4 })

	// Change one route's split: delta sends just that route configuration.
	px2 := waypointIR(t)
	px2.Waypoint.Services[2].Ports[0].Routes[0].Backends[0].Weight = 80
	px2.Waypoint.Services[2].Ports[0].Routes[0].Backends[1].Weight = 20
	publish(t, pub, px2)
	upd := recv(resourcev3.RouteType)
	if got := names(t, resourcev3.RouteType, resources(upd)); !slices.Equal(got, []string{"default/reviews:9080"}) {
		t.Fatalf("delta update sent %v, want only the changed route configuration", got)
	}
	var rc routev3.RouteConfiguration
	if err := upd.Resources[0].Resource.UnmarshalTo(&rc); err != nil {
		t.Fatal(err)
	}
	if w := rc.VirtualHosts[0].Routes[0].GetRoute().GetWeightedClusters().Clusters[0].Weight.GetValue(); w != 80 {
		t.Fatalf("updated weight = %d, want 80", w)
	}

	// Remove the postgres Service: its TCP and HTTP chains go, and delta
	// reports its route configuration as removed.
	px3 := waypointIR(t)
	px3.Waypoint.Services = slices.DeleteFunc(px3.Waypoint.Services, func(s *ir.WaypointService) bool { return s.Name == "postgres" })
	send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resourcev3.RouteType, ResponseNonce: upd.Nonce})
	publish(t, pub, px3)
	// Two responses follow, in either order: the listener (two chains
	// fewer) and the removal of postgres' route configuration.
	var lupd *discoveryv3.DeltaDiscoveryResponse
	var removed []string
	for lupd == nil || removed == nil {
		r := recvWithin(t, stream.Recv)
		switch r.TypeUrl {
		case resourcev3.ListenerType:
			lupd = r
		case resourcev3.RouteType:
			removed = append([]string{}, r.RemovedResources...)
			send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resourcev3.RouteType, ResponseNonce: r.Nonce})
		default:
			t.Fatalf("unexpected %s update", r.TypeUrl)
		}
	}
	if !slices.Equal(removed, []string{"default/postgres:9187"}) {
		t.Fatalf("delta removed %v, want postgres' route configuration", removed)
	}
	var l listenerv3.Listener
	if err := lupd.Resources[0].Resource.UnmarshalTo(&l); err != nil {
		t.Fatal(err)
	}
	if len(lupd.Resources) != 1 || len(l.FilterChains) != 2 {
		t.Fatalf("delta listener update: %d listeners, %d chains; want 1 listener with 2 chains", len(lupd.Resources), len(l.FilterChains))
	}

	// NACK the listener update.
	send(&discoveryv3.DeltaDiscoveryRequest{
		TypeUrl: resourcev3.ListenerType, ResponseNonce: lupd.Nonce,
		ErrorDetail: &status.Status{Code: 3, Message: "listener rejected"},
	})
	waitFor(t, "the NACK", func() bool { _, n := rec.snapshot(); return srv.NACKs() == 1 && len(n) == 1 })
	_, nacks := rec.snapshot()
	if len(nacks) != 1 || nacks[0] != waypointNode+" "+resourcev3.ListenerType+" listener rejected" {
		t.Fatalf("observer NACKs = %v", nacks)
	}
}

func mustTranslate(t *testing.T, p *ir.Proxy) *translator.Resources {
	t.Helper()
	r, err := translator.Translate(p, translator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestADSClusterBeforeListener: a change that adds a Wasm filter whose code
// is served from a new host adds a code cluster and changes the listener in
// one snapshot; the cluster must reach Envoy first (ordered ADS), or the
// listener's code fetch would find no cluster.
func TestADSClusterBeforeListener(t *testing.T) {
	_, pub, _, client := startServer(t)
	px := waypointIR(t)
	px.WasmFilters, px.WasmModules = nil, nil
	px.Waypoint.Services[2].Ports[0].Routes[0].Wasm = nil
	publish(t, pub, px)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := client.StreamAggregatedResources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	send := func(r *discoveryv3.DiscoveryRequest) {
		t.Helper()
		if err := stream.Send(r); err != nil {
			t.Fatal(err)
		}
	}
	handshake := func(typ string, names []string) *discoveryv3.DiscoveryResponse {
		t.Helper()
		send(&discoveryv3.DiscoveryRequest{Node: node, TypeUrl: typ, ResourceNames: names})
		r := recvWithin(t, stream.Recv)
		if r.TypeUrl != typ {
			t.Fatalf("got %s, want %s", r.TypeUrl, typ)
		}
		send(&discoveryv3.DiscoveryRequest{TypeUrl: typ, ResourceNames: names, VersionInfo: r.VersionInfo, ResponseNonce: r.Nonce})
		return r
	}
	cds := handshake(resourcev3.ClusterType, nil)
	handshake(resourcev3.EndpointType, edsNames(t, cds.Resources))
	lds := handshake(resourcev3.ListenerType, nil)
	handshake(resourcev3.RouteType, rdsNames(t, lds.Resources))

	publish(t, pub, waypointIR(t)) // adds the rate limit and its code cluster
	var order []string
	for len(order) < 2 {
		r := recvWithin(t, stream.Recv)
		order = append(order, r.TypeUrl)
	}
	if order[0] != resourcev3.ClusterType || order[1] != resourcev3.ListenerType {
		t.Fatalf("update order %v, want clusters before listeners", order)
	}
}

// TestServeStopsWithOpenStreams: an open ADS stream (an Envoy that never
// hangs up) must not keep Serve from returning once its context ends.
func TestServeStopsWithOpenStreams(t *testing.T) {
	srv := New(context.Background(), Options{StopGrace: 100 * time.Millisecond}) // watches outlive Serve's ctx
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	// Plaintext: this server runs without Options.TLS (--insecure-xds).
	conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&discoveryv3.DiscoveryRequest{Node: node, TypeUrl: resourcev3.ClusterType}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the stream to be watched", func() bool { return srv.cache.GetStatusInfo(waypointNode) != nil })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}
