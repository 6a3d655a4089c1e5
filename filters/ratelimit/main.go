// Command ratelimit is wasp's local rate-limit filter: kgateway's
// TrafficPolicy rateLimit.local token bucket, with Envoy's semantics, plus
// per-client buckets, as a proxy-wasm plugin built with the standard Go
// toolchain. See README.md for the configuration and the semantics.
package main

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
	_ "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/waspabi"
)

// init only registers the VM context: Envoy forbids proxy_* calls other than
// proxy_log while a module starts (a c-shared module's main never runs).
func init() { proxywasm.SetVMContext(&vmContext{}) }

func main() {}

type vmContext struct{ types.DefaultVMContext }

// NewPluginContext implements types.VMContext.
func (*vmContext) NewPluginContext(uint32) types.PluginContext {
	return &pluginContext{}
}
