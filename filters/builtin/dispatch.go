package main

import (
	"maps"
	"slices"
	"strings"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// rootContext is one plugin configuration of the module: on start it reads
// its root_id and hands every later callback to that filter's root context.
type rootContext struct {
	id     uint32
	filter types.PluginContext
}

var rootIDPath = []string{"plugin_root_id"}

func (r *rootContext) OnPluginStart(size int) types.OnPluginStartStatus {
	rootID, err := proxywasm.GetProperty(rootIDPath)
	if err != nil {
		proxywasm.LogCriticalf("builtin: cannot read plugin_root_id: %v", err)
		return types.OnPluginStartStatusFailed
	}
	newFilter, ok := filters[string(rootID)]
	if !ok {
		proxywasm.LogCriticalf("builtin: root_id %q names no built-in filter (want one of %s)", rootID, rootIDs())
		return types.OnPluginStartStatusFailed
	}
	r.filter = newFilter(r.id)
	return r.filter.OnPluginStart(size)
}

func (r *rootContext) OnPluginDone() bool {
	if r.filter == nil {
		return true
	}
	return r.filter.OnPluginDone()
}

func (r *rootContext) OnQueueReady(id uint32) {
	if r.filter != nil {
		r.filter.OnQueueReady(id)
	}
}

func (r *rootContext) OnTick() {
	if r.filter != nil {
		r.filter.OnTick()
	}
}

func (r *rootContext) NewTcpContext(uint32) types.TcpContext { return nil }

func (r *rootContext) NewHttpContext(id uint32) types.HttpContext {
	if r.filter == nil {
		return nil // not started: Envoy sends no streams
	}
	return r.filter.NewHttpContext(id)
}

// rootIDs lists the known root_ids, sorted, for the start error.
func rootIDs() string { return strings.Join(slices.Sorted(maps.Keys(filters)), ", ") }
