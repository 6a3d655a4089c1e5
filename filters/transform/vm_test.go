package transform

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

// vmContext starts the filter under the SDK's emulator (native tests).
type vmContext struct{ types.DefaultVMContext }

func (*vmContext) NewPluginContext(id uint32) types.PluginContext { return NewPluginContext(id) }
