// Command builtin is the module of wasp's built-in filters: it links the
// rate-limit, transformation and access-log filters (filters/ratelimit,
// filters/transform, filters/accesslog) so that Envoy runs them in one VM
// per worker instead of three Go runtimes. Each plugin configuration names
// its filter with root_id (config.RootID*):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags="-s -w" -o filters/dist/builtin.wasm ./filters/builtin
//
// See docs/adr/0004-builtin-filters-one-vm.md.
package main

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
	_ "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/waspabi"

	"wasp.dev/filters/accesslog"
	"wasp.dev/filters/config"
	"wasp.dev/filters/ratelimit"
	"wasp.dev/filters/transform"
)

// init, not main: a c-shared (reactor) module's main never runs, and Envoy
// forbids proxy_* calls other than proxy_log while the module starts.
func init() {
	setGuestMemory()
	proxywasm.SetVMContext(&vmContext{})
}

func main() {}

// filters maps a root_id to the filter's root-context constructor.
var filters = map[string]func(uint32) types.PluginContext{
	config.RootIDRateLimit: ratelimit.NewPluginContext,
	config.RootIDTransform: transform.NewPluginContext,
	config.RootIDAccessLog: accesslog.NewPluginContext,
}

type vmContext struct{ types.DefaultVMContext }

// NewPluginContext implements types.VMContext. The root_id is read when the
// plugin starts (proxy_on_configure), where every host call is allowed.
func (*vmContext) NewPluginContext(id uint32) types.PluginContext { return &rootContext{id: id} }
