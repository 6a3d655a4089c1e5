package translator

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"sigs.k8s.io/yaml"

	"wasp.dev/xds/ir"
)

// FuzzTranslate feeds arbitrary IR (JSON, seeded with every golden input)
// to Translate. Whatever it accepts must be valid and self-consistent:
// every route configuration a listener names, every cluster a route
// names and every EDS cluster's endpoints are present. It must never panic.
func FuzzTranslate(f *testing.F) {
	ins, _ := filepath.Glob("testdata/*.in.yaml")
	for _, in := range ins {
		b, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		j, err := yaml.YAMLToJSON(b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(j)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p ir.Proxy
		if json.Unmarshal(data, &p) != nil {
			return
		}
		res, err := Translate(&p, Options{})
		if err != nil {
			return
		}
		if err := res.Validate(); err != nil {
			t.Fatalf("accepted IR produced invalid resources: %v", err)
		}
		checkConsistent(t, res)
		if _, err := res.YAML(); err != nil {
			t.Fatal(err)
		}
	})
}

// checkConsistent fails on a dangling reference between resources.
func checkConsistent(t testing.TB, res *Resources) {
	t.Helper()
	routes, clusters, endpoints := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, rc := range res.Routes {
		routes[rc.Name] = true
	}
	for _, c := range res.Clusters {
		clusters[c.Name] = true
	}
	for _, e := range res.Endpoints {
		endpoints[e.ClusterName] = true
	}
	for _, h := range hcms(t, res) {
		if n := h.GetRds().GetRouteConfigName(); !routes[n] {
			t.Fatalf("HCM names missing route configuration %q", n)
		}
	}
	for _, rc := range res.Routes {
		for _, vh := range rc.VirtualHosts {
			for _, r := range vh.Routes {
				ra := r.GetRoute()
				if ra == nil {
					continue
				}
				names := []string{ra.GetCluster()}
				for _, w := range ra.GetWeightedClusters().GetClusters() {
					names = append(names, w.Name)
				}
				for _, m := range ra.RequestMirrorPolicies {
					names = append(names, m.Cluster)
				}
				for _, n := range names {
					if n == UnresolvedBackendCluster {
						// Missing on purpose: its share is answered 500.
						if ra.ClusterNotFoundResponseCode != routev3.RouteAction_INTERNAL_SERVER_ERROR {
							t.Fatalf("route %s: unresolved share without cluster_not_found_response_code 500", r.Name)
						}
						continue
					}
					if n != "" && !clusters[n] {
						t.Fatalf("route %s names missing cluster %q", r.Name, n)
					}
				}
			}
		}
	}
	for _, c := range res.Clusters {
		if c.GetType() == clusterv3.Cluster_EDS && !endpoints[c.Name] {
			t.Fatalf("EDS cluster %s has no ClusterLoadAssignment", c.Name)
		}
	}
}
