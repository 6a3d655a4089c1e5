package translator

import (
	"fmt"
	"testing"
)

// TestCustomFiltersPerRoute: custom filters sit in their requested places,
// disabled on the connection manager, and only routes naming them enable
// them (testdata/wasm-custom.in.yaml).
func TestCustomFiltersPerRoute(t *testing.T) {
	res, err := Translate(loadCase(t, "testdata/wasm-custom.in.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := hcms(t, res)
	if len(hs) != 1 {
		t.Fatalf("%d connection managers, want 1", len(hs))
	}
	var order []string
	for _, f := range hs[0].HttpFilters {
		if f.Name == routerFilterName {
			continue
		}
		custom := f.Name != WasmFilterPrefix+"ratelimit" && f.Name != WasmFilterPrefix+"transform"
		if f.Disabled != custom {
			t.Errorf("filter %s: disabled=%v, want %v (custom filters are enabled per route)", f.Name, f.Disabled, custom)
		}
		order = append(order, f.Name)
	}
	want := []string{"wasp.wasmfilter/default/guard", "wasp.ratelimit", "wasp.wasmfilter/default/audit",
		"wasp.wasmfilter/default/tag", "wasp.transform", "wasp.wasmfilter/default/last"}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("filter order\n got %v\nwant %v", order, want)
	}
	enabled := map[string]int{}
	for _, rc := range res.Routes {
		for _, vh := range rc.VirtualHosts {
			for _, r := range vh.Routes {
				enabled[r.Name] = len(r.TypedPerFilterConfig)
			}
		}
	}
	if enabled["httproute/default/api/rule/0/match/0"] != 4 || enabled["httproute/default/api/rule/1/match/0"] != 0 {
		t.Errorf("per-route enables: %v, want 4 on rule 0 and none on rule 1", enabled)
	}
}

// TestCustomFiltersPerPolicyMode: design a (one plugin per policy) leaves
// custom filters as they are: one plugin each, enabled per route by name.
func TestCustomFiltersPerPolicyMode(t *testing.T) {
	res, err := Translate(loadCase(t, "testdata/wasm-custom.in.yaml"), Options{WasmAttachment: PluginPerPolicy})
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range res.Routes {
		for _, vh := range rc.VirtualHosts {
			for _, r := range vh.Routes {
				if r.Name != "httproute/default/api/rule/0/match/0" {
					continue
				}
				for _, name := range []string{"guard", "audit", "tag", "last"} {
					if r.TypedPerFilterConfig[WasmFilterPrefix+"wasmfilter/default/"+name] == nil {
						t.Errorf("route %s does not enable custom filter %s", r.Name, name)
					}
				}
			}
		}
	}
}
