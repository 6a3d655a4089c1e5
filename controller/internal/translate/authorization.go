package translate

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"wasp.dev/xds/authz"
	"wasp.dev/xds/ir"
)

// Istio AuthorizationPolicies on wasp waypoints (docs/istio.md). The
// conversion and the RBAC semantics live in wasp.dev/xds/authz; this file
// decides which policies reach which waypoint and what wasp reports.
// istiod owns WaypointAccepted on the policies: wasp never writes policy
// status, it reports through an Event (the controller) and a condition of
// its own on the waypoint Gateway.

// ConditionAuthorizationEnforced is wasp's condition on a waypoint Gateway
// saying whether every AuthorizationPolicy that targets it is enforced as
// written.
const ConditionAuthorizationEnforced = "wasp.dev/AuthorizationEnforced"

// Reasons of ConditionAuthorizationEnforced.
const (
	// AuthorizationReasonEnforced: every policy is enforced as written
	// (or none applies).
	AuthorizationReasonEnforced = "Enforced"
	// AuthorizationReasonPartiallyEnforced: some policy has a field,
	// action or value wasp cannot enforce; wasp fails closed there
	// (authz findings), and the message names the policies.
	AuthorizationReasonPartiallyEnforced = "PartiallyEnforced"
)

// AuthorizationPolicyReport is what wasp found about one AuthorizationPolicy
// that concerns its waypoints. The controller turns it into an Event on the
// policy.
type AuthorizationPolicyReport struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Waypoints ("namespace/name") enforcing the policy.
	Waypoints []string `json:"waypoints,omitempty"`
	// Findings: what is not enforced as written (authz.Review).
	Findings []authz.Finding `json:"findings,omitempty"`
	// Error: the policy could not be read at all (it is not enforced).
	Error string `json:"error,omitempty"`
}

// waypointAuthz is the policies one waypoint enforces.
type waypointAuthz struct {
	policies []*ir.AuthorizationPolicy
	// findings by "namespace/name" of the policy.
	findings map[string][]authz.Finding
}

// authorizationPolicies converts every AuthorizationPolicy whose targetRefs
// name a waypoint of ours, a Service or ServiceEntry one serves, or (from
// the root namespace) GatewayClass istio-waypoint. Selector-based policies
// are ignored, as Istio's waypoints do; policies whose targets are served by
// other waypoints are not wasp's to report on.
func (t *translator) authorizationPolicies() {
	aps := append([]*unstructured.Unstructured(nil), t.in.AuthorizationPolicies...)
	sort.Slice(aps, func(i, j int) bool {
		return nsName{aps[i].GetNamespace(), aps[i].GetName()}.String() < nsName{aps[j].GetNamespace(), aps[j].GetName()}.String()
	})
	for _, u := range aps {
		spec, err := json.Marshal(u.Object["spec"])
		if err != nil {
			continue // unstructured content is always JSON-encodable
		}
		p, err := authz.FromIstio(authz.IstioPolicy{
			Namespace: u.GetNamespace(), Name: u.GetName(), Annotations: u.GetAnnotations(), Spec: spec,
		}, t.opts.IstioMesh)
		if err != nil {
			if t.mentionsOurWaypoint(u) {
				t.authzReports = append(t.authzReports, AuthorizationPolicyReport{Namespace: u.GetNamespace(), Name: u.GetName(), Error: err.Error()})
			}
			continue
		}
		if p == nil {
			continue
		}
		t.attachAuthorizationPolicy(p)
	}
}

// attachAuthorizationPolicy gives each waypoint of ours a copy of p holding
// only the targets that resolve to it (authz.ForService applies a Gateway
// target to every chain, so a target naming another waypoint must go).
func (t *translator) attachAuthorizationPolicy(p *ir.AuthorizationPolicy) {
	byWaypoint := map[nsName][]ir.AuthorizationTarget{}
	for _, tg := range p.Targets {
		for _, g := range t.authorizationTargetWaypoints(p, tg) {
			byWaypoint[g.key] = append(byWaypoint[g.key], tg)
		}
	}
	if len(byWaypoint) == 0 {
		return
	}
	rep := AuthorizationPolicyReport{Namespace: p.Namespace, Name: p.Name}
	seen := map[authz.Finding]bool{}
	for _, g := range t.gatewayList {
		targets := byWaypoint[g.key]
		if len(targets) == 0 {
			continue
		}
		cp := *p
		cp.Targets = targets
		wa := t.authzByWaypoint[g.key]
		if wa == nil {
			wa = &waypointAuthz{findings: map[string][]authz.Finding{}}
			t.authzByWaypoint[g.key] = wa
		}
		wa.policies = append(wa.policies, &cp)
		rep.Waypoints = append(rep.Waypoints, g.key.String())
		http, tcp := t.chainKinds(g, &cp)
		findings, err := authz.Review(&cp, http, tcp)
		if err != nil {
			rep.Error = err.Error()
			continue
		}
		key := policyKey(p.Namespace, p.Name)
		wa.findings[key] = findings
		for _, f := range findings {
			if !seen[f] {
				seen[f] = true
				rep.Findings = append(rep.Findings, f)
			}
		}
	}
	t.authzReports = append(t.authzReports, rep)
}

// authorizationTargetWaypoints returns the waypoints of ours one target
// resolves to. Istio's targetRefs stay in the policy's namespace.
func (t *translator) authorizationTargetWaypoints(p *ir.AuthorizationPolicy, tg ir.AuthorizationTarget) []*gatewayCtx {
	if tg.Namespace != "" && tg.Namespace != p.Namespace {
		return nil
	}
	key := nsName{p.Namespace, tg.Name}
	switch tg.Kind {
	case ir.TargetGateway:
		if g := t.gatewayByNN[key]; isWaypoint(g) {
			return []*gatewayCtx{g}
		}
	case ir.TargetGatewayClass:
		// Mesh-wide (authz.FromIstio admits it only from the root
		// namespace): every waypoint of ours.
		var out []*gatewayCtx
		for _, g := range t.gatewayList {
			if isWaypoint(g) {
				out = append(out, g)
			}
		}
		return out
	case ir.TargetService:
		if g := t.servedBy[key]; g != nil {
			return []*gatewayCtx{g}
		}
	case ir.TargetServiceEntry:
		if g := t.entryServedBy[key]; g != nil {
			return []*gatewayCtx{g}
		}
	}
	return nil
}

func isWaypoint(g *gatewayCtx) bool {
	return g != nil && g.accepted && g.kind == ir.KindWaypoint && g.listenerP != nil
}

// chainKinds says whether p applies to HTTP chains, TCP chains or both of
// waypoint g, so Review reports HTTP-only fields only where a TCP chain
// really drops them. A waypoint serving nothing yet counts as HTTP.
func (t *translator) chainKinds(g *gatewayCtx, p *ir.AuthorizationPolicy) (http, tcp bool) {
	for _, ss := range g.served {
		ns, name := ss.policyKey()
		if len(authz.ForService([]*ir.AuthorizationPolicy{p}, ns, name)) == 0 {
			continue
		}
		for _, sp := range ss.ports {
			if sp.http {
				http = true
			} else {
				tcp = true
			}
		}
	}
	if !http && !tcp {
		http = true
	}
	return http, tcp
}

// mentionsOurWaypoint says whether an unreadable policy names a Gateway of
// ours, so wasp reports it (a policy for other waypoints is not ours).
func (t *translator) mentionsOurWaypoint(u *unstructured.Unstructured) bool {
	refs, _, _ := unstructured.NestedSlice(u.Object, "spec", "targetRefs")
	for _, r := range refs {
		m, _ := r.(map[string]any)
		kind, _ := m["kind"].(string)
		name, _ := m["name"].(string)
		if kind == ir.TargetGateway && isWaypoint(t.gatewayByNN[nsName{u.GetNamespace(), name}]) {
			return true
		}
		if kind == ir.TargetService && t.servedBy[nsName{u.GetNamespace(), name}] != nil {
			return true
		}
	}
	return false
}

// maxFindingsInCondition keeps the Gateway condition readable; the Events
// on the policies carry every finding.
const maxFindingsInCondition = 3

// authorizationCondition is wasp's condition on waypoint g.
func (t *translator) authorizationCondition(g *gatewayCtx) metav1.Condition {
	gen := g.gw.Generation
	wa := t.authzByWaypoint[g.key]
	if wa == nil {
		return cond(ConditionAuthorizationEnforced, true, AuthorizationReasonEnforced, "no AuthorizationPolicy targets this waypoint", gen)
	}
	var partial []string
	for _, p := range wa.policies {
		key := policyKey(p.Namespace, p.Name)
		fs := wa.findings[key]
		if len(fs) == 0 {
			continue
		}
		var parts []string
		for i, f := range fs {
			if i == maxFindingsInCondition {
				parts = append(parts, fmt.Sprintf("and %d more", len(fs)-i))
				break
			}
			parts = append(parts, findingSummary(f))
		}
		partial = append(partial, fmt.Sprintf("AuthorizationPolicy %s: %s", key, strings.Join(parts, "; ")))
	}
	if len(partial) == 0 {
		return cond(ConditionAuthorizationEnforced, true, AuthorizationReasonEnforced,
			fmt.Sprintf("%d AuthorizationPolicies enforced as written", len(wa.policies)), gen)
	}
	msg := "not enforced as written (wasp fails closed; see the policies' Events): " + strings.Join(partial, " | ")
	if len(msg) > maxMessage {
		msg = msg[:maxMessage]
	}
	return cond(ConditionAuthorizationEnforced, false, AuthorizationReasonPartiallyEnforced, msg, gen)
}

// maxMessage is metav1.Condition's message length limit.
const maxMessage = 32768

// findingSummary is a finding without the policy name (the caller has it).
func findingSummary(f authz.Finding) string {
	where := "policy"
	if f.Rule >= 0 {
		where = fmt.Sprintf("rule %d", f.Rule)
	}
	if f.Field != "" {
		where += " " + f.Field
	}
	return fmt.Sprintf("%s: %s (%s)", where, f.Reason, f.Effect)
}
