package authz

import (
	"fmt"

	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"

	"wasp.dev/xds/ir"
)

// stage is one RBAC filter: the policies of one Istio action.
type stage struct {
	// name completes FilterNamePrefix.
	name   string
	action rbacv3.RBAC_Action
	// strict: ALLOW's treatment of conditions it cannot enforce.
	strict bool
	// dryRunStatPrefix names the shadow rules' stats.
	dryRunStatPrefix string
}

// stages in filter order: CUSTOM (fail-closed deny), AUDIT, DENY, ALLOW.
var stages = []stage{
	{name: "custom", action: rbacv3.RBAC_DENY, dryRunStatPrefix: dryRunCustomStatPrefix},
	{name: "audit", action: rbacv3.RBAC_LOG},
	{name: "deny", action: rbacv3.RBAC_DENY, dryRunStatPrefix: dryRunDenyStatPrefix},
	{name: "allow", action: rbacv3.RBAC_ALLOW, strict: true, dryRunStatPrefix: dryRunAllowStatPrefix},
}

func stageOf(a ir.AuthorizationAction) (int, error) {
	switch a {
	case ir.AuthorizationCustom:
		return 0, nil
	case ir.AuthorizationAudit:
		return 1, nil
	case ir.AuthorizationDeny:
		return 2, nil
	case "", ir.AuthorizationAllow:
		return 3, nil
	}
	return 0, fmt.Errorf("unknown action %q", a)
}

// rbacSet is what one stage emits: enforced rules and shadow (dry-run)
// rules, each nil when no policy of that kind applies.
type rbacSet struct {
	stage         stage
	rules, shadow *rbacv3.RBAC
}

// policyName is Istio's RBAC policy name, which Envoy reports in dynamic
// metadata and access logs (%RBAC_POLICY_ID% style fields, shadow ids).
func policyName(p *ir.AuthorizationPolicy, rule int) string {
	return fmt.Sprintf("ns[%s]-policy[%s]-rule[%d]", p.Namespace, p.Name, rule)
}

// translate builds the RBAC configs of one chain (tcp: a TCP chain) from
// the policies that apply to it.
func translate(policies []*ir.AuthorizationPolicy, tcp bool) ([]rbacSet, []Finding, error) {
	sets := make([]rbacSet, len(stages))
	for i, s := range stages {
		sets[i].stage = s
	}
	var findings []Finding
	for _, p := range policies {
		if p == nil || p.Namespace == "" || p.Name == "" {
			return nil, nil, fmt.Errorf("authorization policy without namespace and name: %+v", p)
		}
		i, err := stageOf(p.Action)
		if err != nil {
			return nil, nil, fmt.Errorf("authorization policy %s/%s: %w", p.Namespace, p.Name, err)
		}
		set := &sets[i]
		if p.Action == ir.AuthorizationCustom {
			findings = append(findings, Finding{
				Policy: p.Namespace + "/" + p.Name, Rule: -1, Reason: ReasonCustomAction, Effect: EffectFailClosed,
				Message: fmt.Sprintf("external authorization (provider %q) is not supported by wasp: requests its rules match are denied", p.Provider),
			})
		}
		target := &set.rules
		if p.DryRun {
			target = &set.shadow
		}
		if *target == nil {
			*target = &rbacv3.RBAC{Action: set.stage.action, Policies: map[string]*rbacv3.Policy{}}
		}
		if len(p.Rules) == 0 {
			(*target).Policies[policyName(p, 0)] = matchNever()
			continue
		}
		for ri, r := range p.Rules {
			b := &ruleBuilder{policy: p, index: ri, tcp: tcp, strict: set.stage.strict}
			if rp := b.rule(r); rp != nil {
				(*target).Policies[policyName(p, ri)] = rp
			}
			findings = append(findings, b.findings...)
		}
	}
	var out []rbacSet
	for _, s := range sets {
		if s.rules != nil || s.shadow != nil {
			out = append(out, s)
		}
	}
	return out, findings, nil
}
