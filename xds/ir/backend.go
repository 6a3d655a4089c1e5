package ir

// Backend is one upstream cluster: usually a Service port, with its
// endpoints. Routes refer to it by Name, so many routes share one cluster.
type Backend struct {
	// Name is unique in the proxy and becomes the cluster name, e.g.
	// "default/reviews-v1:9080".
	Name string `json:"name"`
	// Service identifies the Kubernetes Service, informational (stats, logs).
	Service *ServiceRef `json:"service,omitempty"`
	// Protocol spoken upstream; empty means HTTP/1.1 (or raw TCP for
	// tcp_proxy backends).
	Protocol UpstreamProtocol `json:"protocol,omitempty"`
	// ConnectTimeout for new upstream connections; nil means 10s.
	ConnectTimeout *Duration `json:"connectTimeout,omitempty"`
	// Endpoints sorted by Address then Port. Empty is valid: the cluster
	// exists and answers 503 (no healthy upstream).
	Endpoints []*Endpoint `json:"endpoints,omitempty"`
	// DisableIstioAutoMTLS opts this backend out of the proxy's Istio
	// automatic mTLS (IstioIntegration.AutoMTLS): its cluster speaks
	// plaintext to every endpoint, sidecar or not. It is the seed's
	// disableIstioAutoMtls; see docs/istio-sidecar.md for how users set it.
	DisableIstioAutoMTLS bool `json:"disableIstioAutoMtls,omitempty"`
	// DNS says the Endpoints' addresses are DNS names the proxy resolves
	// itself (a STRICT_DNS cluster with its endpoints inline, no EDS):
	// Istio ServiceEntry hosts with resolution DNS. Istio automatic mTLS
	// does not apply to such a backend (its endpoints are outside the mesh).
	DNS bool `json:"dns,omitempty"`
}

// ServiceRef names a Kubernetes Service port.
type ServiceRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Port      uint32 `json:"port"`
}

// UpstreamProtocol is the application protocol spoken to a Backend.
type UpstreamProtocol string

const (
	// UpstreamHTTP1 is HTTP/1.1 (the default).
	UpstreamHTTP1 UpstreamProtocol = "HTTP1"
	// UpstreamHTTP2 is cleartext HTTP/2 (appProtocol h2c, grpc, kubernetes.io/h2c).
	UpstreamHTTP2 UpstreamProtocol = "HTTP2"
)

// Endpoint is one ready pod address.
type Endpoint struct {
	Address string `json:"address"`
	Port    uint32 `json:"port"`
	// Weight for load balancing; 0 means 1.
	Weight uint32 `json:"weight,omitempty"`
	// Zone of the endpoint's node, informational for now.
	Zone string `json:"zone,omitempty"`
	// TLSMode is what the endpoint's pod accepts, from its label
	// security.istio.io/tlsMode (EndpointSlices do not carry pod labels:
	// the controller reads the Pod). Only TLSModeIstio changes anything,
	// and only when the proxy's IstioIntegration has AutoMTLS on.
	TLSMode EndpointTLSMode `json:"tlsMode,omitempty"`
}
