package harness

import (
	"context"
	"crypto/tls"
	"fmt"
	"sort"
	"sync"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"wasp.dev/e2e/envoysim"
)

// xDS type URLs, in the order Envoy subscribes over ADS.
const (
	typeCluster  = "type.googleapis.com/envoy.config.cluster.v3.Cluster"
	typeEndpoint = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"
	typeListener = "type.googleapis.com/envoy.config.listener.v3.Listener"
	typeRoute    = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration"
	typeSecret   = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"
)

// ADSClient is a state-of-the-world ADS client that behaves like Envoy's:
// it subscribes to every cluster and listener, then to the endpoints of EDS
// clusters and the route configurations the listeners name, and ACKs
// every response it could decode (NACKs the others).
type ADSClient struct {
	creds  *tls.Config
	conn   *grpc.ClientConn
	node   *corev3.Node
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every accepted response
	res      map[string]map[string]proto.Message
	versions map[string]string
	updates  int
	err      error
	// subs are the resource names subscribed per type (nil = wildcard).
	subs map[string][]string
	send chan *discoveryv3.DiscoveryRequest
}

// DialADS connects to the xDS server at addr as the proxy with node ID
// node, authenticated with creds (Applier.ProxyCredentials: what the
// controller wrote for that proxy; nil dials plaintext, for a controller
// run with --insecure-xds), and starts subscribing.
func DialADS(ctx context.Context, addr, node string, creds *tls.Config) (*ADSClient, error) {
	tc := insecure.NewCredentials()
	if creds != nil {
		tc = credentials.NewTLS(creds)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(tc))
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(sctx)
	if err != nil {
		cancel()
		conn.Close()
		return nil, err
	}
	c := &ADSClient{
		creds: creds, conn: conn, ctx: sctx, cancel: cancel, changed: make(chan struct{}),
		node:     &corev3.Node{Id: node, Cluster: node, UserAgentName: "envoy"},
		res:      map[string]map[string]proto.Message{},
		versions: map[string]string{}, subs: map[string][]string{},
		send: make(chan *discoveryv3.DiscoveryRequest, 16),
	}
	go c.sendLoop(sctx, stream)
	go c.recvLoop(stream)
	c.subscribe(typeCluster, nil, "", "")
	c.subscribe(typeListener, nil, "", "")
	return c, nil
}

// Credentials are the proxy's TLS identity the client dials with (nil:
// plaintext); the proxy fetches its .wasm code with the same.
func (c *ADSClient) Credentials() *tls.Config { return c.creds }

// Close ends the stream.
func (c *ADSClient) Close() {
	c.cancel()
	c.conn.Close()
}

func (c *ADSClient) sendLoop(ctx context.Context, stream discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient) {
	first := true
	for {
		select {
		case <-ctx.Done():
			return
		case req := <-c.send:
			if first {
				req.Node, first = c.node, false
			}
			if err := stream.Send(req); err != nil {
				c.fail(err)
				return
			}
		}
	}
}

func (c *ADSClient) subscribe(typeURL string, names []string, version, nonce string) {
	c.enqueue(&discoveryv3.DiscoveryRequest{TypeUrl: typeURL, ResourceNames: names, VersionInfo: version, ResponseNonce: nonce})
}

// enqueue hands a request to the send loop, or drops it once the client
// is closed (so the receive loop never blocks on a dead stream).
func (c *ADSClient) enqueue(req *discoveryv3.DiscoveryRequest) {
	select {
	case c.send <- req:
	case <-c.ctx.Done():
	}
}

func (c *ADSClient) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
		close(c.changed)
		c.changed = make(chan struct{})
	}
}

func (c *ADSClient) recvLoop(stream discoveryv3.AggregatedDiscoveryService_StreamAggregatedResourcesClient) {
	for {
		resp, err := stream.Recv()
		if err != nil {
			c.fail(fmt.Errorf("ADS stream: %w", err))
			return
		}
		decoded, err := decodeAll(resp.GetResources())
		c.mu.Lock()
		names := c.subs[resp.GetTypeUrl()]
		c.mu.Unlock()
		if err != nil {
			// NACK: keep the previous version, as Envoy does.
			c.enqueue(&discoveryv3.DiscoveryRequest{TypeUrl: resp.GetTypeUrl(), ResourceNames: names,
				VersionInfo: c.version(resp.GetTypeUrl()), ResponseNonce: resp.GetNonce(),
				ErrorDetail: statusOf(err)})
			c.fail(fmt.Errorf("NACK %s version %s: %w", resp.GetTypeUrl(), resp.GetVersionInfo(), err))
			continue
		}
		c.accept(resp, decoded)
		// ACK, then follow the new names (EDS for clusters, RDS for listeners).
		c.enqueue(&discoveryv3.DiscoveryRequest{TypeUrl: resp.GetTypeUrl(), ResourceNames: names,
			VersionInfo: resp.GetVersionInfo(), ResponseNonce: resp.GetNonce()})
		switch resp.GetTypeUrl() {
		case typeCluster:
			c.follow(typeEndpoint, edsNames(decoded))
		case typeListener:
			c.follow(typeRoute, rdsNames(decoded))
			// Envoy asks for secrets only when a listener names one.
			if names := sdsNames(decoded); len(names) > 0 || c.subscribed(typeSecret) {
				c.follow(typeSecret, names)
			}
		}
	}
}

// follow (re)subscribes to names of typeURL when they changed.
func (c *ADSClient) follow(typeURL string, names []string) {
	c.mu.Lock()
	old, had := c.subs[typeURL]
	same := had && fmt.Sprint(old) == fmt.Sprint(names)
	if !same {
		c.subs[typeURL] = names
	}
	version := c.versions[typeURL]
	c.mu.Unlock()
	if !same {
		c.subscribe(typeURL, names, version, "")
	}
}

func (c *ADSClient) subscribed(typeURL string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.subs[typeURL]
	return ok
}

func (c *ADSClient) version(typeURL string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.versions[typeURL]
}

func (c *ADSClient) accept(resp *discoveryv3.DiscoveryResponse, decoded map[string]proto.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.res[resp.GetTypeUrl()] = decoded
	c.versions[resp.GetTypeUrl()] = resp.GetVersionInfo()
	c.updates++
	close(c.changed)
	c.changed = make(chan struct{})
}

// Resources returns a copy of what the client holds now.
func (c *ADSClient) Resources() *envoysim.Resources {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := &envoysim.Resources{}
	for _, name := range sortedNames(c.res[typeListener]) {
		r.Listeners = append(r.Listeners, c.res[typeListener][name].(*listenerv3.Listener))
	}
	for _, name := range sortedNames(c.res[typeRoute]) {
		r.Routes = append(r.Routes, c.res[typeRoute][name].(*routev3.RouteConfiguration))
	}
	for _, name := range sortedNames(c.res[typeCluster]) {
		r.Clusters = append(r.Clusters, c.res[typeCluster][name].(*clusterv3.Cluster))
	}
	for _, name := range sortedNames(c.res[typeEndpoint]) {
		r.Endpoints = append(r.Endpoints, c.res[typeEndpoint][name].(*endpointv3.ClusterLoadAssignment))
	}
	for _, name := range sortedNames(c.res[typeSecret]) {
		r.Secrets = append(r.Secrets, c.res[typeSecret][name].(*tlsv3.Secret))
	}
	return r
}

// Versions returns the accepted version of each type.
func (c *ADSClient) Versions() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]string{}
	for k, v := range c.versions {
		out[k] = v
	}
	return out
}

// WaitFor waits until ready(resources) holds on what the client holds,
// checking after every accepted response, or until ctx ends. It returns
// the resources that satisfied it.
func (c *ADSClient) WaitFor(ctx context.Context, ready func(*envoysim.Resources) bool) (*envoysim.Resources, error) {
	for {
		c.mu.Lock()
		ch, err := c.changed, c.err
		c.mu.Unlock()
		if err != nil {
			return nil, err
		}
		if r := c.Resources(); c.complete() && ready(r) {
			return r, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for xDS: %w", ctx.Err())
		}
	}
}

// complete reports whether every subscribed name has arrived (Envoy warms
// a cluster until its endpoints arrive and a listener until its routes do).
func (c *ADSClient) complete() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.versions[typeCluster]; !ok {
		return false
	}
	if _, ok := c.versions[typeListener]; !ok {
		return false
	}
	for _, t := range []string{typeEndpoint, typeRoute} {
		for _, n := range c.subs[t] {
			if _, ok := c.res[t][n]; !ok {
				return false
			}
		}
	}
	return true
}

func decodeAll(anys []*anypb.Any) (map[string]proto.Message, error) {
	out := map[string]proto.Message{}
	for _, a := range anys {
		m, err := a.UnmarshalNew()
		if err != nil {
			return nil, err
		}
		var name string
		switch r := m.(type) {
		case *clusterv3.Cluster:
			name = r.GetName()
		case *listenerv3.Listener:
			name = r.GetName()
		case *routev3.RouteConfiguration:
			name = r.GetName()
		case *endpointv3.ClusterLoadAssignment:
			name = r.GetClusterName()
		case *tlsv3.Secret:
			name = r.GetName()
		default:
			return nil, fmt.Errorf("unexpected resource type %s", a.GetTypeUrl())
		}
		if v, ok := m.(interface{ ValidateAll() error }); ok {
			if err := v.ValidateAll(); err != nil {
				return nil, fmt.Errorf("%s %q: %w", a.GetTypeUrl(), name, err)
			}
		}
		out[name] = m
	}
	return out, nil
}

func edsNames(clusters map[string]proto.Message) []string {
	var names []string
	for name, m := range clusters {
		c := m.(*clusterv3.Cluster)
		if c.GetType() == clusterv3.Cluster_EDS {
			n := c.GetEdsClusterConfig().GetServiceName()
			if n == "" {
				n = name
			}
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

func rdsNames(listeners map[string]proto.Message) []string {
	set := map[string]bool{}
	for _, m := range listeners {
		for _, fc := range m.(*listenerv3.Listener).GetFilterChains() {
			for _, f := range fc.GetFilters() {
				var hcm hcmv3.HttpConnectionManager
				if f.GetTypedConfig().UnmarshalTo(&hcm) != nil {
					continue
				}
				if n := hcm.GetRds().GetRouteConfigName(); n != "" {
					set[n] = true
				}
			}
		}
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// sdsNames are the SDS secrets the listeners' TLS filter chains fetch over
// ADS, as Envoy subscribes to them when it warms the listeners.
func sdsNames(listeners map[string]proto.Message) []string {
	set := map[string]bool{}
	for _, m := range listeners {
		for _, fc := range m.(*listenerv3.Listener).GetFilterChains() {
			var dtc tlsv3.DownstreamTlsContext
			if fc.GetTransportSocket().GetTypedConfig().UnmarshalTo(&dtc) != nil {
				continue
			}
			for _, sc := range dtc.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs() {
				if sc.GetSdsConfig().GetAds() != nil {
					set[sc.GetName()] = true
				}
			}
		}
	}
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func sortedNames(m map[string]proto.Message) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Updates counts accepted responses.
func (c *ADSClient) Updates() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.updates
}
