// Command accesslog is wasp's access-log filter: it formats one line per
// request in proxy_on_log with Envoy's access-log operators and output rules,
// shows RL when wasp's rate limiter rejected the request, and hands the line
// to a native Envoy file logger (through filter state) or batches it to an
// OTLP/HTTP collector. See README.md.
package main

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
	_ "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/waspabi"
)

func init() { proxywasm.SetVMContext(&vm{}) }

// main never runs in a c-shared (reactor) module; see filters/abi.
func main() {}

type vm struct{ types.DefaultVMContext }

func (*vm) NewPluginContext(uint32) types.PluginContext { return &plugin{} }
