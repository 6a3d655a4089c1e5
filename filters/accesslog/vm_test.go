package accesslog

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

// vm starts the filter under the SDK's emulator (native tests).
type vm struct{ types.DefaultVMContext }

func (*vm) NewPluginContext(id uint32) types.PluginContext { return NewPluginContext(id) }
