package ratelimit

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

	"wasp.dev/filters/internal/hostcall"
)

// Counter names. Envoy exposes them with its wasmcustom. prefix, e.g.
// wasmcustom.wasp_ratelimit_limited. They are per plugin (all policies of a
// listener together): per-policy names would make the metric set grow with
// configuration the proxy never forgets.
const (
	metricAllowed       = "wasp_ratelimit_allowed"
	metricLimited       = "wasp_ratelimit_limited"
	metricShadowLimited = "wasp_ratelimit_shadow_limited"
	// metricErrors counts requests allowed because shared data failed.
	metricErrors = "wasp_ratelimit_errors"
)

type metrics struct {
	allowed, limited, shadowLimited, errors proxywasm.MetricCounter
}

func defineMetrics() metrics {
	return metrics{
		allowed:       proxywasm.DefineCounterMetric(metricAllowed),
		limited:       proxywasm.DefineCounterMetric(metricLimited),
		shadowLimited: proxywasm.DefineCounterMetric(metricShadowLimited),
		errors:        proxywasm.DefineCounterMetric(metricErrors),
	}
}

// increment adds one with a direct host call (the SDK's panics when the
// host refuses a metric call; a counter must never take the VM, and every
// request on it, down, so a failure is ignored).
func increment(c proxywasm.MetricCounter) { _ = hostcall.IncrementMetric(uint32(c), 1) }
