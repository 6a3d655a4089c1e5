package ir

import (
	"encoding/json"
	"strings"
	"testing"
)

// withCustom adds a custom filter "wasmfilter/default/demo" enabled on r0.
func withCustom() *Proxy {
	p := validProxy()
	const name = "wasmfilter/default/demo"
	p.WasmModules = append(p.WasmModules, &WasmModule{Name: name, File: "/etc/wasp/demo.wasm", Env: map[string]string{"MODE": "strict"}})
	p.WasmFilters = append(p.WasmFilters, &WasmFilter{Name: name, Module: name, Custom: &CustomWasm{
		Configuration: `{"a":1}`, Placement: PlaceBefore, RelativeTo: FilterRateLimit, Priority: 3,
	}})
	p.Listeners[0].VirtualHosts[0].Routes[0].Wasm[name] = name
	return p
}

func TestValidateCustomFilter(t *testing.T) {
	if err := withCustom().Validate(); err != nil {
		t.Fatalf("valid custom filter refused: %v", err)
	}
	custom := func(p *Proxy) *WasmFilter { return p.WasmFilters[len(p.WasmFilters)-1] }
	cases := map[string]struct {
		mutate func(*Proxy)
		want   string
	}{
		"enabled with another key": {func(p *Proxy) {
			p.Listeners[0].VirtualHosts[0].Routes[0].Wasm["wasmfilter/default/demo"] = "default/demo"
		}, "enabled with its own name"},
		"policies on a custom filter": {func(p *Proxy) {
			custom(p).Policies = map[string]json.RawMessage{"k": json.RawMessage(`{}`)}
		}, "has no policies or default"},
		"built-in name": {func(p *Proxy) {
			p.WasmFilters[0].Custom = &CustomWasm{}
			p.WasmFilters[0].Policies = nil
		}, "a built-in filter cannot be custom"},
		"unknown relativeTo": {func(p *Proxy) { custom(p).Custom.RelativeTo = FilterAccessLog }, "relativeTo"},
		"unknown placement":  {func(p *Proxy) { custom(p).Custom.Placement = "Around" }, "placement"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := withCustom()
			c.mutate(p)
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}
