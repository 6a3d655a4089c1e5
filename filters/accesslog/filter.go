// Package accesslog is wasp's access-log filter: it formats one line per
// request in proxy_on_log with Envoy's access-log operators and output rules,
// shows RL when wasp's rate limiter rejected the request, and hands the line
// to a native Envoy file logger (through filter state) or batches it to an
// OTLP/HTTP collector. It is a library: filters/builtin links it with the
// other built-in filters into one module and starts it for root_id
// "accesslog". See README.md.
package accesslog

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

// NewPluginContext returns the root context of one access-log plugin
// configuration.
func NewPluginContext(uint32) types.PluginContext { return &plugin{} }
