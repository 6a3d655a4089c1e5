package translate

import (
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/xds/ir"
)

// RouteReasonServiceNotServed is wasp's Accepted=False reason on an
// HTTPRoute parented to a Service that asks for a wasp waypoint which does
// not serve it. Istio's own condition for a missing waypoint is
// ResolvedWaypoints on the Service (istiod's to write).
const RouteReasonServiceNotServed gwv1.RouteConditionReason = "ServiceNotServedByWaypoint"

// unservedService returns why a GAMMA parentRef (a Service) is not served,
// when wasp is the implementation the route is waiting for: the Service (or
// its namespace) names, with istio.io/use-waypoint, an existing Gateway of a
// wasp class that does not serve it. Routes whose Service names no waypoint,
// or a Gateway of another class (istiod's, another mesh's), or a Gateway
// that does not exist, get nothing from wasp: another implementation may
// own them, and wasp does not fight over their status. "" means silent.
func (t *translator) unservedService(r *gwv1.HTTPRoute, pr gwv1.ParentReference) string {
	group, kind, ns := parentGroupKindNS(r, pr)
	if group != "" || kind != "Service" {
		return ""
	}
	s := t.x.services[nsName{ns, string(pr.Name)}]
	if s == nil {
		return ""
	}
	src := s.Labels
	name, ok := src[LabelUseWaypoint]
	if !ok {
		src = t.x.namespaceLabels(s.Namespace)
		name = src[LabelUseWaypoint]
	}
	if name == "" || name == UseWaypointNone {
		return ""
	}
	gwNS := s.Namespace
	if v := src[LabelUseWaypointNamespace]; v != "" {
		gwNS = v
	}
	g := t.gatewayByNN[nsName{gwNS, name}]
	if g == nil || g.key == (nsName{s.Namespace, s.Name}) {
		return "" // no wasp Gateway, or the waypoint's own Service
	}
	why := ""
	switch {
	case len(serviceVIPs(s)) == 0:
		why = "the Service has no cluster IP (headless or ExternalName), so a waypoint cannot match its traffic"
	case !g.accepted || g.kind != ir.KindWaypoint || g.listenerP == nil:
		why = "that Gateway is not an accepted waypoint with an istio.io/PROXY listener"
	case g.waypointFor != "service" && g.waypointFor != "all":
		why = "that Gateway's istio.io/waypoint-for is " + g.waypointFor + ", not service or all"
	case !t.namespaceAllowed(g.listenerP.l.AllowedRoutes, g.gw.Namespace, s.Namespace):
		why = "that Gateway's listener allowedRoutes do not admit namespace " + s.Namespace
	default:
		why = "the Service has no TCP port"
	}
	return "the Service uses waypoint " + g.key.String() + " (istio.io/use-waypoint), which does not serve it: " + why
}
