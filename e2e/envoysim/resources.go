package envoysim

import (
	"fmt"
	"sort"

	"google.golang.org/protobuf/proto"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// Resources are the xDS resources one node received (the shape of
// wasp.dev/xds/translator.Resources, which converts field by field).
type Resources struct {
	Listeners []*listenerv3.Listener
	Routes    []*routev3.RouteConfiguration
	Clusters  []*clusterv3.Cluster
	Endpoints []*endpointv3.ClusterLoadAssignment
	// Secrets are the SDS secrets received over ADS.
	Secrets []*tlsv3.Secret
}

// Validate runs every resource's ValidateAll, and that of every message
// packed inside it (ValidateDeep), as Envoy does on ingestion.
func (r *Resources) Validate() error {
	check := func(kind, name string, v proto.Message) error {
		if err := ValidateDeep(v); err != nil {
			return fmt.Errorf("%s %q: %w", kind, name, err)
		}
		return nil
	}
	for _, l := range r.Listeners {
		if err := check("listener", l.GetName(), l); err != nil {
			return err
		}
	}
	for _, rc := range r.Routes {
		if err := check("route configuration", rc.GetName(), rc); err != nil {
			return err
		}
	}
	for _, c := range r.Clusters {
		if err := check("cluster", c.GetName(), c); err != nil {
			return err
		}
	}
	for _, e := range r.Endpoints {
		if err := check("cluster load assignment", e.GetClusterName(), e); err != nil {
			return err
		}
	}
	for _, s := range r.Secrets {
		if err := ValidateDeep(s); err != nil {
			return fmt.Errorf("secret %q: invalid", s.GetName()) // never its content
		}
	}
	return nil
}

// index holds the resources by name, as Envoy's managers do.
type index struct {
	listeners []*listenerv3.Listener
	routes    map[string]*routev3.RouteConfiguration
	clusters  map[string]*clusterv3.Cluster
	endpoints map[string]*endpointv3.ClusterLoadAssignment
	secrets   map[string]*tlsv3.Secret
}

func newIndex(r *Resources) (*index, error) {
	ix := &index{
		listeners: append([]*listenerv3.Listener(nil), r.Listeners...),
		routes:    map[string]*routev3.RouteConfiguration{},
		clusters:  map[string]*clusterv3.Cluster{},
		endpoints: map[string]*endpointv3.ClusterLoadAssignment{},
		secrets:   map[string]*tlsv3.Secret{},
	}
	for _, s := range r.Secrets {
		if _, dup := ix.secrets[s.GetName()]; dup {
			return nil, fmt.Errorf("duplicate secret %q", s.GetName())
		}
		ix.secrets[s.GetName()] = s
	}
	sort.Slice(ix.listeners, func(i, j int) bool { return ix.listeners[i].GetName() < ix.listeners[j].GetName() })
	for _, rc := range r.Routes {
		if _, dup := ix.routes[rc.GetName()]; dup {
			return nil, fmt.Errorf("duplicate route configuration %q", rc.GetName())
		}
		ix.routes[rc.GetName()] = rc
	}
	for _, c := range r.Clusters {
		if _, dup := ix.clusters[c.GetName()]; dup {
			return nil, fmt.Errorf("duplicate cluster %q", c.GetName())
		}
		ix.clusters[c.GetName()] = c
	}
	for _, e := range r.Endpoints {
		ix.endpoints[e.GetClusterName()] = e
	}
	return ix, nil
}
