package translator

import (
	"encoding/json"
	"fmt"
	"sort"

	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"wasp.dev/filters/config"
	"wasp.dev/xds/ir"
)

// WasmAttachment chooses how Wasm policies reach their routes (see
// docs/adr/0002-wasm-per-route-config.md).
type WasmAttachment int

const (
	// PluginPerKind (design b, the default) emits one plugin per filter
	// kind per connection manager; its configuration is a
	// config.PluginConfig envelope mapping route names to policies.
	PluginPerKind WasmAttachment = iota
	// PluginPerPolicy (design a, Envoy Gateway's) emits one disabled
	// plugin per policy and enables it per route with
	// typed_per_filter_config. Kept to measure it against design b.
	PluginPerPolicy
)

// wasmState is the per-translation cache of VM configs and code clusters.
type wasmState struct {
	modules  map[string]*ir.WasmModule
	filters  map[string]*ir.WasmFilter
	order    []*ir.WasmFilter // HTTP filter order, see filterOrder
	vmConfig map[string]*wasmv3.VmConfig
	// codeClusters by name: the clusters serving remote code.
	codeClusters map[string]codeCluster
	// checked remembers configurations already validated: a waypoint's
	// chains often carry the same envelope (e.g. only the access log).
	checked map[string]error
}

func (s *wasmState) check(filter string, body []byte) error {
	key := filter + "\x00" + string(body)
	if err, ok := s.checked[key]; ok {
		return err
	}
	err := checkPluginConfig(filter, body)
	if s.checked == nil {
		s.checked = map[string]error{}
	}
	s.checked[key] = err
	return err
}

type codeCluster struct {
	host, port string
	tls        bool // https: the cluster speaks mTLS (wasm_code_tls.go)
}

func newWasmState(p *ir.Proxy) *wasmState {
	s := &wasmState{
		modules:      map[string]*ir.WasmModule{},
		filters:      map[string]*ir.WasmFilter{},
		vmConfig:     map[string]*wasmv3.VmConfig{},
		codeClusters: map[string]codeCluster{},
	}
	for _, m := range p.WasmModules {
		s.modules[m.Name] = m
	}
	for _, f := range p.WasmFilters {
		s.filters[f.Name] = f
	}
	s.order = filterOrder(p.WasmFilters)
	return s
}

// filterOrder is THE place that orders Wasm filters in an HTTP filter
// chain: accesslog first (it must see every request, including those a
// later filter answers locally), then ratelimit (reject before doing work),
// then transform; custom filters (ir.WasmFilter.Custom) go before or after
// ratelimit or transform as they ask, or after every built-in filter;
// custom filters in one place run by descending priority, then name; the
// router follows them all (see hcm.go).
func filterOrder(fs []*ir.WasmFilter) []*ir.WasmFilter {
	byName := map[string]*ir.WasmFilter{}
	var custom []*ir.WasmFilter
	for _, f := range fs {
		if f.Custom != nil {
			custom = append(custom, f)
		} else {
			byName[f.Name] = f
		}
	}
	sort.SliceStable(custom, func(i, j int) bool {
		if a, b := custom[i].Custom.Priority, custom[j].Custom.Priority; a != b {
			return a > b
		}
		return custom[i].Name < custom[j].Name
	})
	placed := func(p ir.Placement, rel string) []*ir.WasmFilter {
		var out []*ir.WasmFilter
		for _, f := range custom {
			c := f.Custom
			if c.RelativeTo == "" && p == ir.PlaceAfter && rel == ir.FilterTransform {
				out = append(out, f) // no order: after every built-in filter
			} else if c.RelativeTo == rel && customPlacement(c) == p {
				out = append(out, f)
			}
		}
		return out
	}
	var out []*ir.WasmFilter
	add := func(name string) {
		if f := byName[name]; f != nil {
			out = append(out, f)
		}
	}
	add(ir.FilterAccessLog)
	out = append(out, placed(ir.PlaceBefore, ir.FilterRateLimit)...)
	add(ir.FilterRateLimit)
	out = append(out, placed(ir.PlaceAfter, ir.FilterRateLimit)...)
	out = append(out, placed(ir.PlaceBefore, ir.FilterTransform)...)
	add(ir.FilterTransform)
	out = append(out, placed(ir.PlaceAfter, ir.FilterTransform)...)
	// Other non-custom filters (not built-in names) keep their IR order.
	for _, f := range fs {
		switch f.Name {
		case ir.FilterAccessLog, ir.FilterRateLimit, ir.FilterTransform:
		default:
			if f.Custom == nil {
				out = append(out, f)
			}
		}
	}
	return out
}

// customPlacement defaults an empty placement to After.
func customPlacement(c *ir.CustomWasm) ir.Placement {
	if c.Placement == "" {
		return ir.PlaceAfter
	}
	return c.Placement
}

// plugin builds one Wasm HTTP filter named name whose configuration is env.
func (s *wasmState) plugin(f *ir.WasmFilter, name string, env config.PluginConfig[json.RawMessage], disabled bool) (*hcmv3.HttpFilter, error) {
	body, err := encodeEnvelope(env)
	if err != nil {
		return nil, fmt.Errorf("wasm filter %s: policy config: %w", f.Name, err)
	}
	if err := s.check(f.Name, body); err != nil {
		return nil, fmt.Errorf("wasm filter %s: %w", name, err)
	}
	return s.pluginWithConfig(f, name, body, disabled)
}

// pluginWithConfig builds one Wasm HTTP filter whose plugin configuration
// is body, verbatim.
func (s *wasmState) pluginWithConfig(f *ir.WasmFilter, name string, body []byte, disabled bool) (*hcmv3.HttpFilter, error) {
	vm, err := s.vm(f.Module)
	if err != nil {
		return nil, fmt.Errorf("wasm filter %s: %w", f.Name, err)
	}
	// The configuration travels as a StringValue (a well-known type with
	// no validation rules of its own).
	cfg, err := packDeterministic(wrapperspb.String(string(body)))
	if err != nil {
		return nil, fmt.Errorf("wasm filter %s: %w", name, err)
	}
	w := &wasmfilterv3.Wasm{Config: &wasmv3.PluginConfig{
		Name:          name,
		RootId:        f.RootID,
		Vm:            &wasmv3.PluginConfig_VmConfig{VmConfig: vm},
		Configuration: cfg,
		FailurePolicy: failurePolicy(f.FailurePolicy),
	}}
	tc, err := pack("wasm filter "+name, w)
	if err != nil {
		return nil, err
	}
	return &hcmv3.HttpFilter{
		Name:       name,
		ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: tc},
		Disabled:   disabled,
	}, nil
}

func failurePolicy(p ir.FailurePolicy) wasmv3.FailurePolicy {
	if p == ir.FailOpen {
		return wasmv3.FailurePolicy_FAIL_OPEN
	}
	return wasmv3.FailurePolicy_FAIL_CLOSED
}

// httpFilters returns the Wasm filters of one connection manager, in
// filterOrder, for the routes it serves.
func (s *wasmState) httpFilters(mode WasmAttachment, routes []*ir.Route) ([]*hcmv3.HttpFilter, error) {
	var out []*hcmv3.HttpFilter
	for _, f := range s.order {
		var fs []*hcmv3.HttpFilter
		var err error
		if f.Custom != nil {
			fs, err = s.customFilter(f, routes)
		} else if mode == PluginPerPolicy {
			fs, err = s.perPolicyFilters(f, routes)
		} else {
			fs, err = s.perKindFilter(f, routes)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	return out, nil
}

// perKindFilter is design b: one plugin for f, configured with the policies
// the connection manager's routes use.
func (s *wasmState) perKindFilter(f *ir.WasmFilter, routes []*ir.Route) ([]*hcmv3.HttpFilter, error) {
	env := config.PluginConfig[json.RawMessage]{Default: f.Default}
	for _, r := range routes {
		key, ok := r.Wasm[f.Name]
		if !ok {
			continue
		}
		if env.Routes == nil {
			env.Routes = map[string]string{}
			env.Policies = map[string]json.RawMessage{}
		}
		env.Routes[r.Name] = key
		env.Policies[key] = f.Policies[key]
	}
	if env.Routes == nil && f.Default == "" {
		return nil, nil // no route here uses the filter
	}
	if f.Default != "" {
		if env.Policies == nil {
			env.Policies = map[string]json.RawMessage{}
		}
		env.Policies[f.Default] = f.Policies[f.Default]
	}
	hf, err := s.plugin(f, WasmFilterPrefix+f.Name, env, false)
	if err != nil {
		return nil, err
	}
	return []*hcmv3.HttpFilter{hf}, nil
}
