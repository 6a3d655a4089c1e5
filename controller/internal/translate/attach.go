package translate

import (
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/xds/ir"
)

// attachRoutes converts every HTTPRoute and attaches it to the parents of
// ours it names, recording a parent status for each.
func (t *translator) attachRoutes() {
	rs := append([]*gwv1.HTTPRoute(nil), t.in.HTTPRoutes...)
	sort.Slice(rs, func(i, j int) bool {
		return nsName{rs[i].Namespace, rs[i].Name}.String() < nsName{rs[j].Namespace, rs[j].Name}.String()
	})
	for _, r := range rs {
		var rc *routeCtx
		for _, pr := range r.Spec.ParentRefs {
			if !t.parentIsOurs(r, pr) {
				if msg := t.unservedService(r, pr); msg != "" {
					if rc == nil {
						rc = t.convertRoute(r)
						t.routes = append(t.routes, rc)
						t.routeByNN[rc.key] = rc
					}
					t.addParentStatus(rc, pr, false, RouteReasonServiceNotServed, msg)
				}
				continue
			}
			if rc == nil {
				rc = t.convertRoute(r)
				t.routes = append(t.routes, rc)
				t.routeByNN[rc.key] = rc
			}
			ok, reason, msg := t.attach(rc, pr)
			t.addParentStatus(rc, pr, ok, reason, msg)
		}
	}
}

// parentIsOurs says whether a parentRef names a Gateway of ours or a
// Service one of our waypoints serves; other parents belong to other
// controllers and get no status from wasp.
func (t *translator) parentIsOurs(r *gwv1.HTTPRoute, pr gwv1.ParentReference) bool {
	group, kind, ns := parentGroupKindNS(r, pr)
	switch {
	case group == gwv1.GroupName && kind == "Gateway":
		return t.gatewayByNN[nsName{ns, string(pr.Name)}] != nil
	case group == "" && kind == "Service":
		return t.servedBy[nsName{ns, string(pr.Name)}] != nil
	case group == istioNetworkingGroup && kind == kindHostname:
		return t.hostServedBy[nsName{ns, string(pr.Name)}] != nil
	}
	return false
}

func parentGroupKindNS(r *gwv1.HTTPRoute, pr gwv1.ParentReference) (string, string, string) {
	group, kind, ns := gwv1.GroupName, "Gateway", r.Namespace
	if pr.Group != nil {
		group = string(*pr.Group)
	}
	if pr.Kind != nil {
		kind = string(*pr.Kind)
	}
	if pr.Namespace != nil {
		ns = string(*pr.Namespace)
	}
	return group, kind, ns
}

// attach attaches rc through one parentRef and returns the Accepted verdict.
func (t *translator) attach(rc *routeCtx, pr gwv1.ParentReference) (bool, gwv1.RouteConditionReason, string) {
	if rc.invalid != nil {
		return false, gwv1.RouteReasonUnsupportedValue, rc.invalid.String()
	}
	_, kind, ns := parentGroupKindNS(rc.r, pr)
	if kind == "Service" || kind == kindHostname {
		return t.attachToService(rc, pr, ns)
	}
	g := t.gatewayByNN[nsName{ns, string(pr.Name)}]
	if g.kind == ir.KindWaypoint {
		return t.attachToWaypointGateway(rc, pr, g)
	}
	return t.attachToIngress(rc, pr, g)
}

// listenerMatchesRef applies parentRef.sectionName and parentRef.port.
func listenerMatchesRef(l *listenerCtx, pr gwv1.ParentReference) bool {
	if pr.SectionName != nil && *pr.SectionName != l.l.Name {
		return false
	}
	if pr.Port != nil && *pr.Port != l.l.Port {
		return false
	}
	return true
}

func (t *translator) attachToIngress(rc *routeCtx, pr gwv1.ParentReference, g *gatewayCtx) (bool, gwv1.RouteConditionReason, string) {
	matched, allowed := false, false
	attached := false
	for _, l := range g.listeners {
		if !listenerMatchesRef(l, pr) {
			continue
		}
		admits := l.allowsHTTPRoutes() && t.namespaceAllowed(l.l.AllowedRoutes, g.gw.Namespace, rc.r.Namespace)
		hosts := intersectHostnames(l.l.Hostname, rc.r.Spec.Hostnames)
		if !l.accepted {
			// Gateway API counts the routes of invalid listeners too.
			if admits && len(hosts) > 0 {
				l.attachedRoutes[rc.key] = true
			}
			continue
		}
		matched = true
		if !admits {
			continue
		}
		allowed = true
		if len(hosts) == 0 {
			continue
		}
		l.attached = append(l.attached, &attachment{route: rc, hostnames: hosts})
		l.attachedRoutes[rc.key] = true
		attached = true
	}
	switch {
	case !matched:
		return false, gwv1.RouteReasonNoMatchingParent, "no accepted listener matches the parentRef's sectionName and port"
	case !allowed:
		return false, gwv1.RouteReasonNotAllowedByListeners, "the listeners' allowedRoutes do not admit routes from namespace " + rc.r.Namespace
	case !attached:
		return false, gwv1.RouteReasonNoMatchingListenerHostname, "no hostname of the route intersects the listeners' hostnames"
	}
	return true, gwv1.RouteReasonAccepted, ""
}

// attachToWaypointGateway attaches a route parented to the waypoint itself:
// it applies to every Service the waypoint serves (kgateway's behaviour;
// route hostnames are ignored, ztunnel already chose the destination).
func (t *translator) attachToWaypointGateway(rc *routeCtx, pr gwv1.ParentReference, g *gatewayCtx) (bool, gwv1.RouteConditionReason, string) {
	l := g.listenerP
	if l == nil || !listenerMatchesRef(l, pr) {
		return false, gwv1.RouteReasonNoMatchingParent, "no accepted istio.io/PROXY listener matches the parentRef"
	}
	if !t.namespaceAllowed(l.l.AllowedRoutes, g.gw.Namespace, rc.r.Namespace) {
		return false, gwv1.RouteReasonNotAllowedByListeners, "the listener's allowedRoutes do not admit routes from namespace " + rc.r.Namespace
	}
	g.gwRoutes = append(g.gwRoutes, &attachment{route: rc})
	l.attachedRoutes[rc.key] = true
	return true, gwv1.RouteReasonAccepted, ""
}

// attachToService attaches a GAMMA route to a Service served by one of our
// waypoints: port = Service port, sectionName = port name, both must agree
// when both are set; hostnames are ignored (GEP-1294, facts.md "Gateway API").
func (t *translator) attachToService(rc *routeCtx, pr gwv1.ParentReference, ns string) (bool, gwv1.RouteConditionReason, string) {
	_, kind, _ := parentGroupKindNS(rc.r, pr)
	wp := t.servedBy[nsName{ns, string(pr.Name)}]
	if kind == kindHostname {
		wp = t.hostServedBy[nsName{ns, string(pr.Name)}]
	}
	if ns != rc.r.Namespace {
		// A consumer route (route and Service in different namespaces)
		// shapes only its own namespace's clients; a waypoint serves every
		// client of the Service and cannot tell them apart.
		return false, gwv1.RouteReasonNotAllowedByListeners, "a waypoint applies only producer routes: the HTTPRoute must be in the Service's namespace " + ns
	}
	var ss *servedService
	for _, s := range wp.served {
		if kind == kindHostname {
			if s.entry != nil && s.svc.Namespace == ns && s.entry.host == string(pr.Name) {
				ss = s
			}
		} else if s.entry == nil && s.svc.Namespace == ns && s.svc.Name == string(pr.Name) {
			ss = s
		}
	}
	n := 0
	var notHTTP []string
	for _, p := range ss.ports {
		if pr.Port != nil && int32(*pr.Port) != p.sp.Port {
			continue
		}
		if pr.SectionName != nil && string(*pr.SectionName) != p.sp.Name {
			continue
		}
		if !p.http {
			notHTTP = append(notHTTP, fmt.Sprint(p.sp.Port))
			continue
		}
		p.attached = append(p.attached, &attachment{route: rc})
		n++
	}
	if n == 0 {
		msg := "the Service has no port matching the parentRef's port and sectionName"
		if len(notHTTP) > 0 {
			msg = "the matching Service ports are not HTTP (appProtocol, port name or well-known port): " + strings.Join(notHTTP, ", ")
		}
		return false, gwv1.RouteReasonNoMatchingParent, msg
	}
	wp.listenerP.attachedRoutes[rc.key] = true
	return true, gwv1.RouteReasonAccepted, ""
}

func (t *translator) addParentStatus(rc *routeCtx, pr gwv1.ParentReference, ok bool, reason gwv1.RouteConditionReason, msg string) {
	gen := rc.r.Generation
	refs := cond(string(gwv1.RouteConditionResolvedRefs), true, string(gwv1.RouteReasonResolvedRefs), "", gen)
	if e := rc.refErr; e != nil {
		refs = cond(string(gwv1.RouteConditionResolvedRefs), false, string(e.reason), e.msg, gen)
	}
	rc.parents = append(rc.parents, gwv1.RouteParentStatus{
		ParentRef:      pr,
		ControllerName: gwv1.GatewayController(t.opts.ControllerName),
		Conditions: []metav1.Condition{
			cond(string(gwv1.RouteConditionAccepted), ok, string(reason), msg, gen),
			refs,
		},
	})
}

// intersectHostnames returns the hostnames a route serves on a listener
// (Gateway API hostname intersection); "*" stands for any host. Empty means
// no intersection.
func intersectHostnames(listener *gwv1.Hostname, route []gwv1.Hostname) []string {
	lh := ""
	if listener != nil {
		lh = string(*listener)
	}
	if len(route) == 0 {
		if lh == "" {
			return []string{"*"}
		}
		return []string{lh}
	}
	seen := map[string]bool{}
	var out []string
	add := func(h string) {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	for _, rh := range route {
		r := string(rh)
		switch {
		case lh == "" || lh == r:
			add(r)
		case strings.HasPrefix(lh, "*.") && hostMatchesWildcard(r, lh):
			add(r)
		case strings.HasPrefix(r, "*.") && hostMatchesWildcard(lh, r):
			add(lh)
		}
	}
	sort.Strings(out)
	return out
}

// hostMatchesWildcard says whether h (possibly itself a wildcard) falls
// under wildcard w ("*.example.com" matches "a.example.com" and
// "*.a.example.com", not "example.com").
func hostMatchesWildcard(h, w string) bool {
	suffix := w[1:] // ".example.com"
	h = strings.TrimPrefix(h, "*")
	return strings.HasSuffix(h, suffix) && len(h) > len(suffix)
}
