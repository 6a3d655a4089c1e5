// Package ir is wasp's intermediate representation: what each Envoy proxy
// should do, in plain Go values with JSON tags.
//
// The controller builds it from Kubernetes objects; the xDS translator
// (wasp.dev/xds/translator) turns it into Envoy resources. It imports nothing
// of wasp's, nothing of Kubernetes and nothing of Envoy, so either side can be
// tested alone and an IR can be dumped as YAML for debugging (`wasp translate
// --show ir`) and used as a translator golden input.
//
// Shape:
//
//	IR
//	└── Proxy (one per Gateway; its Name is the xDS node ID)
//	    ├── Listeners    ingress: HTTP listeners → virtual hosts → routes
//	    ├── Waypoint     waypoint: one 15088 listener → services → ports → routes
//	    ├── Backends     clusters with endpoints, referenced by name from routes
//	    ├── WasmModules  .wasm code (remote URL + sha256, or a local file)
//	    ├── WasmFilters  one per filter kind: policies by key, attached per route;
//	    │                or a user's filter (Custom): verbatim config, enabled per route
//	    └── IstioIntegration  ingress with an Istio sidecar: auto mTLS to mesh backends
//
// Access logs are the access-log WasmFilter's policy (usually its Default):
// the translator reads its file sinks from that policy and adds the native
// Envoy file loggers that print the filter's lines, so there is nothing
// else to set.
//
// Rules the translator relies on (Proxy.Validate checks them):
//   - Every Route.Name is unique within its Proxy and stable across
//     translations: it becomes the Envoy route name, which Wasm filters read
//     (property xds.route_name) to pick their per-route policy.
//   - Every name a route refers to (a Backend, a WasmFilter, a policy key)
//     exists in the same Proxy.
//   - Slices are in the order the producer wants them emitted; producers sort
//     them deterministically (the translator never reorders routes, because
//     route order is match precedence).
//
// Changes to this package are additive: new optional fields, never renamed
// or re-typed ones.
package ir
