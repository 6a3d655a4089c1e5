package authz

import (
	"fmt"
	"testing"

	"wasp.dev/xds/ir"
)

// BenchmarkHTTPFilters translates 20 policies of 3 rules each (principal,
// namespace, methods, paths, header condition) for one HTTP chain: the
// per-chain cost the translator pays on every snapshot.
func BenchmarkHTTPFilters(b *testing.B) {
	var ps []*ir.AuthorizationPolicy
	for i := range 20 {
		action := ir.AuthorizationAllow
		if i%4 == 0 {
			action = ir.AuthorizationDeny
		}
		rule := ir.AuthorizationRule{
			From: []ir.AuthorizationSource{{Principals: []string{fmt.Sprintf("cluster.local/ns/ns%d/sa/client", i)}, NotNamespaces: []string{"legacy"}}},
			To:   []ir.AuthorizationOperation{{Methods: []string{"GET", "POST"}, Paths: []string{"/api/*", "/v1/{*}/items"}}},
			When: []ir.AuthorizationCondition{{Key: "request.headers[x-tenant]", Values: []string{"acme"}}},
		}
		ps = append(ps, &ir.AuthorizationPolicy{Namespace: "default", Name: fmt.Sprintf("p%02d", i), Action: action,
			Rules: []ir.AuthorizationRule{rule, rule, rule}})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := HTTPFilters(ps); err != nil {
			b.Fatal(err)
		}
	}
}
