// Package ratelimit is wasp's local rate-limit filter: kgateway's
// TrafficPolicy rateLimit.local token bucket, with Envoy's semantics, plus
// per-client buckets, as a proxy-wasm plugin built with the standard Go
// toolchain. It is a library: filters/builtin links it with the other
// built-in filters into one module and starts it for root_id "ratelimit".
// See README.md for the configuration and the semantics.
package ratelimit

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

// NewPluginContext returns the root context of one rate-limit plugin
// configuration.
func NewPluginContext(uint32) types.PluginContext { return &pluginContext{} }
