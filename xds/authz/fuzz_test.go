package authz

import (
	"encoding/json"
	"sort"
	"testing"

	"wasp.dev/xds/ir"
)

// FuzzPolicies: whatever a policy's rules say, translation succeeds (a
// user's policy content can only produce findings, never a failed
// snapshot) and every emitted config passes Envoy's validation (pack
// checks it). Seeds are the evaluation table's policy sets.
func FuzzPolicies(f *testing.F) {
	keys := make([]string, 0, len(policySets))
	for k := range policySets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var ps []*ir.AuthorizationPolicy
		if err := yamlToPolicies(policySets[k], &ps); err != nil {
			f.Fatal(err)
		}
		for _, p := range ps {
			b, _ := json.Marshal(p.Rules)
			f.Add(string(p.Action), p.DryRun, b)
		}
	}
	f.Fuzz(func(t *testing.T, action string, dryRun bool, rules []byte) {
		p := &ir.AuthorizationPolicy{Namespace: "ns", Name: "p", Action: ir.AuthorizationAction(action), DryRun: dryRun}
		if _, err := stageOf(p.Action); err != nil {
			return // malformed IR is the producer's bug, covered elsewhere
		}
		if err := json.Unmarshal(rules, &p.Rules); err != nil {
			return
		}
		if _, _, err := HTTPFilters([]*ir.AuthorizationPolicy{p}); err != nil {
			t.Fatalf("HTTP: %v", err)
		}
		if _, _, err := NetworkFilters([]*ir.AuthorizationPolicy{p}, "c."); err != nil {
			t.Fatalf("TCP: %v", err)
		}
	})
}
