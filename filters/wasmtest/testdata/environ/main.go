// Command environ is test data for wasmtest's VM environment: each plugin
// logs the module's environment (os.Environ, read through WASI environ_get
// when the Go runtime starts) at plugin start, one "env <KEY>=<VALUE>"
// line per variable, then "env end". `make wasm` skips it.
package main

import (
	"os"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
	_ "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/waspabi"
)

func init() { proxywasm.SetVMContext(&vm{}) }

func main() {}

type vm struct{ types.DefaultVMContext }

func (*vm) NewPluginContext(uint32) types.PluginContext { return &plugin{} }

type plugin struct{ types.DefaultPluginContext }

func (*plugin) OnPluginStart(int) types.OnPluginStartStatus {
	for _, kv := range os.Environ() {
		proxywasm.LogInfo("env " + kv)
	}
	proxywasm.LogInfo("env end")
	return types.OnPluginStartStatusOK
}
