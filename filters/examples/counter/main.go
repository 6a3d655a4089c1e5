// Command counter is wasp's example proxy-wasm filter and the template for
// new filters: it adds a request header, counts requests in shared data
// (shared by every worker's VM, updated with compare-and-swap), reports the
// count on the response, and answers one configured path itself with a
// local response. Its tests run it natively (proxytest) and compiled to
// wasm (wasmtest) from one table.
package main

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
	_ "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/waspabi"
)

// A c-shared (reactor) module never runs main; the VM context is set during
// _initialize, where Envoy allows no host call other than proxy_log.
func init() { proxywasm.SetVMContext(&vmContext{}) }

func main() {}

type vmContext struct{ types.DefaultVMContext }

func (*vmContext) NewPluginContext(uint32) types.PluginContext { return &pluginContext{} }

type pluginContext struct {
	types.DefaultPluginContext
	cfg      config
	requests proxywasm.MetricCounter
}

func (p *pluginContext) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil && err != types.ErrorStatusNotFound {
		proxywasm.LogCriticalf("reading plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	cfg, err := parseConfig(data)
	if err != nil {
		proxywasm.LogCriticalf("invalid plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	p.cfg = cfg
	p.requests = proxywasm.DefineCounterMetric(requestsMetric)
	return types.OnPluginStartStatusOK
}

func (p *pluginContext) NewHttpContext(uint32) types.HttpContext {
	return &httpContext{plugin: p}
}

type httpContext struct {
	types.DefaultHttpContext
	plugin *pluginContext
	count  uint64
}

func (h *httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	cfg := h.plugin.cfg
	path, err := proxywasm.GetHttpRequestHeader(":path")
	if err == nil && cfg.DenyPath != "" && path == cfg.DenyPath {
		if err := proxywasm.SendHttpResponse(deniedStatus,
			[][2]string{{"x-denied-by", "wasp-example"}}, []byte(deniedBody), -1); err != nil {
			proxywasm.LogErrorf("sending local response: %v", err)
			return types.ActionContinue
		}
		return types.ActionPause
	}
	if err := proxywasm.AddHttpRequestHeader(cfg.Header, cfg.Value); err != nil {
		proxywasm.LogErrorf("adding %s: %v", cfg.Header, err)
	}
	count, err := incrementSharedCounter(counterKey)
	if err != nil {
		proxywasm.LogErrorf("counting request: %v", err)
		return types.ActionContinue
	}
	h.count = count
	h.plugin.requests.Increment(1)
	if err := proxywasm.SetProperty([]string{countProperty}, []byte(formatUint(count))); err != nil {
		proxywasm.LogWarnf("setting filter state: %v", err)
	}
	return types.ActionContinue
}

func (h *httpContext) OnHttpResponseHeaders(int, bool) types.Action {
	if h.count == 0 {
		return types.ActionContinue // denied or not counted
	}
	if err := proxywasm.AddHttpResponseHeader(countHeader, formatUint(h.count)); err != nil {
		proxywasm.LogErrorf("adding %s: %v", countHeader, err)
	}
	return types.ActionContinue
}
