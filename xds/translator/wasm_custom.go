package translator

import (
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"wasp.dev/xds/ir"
)

// Custom filters (a user's WasmFilter) read their configuration as they
// wrote it, not wasp's PluginConfig envelope, so they cannot select a
// policy by route name. Each is one plugin, disabled on the connection
// manager and enabled on exactly the routes that name it, with Envoy
// Gateway's per-route pattern (facts.md "Per-route enable"): an empty
// FilterConfig in the route's typed_per_filter_config.

// customFilter returns f's plugin when a route of this connection manager
// enables it, else nothing.
func (s *wasmState) customFilter(f *ir.WasmFilter, routes []*ir.Route) ([]*hcmv3.HttpFilter, error) {
	used := false
	for _, r := range routes {
		if _, ok := r.Wasm[f.Name]; ok {
			used = true
			break
		}
	}
	if !used {
		return nil, nil
	}
	hf, err := s.pluginWithConfig(f, WasmFilterPrefix+f.Name, []byte(f.Custom.Configuration), true)
	if err != nil {
		return nil, err
	}
	return []*hcmv3.HttpFilter{hf}, nil
}

// routeCustomConfig enables, on route r, the custom filters it names; it
// adds to (or returns) perFilter.
func (s *wasmState) routeCustomConfig(r *ir.Route, perFilter map[string]*anypb.Any) map[string]*anypb.Any {
	for name := range r.Wasm {
		f := s.filters[name]
		if f == nil || f.Custom == nil {
			continue
		}
		if perFilter == nil {
			perFilter = map[string]*anypb.Any{}
		}
		perFilter[WasmFilterPrefix+name] = enabledFilterConfig
	}
	return perFilter
}
