package translate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/xds/ir"
)

// Istio ambient names (facts.md "Istio ambient and waypoints").
const (
	// ProtocolIstioProxy is the listener protocol of a "sandwich" waypoint.
	ProtocolIstioProxy gwv1.ProtocolType = "istio.io/PROXY"
	// AnnotationWaypointInboundBinding on the GatewayClass tells ztunnel to
	// deliver waypoint traffic as PROXY protocol on the given port.
	AnnotationWaypointInboundBinding = "ambient.istio.io/waypoint-inbound-binding"
	// WaypointInboundBinding is the value wasp keeps on waypoint classes.
	WaypointInboundBinding = "PROXY/15088"
	// DefaultWaypointPort is the port of that binding.
	DefaultWaypointPort = 15088

	LabelUseWaypoint          = "istio.io/use-waypoint"
	LabelUseWaypointNamespace = "istio.io/use-waypoint-namespace"
	LabelWaypointFor          = "istio.io/waypoint-for"
	// UseWaypointNone opts a Service out of its namespace's waypoint.
	UseWaypointNone = "none"
)

// waypointPort is the port ztunnel delivers to for class c.
func waypointPort(c *gwv1.GatewayClass) int32 {
	v := c.Annotations[AnnotationWaypointInboundBinding]
	if proto, port, ok := strings.Cut(v, "/"); ok && proto == "PROXY" {
		if n, err := strconv.Atoi(port); err == nil && n > 0 && n < 65536 {
			return int32(n)
		}
	}
	return DefaultWaypointPort
}

// gateways collects the Gateways of our classes and judges their listeners.
func (t *translator) gateways() {
	gws := append([]*gwv1.Gateway(nil), t.in.Gateways...)
	sort.Slice(gws, func(i, j int) bool {
		return nsName{gws[i].Namespace, gws[i].Name}.String() < nsName{gws[j].Namespace, gws[j].Name}.String()
	})
	for _, gw := range gws {
		c := t.ourClasses[string(gw.Spec.GatewayClassName)]
		if c == nil {
			continue
		}
		g := &gatewayCtx{gw: gw, key: nsName{gw.Namespace, gw.Name}, class: c, kind: ir.KindIngress}
		if t.isWaypointClass(c, gw) {
			g.kind = ir.KindWaypoint
		}
		for _, l := range gw.Spec.Listeners {
			g.listeners = append(g.listeners, &listenerCtx{l: l, attachedRoutes: map[nsName]bool{}})
		}
		if g.kind == ir.KindWaypoint {
			t.judgeWaypointListeners(g)
		} else {
			t.judgeIngressListeners(g)
		}
		// Accepted while some listener is served; ListenersNotValid names
		// the ones that are not (Gateway API: the reason goes with
		// Accepted True when only some listeners are invalid).
		g.accepted = false
		var invalid []string
		for _, l := range g.listeners {
			if l.programmed {
				g.accepted = true
			} else {
				invalid = append(invalid, string(l.l.Name))
			}
		}
		if len(invalid) > 0 {
			g.acceptedReason = string(gwv1.GatewayReasonListenersNotValid)
			g.acceptedMessage = "listeners not valid: " + strings.Join(invalid, ", ")
			if !g.accepted {
				g.acceptedMessage = "no listener is valid"
			}
		}
		t.resolveParameters(g)
		t.gatewayList = append(t.gatewayList, g)
		t.gatewayByNN[g.key] = g
	}
}

var httpRouteKind = gwv1.RouteGroupKind{Group: ptrTo(gwv1.Group(gwv1.GroupName)), Kind: "HTTPRoute"}

// routeKindsOf are the route kinds wasp serves on a listener of protocol p:
// HTTPRoute on HTTP, HTTPS and a waypoint's PROXY listener; nothing on the
// protocols wasp does not implement (TLS, TCP, UDP: no TLSRoute, TCPRoute
// or UDPRoute; GRPCRoute is not implemented either).
func routeKindsOf(p gwv1.ProtocolType) []gwv1.RouteGroupKind {
	switch p {
	case gwv1.HTTPProtocolType, gwv1.HTTPSProtocolType, ProtocolIstioProxy:
		return []gwv1.RouteGroupKind{httpRouteKind}
	}
	return nil
}

// judgeListenerKinds checks allowedRoutes.kinds against what the protocol
// serves: supported are the listed kinds wasp serves (all it serves when
// none are listed); msg names the listed kinds it does not.
func judgeListenerKinds(l *listenerCtx) (supported []gwv1.RouteGroupKind, msg string) {
	served := routeKindsOf(l.l.Protocol)
	if l.l.AllowedRoutes == nil || len(l.l.AllowedRoutes.Kinds) == 0 {
		return served, ""
	}
	var bad []string
	for _, k := range l.l.AllowedRoutes.Kinds {
		grp := gwv1.GroupName
		if k.Group != nil {
			grp = string(*k.Group)
		}
		ok := false
		for _, s := range served {
			if string(*s.Group) == grp && s.Kind == k.Kind {
				ok = true
			}
		}
		if ok {
			supported = append(supported, gwv1.RouteGroupKind{Group: ptrTo(gwv1.Group(grp)), Kind: k.Kind})
		} else {
			bad = append(bad, grp+"/"+string(k.Kind))
		}
	}
	if len(bad) > 0 {
		msg = "unsupported route kinds: " + strings.Join(bad, ", ")
	}
	return supported, msg
}

// allowsHTTPRoutes says whether HTTPRoutes may attach to l.
func (l *listenerCtx) allowsHTTPRoutes() bool {
	for _, k := range l.supportedKinds {
		if k.Kind == httpRouteKind.Kind && *k.Group == *httpRouteKind.Group {
			return true
		}
	}
	return false
}

// listenerVerdict is what wasp concludes about one listener.
type listenerVerdict struct {
	accepted            bool
	reason, msg         string
	conflicted          bool
	conflictReason      string
	refsReason, refsMsg string // empty refsMsg: references resolved
}

func acceptedVerdict() listenerVerdict {
	return listenerVerdict{accepted: true, reason: string(gwv1.ListenerReasonAccepted),
		conflictReason: string(gwv1.ListenerReasonNoConflicts), refsReason: string(gwv1.ListenerReasonResolvedRefs)}
}

func (t *translator) judgeIngressListeners(g *gatewayCtx) {
	protoByPort := map[gwv1.PortNumber]gwv1.ProtocolType{}
	hostByPort := map[string]string{}
	for _, l := range g.listeners {
		v := acceptedVerdict()
		switch l.l.Protocol {
		case gwv1.HTTPProtocolType, gwv1.HTTPSProtocolType:
			if p, seen := protoByPort[l.l.Port]; seen && p != l.l.Protocol {
				v.conflicted, v.conflictReason = true, string(gwv1.ListenerReasonProtocolConflict)
			}
			protoByPort[l.l.Port] = l.l.Protocol
			h := ""
			if l.l.Hostname != nil {
				h = string(*l.l.Hostname)
			}
			hk := fmt.Sprintf("%d/%s", l.l.Port, h)
			if _, seen := hostByPort[hk]; seen {
				v.conflicted, v.conflictReason = true, string(gwv1.ListenerReasonHostnameConflict)
			}
			hostByPort[hk] = string(l.l.Name)
		default:
			v.accepted, v.reason = false, string(gwv1.ListenerReasonUnsupportedProtocol)
			v.msg = fmt.Sprintf("protocol %s is not supported by wasp ingress gateways (HTTP and HTTPS only; TLS passthrough needs TLSRoute, which wasp does not implement)", l.l.Protocol)
		}
		if v.conflicted {
			v.accepted, v.reason = false, v.conflictReason
			v.msg = "another listener has the same port and hostname, or another protocol on this port"
		}
		if v.accepted && l.l.Protocol == gwv1.HTTPSProtocolType {
			certs, err := t.resolveCertificates(g, l.l)
			if err != nil {
				v.refsReason, v.refsMsg = string(err.reason), err.msg
			}
			l.certificates = certs
		}
		t.settleListener(g, l, v)
	}
}

// settleListener applies the route-kind check and writes the listener's
// conditions. A listener is served (programmed) only when accepted with
// every reference resolved and at least one route kind to serve.
func (t *translator) settleListener(g *gatewayCtx, l *listenerCtx, v listenerVerdict) {
	kinds, kindsMsg := judgeListenerKinds(l)
	l.supportedKinds = kinds
	if kindsMsg != "" && v.refsMsg == "" {
		v.refsReason, v.refsMsg = string(gwv1.ListenerReasonInvalidRouteKinds), kindsMsg
	}
	l.accepted = v.accepted
	// With some listed kinds unsupported the listener serves the rest;
	// with none supported it has nothing to serve.
	l.programmed = v.accepted && len(kinds) > 0 &&
		(v.refsMsg == "" || v.refsReason == string(gwv1.ListenerReasonInvalidRouteKinds))
	gen := g.gw.Generation
	progReason, progMsg := string(gwv1.ListenerReasonProgrammed), ""
	if !l.programmed {
		progReason, progMsg = string(gwv1.ListenerReasonInvalid), v.msg
		if progMsg == "" {
			progMsg = v.refsMsg
		}
	}
	l.conditions = []metav1.Condition{
		cond(string(gwv1.ListenerConditionAccepted), v.accepted, v.reason, v.msg, gen),
		cond(string(gwv1.ListenerConditionConflicted), v.conflicted, v.conflictReason, "", gen),
		cond(string(gwv1.ListenerConditionProgrammed), l.programmed, progReason, progMsg, gen),
		cond(string(gwv1.ListenerConditionResolvedRefs), v.refsMsg == "", v.refsReason, v.refsMsg, gen),
	}
}

func (t *translator) judgeWaypointListeners(g *gatewayCtx) {
	want := waypointPort(g.class)
	for _, l := range g.listeners {
		v := acceptedVerdict()
		switch {
		case l.l.Protocol != ProtocolIstioProxy:
			v.accepted, v.reason = false, string(gwv1.ListenerReasonUnsupportedProtocol)
			v.msg = fmt.Sprintf("a wasp waypoint serves only protocol %s (ztunnel's PROXY binding)", ProtocolIstioProxy)
		case int32(l.l.Port) != want:
			v.accepted, v.reason = false, string(gwv1.ListenerReasonPortUnavailable)
			v.msg = fmt.Sprintf("ztunnel delivers waypoint traffic on port %d (GatewayClass annotation %s)", want, AnnotationWaypointInboundBinding)
		case g.listenerP != nil:
			v.accepted, v.reason = false, string(gwv1.ListenerReasonPortUnavailable)
			v.msg = "only one istio.io/PROXY listener per waypoint"
		}
		t.settleListener(g, l, v)
		if l.programmed {
			g.listenerP = l
		}
	}
	g.waypointFor = "service"
	if v := g.class.Labels[LabelWaypointFor]; v != "" {
		g.waypointFor = v
	}
	if v := g.gw.Labels[LabelWaypointFor]; v != "" {
		g.waypointFor = v
	}
}

// proxyServiceHostname is the DNS name of the proxy Service wasp creates for
// a Gateway (named after it). Istio ignores a waypoint without
// status.addresses and prefers a Hostname (facts.md).
func (t *translator) proxyServiceHostname(g *gatewayCtx) string {
	return fmt.Sprintf("%s.%s.svc.%s", g.gw.Name, g.gw.Namespace, t.opts.ClusterDomain)
}

func ptrTo[T any](v T) *T { return &v }
