package accesslog

import (
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"wasp.dev/filters/config"
	"wasp.dev/filters/internal/hostcall"
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
		h.release()
		return
	}
	for i := range pol.entries {
		e := &pol.entries[i]
		if !e.filter.Match(src) {
			continue
		}
		// One buffer for every line: the host copies what it is given
		// (hostcall copies for the SDK's emulator, which keeps it).
		line := e.format.Append(p.line[:0], src)
		p.line = line
		if e.otlp != nil {
			e.otlp.add(line, src)
			continue
		}
		if len(line) == 0 { // the host refuses empty values; print nothing
			continue
		}
		if st := hostcall.SetProperty(e.key, line); st != hostcall.OK {
			proxywasm.LogErrorf("accesslog: storing line %d: status %d", e.index, st)
		}
	}
	if st := hostcall.SetProperty(config.AccessLogSeenKey, seenMarker); st != hostcall.OK {
		proxywasm.LogErrorf("accesslog: storing seen marker: status %d", st)
	}
	h.release()
}

// release returns the context to the plugin's free list: no callback
// reaches a stream context after proxy_on_log.
func (h *httpContext) release() {
	p := h.plugin
	*h = httpContext{plugin: p}
	p.free = append(p.free, h)
}

// now is the VM's wall clock (WASI clock_time_get in Envoy).
var now = time.Now
