package transform

import (
	"fmt"
	"sort"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"wasp.dev/filters/config"
)

type pluginContext struct {
	types.DefaultPluginContext
	cfg      *config.PluginConfig[config.Transformation]
	policies map[string]*policy
	free     []*httpContext // finished streams' contexts, reused
}

// OnPluginStart parses the configuration and every template once. A bad
// configuration fails the start with one log line naming the field, the
// header or body and the template's line:column; Envoy then rejects the
// update instead of running a filter that cannot do what it was asked.
func (p *pluginContext) OnPluginStart(int) (status types.OnPluginStartStatus) {
	defer func() {
		if r := recover(); r != nil {
			proxywasm.LogCriticalf("transform: plugin start failed: %v", r)
			status = types.OnPluginStartStatusFailed
		}
	}()
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil && err != types.ErrorStatusNotFound {
		proxywasm.LogCriticalf("transform: invalid configuration: cannot read it: %v", err)
		return types.OnPluginStartStatusFailed
	}
	if err := p.configure(data); err != nil {
		proxywasm.LogCriticalf("transform: invalid configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	return types.OnPluginStartStatusOK
}

func (p *pluginContext) configure(data []byte) error {
	cfg, err := config.ParseTransformPlugin(data)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(cfg.Policies))
	for k := range cfg.Policies {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	policies := make(map[string]*policy, len(keys))
	for _, key := range keys {
		pc := cfg.Policies[key]
		pol, err := compilePolicy(&pc)
		if err != nil {
			return fmt.Errorf("policies[%q].%w", key, err)
		}
		policies[key] = pol
	}
	p.cfg, p.policies = cfg, policies
	return nil
}

// policyFor returns the policy of the request's route, or nil.
func (p *pluginContext) policyFor(route string) *policy {
	key, ok := p.cfg.Routes[route]
	if !ok {
		key = p.cfg.Default
	}
	return p.policies[key]
}

func (p *pluginContext) NewHttpContext(uint32) types.HttpContext {
	if n := len(p.free); n > 0 {
		h := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		return h
	}
	return &httpContext{plugin: p}
}
