package ratelimit

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"wasp.dev/filters/config"
)

type httpContext struct {
	types.DefaultHttpContext
	plugin *pluginContext
	// responseHeaders are added to the upstream's response (allowed and
	// shadow-limited requests with responseHeaders on).
	responseHeaders [][2]string
}

// hostRequest reads key material through host calls, into the plugin's
// reused buffers.
type hostRequest struct{ p *pluginContext }

func (r hostRequest) header(name string) string     { return r.p.keyBuf.requestHeader(name) }
func (hostRequest) headerJoined(name string) string { return requestHeaderJoined(name) }
func (r hostRequest) sourceAddress() string         { return r.p.keyBuf.property(sourceAddressPath) }

// OnHttpRequestHeaders takes a token from the route's policy bucket. The
// allowed path makes no guest allocation: host values land in the plugin's
// reused buffers and the counters are bumped with direct calls.
func (h *httpContext) OnHttpRequestHeaders(int, bool) types.Action {
	p := h.plugin
	route := p.routeBuf.property(routeNamePath)
	pol := p.policyFor(route)
	if pol == nil || !pol.enabled.Sample() {
		return types.ActionContinue
	}
	m := &p.metrics
	d, reject, headers := pol.decide(pol.owner(hostRequest{p}, route), now())
	if d.Err != nil {
		increment(m.errors)
		p.logSharedDataError(d.Err)
	}
	switch {
	case d.Allowed:
		increment(m.allowed)
	case !reject:
		increment(m.shadowLimited)
	default:
		increment(m.limited)
		return h.reject(headers)
	}
	h.responseHeaders = headers
	return types.ActionContinue
}

// OnHttpStreamDone returns the context to the plugin's free list: no
// callback reaches a stream context after proxy_on_log.
func (h *httpContext) OnHttpStreamDone() {
	h.responseHeaders = nil
	h.plugin.free = append(h.plugin.free, h)
}

// reject marks the request for the access log and answers 429 exactly as
// Envoy's local rate limit does: body local_rate_limited, no content-type of
// our own (Envoy adds text/plain), no x-envoy-ratelimited.
func (h *httpContext) reject(headers [][2]string) types.Action {
	if err := proxywasm.SetProperty([]string{config.RateLimitedFilterStateKey}, []byte(config.RateLimitedMarkerValue)); err != nil {
		proxywasm.LogWarnf("ratelimit: cannot set filter state %s: %v", config.RateLimitedFilterStateName, err)
	}
	if err := proxywasm.SendHttpResponse(config.RateLimitedStatus, headers, []byte(config.RateLimitedBody), -1); err != nil {
		proxywasm.LogErrorf("ratelimit: cannot send the 429: %v", err)
		return types.ActionContinue
	}
	return types.ActionPause
}

// OnHttpResponseHeaders adds the x-ratelimit-* headers.
func (h *httpContext) OnHttpResponseHeaders(int, bool) types.Action {
	for _, kv := range h.responseHeaders {
		if err := proxywasm.ReplaceHttpResponseHeader(kv[0], kv[1]); err != nil {
			proxywasm.LogWarnf("ratelimit: cannot add %s: %v", kv[0], err)
		}
	}
	return types.ActionContinue
}
