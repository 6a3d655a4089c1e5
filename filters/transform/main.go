// Command transform is wasp's transformation filter: kgateway's
// TrafficPolicy.transformation (header set/add/remove and body templates) as
// a proxy-wasm filter built with the standard Go toolchain:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o filters/dist/transform.wasm ./filters/transform
//
// See README.md for the template language and the semantics.
package main

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
	_ "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/waspabi"
)

// init, not main: a c-shared (reactor) module's main never runs.
func init() { proxywasm.SetVMContext(&vmContext{}) }

func main() {}

type vmContext struct{ types.DefaultVMContext }

func (*vmContext) NewPluginContext(uint32) types.PluginContext { return &pluginContext{} }
