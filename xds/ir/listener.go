package ir

// HTTPListener is one ingress port. All Gateway listeners that share a port
// share one HTTPListener (one Envoy listener, one HTTP connection manager);
// they differ only by hostname, which selects a VirtualHost.
type HTTPListener struct {
	// Name is stable and unique in the proxy, e.g. "default/gw/http"; it
	// names the Envoy listener and its route configuration.
	Name string `json:"name"`
	// Address to bind; empty means "::" with IPv4-mapped addresses accepted
	// (dual stack).
	Address string `json:"address,omitempty"`
	Port    uint32 `json:"port"`
	// ProxyProtocol requires a PROXY protocol (v1 or v2) header on every
	// connection (e.g. behind a load balancer that sends it).
	ProxyProtocol bool `json:"proxyProtocol,omitempty"`
	// VirtualHosts in match order; Envoy picks by Host header, exact names
	// before wildcards regardless of this order.
	VirtualHosts []*VirtualHost `json:"virtualHosts,omitempty"`
	// HTTP holds connection-manager settings (HTTPListenerPolicy).
	HTTP *HTTPSettings `json:"http,omitempty"`
	// TLS, when set, makes the port terminate TLS (Gateway listeners of
	// protocol HTTPS): one filter chain per TLSServer, chosen by SNI, each
	// with its own virtual hosts; VirtualHosts is then empty.
	TLS []*TLSServer `json:"tls,omitempty"`
}

// VirtualHost groups the routes of one or more hostnames.
type VirtualHost struct {
	// Name is unique within its listener, e.g. "default/gw/http/example.com".
	Name string `json:"name"`
	// Hostnames this virtual host answers, e.g. "example.com",
	// "*.example.com" or "*" (any). A hostname appears in at most one
	// VirtualHost of a listener.
	Hostnames []string `json:"hostnames"`
	// Routes in precedence order (Gateway API ordering is the producer's job).
	Routes []*Route `json:"routes,omitempty"`
}

// HTTPSettings are HTTP connection manager options. Zero values mean
// Envoy's defaults unless noted.
type HTTPSettings struct {
	// XFFNumTrustedHops is how many X-Forwarded-For hops to trust.
	XFFNumTrustedHops uint32 `json:"xffNumTrustedHops,omitempty"`
	// UseRemoteAddress makes the connection's peer the client address
	// (restored by PROXY protocol where used); nil means true.
	UseRemoteAddress *bool `json:"useRemoteAddress,omitempty"`
	// ServerName replaces the "server" response header value.
	ServerName string `json:"serverName,omitempty"`
	// IdleTimeout closes idle downstream connections.
	IdleTimeout *Duration `json:"idleTimeout,omitempty"`
	// StreamIdleTimeout resets streams with no activity.
	StreamIdleTimeout *Duration `json:"streamIdleTimeout,omitempty"`
}

// Waypoint is the Istio ambient "sandwich" listener: ztunnel delivers
// waypoint-bound traffic as plaintext on Port, led by a PROXY v2 header whose
// destination is the Service VIP and port and whose TLV 0xD0 carries the
// client's SPIFFE identity. One filter chain per served VIP and port.
type Waypoint struct {
	// Port to bind on "::" (dual stack); 0 means 15088, the port of the
	// GatewayClass annotation ambient.istio.io/waypoint-inbound-binding.
	Port uint32 `json:"port,omitempty"`
	// Services served by this waypoint, sorted by Namespace then Name.
	Services []*WaypointService `json:"services,omitempty"`
	// HTTP holds connection-manager settings shared by every HTTP chain.
	HTTP *HTTPSettings `json:"http,omitempty"`
	// AuthorizationPolicies are the Istio AuthorizationPolicies the waypoint
	// enforces, sorted by namespace then name; each applies to the chains
	// of the services its targets select (wasp.dev/xds/authz.ForService).
	AuthorizationPolicies []*AuthorizationPolicy `json:"authorizationPolicies,omitempty"`
}

// WaypointService is one Service (or ServiceEntry) the waypoint serves.
type WaypointService struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Hostname is the Service's DNS name, e.g. "reviews.default.svc.cluster.local";
	// HTTP chains answer it (and any host: ztunnel already chose the VIP).
	Hostname string `json:"hostname,omitempty"`
	// Addresses are the VIPs the PROXY header restores as destination:
	// every spec.clusterIPs entry (IPv4 and IPv6 for dual stack), or a
	// ServiceEntry's addresses. Headless Services cannot be matched.
	Addresses []string `json:"addresses"`
	// Ports sorted by Port.
	Ports []*WaypointPort `json:"ports"`
}

// Protocol of a served port.
type Protocol string

const (
	// ProtocolHTTP ports get an HTTP connection manager with routes
	// (chosen by appProtocol, port-name prefix, or well-known port).
	ProtocolHTTP Protocol = "HTTP"
	// ProtocolTCP ports get a tcp_proxy to the port's Backend.
	ProtocolTCP Protocol = "TCP"
)

// WaypointPort is one Service port.
type WaypointPort struct {
	// Port is the Service port (spec.ports[].port), matched on the restored
	// destination.
	Port uint32 `json:"port"`
	// Name is the Service port name (the GAMMA sectionName), informational.
	Name     string   `json:"name,omitempty"`
	Protocol Protocol `json:"protocol"`
	// Backend names the Backend of the Service itself on this port: the
	// tcp_proxy target for TCP, and the default route's target for an HTTP
	// port without Routes.
	Backend string `json:"backend"`
	// Routes for HTTP ports, from HTTPRoutes parented to the Service (GAMMA)
	// or to the waypoint Gateway. Empty means one default route to Backend.
	Routes []*Route `json:"routes,omitempty"`
}
