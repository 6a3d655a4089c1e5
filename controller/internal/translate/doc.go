// Package translate turns Kubernetes objects (Gateway API, wasp's policy
// CRDs, Services, EndpointSlices, Namespaces) into wasp's IR and the status
// every object should carry. It is a pure function of its Input: no client,
// no clock, no randomness, so the reconcilers and the offline `wasp
// translate` command run the same code, and golden tests pin its output
// (testdata/<case>.in.yaml → <case>.out.yaml, regenerated with -update).
//
// Naming (stable, because Wasm filters key their per-route policy on the
// Envoy route name and the rate limiter keys its buckets on policy keys):
//
//	proxy        <gateway-namespace>/<gateway-name>       (xDS node ID)
//	backend      <namespace>/<service>:<port>
//	route        ingress:  <proxy>/<port>/<hostname>/httproute/<ns>/<name>/rule/<i>/match/<j>
//	             waypoint: <svc-ns>/<svc>:<port>/httproute/<ns>/<name>/rule/<i>/match/<j>
//	policy key   <policy-namespace>/<policy-name>
package translate
