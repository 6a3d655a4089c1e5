// Package translator turns one ir.Proxy into the Envoy resources of one xDS
// snapshot: Listeners, RouteConfigurations, Clusters and
// ClusterLoadAssignments. Translate is a pure function of its input, so it
// is golden-tested (testdata/<case>.in.yaml → <case>.out.yaml, regenerated
// with `go test ./translator -update`), and proxies translate independently:
// a change to one proxy never re-translates another.
//
// One file per feature: listener_ingress.go, listener_waypoint.go, hcm.go
// (the HTTP filter chain and its order), route.go and route_action.go,
// cluster.go, wasm.go (plugins, filter order), wasm_code.go (VMs and code
// sources), wasm_per_policy.go (design a, for benchmarks), envelope.go,
// policies.go (filters' own validation), accesslog.go. names.go
// holds every name that another component must agree on.
//
// Every message is checked with its ValidateAll() before it is packed into
// an Any (a Listener's ValidateAll does not look inside an Any), and every
// resource again before it is returned; a failure is an error naming the
// resource, never a partial result. The emitted config targets Envoy ≥ 1.33.
package translator
