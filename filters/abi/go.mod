// The standard-Go proxy-wasm bridge. Its module path sits under the SDK's
// proxywasm/ so that it may import proxywasm/internal (Go's internal rule is by
// import path); see docs/adr/0001-wasm-toolchain.md. It is not published: filters
// reach it through go.work or a replace directive.
module github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/waspabi

go 1.26

require github.com/tetratelabs/proxy-wasm-go-sdk v0.24.0
