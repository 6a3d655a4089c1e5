// Package transform is wasp's transformation filter: kgateway's
// TrafficPolicy.transformation (header set/add/remove and body templates) as
// a proxy-wasm filter built with the standard Go toolchain. It is a library:
// filters/builtin links it with the other built-in filters into one module
// and starts it for root_id "transform". See README.md for the template
// language and the semantics.
package transform

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

// NewPluginContext returns the root context of one transformation plugin
// configuration.
func NewPluginContext(uint32) types.PluginContext { return &pluginContext{} }
