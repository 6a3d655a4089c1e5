package translate

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/xds/ir"
)

// Istio ServiceEntries (networking.istio.io) on wasp waypoints: each host of
// a ServiceEntry that uses one of our waypoints (istio.io/use-waypoint on
// the ServiceEntry or its namespace, as for Services) gets filter chains
// like a Service, on its VIPs and ports, and HTTPRoutes attach to it through
// parentRef {group: networking.istio.io, kind: Hostname, name: <host>}.

// serviceEntry is the part of a ServiceEntry's spec and status wasp reads.
type serviceEntry struct {
	Hosts      []string `json:"hosts"`
	Addresses  []string `json:"addresses"`
	Resolution string   `json:"resolution"`
	Ports      []struct {
		Number     int32  `json:"number"`
		Protocol   string `json:"protocol"`
		Name       string `json:"name"`
		TargetPort int32  `json:"targetPort"`
	} `json:"ports"`
	Endpoints []struct {
		Address string           `json:"address"`
		Ports   map[string]int32 `json:"ports"`
	} `json:"endpoints"`
}

type serviceEntryStatus struct {
	Addresses []struct {
		Value string `json:"value"`
		Host  string `json:"host"`
	} `json:"addresses"`
}

// entryHost marks a servedService that is one host of a ServiceEntry.
type entryHost struct {
	host string
	se   *serviceEntry
}

// Istio's port protocols that mean HTTP on a waypoint, mapped to the
// appProtocol isHTTPPort and serviceBackend understand.
var entryHTTPProtocols = map[string]string{"HTTP": "http", "HTTP2": "http2", "GRPC": "grpc"}

// serviceEntryServices adds each host of every ServiceEntry that uses a
// waypoint of ours to that waypoint's served services.
func (t *translator) serviceEntryServices() {
	ses := append([]*unstructured.Unstructured(nil), t.in.ServiceEntries...)
	sort.Slice(ses, func(i, j int) bool {
		return nsName{ses[i].GetNamespace(), ses[i].GetName()}.String() < nsName{ses[j].GetNamespace(), ses[j].GetName()}.String()
	})
	for _, u := range ses {
		var spec serviceEntry
		var st serviceEntryStatus
		if !decodeField(u, "spec", &spec) {
			continue
		}
		decodeField(u, "status", &st)
		hosts := append([]string(nil), spec.Hosts...)
		sort.Strings(hosts)
		for _, h := range hosts {
			svc := entryAsService(u, &spec, &st, h)
			wp := t.waypointOf(svc)
			if wp == nil {
				continue
			}
			// A VIP another served service (or host) already has would
			// give two chains one match, which Envoy rejects: first wins.
			if svc.Spec.ClusterIPs = unclaimedVIPs(wp, svc.Spec.ClusterIPs); len(svc.Spec.ClusterIPs) == 0 {
				continue
			}
			ss := &servedService{svc: svc, entry: &entryHost{host: h, se: &spec}}
			for _, sp := range svc.Spec.Ports {
				b := t.entryBackend(u.GetNamespace(), h, &spec, sp)
				ss.ports = append(ss.ports, &servedPort{sp: sp, http: isHTTPPort(sp), backend: b.Name})
			}
			sort.Slice(ss.ports, func(i, j int) bool { return ss.ports[i].sp.Port < ss.ports[j].sp.Port })
			if len(ss.ports) == 0 {
				continue
			}
			wp.served = append(wp.served, ss)
			t.entryServedBy[nsName{u.GetNamespace(), u.GetName()}] = wp
			t.hostServedBy[nsName{u.GetNamespace(), h}] = wp
		}
	}
	for _, g := range t.gatewayList {
		sort.SliceStable(g.served, func(i, j int) bool { return g.served[i].sortKey() < g.served[j].sortKey() })
	}
}

// decodeField decodes obj[field] into v; false when absent or malformed.
func decodeField(u *unstructured.Unstructured, field string, v any) bool {
	raw, ok := u.Object[field]
	if !ok {
		return false
	}
	b, err := json.Marshal(raw)
	return err == nil && json.Unmarshal(b, v) == nil
}

// entryAsService views one host of a ServiceEntry as a Service, so the
// waypoint choice (labels, namespace labels) and the port handling are the
// Services'. The VIPs are spec.addresses (only with a single host: Istio
// gives them to every host, and two hosts cannot share a VIP:port chain)
// plus status.addresses allocated to this host. CIDRs are skipped: a chain
// matches one VIP.
func entryAsService(u *unstructured.Unstructured, spec *serviceEntry, st *serviceEntryStatus, host string) *corev1.Service {
	var vips []string
	add := func(a string) {
		if ip, err := netip.ParseAddr(a); err == nil {
			vips = append(vips, ip.String())
		}
	}
	if len(spec.Hosts) == 1 {
		for _, a := range spec.Addresses {
			add(a)
		}
	}
	for _, a := range st.Addresses {
		if a.Host == "" || a.Host == host {
			add(a.Value)
		}
	}
	sort.Strings(vips)
	vips = dedup(vips)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: u.GetNamespace(), Name: u.GetName(), Labels: u.GetLabels()},
		Spec:       corev1.ServiceSpec{ClusterIPs: vips, Type: corev1.ServiceTypeClusterIP},
	}
	if len(vips) == 0 {
		svc.Spec.ClusterIP = corev1.ClusterIPNone // no VIP: cannot be matched
	}
	for _, p := range spec.Ports {
		sp := corev1.ServicePort{Name: p.Name, Port: p.Number, Protocol: corev1.ProtocolTCP}
		ap := "tcp"
		if v, ok := entryHTTPProtocols[strings.ToUpper(p.Protocol)]; ok {
			ap = v
		}
		sp.AppProtocol = &ap
		if p.TargetPort != 0 {
			sp.TargetPort = intstr.FromInt32(p.TargetPort)
		}
		svc.Spec.Ports = append(svc.Spec.Ports, sp)
	}
	return svc
}

func dedup(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// entryBackend is the Backend of one ServiceEntry host port:
//   - resolution DNS (or DNS_ROUND_ROBIN): the proxy resolves the
//     endpoints' addresses, or the host itself without endpoints;
//   - STATIC: the endpoints' IP addresses;
//   - NONE (the default): the endpoints' IPs, else spec.addresses that are
//     plain IPs (the traffic goes where the client sent it).
//
// An endpoint's port is its ports[<port name>], else targetPort, else the
// port number.
func (t *translator) entryBackend(ns, host string, spec *serviceEntry, sp corev1.ServicePort) *ir.Backend {
	name := backendName(ns, host, sp.Port)
	if b := t.backendSet[name]; b != nil {
		return b
	}
	b := &ir.Backend{Name: name, Service: &ir.ServiceRef{Namespace: ns, Name: host, Port: uint32(sp.Port)}}
	if sp.AppProtocol != nil && h2AppProtocols[*sp.AppProtocol] {
		b.Protocol = ir.UpstreamHTTP2
	}
	port := uint32(sp.Port)
	if sp.TargetPort.IntVal != 0 {
		port = uint32(sp.TargetPort.IntVal)
	}
	dns := strings.HasPrefix(strings.ToUpper(spec.Resolution), "DNS")
	for _, ep := range spec.Endpoints {
		p := port
		if v := ep.Ports[sp.Name]; v != 0 {
			p = uint32(v)
		}
		if _, err := netip.ParseAddr(ep.Address); err != nil && !dns {
			continue // a Unix socket or name: only DNS resolution reads names
		}
		b.Endpoints = append(b.Endpoints, &ir.Endpoint{Address: ep.Address, Port: p})
	}
	if len(spec.Endpoints) == 0 {
		switch {
		case dns:
			b.Endpoints = []*ir.Endpoint{{Address: host, Port: port}}
		case !strings.EqualFold(spec.Resolution, "STATIC"):
			for _, a := range spec.Addresses {
				if ip, err := netip.ParseAddr(a); err == nil {
					b.Endpoints = append(b.Endpoints, &ir.Endpoint{Address: ip.String(), Port: port})
				}
			}
		}
	}
	b.DNS = dns
	sort.Slice(b.Endpoints, func(i, j int) bool {
		if b.Endpoints[i].Address != b.Endpoints[j].Address {
			return b.Endpoints[i].Address < b.Endpoints[j].Address
		}
		return b.Endpoints[i].Port < b.Endpoints[j].Port
	})
	t.backendSet[name] = b
	return b
}

// policyKey is the namespace/name AuthorizationPolicy targets use for this
// service (a ServiceEntry's, for each of its hosts).
func (ss *servedService) policyKey() (string, string) {
	return ss.svc.Namespace, ss.svc.Name
}

// sortKey orders served services by namespace, name, then host.
func (ss *servedService) sortKey() string {
	k := ss.svc.Namespace + "/" + ss.svc.Name
	if ss.entry != nil {
		k += "/" + ss.entry.host
	}
	return k
}

// hostname is the DNS name HTTP chains answer.
func (ss *servedService) hostname(clusterDomain string) string {
	if ss.entry != nil {
		return ss.entry.host
	}
	return ss.svc.Name + "." + ss.svc.Namespace + ".svc." + clusterDomain
}

// The parentRef of an HTTPRoute attached to a ServiceEntry host (as
// kgateway and Istio accept it): name is the host.
const (
	istioNetworkingGroup = "networking.istio.io"
	kindHostname         = "Hostname"
)

// hostBackend resolves a backendRef {group: networking.istio.io, kind:
// Hostname} to the Backend of a ServiceEntry host port that a waypoint of
// ours serves, in the route's namespace.
func (t *translator) hostBackend(fromNS string, ref gwv1.BackendObjectReference) (*ir.Backend, *refError) {
	if ref.Namespace != nil && string(*ref.Namespace) != fromNS {
		return nil, &refError{gwv1.RouteReasonRefNotPermitted, "a Hostname backendRef must stay in the route's namespace"}
	}
	if ref.Port == nil {
		return nil, &refError{gwv1.RouteReasonUnsupportedValue, fmt.Sprintf("backendRef to Hostname %s needs a port", ref.Name)}
	}
	if b := t.backendSet[backendName(fromNS, string(ref.Name), int32(*ref.Port))]; b != nil {
		return b, nil
	}
	return nil, &refError{gwv1.RouteReasonBackendNotFound, fmt.Sprintf("no ServiceEntry host %s with port %d in namespace %s is served by a wasp waypoint", ref.Name, *ref.Port, fromNS)}
}

// unclaimedVIPs returns the addresses no service wp serves already uses.
func unclaimedVIPs(wp *gatewayCtx, vips []string) []string {
	claimed := map[string]bool{}
	for _, ss := range wp.served {
		for _, a := range serviceVIPs(ss.svc) {
			claimed[a] = true
		}
	}
	var out []string
	for _, a := range vips {
		if !claimed[a] {
			out = append(out, a)
		}
	}
	return out
}
