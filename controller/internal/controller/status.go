package controller

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/internal/translate"
)

// writeStatus merges the translation's statuses into the live objects and
// writes those that changed. Objects wasp no longer has anything to say
// about lose only wasp's own entries.
func (r *Reconciler) writeStatus(ctx context.Context, snap *snapshot, out *translate.Output) []error {
	var errs []error
	now := nowTime()
	ctrlName := gwv1.GatewayController(r.opts.Translate.ControllerName)
	update := func(obj client.Object, changed bool) {
		if !changed {
			return
		}
		if err := r.client.Status().Update(ctx, obj); err != nil {
			errs = append(errs, fmt.Errorf("status of %T %s/%s: %w", obj, obj.GetNamespace(), obj.GetName(), err))
		}
	}

	classes := map[string]translate.GatewayClassStatus{}
	for _, s := range out.Status.GatewayClasses {
		classes[s.Name] = s
	}
	for _, c := range snap.in.GatewayClasses {
		want, ok := classes[c.Name]
		if !ok {
			continue
		}
		next := c.Status
		next.Conditions = mergeConditions(c.Status.Conditions, want.Conditions, now)
		next.SupportedFeatures = want.SupportedFeatures
		if !semanticallyEqual(c.Status, next) {
			c = c.DeepCopy()
			c.Status = next
			update(c, true)
		}
	}

	gateways := map[string]gwv1.GatewayStatus{}
	for _, s := range out.Status.Gateways {
		gateways[s.Namespace+"/"+s.Name] = s.Status
	}
	for _, g := range snap.in.Gateways {
		want, ok := gateways[g.Namespace+"/"+g.Name]
		if !ok {
			continue
		}
		next := mergeGatewayStatus(g.Status, want, now)
		if !semanticallyEqual(g.Status, next) {
			g = g.DeepCopy()
			g.Status = next
			update(g, true)
		}
	}

	routes := map[string][]gwv1.RouteParentStatus{}
	for _, s := range out.Status.HTTPRoutes {
		routes[s.Namespace+"/"+s.Name] = s.Parents
	}
	for _, rt := range snap.in.HTTPRoutes {
		next := mergeParents(rt.Status.Parents, routes[rt.Namespace+"/"+rt.Name], ctrlName, now)
		if !semanticallyEqual(rt.Status.Parents, next) {
			rt = rt.DeepCopy()
			rt.Status.Parents = next
			update(rt, true)
		}
	}

	tps := policyMap(out.Status.TrafficPolicies)
	for _, p := range snap.in.TrafficPolicies {
		next := mergeAncestors(p.Status.Ancestors, tps[p.Namespace+"/"+p.Name], ctrlName, now)
		if !semanticallyEqual(p.Status.Ancestors, next) {
			p = p.DeepCopy()
			p.Status.Ancestors = capAncestors(next)
			update(p, true)
		}
	}
	lps := policyMap(out.Status.HTTPListenerPolicies)
	for _, p := range snap.in.HTTPListenerPolicies {
		next := mergeAncestors(p.Status.Ancestors, lps[p.Namespace+"/"+p.Name], ctrlName, now)
		if !semanticallyEqual(p.Status.Ancestors, next) {
			p = p.DeepCopy()
			p.Status.Ancestors = capAncestors(next)
			update(p, true)
		}
	}
	errs = append(errs, r.writeWasmFilterStatus(ctx, snap, out, now)...)
	return errs
}

func policyMap(ps []translate.PolicyStatus) map[string][]gwv1.PolicyAncestorStatus {
	m := map[string][]gwv1.PolicyAncestorStatus{}
	for _, s := range ps {
		m[s.Namespace+"/"+s.Name] = s.Ancestors
	}
	return m
}

// maxAncestors is the CRD's cap on status.ancestors (Gateway API
// PolicyStatus): a policy attached through more Gateways reports the first.
const maxAncestors = 16

func capAncestors(a []gwv1.PolicyAncestorStatus) []gwv1.PolicyAncestorStatus {
	if len(a) > maxAncestors {
		return a[:maxAncestors]
	}
	if a == nil {
		return []gwv1.PolicyAncestorStatus{} // the field is required
	}
	return a
}
