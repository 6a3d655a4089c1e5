package translate

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// status assembles every status wasp writes.
func (t *translator) status() Status {
	st := Status{GatewayClasses: t.classStatus}
	for _, g := range t.gatewayList {
		st.Gateways = append(st.Gateways, t.gatewayStatus(g))
	}
	for _, rc := range t.routes {
		st.HTTPRoutes = append(st.HTTPRoutes, RouteStatus{Namespace: rc.r.Namespace, Name: rc.r.Name, Parents: rc.parents})
	}
	st.TrafficPolicies, st.HTTPListenerPolicies = t.policyStatuses()
	st.AuthorizationPolicies = t.authzReports
	st.WasmFilters = t.wasmFilterStatuses()
	return st
}

func (t *translator) gatewayStatus(g *gatewayCtx) GatewayStatus {
	gen := g.gw.Generation
	gs := gwv1.GatewayStatus{}
	reason, msg := string(gwv1.GatewayReasonAccepted), ""
	if g.acceptedReason != "" {
		reason, msg = g.acceptedReason, g.acceptedMessage // some listeners not valid
	}
	switch {
	case g.accepted && t.opts.RequireProxyService && t.x.services[g.key] == nil:
		gs.Conditions = []metav1.Condition{
			cond(string(gwv1.GatewayConditionAccepted), true, reason, msg, gen),
			cond(string(gwv1.GatewayConditionProgrammed), false, string(gwv1.GatewayReasonAddressNotAssigned),
				"waiting for the proxy Service "+g.key.String(), gen),
		}
	case g.accepted:
		// Istio ignores a waypoint without addresses and prefers a
		// Hostname (facts.md).
		gs.Addresses = []gwv1.GatewayStatusAddress{{
			Type:  ptrTo(gwv1.HostnameAddressType),
			Value: t.proxyServiceHostname(g),
		}}
		gs.Conditions = []metav1.Condition{
			cond(string(gwv1.GatewayConditionAccepted), true, reason, msg, gen),
			cond(string(gwv1.GatewayConditionProgrammed), true, string(gwv1.GatewayReasonProgrammed), "", gen),
		}
		if isWaypoint(g) {
			gs.Conditions = append(gs.Conditions, t.authorizationCondition(g))
		}
	default:
		gs.Conditions = []metav1.Condition{
			cond(string(gwv1.GatewayConditionAccepted), false, g.acceptedReason, g.acceptedMessage, gen),
			cond(string(gwv1.GatewayConditionProgrammed), false, string(gwv1.GatewayReasonInvalid), g.acceptedMessage, gen),
		}
	}
	for _, l := range g.listeners {
		ls := gwv1.ListenerStatus{
			Name:           l.l.Name,
			SupportedKinds: l.supportedKinds,
			AttachedRoutes: int32(len(l.attachedRoutes)),
			Conditions:     l.conditions,
		}
		gs.Listeners = append(gs.Listeners, ls)
	}
	return GatewayStatus{Namespace: g.gw.Namespace, Name: g.gw.Name, Status: gs}
}
