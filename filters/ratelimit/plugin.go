package ratelimit

import (
	"fmt"
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"wasp.dev/filters/config"
)

type pluginContext struct {
	types.DefaultPluginContext
	cfg      *config.PluginConfig[config.RateLimit]
	policies map[string]*policy
	metrics  metrics
	// lastErrorLog is when a shared-data failure was last logged.
	lastErrorLog int64
	// routeBuf and keyBuf hold the request's route name and key material
	// for the duration of one callback (reused: no allocation per request).
	routeBuf, keyBuf scratch
	// free holds stream contexts whose stream ended, for reuse.
	free []*httpContext
}

// errorLogInterval spaces shared-data failure logs: a failing host would
// otherwise log once per request; the errors counter has the full count.
const errorLogInterval = int64(10 * time.Second)

// logSharedDataError logs a shared-data failure at most once per interval.
func (p *pluginContext) logSharedDataError(err error) {
	t := now()
	if p.lastErrorLog != 0 && t-p.lastErrorLog < errorLogInterval {
		return
	}
	p.lastErrorLog = t
	proxywasm.LogWarnf("ratelimit: shared data failed, requests allowed (counted in %s): %v", metricErrors, err)
}

// OnPluginStart parses and validates the configuration. A bad configuration
// stops the plugin with one log line naming the field; Envoy then rejects
// the listener update instead of running a limiter nobody asked for.
func (p *pluginContext) OnPluginStart(int) (status types.OnPluginStartStatus) {
	defer func() {
		if r := recover(); r != nil {
			proxywasm.LogCriticalf("ratelimit: plugin start failed: %v", r)
			status = types.OnPluginStartStatusFailed
		}
	}()
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil && err != types.ErrorStatusNotFound {
		proxywasm.LogCriticalf("ratelimit: refusing to start: cannot read the configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	if err := p.configure(data); err != nil {
		proxywasm.LogCriticalf("ratelimit: refusing to start: %v", err)
		return types.OnPluginStartStatusFailed
	}
	p.metrics = defineMetrics()
	return types.OnPluginStartStatusOK
}

// configure parses data and compiles every policy.
func (p *pluginContext) configure(data []byte) error {
	cfg, err := config.ParseRateLimitPlugin(data)
	if err != nil {
		return err
	}
	policies := make(map[string]*policy, len(cfg.Policies))
	store := newSharedData() // one buffer: the VM runs one request at a time
	for key, rl := range cfg.Policies {
		pol, err := newPolicy(key, rl, store)
		if err != nil {
			return fmt.Errorf("policies[%q]: %w", key, err)
		}
		policies[key] = pol
	}
	p.cfg, p.policies = cfg, policies
	return nil
}

// policyFor returns the policy of the request's route, or nil.
func (p *pluginContext) policyFor(route string) *policy {
	if p.cfg == nil { // not started: Envoy sends no requests, but be safe
		return nil
	}
	key, ok := p.cfg.Routes[route]
	if !ok {
		key = p.cfg.Default
	}
	return p.policies[key]
}

// NewHttpContext implements types.PluginContext.
func (p *pluginContext) NewHttpContext(uint32) types.HttpContext {
	if n := len(p.free); n > 0 {
		h := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		return h
	}
	return &httpContext{plugin: p}
}
