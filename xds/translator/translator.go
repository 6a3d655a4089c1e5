package translator

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"

	"wasp.dev/xds/ir"
)

// Options tune a translation. The zero value is what production uses.
type Options struct {
	// WasmAttachment selects design b (default) or a; see wasm.go.
	WasmAttachment WasmAttachment
	// CodeServerTLS is how proxies authenticate to the controller's .wasm
	// server for https module URLs (wasm_code_tls.go); nil refuses them.
	CodeServerTLS *tlsv3.UpstreamTlsContext
}

// Resources are one proxy's Envoy resources, each list sorted by name.
type Resources struct {
	Listeners []*listenerv3.Listener
	Routes    []*routev3.RouteConfiguration
	Clusters  []*clusterv3.Cluster
	Endpoints []*endpointv3.ClusterLoadAssignment
	// Secrets are the SDS secrets (TLS certificates) the listeners name.
	Secrets []*tlsv3.Secret
}

type translation struct {
	opts Options
	wasm *wasmState
	// accessLogCache holds native access loggers by access-log policy set.
	accessLogCache map[string][]*accesslogv3.AccessLog
	out            Resources
}

// Translate turns one proxy's IR into its Envoy resources. It reads only p,
// so proxies translate independently (and concurrently). Every resource is
// validated; on any error nothing is returned.
func Translate(p *ir.Proxy, opts Options) (*Resources, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("proxy %s: invalid IR: %w", p.Name, err)
	}
	t := &translation{opts: opts, wasm: newWasmState(p)}
	for _, l := range p.Listeners {
		if err := t.ingressListener(l); err != nil {
			return nil, fmt.Errorf("proxy %s: %w", p.Name, err)
		}
	}
	if p.Waypoint != nil {
		if err := t.waypointListener(p.Waypoint); err != nil {
			return nil, fmt.Errorf("proxy %s: %w", p.Name, err)
		}
	}
	for _, b := range p.Backends {
		if b.DNS {
			t.out.Clusters = append(t.out.Clusters, dnsBackendCluster(b))
			continue
		}
		istioMTLS := p.IstioAutoMTLS(b)
		cla, err := backendEndpoints(b, istioMTLS)
		if err != nil {
			return nil, fmt.Errorf("proxy %s: %w", p.Name, err)
		}
		c, err := backendCluster(b, istioMTLS)
		if err != nil {
			return nil, fmt.Errorf("proxy %s: %w", p.Name, err)
		}
		t.out.Clusters = append(t.out.Clusters, c)
		t.out.Endpoints = append(t.out.Endpoints, cla)
	}
	for _, c := range p.TLSCertificates {
		t.out.Secrets = append(t.out.Secrets, tlsSecret(c))
	}
	for _, name := range sortedKeys(t.wasm.codeClusters) {
		c, err := codeServerCluster(name, t.wasm.codeClusters[name], t.opts.CodeServerTLS)
		if err != nil {
			return nil, fmt.Errorf("proxy %s: %w", p.Name, err)
		}
		t.out.Clusters = append(t.out.Clusters, c)
	}
	t.out.sort()
	if err := t.out.Validate(); err != nil {
		return nil, fmt.Errorf("proxy %s: %w", p.Name, err)
	}
	return &t.out, nil
}

func (r *Resources) sort() {
	slices.SortFunc(r.Listeners, func(a, b *listenerv3.Listener) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(r.Routes, func(a, b *routev3.RouteConfiguration) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(r.Clusters, func(a, b *clusterv3.Cluster) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(r.Endpoints, func(a, b *endpointv3.ClusterLoadAssignment) int {
		return cmp.Compare(a.ClusterName, b.ClusterName)
	})
	slices.SortFunc(r.Secrets, func(a, b *tlsv3.Secret) int { return cmp.Compare(a.Name, b.Name) })
}

// Validate runs every resource's ValidateAll (Envoy's ingestion rules),
// checks that names are unique per type (the xDS cache indexes by name, so
// a duplicate would silently replace the other), and names the resource
// that fails.
func (r *Resources) Validate() error {
	if err := uniqueNames(r); err != nil {
		return err
	}
	for _, l := range r.Listeners {
		if err := l.ValidateAll(); err != nil {
			return fmt.Errorf("listener %s: %w", l.Name, err)
		}
	}
	for _, rc := range r.Routes {
		if err := rc.ValidateAll(); err != nil {
			return fmt.Errorf("route configuration %s: %w", rc.Name, err)
		}
	}
	for _, c := range r.Clusters {
		if err := c.ValidateAll(); err != nil {
			return fmt.Errorf("cluster %s: %w", c.Name, err)
		}
	}
	for _, e := range r.Endpoints {
		if err := e.ValidateAll(); err != nil {
			return fmt.Errorf("endpoints %s: %w", e.ClusterName, err)
		}
	}
	for _, s := range r.Secrets {
		// The error names the secret, never its content.
		if err := s.ValidateAll(); err != nil {
			return fmt.Errorf("secret %s: invalid", s.Name)
		}
	}
	return nil
}

func uniqueNames(r *Resources) error {
	check := func(kind string, names func(yield func(string) bool)) error {
		seen := map[string]bool{}
		for n := range names {
			if seen[n] {
				return fmt.Errorf("%s %s: defined twice", kind, n)
			}
			seen[n] = true
		}
		return nil
	}
	return errors.Join(
		check("listener", func(y func(string) bool) {
			for _, x := range r.Listeners {
				if !y(x.Name) {
					return
				}
			}
		}),
		check("route configuration", func(y func(string) bool) {
			for _, x := range r.Routes {
				if !y(x.Name) {
					return
				}
			}
		}),
		check("cluster", func(y func(string) bool) {
			for _, x := range r.Clusters {
				if !y(x.Name) {
					return
				}
			}
		}),
		check("endpoints", func(y func(string) bool) {
			for _, x := range r.Endpoints {
				if !y(x.ClusterName) {
					return
				}
			}
		}),
		check("secret", func(y func(string) bool) {
			for _, x := range r.Secrets {
				if !y(x.Name) {
					return
				}
			}
		}),
	)
}
