package authz

import (
	"fmt"

	"wasp.dev/xds/ir"
)

// Reason says why a policy is not enforced exactly as written.
type Reason string

const (
	// ReasonCustomAction: CUSTOM needs an external authorizer that wasp
	// does not run; the policy's rules deny instead.
	ReasonCustomAction Reason = "CustomActionUnsupported"
	// ReasonUnsupported: a field or when-key wasp cannot enforce
	// (request.auth.*, requestPrincipals, path templates, unknown keys).
	ReasonUnsupported Reason = "UnsupportedField"
	// ReasonHTTPOnlyOnTCP: an HTTP-only field (methods, paths, hosts,
	// request headers) on a TCP chain. Istio does the same; reported so a
	// user can see why a TCP port is denied or allowed.
	ReasonHTTPOnlyOnTCP Reason = "HTTPOnlyOnTCP"
	// ReasonInvalidValue: a value that does not parse (port, CIDR, header
	// key) or whose regex exceeds Envoy's program size limit.
	ReasonInvalidValue Reason = "InvalidValue"
)

// Effect says what wasp enforces instead.
type Effect string

const (
	// EffectRuleSkipped: an ALLOW rule never matches (allows less).
	EffectRuleSkipped Effect = "RuleSkipped"
	// EffectConditionDropped: a DENY, AUDIT or CUSTOM rule ignores the
	// condition (denies or logs more).
	EffectConditionDropped Effect = "ConditionDropped"
	// EffectFailClosed: CUSTOM rules deny the requests they match.
	EffectFailClosed Effect = "DeniedFailClosed"
)

// Finding is one thing the controller should report on the policy (an
// Event) and on the waypoint Gateway (a condition naming the policy).
type Finding struct {
	// Policy is "<namespace>/<name>".
	Policy string `json:"policy"`
	// Rule is the rule's index in spec.rules, or -1 for the whole policy.
	Rule int `json:"rule"`
	// Field names the Istio field or when-key, e.g. "to.operation.methods"
	// or "when[request.auth.claims[iss]]"; empty for the whole policy.
	Field   string `json:"field,omitempty"`
	Reason  Reason `json:"reason"`
	Effect  Effect `json:"effect"`
	Message string `json:"message"`
}

func (f Finding) String() string {
	where := f.Policy
	if f.Rule >= 0 {
		where += fmt.Sprintf(" rule %d", f.Rule)
	}
	if f.Field != "" {
		where += " " + f.Field
	}
	return fmt.Sprintf("%s: %s (%s): %s", where, f.Reason, f.Effect, f.Message)
}

// Review returns what wasp cannot enforce as written in p, for a policy
// that applies to HTTP chains, TCP chains or both, without building
// filters: the controller reports these on the policy and the waypoint.
// Findings are deduplicated and in a stable order.
func Review(p *ir.AuthorizationPolicy, http, tcp bool) ([]Finding, error) {
	var out []Finding
	seen := map[Finding]bool{}
	for _, forTCP := range []bool{false, true} {
		if (forTCP && !tcp) || (!forTCP && !http) {
			continue
		}
		_, findings, err := translate([]*ir.AuthorizationPolicy{p}, forTCP)
		if err != nil {
			return nil, err
		}
		for _, f := range findings {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out, nil
}
