package translator

// Names other components must agree on. Change them only together with the
// component named in each comment.
const (
	// WaypointPort is the port ztunnel delivers waypoint traffic to, from
	// the GatewayClass annotation ambient.istio.io/waypoint-inbound-binding:
	// PROXY/15088 (the controller writes that annotation).
	WaypointPort = 15088
	// WaypointListenerName names the waypoint's one listener.
	WaypointListenerName = "waypoint"

	// PeerPrincipalTLV is the PROXY v2 TLV type in which ztunnel sends the
	// client's SPIFFE identity (facts.md, Istio ambient).
	PeerPrincipalTLV = 0xD0
	// ProxyProtocolMetadataNamespace is where the proxy_protocol listener
	// filter stores that TLV (connection dynamic metadata).
	ProxyProtocolMetadataNamespace = "envoy.filters.listener.proxy_protocol"
	// PeerPrincipalMetadataKey is the TLV's key in that namespace.
	PeerPrincipalMetadataKey = "peer_principal"
	// PeerPrincipalFilterState is the connection filter state key holding
	// the client identity for the whole connection; RBAC (issue 9) matches
	// it and the access log can print %FILTER_STATE(io.istio.peer_principal:PLAIN)%.
	PeerPrincipalFilterState = "io.istio.peer_principal"

	// WasmFilterPrefix prefixes the HTTP filter name of a Wasm filter:
	// "wasp.<WasmFilter.Name>" (design b), or
	// "wasp.<WasmFilter.Name>/<policy key>" (design a, benchmark only).
	WasmFilterPrefix = "wasp."
	// WasmRuntime is Envoy's V8 runtime, present in every official build.
	WasmRuntime = "envoy.wasm.runtime.v8"

	// WasmCodeClusterPrefix prefixes the cluster that serves remote .wasm
	// code: "wasp_wasm_code|<host>:<port>".
	WasmCodeClusterPrefix = "wasp_wasm_code|"

	// UnresolvedBackendCluster is the weighted-cluster entry standing for
	// unresolvable backendRefs; no cluster has this name (names of Service
	// backends are "<ns>/<svc>:<port>"), so Envoy answers its share with
	// the route's cluster_not_found_response_code (500).
	UnresolvedBackendCluster = "wasp_unresolved_backend"

	// Access-log line keys are the filter's: config.AccessLogLineKey(i),
	// config.AccessLogSeenKey (wasp.dev/filters/config/accesslog.go).
)

// HTTP filter names of Envoy's native filters.
const (
	routerFilterName   = "envoy.filters.http.router"
	hcmFilterName      = "envoy.filters.network.http_connection_manager"
	tcpProxyFilterName = "envoy.filters.network.tcp_proxy"
	setFilterStateName = "envoy.filters.network.set_filter_state"
	proxyProtocolName  = "envoy.filters.listener.proxy_protocol"
	fileAccessLogName  = "envoy.access_loggers.file"
	httpProtocolOpts   = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
)
