package accesslog

import (
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"wasp.dev/filters/config"
)

// seenMarker is the value of config.AccessLogSeenKey.
var seenMarker = []byte("1")

type httpContext struct {
	types.DefaultHttpContext
	plugin *plugin
	// When this filter saw the request end and the response start: the
	// basis of %REQUEST_DURATION% and %RESPONSE_DURATION%, which Envoy
	// exposes to Wasm only through its own clock.
	requestEnd, responseStart time.Time
}

func (h *httpContext) OnHttpRequestHeaders(_ int, endOfStream bool) types.Action {
	if endOfStream {
		h.requestEnd = now()
	}
	return types.ActionContinue
}

func (h *httpContext) OnHttpRequestBody(_ int, endOfStream bool) types.Action {
	if endOfStream {
		h.requestEnd = now()
	}
	return types.ActionContinue
}

func (h *httpContext) OnHttpRequestTrailers(int) types.Action {
	h.requestEnd = now()
	return types.ActionContinue
}

func (h *httpContext) OnHttpResponseHeaders(int, bool) types.Action {
	if h.responseStart.IsZero() {
		h.responseStart = now()
	}
	return types.ActionContinue
}

// OnHttpStreamDone is proxy_on_log: every value of the request is final.
func (h *httpContext) OnHttpStreamDone() {
	p := h.plugin
	src := p.src.reset(p.hostname, h.requestEnd, h.responseStart)
	pol := p.policyFor(src)
	if pol == nil {
		return
	}
	for i := range pol.entries {
		e := &pol.entries[i]
		if !e.filter.Match(src) {
			continue
		}
		// A fresh buffer per line, sized by the last one: a host may keep
		// the bytes it is given (the SDK's emulator does).
		line := e.format.Append(make([]byte, 0, p.lineCap), src)
		p.lineCap = max(p.lineCap, len(line))
		if e.otlp != nil {
			e.otlp.add(line, src)
			continue
		}
		if len(line) == 0 { // the host refuses empty values; print nothing
			continue
		}
		if err := proxywasm.SetProperty(e.key, line); err != nil {
			proxywasm.LogErrorf("accesslog: storing line %d: %v", e.index, err)
		}
	}
	if err := proxywasm.SetProperty([]string{config.AccessLogSeenKey}, seenMarker); err != nil {
		proxywasm.LogErrorf("accesslog: storing seen marker: %v", err)
	}
}

// now is the VM's wall clock (WASI clock_time_get in Envoy).
var now = time.Now
