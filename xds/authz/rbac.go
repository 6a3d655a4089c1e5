package authz

import (
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// Small constructors for RBAC permissions and principals. Sets of one
// collapse to their element: Envoy's and/or sets need at least one member,
// and a single element reads better in config dumps.

func permAny() *rbacv3.Permission {
	return &rbacv3.Permission{Rule: &rbacv3.Permission_Any{Any: true}}
}

func permAnd(ps []*rbacv3.Permission) *rbacv3.Permission {
	switch len(ps) {
	case 0:
		return permAny()
	case 1:
		return ps[0]
	}
	return &rbacv3.Permission{Rule: &rbacv3.Permission_AndRules{AndRules: &rbacv3.Permission_Set{Rules: ps}}}
}

// permOr flattens nested ORs (a host value yields an OR of its own).
func permOr(ps []*rbacv3.Permission) *rbacv3.Permission {
	if len(ps) == 1 {
		return ps[0]
	}
	var flat []*rbacv3.Permission
	for _, p := range ps {
		if or, ok := p.Rule.(*rbacv3.Permission_OrRules); ok {
			flat = append(flat, or.OrRules.Rules...)
			continue
		}
		flat = append(flat, p)
	}
	return &rbacv3.Permission{Rule: &rbacv3.Permission_OrRules{OrRules: &rbacv3.Permission_Set{Rules: flat}}}
}

func permNot(p *rbacv3.Permission) *rbacv3.Permission {
	return &rbacv3.Permission{Rule: &rbacv3.Permission_NotRule{NotRule: p}}
}

func permHeader(h *routev3.HeaderMatcher) *rbacv3.Permission {
	return &rbacv3.Permission{Rule: &rbacv3.Permission_Header{Header: h}}
}

func princAny() *rbacv3.Principal {
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_Any{Any: true}}
}

func princAnd(ps []*rbacv3.Principal) *rbacv3.Principal {
	switch len(ps) {
	case 0:
		return princAny()
	case 1:
		return ps[0]
	}
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_AndIds{AndIds: &rbacv3.Principal_Set{Ids: ps}}}
}

func princOr(ps []*rbacv3.Principal) *rbacv3.Principal {
	if len(ps) == 1 {
		return ps[0]
	}
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_OrIds{OrIds: &rbacv3.Principal_Set{Ids: ps}}}
}

func princNot(p *rbacv3.Principal) *rbacv3.Principal {
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_NotId{NotId: p}}
}

// princPeer matches the peer's SPIFFE ID in the connection filter state
// (port 15088 carries no TLS, so Envoy's "authenticated" principal is
// empty there; the identity comes from ztunnel's PROXY header).
func princPeer(m *matcherv3.StringMatcher) *rbacv3.Principal {
	return &rbacv3.Principal{Identifier: &rbacv3.Principal_FilterState{FilterState: &matcherv3.FilterStateMatcher{
		Key:     PeerPrincipalFilterState,
		Matcher: &matcherv3.FilterStateMatcher_StringMatch{StringMatch: m},
	}}}
}

// matchNever is Istio's policy for a policy without rules: it exists (so an
// ALLOW filter is emitted and denies) but matches no request.
func matchNever() *rbacv3.Policy {
	return &rbacv3.Policy{
		Permissions: []*rbacv3.Permission{permNot(permAny())},
		Principals:  []*rbacv3.Principal{princNot(princAny())},
	}
}
