package authz

import (
	"slices"
	"strings"

	"wasp.dev/xds/ir"
)

// ForService returns the policies that apply to the filter chains of the
// service namespace/name, sorted by namespace then name: those targeting
// the waypoint (Gateway, or GatewayClass for mesh-wide policies) and those
// targeting that Service or ServiceEntry. The producer includes only
// targets that resolved to this waypoint.
func ForService(policies []*ir.AuthorizationPolicy, namespace, name string) []*ir.AuthorizationPolicy {
	var out []*ir.AuthorizationPolicy
	for _, p := range policies {
		if p != nil && appliesTo(p, namespace, name) {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b *ir.AuthorizationPolicy) int {
		if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

func appliesTo(p *ir.AuthorizationPolicy, namespace, name string) bool {
	for _, t := range p.Targets {
		switch t.Kind {
		case ir.TargetGateway, ir.TargetGatewayClass:
			return true
		case ir.TargetService, ir.TargetServiceEntry:
			ns := t.Namespace
			if ns == "" {
				ns = p.Namespace
			}
			if ns == namespace && t.Name == name {
				return true
			}
		}
	}
	return false
}
