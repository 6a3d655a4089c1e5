package authz

import (
	"slices"
	"strings"

	"wasp.dev/xds/ir"
)

// Mesh is what FromIstio needs of the mesh configuration.
type Mesh struct {
	// RootNamespace holds mesh-wide policies; empty means "istio-system".
	RootNamespace string
	// TrustDomain is the mesh's; empty means "cluster.local".
	TrustDomain string
	// TrustDomainAliases are trust domains treated as the local one
	// (meshConfig.trustDomainAliases, e.g. during a migration).
	TrustDomainAliases []string
}

const (
	defaultRootNamespace = "istio-system"
	// localTrustDomain in a policy's principal means "the mesh's trust
	// domain and its aliases", whatever the trust domain is (Istio).
	localTrustDomain = "cluster.local"
)

func (m Mesh) rootNamespace() string {
	if m.RootNamespace == "" {
		return defaultRootNamespace
	}
	return m.RootNamespace
}

func (m Mesh) trustDomains() []string {
	td := m.TrustDomain
	if td == "" {
		td = localTrustDomain
	}
	return append([]string{td}, m.TrustDomainAliases...)
}

// expandPrincipals rewrites principals of the form
// "<td>/ns/<ns>/sa/<sa>" whose trust domain is the local one (or
// "cluster.local", or an alias) into one principal per local trust domain
// and alias, as Istio does; others are kept as written.
func (m Mesh) expandPrincipals(in []string) []string {
	if len(in) == 0 {
		return in
	}
	tds := m.trustDomains()
	var out []string
	add := func(p string) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, p := range in {
		parts := strings.Split(p, "/")
		if len(parts) != 5 || parts[0] == wildcard {
			add(p) // not a SPIFFE-shaped principal, or any trust domain
			continue
		}
		td := parts[0]
		local := td == localTrustDomain || slices.ContainsFunc(tds, func(x string) bool { return trustDomainMatch(td, x) })
		if !local {
			add(p)
			continue
		}
		for _, x := range tds {
			if strings.HasPrefix(td, wildcard) && strings.HasSuffix(x, td[1:]) {
				add(p) // the policy's own wildcard already covers x
				continue
			}
			add(x + "/" + strings.Join(parts[1:], "/"))
		}
	}
	return out
}

// trustDomainMatch compares two trust domains where either may carry
// Istio's wildcard ("*", "*suffix", "prefix*").
func trustDomainMatch(a, b string) bool {
	match := func(s, pattern string) bool {
		switch {
		case pattern == wildcard:
			return true
		case strings.HasPrefix(pattern, wildcard):
			return strings.HasSuffix(s, pattern[1:])
		case strings.HasSuffix(pattern, wildcard):
			return strings.HasPrefix(s, strings.TrimSuffix(pattern, wildcard))
		}
		return s == pattern
	}
	return match(a, b) || match(b, a)
}

// expandTrustDomains applies expandPrincipals to every principal of p.
func (m Mesh) expandTrustDomains(p *ir.AuthorizationPolicy) {
	for i := range p.Rules {
		r := &p.Rules[i]
		for j := range r.From {
			r.From[j].Principals = m.expandPrincipals(r.From[j].Principals)
			r.From[j].NotPrincipals = m.expandPrincipals(r.From[j].NotPrincipals)
		}
		for j := range r.When {
			if r.When[j].Key == "source.principal" {
				r.When[j].Values = m.expandPrincipals(r.When[j].Values)
				r.When[j].NotValues = m.expandPrincipals(r.When[j].NotValues)
			}
		}
	}
}
