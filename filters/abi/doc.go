// Package waspabi lets a proxy-wasm filter written against the tetratelabs
// proxy-wasm-go-sdk (v0.24.0) API be built with the standard Go toolchain:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o filter.wasm .
//
// The SDK exports the proxy-wasm ABI only under TinyGo. Under the standard
// toolchain its internal package routes every host call through a registered
// ProxyWasmHost and exposes every callback as an exported function (both meant
// for its own proxytest). This package supplies the two missing halves for
// wasip1: a ProxyWasmHost whose methods are //go:wasmimport calls into the
// host's "env" module, and //go:wasmexport functions for every ABI v0.2.1
// callback that forward to the SDK's callbacks.
//
// A filter adds one blank import and sets its VM context in init(), because a
// c-shared (reactor) module's main is never run:
//
//	import _ "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/waspabi"
//
//	func init() { proxywasm.SetVMContext(&vmContext{}) }
//
// Off wasip1 (native tests with proxytest) the package is empty, so the same
// filter source runs under the SDK's emulator unchanged.
//
// Why this module's path sits under the SDK's: see docs/adr/0001-wasm-toolchain.md.
package waspabi
