package authz

import (
	"bytes"
	"sort"
	"testing"

	rbachttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	rbacnetv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"

	"wasp.dev/xds/ir"
)

// TestEmittedConfigIsValidAndDeterministic checks every policy set of the
// evaluation table on both chain kinds: the unpacked configs pass Envoy's
// validation rules, and translating twice gives identical bytes (snapshot
// versions are content hashes).
func TestEmittedConfigIsValidAndDeterministic(t *testing.T) {
	keys := make([]string, 0, len(policySets))
	for k := range policySets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ps := loadPolicies(t, k)
		h1, _, err := HTTPFilters(ps)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		h2, _, _ := HTTPFilters(ps)
		if len(h1) == 0 {
			t.Errorf("%s: no HTTP filters", k)
		}
		for i, f := range h1 {
			var cfg rbachttpv3.RBAC
			if err := f.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
				t.Fatal(err)
			}
			if err := cfg.ValidateAll(); err != nil {
				t.Errorf("%s: HTTP filter %s: %v", k, f.Name, err)
			}
			if err := f.ValidateAll(); err != nil {
				t.Errorf("%s: HTTP filter %s: %v", k, f.Name, err)
			}
			if !bytes.Equal(f.GetTypedConfig().Value, h2[i].GetTypedConfig().Value) {
				t.Errorf("%s: HTTP filter %s differs between two translations", k, f.Name)
			}
		}
		n1, _, err := NetworkFilters(ps, "chain.")
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		n2, _, _ := NetworkFilters(ps, "chain.")
		for i, f := range n1 {
			var cfg rbacnetv3.RBAC
			if err := f.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
				t.Fatal(err)
			}
			if err := cfg.ValidateAll(); err != nil {
				t.Errorf("%s: network filter %s: %v", k, f.Name, err)
			}
			if !bytes.Equal(f.GetTypedConfig().Value, n2[i].GetTypedConfig().Value) {
				t.Errorf("%s: network filter %s differs between two translations", k, f.Name)
			}
		}
	}
}

func TestNoPoliciesNoFilters(t *testing.T) {
	h, f, err := HTTPFilters(nil)
	if err != nil || len(h) != 0 || len(f) != 0 {
		t.Fatalf("HTTP: %v %v %v", h, f, err)
	}
	n, f, err := NetworkFilters(nil, "")
	if err != nil || len(n) != 0 || len(f) != 0 {
		t.Fatalf("network: %v %v %v", n, f, err)
	}
}

func TestMalformedIRIsAnError(t *testing.T) {
	for _, p := range []*ir.AuthorizationPolicy{
		{Name: "no-namespace"},
		{Namespace: "d", Name: "bad-action", Action: "MAYBE"},
	} {
		if _, _, err := HTTPFilters([]*ir.AuthorizationPolicy{p}); err == nil {
			t.Errorf("%+v: want an error", p)
		}
	}
}
