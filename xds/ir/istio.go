package ir

// Istio sidecar integration of an ingress proxy (issue 10): the proxy pod
// runs istio-proxy (agent only) and `wasp sds`, which serves the workload
// certificate to Envoy, so Envoy can speak Istio mTLS to mesh backends
// itself. The pod's Deployment side (containers, bootstrap cluster) is the
// controller's; this is only what the xDS translator needs.

// IstioIntegration is the xDS side of a proxy's Istio integration.
type IstioIntegration struct {
	// AutoMTLS makes every Service backend's cluster use Istio mTLS to the
	// endpoints whose TLSMode is TLSModeIstio and plaintext to the others,
	// unless the backend sets DisableIstioAutoMTLS.
	AutoMTLS bool `json:"autoMtls,omitempty"`
}

// EndpointTLSMode is the value of a pod's security.istio.io/tlsMode label
// that wasp acts on.
type EndpointTLSMode string

const (
	// TLSModeNone: no sidecar, or a label value wasp does not act on
	// (including Istio's "disabled"). The controller maps every label value
	// other than "istio" to this.
	TLSModeNone EndpointTLSMode = ""
	// TLSModeIstio: the pod has an Istio sidecar that accepts Istio mTLS
	// (label security.istio.io/tlsMode: istio, set by sidecar injection).
	TLSModeIstio EndpointTLSMode = "istio"
)

// IstioAutoMTLS says whether b's cluster uses Istio mTLS to its sidecar
// endpoints: the proxy's integration has AutoMTLS on, b is a Service port
// (the SNI names it) and b has not opted out.
func (p *Proxy) IstioAutoMTLS(b *Backend) bool {
	return p.IstioIntegration != nil && p.IstioIntegration.AutoMTLS &&
		b.Service != nil && !b.DisableIstioAutoMTLS
}

// validateIstio checks the Istio integration fields, one error per problem.
func (p *Proxy) validateIstio(bad func(format string, args ...any)) {
	if p.IstioIntegration != nil && p.Kind == KindWaypoint {
		// A waypoint lives in the ambient data plane: ztunnel carries its
		// upstream traffic, so sidecar mTLS from Envoy would be wrong.
		bad("proxy %s: istioIntegration is for ingress proxies, not waypoints", p.Name)
	}
	for _, b := range p.Backends {
		for _, e := range b.Endpoints {
			if e.TLSMode != TLSModeNone && e.TLSMode != TLSModeIstio {
				bad("backend %s endpoint %s:%d: unknown tlsMode %q (want %q or none)", b.Name, e.Address, e.Port, e.TLSMode, TLSModeIstio)
			}
		}
		if s := b.Service; p.IstioAutoMTLS(b) && (s.Namespace == "" || s.Name == "" || s.Port == 0) {
			bad("backend %s: Istio auto mTLS needs the service's namespace, name and port (they make the SNI)", b.Name)
		}
	}
}
