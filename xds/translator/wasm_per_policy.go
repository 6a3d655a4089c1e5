package translator

import (
	"encoding/json"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"wasp.dev/filters/config"
	"wasp.dev/xds/ir"
)

// Design a (Envoy Gateway's), kept so BenchmarkTranslatePerPolicyPlugins can
// measure it against design b; see docs/adr/0002-wasm-per-route-config.md.

// perPolicyFilters is design a: one plugin per policy key, disabled on the
// connection manager unless it is the default, enabled per route by
// routePerPolicyConfig.
func (s *wasmState) perPolicyFilters(f *ir.WasmFilter, routes []*ir.Route) ([]*hcmv3.HttpFilter, error) {
	used := map[string]bool{}
	if f.Default != "" {
		used[f.Default] = true
	}
	for _, r := range routes {
		if key, ok := r.Wasm[f.Name]; ok {
			used[key] = true
		}
	}
	var out []*hcmv3.HttpFilter
	for _, key := range sortedKeys(used) {
		env := config.PluginConfig[json.RawMessage]{
			Policies: map[string]json.RawMessage{key: f.Policies[key]},
			Default:  key,
		}
		hf, err := s.plugin(f, perPolicyFilterName(f.Name, key), env, key != f.Default)
		if err != nil {
			return nil, err
		}
		out = append(out, hf)
	}
	return out, nil
}

func perPolicyFilterName(filter, key string) string { return WasmFilterPrefix + filter + "/" + key }

// enabledFilterConfig and disabledFilterConfig are the per-route Anys of
// design a: an empty FilterConfig enables a filter disabled on the HCM.
var (
	enabledFilterConfig  = mustPack(&routev3.FilterConfig{})
	disabledFilterConfig = mustPack(&routev3.FilterConfig{Disabled: true})
)

// routePerPolicyConfig is design a's per-route half: enable the route's
// policy plugins, and disable the default plugin where a route overrides it.
func (s *wasmState) routePerPolicyConfig(r *ir.Route) map[string]*anypb.Any {
	if len(r.Wasm) == 0 {
		return nil
	}
	out := map[string]*anypb.Any{}
	for name, key := range r.Wasm {
		f := s.filters[name]
		if f == nil || f.Custom != nil || key == f.Default {
			continue
		}
		out[perPolicyFilterName(name, key)] = enabledFilterConfig
		if f.Default != "" {
			out[perPolicyFilterName(name, f.Default)] = disabledFilterConfig
		}
	}
	return out
}
