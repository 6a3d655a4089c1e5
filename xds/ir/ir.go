package ir

// IR is the whole desired state: every proxy the controller manages.
type IR struct {
	// Proxies sorted by Name.
	Proxies []*Proxy `json:"proxies,omitempty"`
}

// ProxyKind says which listeners a proxy serves.
type ProxyKind string

const (
	// KindIngress is a north-south gateway: HTTP listeners from Gateway
	// listeners, routes from HTTPRoutes parented to the Gateway.
	KindIngress ProxyKind = "ingress"
	// KindWaypoint is an Istio ambient waypoint: one PROXY-protocol listener
	// (port 15088) with a filter chain per served Service VIP and port.
	KindWaypoint ProxyKind = "waypoint"
)

// Proxy is everything one Envoy (one Gateway's Deployment) is told. The
// translator turns one Proxy into one snapshot, independently of the others.
type Proxy struct {
	// Name is the xDS node ID the proxy's bootstrap announces, e.g.
	// "default/my-gateway". Unique in the IR.
	Name string    `json:"name"`
	Kind ProxyKind `json:"kind"`

	// Listeners are the ingress HTTP listeners (Kind ingress), sorted by Port.
	Listeners []*HTTPListener `json:"listeners,omitempty"`
	// Waypoint is set for Kind waypoint.
	Waypoint *Waypoint `json:"waypoint,omitempty"`

	// Backends are the upstream clusters that routes and waypoint ports
	// refer to by Name, sorted by Name.
	Backends []*Backend `json:"backends,omitempty"`

	// WasmModules are the .wasm binaries the WasmFilters run, sorted by Name.
	WasmModules []*WasmModule `json:"wasmModules,omitempty"`
	// WasmFilters are the Wasm filters of this proxy, at most one per Name.
	// Their order in the HTTP filter chain is fixed by the translator
	// (accesslog, ratelimit, transform, custom filters in this slice's
	// order, router), not by this slice; custom filters keep slice order.
	WasmFilters []*WasmFilter `json:"wasmFilters,omitempty"`

	// TLSCertificates are the certificates TLSServers offer, sorted by Name.
	TLSCertificates []*TLSCertificate `json:"tlsCertificates,omitempty"`

	// IstioIntegration is set when the proxy runs with an Istio sidecar
	// (ingress proxies only); nil means no integration: no TLS upstream.
	IstioIntegration *IstioIntegration `json:"istioIntegration,omitempty"`
}
