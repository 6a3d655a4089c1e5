// Command initcall is a test filter that breaks Envoy's start-time rule: its
// init() (run by _initialize) makes a host call other than proxy_log. Envoy
// refuses it; wasmtest fails the load.
package main

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
	_ "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/waspabi"
)

func init() {
	proxywasm.LogInfo("init may log")
	_, _ = proxywasm.GetProperty([]string{"plugin_name"}) // not allowed during _initialize
	proxywasm.SetVMContext(&types.DefaultVMContext{})
}

func main() {}
