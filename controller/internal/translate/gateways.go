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
		g.accepted = false
		for _, l := range g.listeners {
			if l.accepted {
				g.accepted = true
			}
		}
		if !g.accepted {
			g.acceptedReason = string(gwv1.GatewayReasonListenersNotValid)
			g.acceptedMessage = "no listener is valid"
		}
		t.resolveParameters(g)
		t.gatewayList = append(t.gatewayList, g)
		t.gatewayByNN[g.key] = g
	}
}

var httpRouteKind = gwv1.RouteGroupKind{Group: ptrTo(gwv1.Group(gwv1.GroupName)), Kind: "HTTPRoute"}

// judgeListenerKinds checks allowedRoutes.kinds: only HTTPRoute is served.
func judgeListenerKinds(l *listenerCtx) (ok bool, msg string) {
	if l.l.AllowedRoutes == nil || len(l.l.AllowedRoutes.Kinds) == 0 {
		return true, ""
	}
	var bad []string
	good := false
	for _, k := range l.l.AllowedRoutes.Kinds {
		grp := gwv1.GroupName
		if k.Group != nil {
			grp = string(*k.Group)
		}
		if grp == gwv1.GroupName && k.Kind == "HTTPRoute" {
			good = true
		} else {
			bad = append(bad, grp+"/"+string(k.Kind))
		}
	}
	if len(bad) > 0 {
		return good, "unsupported route kinds: " + strings.Join(bad, ", ")
	}
	return true, ""
}

func (t *translator) judgeIngressListeners(g *gatewayCtx) {
	protoByPort := map[gwv1.PortNumber]gwv1.ProtocolType{}
	hostByPort := map[string]string{}
	for _, l := range g.listeners {
		gen := g.gw.Generation
		accepted, reason, msg := true, string(gwv1.ListenerReasonAccepted), ""
		conflicted, cReason := false, string(gwv1.ListenerReasonNoConflicts)
		switch l.l.Protocol {
		case gwv1.HTTPProtocolType:
			if p, seen := protoByPort[l.l.Port]; seen && p != l.l.Protocol {
				conflicted, cReason = true, string(gwv1.ListenerReasonProtocolConflict)
			}
			protoByPort[l.l.Port] = l.l.Protocol
			h := ""
			if l.l.Hostname != nil {
				h = string(*l.l.Hostname)
			}
			hk := fmt.Sprintf("%d/%s", l.l.Port, h)
			if _, seen := hostByPort[hk]; seen {
				conflicted, cReason = true, string(gwv1.ListenerReasonHostnameConflict)
			}
			hostByPort[hk] = string(l.l.Name)
		default:
			accepted, reason = false, string(gwv1.ListenerReasonUnsupportedProtocol)
			msg = fmt.Sprintf("protocol %s is not supported by wasp ingress gateways (HTTP only)", l.l.Protocol)
		}
		if conflicted {
			accepted = false
			reason = cReason
			msg = "another listener has the same port and hostname, or another protocol on this port"
		}
		kindsOK, kindsMsg := judgeListenerKinds(l)
		if !kindsOK {
			accepted = false
		}
		l.accepted = accepted
		l.conditions = listenerConditions(accepted, reason, msg, conflicted, cReason, kindsOK, kindsMsg, gen)
	}
}

func (t *translator) judgeWaypointListeners(g *gatewayCtx) {
	want := waypointPort(g.class)
	for _, l := range g.listeners {
		gen := g.gw.Generation
		accepted, reason, msg := true, string(gwv1.ListenerReasonAccepted), ""
		switch {
		case l.l.Protocol != ProtocolIstioProxy:
			accepted, reason = false, string(gwv1.ListenerReasonUnsupportedProtocol)
			msg = fmt.Sprintf("a wasp waypoint serves only protocol %s (ztunnel's PROXY binding)", ProtocolIstioProxy)
		case int32(l.l.Port) != want:
			accepted, reason = false, string(gwv1.ListenerReasonPortUnavailable)
			msg = fmt.Sprintf("ztunnel delivers waypoint traffic on port %d (GatewayClass annotation %s)", want, AnnotationWaypointInboundBinding)
		case g.listenerP != nil:
			accepted, reason = false, string(gwv1.ListenerReasonPortUnavailable)
			msg = "only one istio.io/PROXY listener per waypoint"
		}
		kindsOK, kindsMsg := judgeListenerKinds(l)
		if !kindsOK {
			accepted = false
		}
		l.accepted = accepted
		if accepted {
			g.listenerP = l
		}
		l.conditions = listenerConditions(accepted, reason, msg, false, string(gwv1.ListenerReasonNoConflicts), kindsOK, kindsMsg, gen)
	}
	g.waypointFor = "service"
	if v := g.class.Labels[LabelWaypointFor]; v != "" {
		g.waypointFor = v
	}
	if v := g.gw.Labels[LabelWaypointFor]; v != "" {
		g.waypointFor = v
	}
}

func listenerConditions(accepted bool, reason, msg string, conflicted bool, cReason string, kindsOK bool, kindsMsg string, gen int64) []metav1.Condition {
	progReason := string(gwv1.ListenerReasonProgrammed)
	if !accepted {
		progReason = string(gwv1.ListenerReasonInvalid)
	}
	refsReason := string(gwv1.ListenerReasonResolvedRefs)
	if kindsMsg != "" {
		refsReason = string(gwv1.ListenerReasonInvalidRouteKinds)
	}
	return []metav1.Condition{
		cond(string(gwv1.ListenerConditionAccepted), accepted, reason, msg, gen),
		cond(string(gwv1.ListenerConditionConflicted), conflicted, cReason, "", gen),
		cond(string(gwv1.ListenerConditionProgrammed), accepted, progReason, msg, gen),
		cond(string(gwv1.ListenerConditionResolvedRefs), kindsOK && kindsMsg == "", refsReason, kindsMsg, gen),
	}
}

// proxyServiceHostname is the DNS name of the proxy Service wasp creates for
// a Gateway (named after it). Istio ignores a waypoint without
// status.addresses and prefers a Hostname (facts.md).
func (t *translator) proxyServiceHostname(g *gatewayCtx) string {
	return fmt.Sprintf("%s.%s.svc.%s", g.gw.Name, g.gw.Namespace, t.opts.ClusterDomain)
}

func ptrTo[T any](v T) *T { return &v }
