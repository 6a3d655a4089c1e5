package server

import (
	"context"
	"slices"
	"strings"
	"testing"

	"wasp.dev/xds/ir"
	"wasp.dev/xds/translator"
)

func ingress(name string, endpoints ...string) *ir.Proxy {
	b := &ir.Backend{Name: "default/app:80"}
	for _, e := range endpoints {
		b.Endpoints = append(b.Endpoints, &ir.Endpoint{Address: e, Port: 8080})
	}
	return &ir.Proxy{
		Name: name, Kind: ir.KindIngress,
		Listeners: []*ir.HTTPListener{{
			Name: name + "/http", Port: 8080,
			VirtualHosts: []*ir.VirtualHost{{Name: "any", Hostnames: []string{"*"}, Routes: []*ir.Route{{
				Name: name + "/r0", Backends: []*ir.WeightedBackend{{Backend: b.Name, Weight: 1}},
			}}}},
		}},
		Backends: []*ir.Backend{b},
	}
}

// TestPublisherTranslatesOnlyChangedProxies: one changed proxy is the only
// one re-translated; a broken proxy keeps its last snapshot without
// blocking the others; a vanished proxy loses its snapshot.
func TestPublisherTranslatesOnlyChangedProxies(t *testing.T) {
	ctx := context.Background()
	srv := New(ctx, Options{})
	pub := NewPublisher(srv, translator.Options{})

	r := pub.Apply(ctx, &ir.IR{Proxies: []*ir.Proxy{ingress("a", "10.0.0.1"), ingress("b", "10.0.0.2")}})
	if r.Err() != nil || !slices.Equal(r.Translated, []string{"a", "b"}) {
		t.Fatalf("first apply: %+v", r)
	}
	r = pub.Apply(ctx, &ir.IR{Proxies: []*ir.Proxy{ingress("a", "10.0.0.1"), ingress("b", "10.0.0.2", "10.0.0.3")}})
	if r.Err() != nil || !slices.Equal(r.Translated, []string{"b"}) {
		t.Fatalf("second apply re-translated %v, want only b", r.Translated)
	}
	before, err := srv.cache.GetSnapshot("a")
	if err != nil {
		t.Fatal(err)
	}
	broken := ingress("a", "10.0.0.9")
	broken.Listeners[0].VirtualHosts[0].Routes[0].Backends[0].Backend = "missing"
	r = pub.Apply(ctx, &ir.IR{Proxies: []*ir.Proxy{broken, ingress("b", "10.0.0.2")}})
	if err := r.Failed["a"]; err == nil || !strings.Contains(err.Error(), `unknown backend "missing"`) {
		t.Fatalf("broken proxy: %v", r.Failed)
	}
	if !slices.Equal(r.Translated, []string{"b"}) {
		t.Fatalf("a broken proxy blocked the others: %v", r.Translated)
	}
	after, _ := srv.cache.GetSnapshot("a")
	if after != before {
		t.Fatal("the broken proxy's last good snapshot was replaced")
	}
	r = pub.Apply(ctx, &ir.IR{Proxies: []*ir.Proxy{ingress("b", "10.0.0.2")}})
	if !slices.Equal(r.Removed, []string{"a"}) {
		t.Fatalf("removed = %v", r.Removed)
	}
	if _, err := srv.cache.GetSnapshot("a"); err == nil {
		t.Fatal("snapshot of removed proxy a still served")
	}
}

func TestSnapshotRejectsInconsistentResources(t *testing.T) {
	res, err := translator.Translate(ingress("a", "10.0.0.1"), translator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res.Routes = nil // the listener's RDS name now dangles
	if _, err := NewSnapshot(res); err == nil || !strings.Contains(err.Error(), "inconsistent") {
		t.Fatalf("NewSnapshot = %v, want an inconsistency error", err)
	}
}

func TestPublisherRejectsDuplicateAndNullProxies(t *testing.T) {
	ctx := context.Background()
	pub := NewPublisher(New(ctx, Options{}), translator.Options{})
	r := pub.Apply(ctx, &ir.IR{Proxies: []*ir.Proxy{ingress("a", "10.0.0.1"), nil, ingress("a", "10.0.0.2")}})
	if !slices.Equal(r.Translated, []string{"a"}) {
		t.Fatalf("translated %v", r.Translated)
	}
	if r.Failed["proxies[1]"] == nil || r.Failed["a"] == nil {
		t.Fatalf("failures %v", r.Failed)
	}
}
