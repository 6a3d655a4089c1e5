package translate

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/api/v1alpha1"
	"wasp.dev/filters/config"
	"wasp.dev/xds/ir"
)

// Policy attachment follows GEP-713 as kgateway applies it: per feature, the
// most specific target wins (HTTPRoute rule > HTTPRoute > Gateway listener >
// Gateway); among policies at one level the oldest wins, then the name in
// alphabetical order.

// policyFeature is one Wasm-filter feature of a TrafficPolicy.
type policyFeature struct {
	filter string          // ir.Filter* name
	config json.RawMessage // the filter's config for this policy; nil when absent or invalid
}

// trafficPolicy is one TrafficPolicy with its converted features.
type trafficPolicy struct {
	p        *v1alpha1.TrafficPolicy
	key      string
	features []policyFeature // valid features only, by filter name
	invalid  []string        // validation messages of invalid features
	total    int             // features set in the spec
	anc      map[nsName]*usage
	ancOrder []nsName
	notFound []notFound
}

// usage counts, for one ancestor Gateway, where a policy's features took
// effect and where another policy's won.
type usage struct{ applied, overridden, merged int }

type notFound struct {
	ref v1alpha1.LocalPolicyTargetReferenceWithSectionName
	msg string
}

// listenerPolicy is one HTTPListenerPolicy.
type listenerPolicy struct {
	p        *v1alpha1.HTTPListenerPolicy
	key      string
	config   json.RawMessage // nil when it has no accessLog or is invalid
	invalid  string
	total    int
	anc      map[nsName]*usage
	ancOrder []nsName
	notFound []notFound
}

// policyState is every policy and where it attaches.
type policyState struct {
	tps   []*trafficPolicy
	byKey map[string]*trafficPolicy
	lps   []*listenerPolicy
	// TrafficPolicy attachments by target.
	byGateway  map[nsName][]*trafficPolicy  // whole Gateway
	byListener map[string][]*trafficPolicy  // "ns/gw/listener"
	byRoute    map[nsName][]*trafficPolicy  // whole HTTPRoute
	byRule     map[string][]*trafficPolicy  // "ns/route/rule"
	accessLog  map[nsName]*listenerPolicy   // winner per Gateway
	lpByGW     map[nsName][]*listenerPolicy // every valid candidate per Gateway
}

func policyKey(ns, name string) string { return ns + "/" + name }

// olderFirst orders policies by creation time, then name (GEP-713).
func olderFirst(a, b metav1.ObjectMeta) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

func (t *translator) resolvePolicies() {
	ps := &policyState{
		byGateway: map[nsName][]*trafficPolicy{}, byListener: map[string][]*trafficPolicy{},
		byRoute: map[nsName][]*trafficPolicy{}, byRule: map[string][]*trafficPolicy{},
		accessLog: map[nsName]*listenerPolicy{}, lpByGW: map[nsName][]*listenerPolicy{},
		byKey: map[string]*trafficPolicy{},
	}
	t.policies = ps
	tps := append([]*v1alpha1.TrafficPolicy(nil), t.in.TrafficPolicies...)
	sort.Slice(tps, func(i, j int) bool { return olderFirst(tps[i].ObjectMeta, tps[j].ObjectMeta) })
	for _, p := range tps {
		tp := convertTrafficPolicy(p)
		ps.tps = append(ps.tps, tp)
		ps.byKey[tp.key] = tp
		for _, ref := range p.Spec.TargetRefs {
			t.targetTrafficPolicy(tp, ref)
		}
	}
	lps := append([]*v1alpha1.HTTPListenerPolicy(nil), t.in.HTTPListenerPolicies...)
	sort.Slice(lps, func(i, j int) bool { return olderFirst(lps[i].ObjectMeta, lps[j].ObjectMeta) })
	for _, p := range lps {
		lp := convertListenerPolicy(p, t.opts.AccessLogDir)
		ps.lps = append(ps.lps, lp)
		for _, ref := range p.Spec.TargetRefs {
			g := t.gatewayByNN[nsName{p.Namespace, string(ref.Name)}]
			if g == nil {
				lp.notFound = append(lp.notFound, notFound{
					ref: v1alpha1.LocalPolicyTargetReferenceWithSectionName{LocalPolicyTargetReference: ref},
					msg: fmt.Sprintf("Gateway %s/%s not found, or not of a wasp GatewayClass", p.Namespace, ref.Name)})
				continue
			}
			lp.ancestor(g.key)
			if lp.config != nil {
				ps.lpByGW[g.key] = append(ps.lpByGW[g.key], lp)
			}
		}
	}
	for k, list := range ps.lpByGW {
		ps.accessLog[k] = list[0]
		list[0].anc[k].applied++
		for _, other := range list[1:] {
			other.anc[k].overridden++
		}
	}
}

func (tp *trafficPolicy) ancestor(k nsName) *usage {
	if tp.anc == nil {
		tp.anc = map[nsName]*usage{}
	}
	u := tp.anc[k]
	if u == nil {
		u = &usage{}
		tp.anc[k] = u
		tp.ancOrder = append(tp.ancOrder, k)
	}
	return u
}

func (lp *listenerPolicy) ancestor(k nsName) *usage {
	if lp.anc == nil {
		lp.anc = map[nsName]*usage{}
	}
	u := lp.anc[k]
	if u == nil {
		u = &usage{}
		lp.anc[k] = u
		lp.ancOrder = append(lp.ancOrder, k)
	}
	return u
}

func (t *translator) targetTrafficPolicy(tp *trafficPolicy, ref v1alpha1.LocalPolicyTargetReferenceWithSectionName) {
	ps, ns := t.policies, tp.p.Namespace
	miss := func(format string, args ...any) {
		tp.notFound = append(tp.notFound, notFound{ref: ref, msg: fmt.Sprintf(format, args...)})
	}
	switch ref.Kind {
	case "Gateway":
		g := t.gatewayByNN[nsName{ns, string(ref.Name)}]
		if g == nil {
			miss("Gateway %s/%s not found, or not of a wasp GatewayClass", ns, ref.Name)
			return
		}
		if ref.SectionName == nil {
			ps.byGateway[g.key] = append(ps.byGateway[g.key], tp)
			tp.ancestor(g.key)
			return
		}
		for _, l := range g.listeners {
			if l.l.Name == *ref.SectionName {
				k := g.key.String() + "/" + string(l.l.Name)
				ps.byListener[k] = append(ps.byListener[k], tp)
				tp.ancestor(g.key)
				return
			}
		}
		miss("Gateway %s/%s has no listener %q", ns, ref.Name, *ref.SectionName)
	case "HTTPRoute":
		rc := t.routeByNN[nsName{ns, string(ref.Name)}]
		if rc == nil {
			miss("HTTPRoute %s/%s not found, or not attached to a wasp Gateway or waypoint", ns, ref.Name)
			return
		}
		if ref.SectionName == nil {
			ps.byRoute[rc.key] = append(ps.byRoute[rc.key], tp)
			return
		}
		for _, r := range rc.rules {
			if r.name == string(*ref.SectionName) {
				k := rc.key.String() + "/" + r.name
				ps.byRule[k] = append(ps.byRule[k], tp)
				return
			}
		}
		miss("HTTPRoute %s/%s has no rule named %q", ns, ref.Name, *ref.SectionName)
	default:
		miss("kind %s cannot be targeted by a TrafficPolicy", ref.Kind)
	}
}

// wasmForRoute picks, per filter, the policy in force on one route emitted
// for Gateway g through listener ln (rc and rule are nil for a waypoint's
// default route), records usage, and returns the Route.Wasm map.
func (t *translator) wasmForRoute(g *gatewayCtx, ln gwv1.SectionName, rc *routeCtx, rule *ruleIR) map[string]string {
	ps := t.policies
	var levels [][]*trafficPolicy
	if rc != nil {
		if rule != nil && rule.name != "" {
			levels = append(levels, ps.byRule[rc.key.String()+"/"+rule.name])
		}
		levels = append(levels, ps.byRoute[rc.key])
	}
	levels = append(levels, ps.byListener[g.key.String()+"/"+string(ln)], ps.byGateway[g.key])
	var out map[string]string
	winners := map[*trafficPolicy]bool{}
	for _, filter := range []string{ir.FilterRateLimit, ir.FilterTransform} {
		var won *trafficPolicy
		for _, level := range levels {
			for _, tp := range level {
				if tp.feature(filter) == nil {
					continue
				}
				u := tp.ancestor(g.key)
				if won == nil {
					won = tp
					u.applied++
				} else if tp != won {
					u.overridden++
				}
			}
		}
		if won != nil {
			if out == nil {
				out = map[string]string{}
			}
			out[filter] = won.key
			winners[won] = true
		}
	}
	// Make policies that target this route visible as ancestors even when
	// they contribute nothing (invalid or fully overridden).
	for _, level := range levels {
		for _, tp := range level {
			tp.ancestor(g.key)
		}
	}
	if len(winners) > 1 {
		for tp := range winners {
			tp.anc[g.key].merged++
		}
	}
	return out
}

func (tp *trafficPolicy) feature(filter string) json.RawMessage {
	for _, f := range tp.features {
		if f.filter == filter {
			return f.config
		}
	}
	return nil
}

// convertTrafficPolicy maps the CRD onto the filters' config types and runs
// their Validate, so a policy the filter would refuse is reported Invalid
// with the filter's own message and never reaches a proxy.
func convertTrafficPolicy(p *v1alpha1.TrafficPolicy) *trafficPolicy {
	tp := &trafficPolicy{p: p, key: policyKey(p.Namespace, p.Name)}
	rlBad, trBad := validateTrafficPolicy(p)
	if rl := p.Spec.RateLimit; rl != nil && rl.Local != nil && rl.Local.TokenBucket != nil {
		tp.total++
		tb := rl.Local.TokenBucket
		c := config.RateLimit{TokenBucket: config.TokenBucket{
			MaxTokens:    int32(min(tb.MaxTokens, 1<<31-1)),
			FillInterval: tb.FillInterval.Duration.String(),
		}}
		if tb.TokensPerFill != nil {
			c.TokenBucket.TokensPerFill = ptrTo(int32(min(*tb.TokensPerFill, 1<<31-1)))
		}
		if rlBad != "" {
			tp.invalid = append(tp.invalid, rlBad)
		} else if err := c.Validate(); err != nil {
			tp.invalid = append(tp.invalid, "rateLimit.local: "+err.Error())
		} else {
			tp.features = append(tp.features, policyFeature{ir.FilterRateLimit, mustJSON(c)})
		}
	}
	if tr := p.Spec.Transformation; tr != nil {
		tp.total++
		var c config.Transformation
		if trBad != "" {
			tp.invalid = append(tp.invalid, trBad)
		} else if err := remarshal(tr, &c); err != nil {
			tp.invalid = append(tp.invalid, "transformation: "+err.Error())
		} else if err := c.Validate(); err != nil {
			tp.invalid = append(tp.invalid, "transformation: "+err.Error())
		} else {
			tp.features = append(tp.features, policyFeature{ir.FilterTransform, mustJSON(c)})
		}
	}
	return tp
}

func convertListenerPolicy(p *v1alpha1.HTTPListenerPolicy, accessLogDir string) *listenerPolicy {
	lp := &listenerPolicy{p: p, key: policyKey(p.Namespace, p.Name)}
	if len(p.Spec.AccessLog) == 0 {
		return lp
	}
	lp.total = 1
	if msg := validateListenerPolicy(p, accessLogDir); msg != "" {
		lp.invalid = msg
		return lp
	}
	var c config.AccessLogPolicy
	if err := remarshal(p.Spec.AccessLog, &c.AccessLog); err != nil {
		lp.invalid = "accessLog: " + err.Error()
		return lp
	}
	if err := c.Validate(); err != nil {
		lp.invalid = strings.ReplaceAll(err.Error(), "\n", "; ")
		return lp
	}
	lp.config = mustJSON(c)
	return lp
}

func remarshal(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, to)
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("translate: marshal %T: %v", v, err)) // config types are plain structs
	}
	return b
}

// policyStatuses renders the ancestors of every policy.
func (t *translator) policyStatuses() (tps, lps []PolicyStatus) {
	ctrl := gwv1.GatewayController(t.opts.ControllerName)
	for _, tp := range t.policies.tps {
		acc := acceptedCondition(tp.total, len(tp.features), tp.invalid, tp.p.Generation)
		var anc []gwv1.PolicyAncestorStatus
		for _, k := range tp.ancOrder {
			anc = append(anc, gwv1.PolicyAncestorStatus{
				AncestorRef:    gatewayRef(k),
				ControllerName: ctrl,
				Conditions:     []metav1.Condition{acc, attachedCondition(tp.anc[k], len(tp.features) > 0 || tp.total == 0, tp.p.Generation)},
			})
		}
		anc = append(anc, notFoundAncestors(tp.notFound, tp.p.Namespace, ctrl, tp.p.Generation)...)
		tps = append(tps, PolicyStatus{Namespace: tp.p.Namespace, Name: tp.p.Name, Ancestors: anc})
	}
	for _, lp := range t.policies.lps {
		var invalid []string
		if lp.invalid != "" {
			invalid = []string{lp.invalid}
		}
		valid := 0
		if lp.config != nil {
			valid = 1
		}
		acc := acceptedCondition(lp.total, valid, invalid, lp.p.Generation)
		var anc []gwv1.PolicyAncestorStatus
		for _, k := range lp.ancOrder {
			anc = append(anc, gwv1.PolicyAncestorStatus{
				AncestorRef:    gatewayRef(k),
				ControllerName: ctrl,
				Conditions:     []metav1.Condition{acc, attachedCondition(lp.anc[k], valid > 0 || lp.total == 0, lp.p.Generation)},
			})
		}
		anc = append(anc, notFoundAncestors(lp.notFound, lp.p.Namespace, ctrl, lp.p.Generation)...)
		lps = append(lps, PolicyStatus{Namespace: lp.p.Namespace, Name: lp.p.Name, Ancestors: anc})
	}
	sortPolicyStatuses(tps)
	sortPolicyStatuses(lps)
	return tps, lps
}

func sortPolicyStatuses(s []PolicyStatus) {
	sort.Slice(s, func(i, j int) bool {
		return nsName{s[i].Namespace, s[i].Name}.String() < nsName{s[j].Namespace, s[j].Name}.String()
	})
}

func acceptedCondition(total, valid int, invalid []string, gen int64) metav1.Condition {
	switch {
	case len(invalid) == 0:
		return cond(PolicyConditionAccepted, true, PolicyReasonValid, "", gen)
	case valid > 0:
		return cond(PolicyConditionAccepted, true, PolicyReasonPartiallyValid, strings.Join(invalid, "; "), gen)
	default:
		return cond(PolicyConditionAccepted, false, PolicyReasonInvalid, strings.Join(invalid, "; "), gen)
	}
}

func attachedCondition(u *usage, usable bool, gen int64) metav1.Condition {
	switch {
	case !usable:
		return cond(PolicyConditionAttached, false, "Pending", "not attached: the policy is invalid", gen)
	case u.applied == 0 && u.overridden > 0:
		return cond(PolicyConditionAttached, false, PolicyReasonOverridden, "every feature is overridden by a more specific or older policy", gen)
	case u.overridden > 0:
		return cond(PolicyConditionAttached, true, PolicyReasonMerged, "attached; some features are overridden by a more specific or older policy", gen)
	case u.merged > 0:
		return cond(PolicyConditionAttached, true, PolicyReasonMerged, "attached together with other policies on the same routes", gen)
	}
	return cond(PolicyConditionAttached, true, PolicyReasonAttached, "", gen)
}

func gatewayRef(k nsName) gwv1.ParentReference {
	return gwv1.ParentReference{
		Group:     ptrTo(gwv1.Group(gwv1.GroupName)),
		Kind:      ptrTo(gwv1.Kind("Gateway")),
		Namespace: ptrTo(gwv1.Namespace(k.Namespace)),
		Name:      gwv1.ObjectName(k.Name),
	}
}

func notFoundAncestors(nf []notFound, ns string, ctrl gwv1.GatewayController, gen int64) []gwv1.PolicyAncestorStatus {
	var out []gwv1.PolicyAncestorStatus
	for _, n := range nf {
		out = append(out, gwv1.PolicyAncestorStatus{
			AncestorRef: gwv1.ParentReference{
				Group:       ptrTo(n.ref.Group),
				Kind:        ptrTo(n.ref.Kind),
				Namespace:   ptrTo(gwv1.Namespace(ns)),
				Name:        n.ref.Name,
				SectionName: n.ref.SectionName,
			},
			ControllerName: ctrl,
			Conditions: []metav1.Condition{
				cond(PolicyConditionAccepted, false, PolicyReasonTargetNotFound, n.msg, gen),
				cond(PolicyConditionAttached, false, PolicyReasonTargetNotFound, n.msg, gen),
			},
		})
	}
	return out
}
