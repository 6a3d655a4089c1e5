package translate

import (
	"net/netip"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/xds/ir"
)

// waypointServices decides which Services each waypoint serves: the
// Services Istio sends to it (facts.md "Which traffic goes to a waypoint").
func (t *translator) waypointServices() {
	svcs := append([]*corev1.Service(nil), t.in.Services...)
	sort.Slice(svcs, func(i, j int) bool {
		return nsName{svcs[i].Namespace, svcs[i].Name}.String() < nsName{svcs[j].Namespace, svcs[j].Name}.String()
	})
	for _, s := range svcs {
		wp := t.waypointOf(s)
		if wp == nil {
			continue
		}
		ss := &servedService{svc: s}
		for _, sp := range s.Spec.Ports {
			if sp.Protocol != "" && sp.Protocol != corev1.ProtocolTCP {
				continue // ztunnel carries TCP only
			}
			b := t.serviceBackend(s, sp)
			ss.ports = append(ss.ports, &servedPort{sp: sp, http: isHTTPPort(sp), backend: b.Name})
		}
		sort.Slice(ss.ports, func(i, j int) bool { return ss.ports[i].sp.Port < ss.ports[j].sp.Port })
		if len(ss.ports) == 0 {
			continue
		}
		wp.served = append(wp.served, ss)
		t.servedBy[nsName{s.Namespace, s.Name}] = wp
	}
}

// waypointOf returns the waypoint of ours that serves s, or nil.
func (t *translator) waypointOf(s *corev1.Service) *gatewayCtx {
	if len(serviceVIPs(s)) == 0 {
		return nil // headless Services cannot be matched by VIP (facts.md)
	}
	// The Service's own label overrides its namespace's; "none" opts out.
	src := s.Labels
	name, ok := src[LabelUseWaypoint]
	if !ok {
		src = t.x.namespaceLabels(s.Namespace)
		name = src[LabelUseWaypoint]
	}
	if name == "" || name == UseWaypointNone {
		return nil
	}
	ns := s.Namespace
	if v := src[LabelUseWaypointNamespace]; v != "" {
		ns = v
	}
	g := t.gatewayByNN[nsName{ns, name}]
	if g == nil || g.kind != ir.KindWaypoint || g.listenerP == nil {
		return nil
	}
	if g.gw.Namespace == s.Namespace && g.gw.Name == s.Name {
		return nil // the waypoint's own Service
	}
	if g.waypointFor != "service" && g.waypointFor != "all" {
		return nil
	}
	if !t.namespaceAllowed(g.listenerP.l.AllowedRoutes, g.gw.Namespace, s.Namespace) {
		return nil
	}
	return g
}

// namespaceAllowed applies a listener's allowedRoutes.namespaces (default
// Same) to an object in namespace ns.
func (t *translator) namespaceAllowed(ar *gwv1.AllowedRoutes, gwNS, ns string) bool {
	from := gwv1.NamespacesFromSame
	var sel *metav1.LabelSelector
	if ar != nil && ar.Namespaces != nil {
		if ar.Namespaces.From != nil {
			from = *ar.Namespaces.From
		}
		sel = ar.Namespaces.Selector
	}
	switch from {
	case gwv1.NamespacesFromAll:
		return true
	case gwv1.NamespacesFromSame:
		return ns == gwNS
	case gwv1.NamespacesFromSelector:
		if sel == nil {
			return false
		}
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil {
			return false
		}
		return s.Matches(labels.Set(t.x.namespaceLabels(ns)))
	}
	return false
}

// serviceVIPs returns the Service's cluster IPs (both families when dual
// stack); none for headless or ExternalName Services.
func serviceVIPs(s *corev1.Service) []string {
	if s.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	ips := s.Spec.ClusterIPs
	if len(ips) == 0 && s.Spec.ClusterIP != "" {
		ips = []string{s.Spec.ClusterIP}
	}
	var out []string
	for _, ip := range ips {
		if _, err := netip.ParseAddr(ip); err == nil {
			out = append(out, ip)
		}
	}
	return out
}

// httpAppProtocols are appProtocol values that mean HTTP.
var httpAppProtocols = map[string]bool{
	"http": true, "http2": true, "h2c": true, "grpc": true, "grpc-web": true,
	"kubernetes.io/h2c": true, "kubernetes.io/ws": true,
}

// httpPortNamePrefixes are Istio's port-name protocol prefixes for HTTP.
var httpPortNamePrefixes = []string{"http", "http2", "grpc", "grpc-web", "h2c"}

// wellKnownHTTPPorts are treated as HTTP when neither appProtocol nor the
// port name says otherwise.
var wellKnownHTTPPorts = map[int32]bool{80: true, 8080: true}

// isHTTPPort decides whether a Service port gets an HTTP connection manager
// (facts.md "Filter chains": appProtocol, else port-name prefix, else
// well-known ports).
func isHTTPPort(sp corev1.ServicePort) bool {
	if sp.AppProtocol != nil && *sp.AppProtocol != "" {
		return httpAppProtocols[strings.ToLower(*sp.AppProtocol)]
	}
	if sp.Name != "" {
		proto, _, _ := strings.Cut(strings.ToLower(sp.Name), "-")
		for _, p := range httpPortNamePrefixes {
			if proto == p {
				return true
			}
		}
		if proto == "tcp" || proto == "tls" || proto == "https" || proto == "mongo" || proto == "mysql" || proto == "redis" {
			return false
		}
	}
	return wellKnownHTTPPorts[sp.Port]
}
