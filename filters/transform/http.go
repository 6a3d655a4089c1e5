package transform

import (
	"errors"
	"strconv"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"wasp.dev/filters/config"
	"wasp.dev/filters/internal/hostcall"
)

// routeNamePath is config.PropertyRouteName as the ABI's path (segments
// joined with NUL; Envoy resolves "xds" then "route_name").
const routeNamePath = "xds\x00route_name"

// httpContext is one stream's state. Contexts are reused from stream to
// stream (the plugin's free list) with their buffers: the hot path reads
// each header map once into a buffer and decodes it into views, so a
// request allocates nothing once the buffers have grown.
type httpContext struct {
	types.DefaultHttpContext
	plugin *pluginContext
	policy *policy

	route []byte // the route name property

	// The serialized header maps as they arrived, and their pairs (views
	// into them). The request's serve request_header() on both sides.
	reqRaw, respRaw     []byte
	reqPairs, respPairs [][2]string

	// Per direction: whether the headers wait for the body.
	reqPending, respPending bool
	// The body so far, read chunk by chunk: a trailers callback cannot
	// count on reading the host's buffer, and reading only the new part
	// keeps buffering linear.
	reqBody, respBody []byte
	replied           bool // a local reply was sent; do nothing more
}

// OnHttpStreamDone returns the context to the plugin's free list: no
// callback reaches a stream context after proxy_on_log.
func (h *httpContext) OnHttpStreamDone() {
	p := h.plugin
	*h = httpContext{
		plugin: p, route: h.route[:0],
		reqRaw: h.reqRaw[:0], respRaw: h.respRaw[:0],
		reqPairs: h.reqPairs[:0], respPairs: h.respPairs[:0],
		reqBody: h.reqBody[:0], respBody: h.respBody[:0],
	}
	p.free = append(p.free, h)
}

// readPairs reads header map mapType into raw and decodes it into pairs.
func readPairs(raw []byte, pairs [][2]string, mapType uint32) ([]byte, [][2]string, bool) {
	raw, st := hostcall.AppendHeaderPairs(raw[:0], mapType)
	if st != hostcall.OK {
		return raw, pairs[:0], false
	}
	pairs, ok := hostcall.AppendPairs(pairs[:0], raw)
	return raw, pairs, ok
}

func (h *httpContext) OnHttpRequestHeaders(_ int, endOfStream bool) types.Action {
	// Without a route name (no route matched) only the default policy can
	// apply; without per-route policies the name is not read at all.
	h.route = h.route[:0]
	if len(h.plugin.cfg.Routes) > 0 {
		h.route, _ = hostcall.AppendProperty(h.route, routeNamePath)
	}
	h.policy = h.plugin.policyFor(bytesAsString(h.route))
	if h.policy == nil {
		return types.ActionContinue
	}
	var ok bool
	if h.reqRaw, h.reqPairs, ok = readPairs(h.reqRaw, h.reqPairs, hostcall.RequestHeaders); !ok {
		proxywasm.LogError("transform: cannot read request headers")
		return types.ActionContinue
	}
	t := h.policy.request
	if t == nil {
		return types.ActionContinue
	}
	if t.bufferBody && !endOfStream {
		h.reqPending = true
		return types.ActionPause
	}
	return h.finish(requestSide, t, nil, false)
}

func (h *httpContext) OnHttpRequestBody(bodySize int, endOfStream bool) types.Action {
	if !h.reqPending || h.replied {
		return types.ActionContinue
	}
	return h.onBody(requestSide, h.policy.request, bodySize, endOfStream)
}

func (h *httpContext) OnHttpRequestTrailers(int) types.Action {
	if !h.reqPending || h.replied {
		return types.ActionContinue
	}
	// Trailers end the stream: the body is complete.
	return h.onBody(requestSide, h.policy.request, -1, true)
}

func (h *httpContext) OnHttpResponseHeaders(_ int, endOfStream bool) types.Action {
	if h.policy == nil || h.policy.response == nil || h.replied {
		return types.ActionContinue
	}
	var ok bool
	if h.respRaw, h.respPairs, ok = readPairs(h.respRaw, h.respPairs, hostcall.ResponseHeaders); !ok {
		proxywasm.LogError("transform: cannot read response headers")
		return types.ActionContinue
	}
	t := h.policy.response
	if t.bufferBody && !endOfStream {
		h.respPending = true
		return types.ActionPause
	}
	return h.finish(responseSide, t, nil, false)
}

func (h *httpContext) OnHttpResponseBody(bodySize int, endOfStream bool) types.Action {
	if !h.respPending || h.replied {
		return types.ActionContinue
	}
	return h.onBody(responseSide, h.policy.response, bodySize, endOfStream)
}

func (h *httpContext) OnHttpResponseTrailers(int) types.Action {
	if !h.respPending || h.replied {
		return types.ActionContinue
	}
	return h.onBody(responseSide, h.policy.response, -1, true)
}

// onBody buffers until the end of the stream, then transforms. bodySize -1
// means the stream ended with trailers: the body is what was copied so far.
func (h *httpContext) onBody(s side, t *transform, bodySize int, endOfStream bool) types.Action {
	buf := &h.reqBody
	if !s.isRequest {
		buf = &h.respBody
	}
	if bodySize > t.maxBodyBytes {
		return h.reply(s, s.tooLargeStatus(), s.name+"_body_too_large",
			s.name+" body exceeds the transformation buffer limit of "+strconv.Itoa(t.maxBodyBytes)+" bytes")
	}
	if bodySize > len(*buf) {
		var st hostcall.Status
		*buf, st = hostcall.AppendBody(*buf, s.isRequest, len(*buf), bodySize-len(*buf))
		if st != hostcall.OK && st != hostcall.NotFound {
			proxywasm.LogErrorf("transform: cannot read the %s body: status %d", s.name, st)
			return h.reply(s, s.failedStatus(), s.name+"_transformation_failed", s.name+" transformation failed")
		}
	}
	if !endOfStream {
		return types.ActionPause
	}
	h.setPending(s, false)
	return h.finish(s, t, *buf, true)
}

func (h *httpContext) setPending(s side, v bool) {
	if s.isRequest {
		h.reqPending = v
	} else {
		h.respPending = v
	}
}

// finish runs the transformation and applies its edits, or answers with a
// local reply when it cannot.
func (h *httpContext) finish(s side, t *transform, body []byte, hasBody bool) (action types.Action) {
	// A bug must cost one request, not the VM (a trap fails every stream).
	defer func() {
		if r := recover(); r != nil {
			proxywasm.LogCriticalf("transform: %s transformation panicked: %v", s.name, r)
			action = h.reply(s, s.failedStatus(), s.name+"_transformation_failed", s.name+" transformation failed")
		}
	}()
	pairs := h.reqPairs
	if !s.isRequest {
		pairs = h.respPairs
	}
	m := &message{headers: pairs, requestHeaders: h.reqPairs, body: body, hasBody: hasBody}
	e, err := t.run(m)
	switch {
	case errors.Is(err, errNotJSON):
		proxywasm.LogWarnf("transform: %s body is not valid JSON (parseAs: AsJson)", s.name)
		return h.reply(s, s.notJSONStatus(), s.name+"_body_not_json", s.name+" body is not valid JSON")
	case err != nil:
		proxywasm.LogWarnf("transform: %s transformation failed: %v", s.name, err)
		return h.reply(s, s.failedStatus(), s.name+"_transformation_failed", s.name+" transformation failed")
	}
	if err := h.apply(s, e, pairs); err != nil {
		proxywasm.LogErrorf("transform: cannot apply the %s transformation: %v", s.name, err)
		return h.reply(s, s.failedStatus(), s.name+"_transformation_failed", s.name+" transformation failed")
	}
	return types.ActionContinue
}

// apply makes the edits as individual header calls (the host copies each
// name and value), then replaces the body.
func (h *httpContext) apply(s side, e *edits, arrived [][2]string) error {
	mapType := hostcall.RequestHeaders
	if !s.isRequest {
		mapType = hostcall.ResponseHeaders
	}
	for _, c := range e.headerCalls(arrived) {
		var st hostcall.Status
		switch c.op {
		case opRemove:
			st = hostcall.RemoveHeader(mapType, c.name)
		case opReplace:
			st = hostcall.ReplaceHeader(mapType, c.name, c.value)
		default:
			st = hostcall.AddHeader(mapType, c.name, c.value)
		}
		if st != hostcall.OK {
			return &hostError{what: "header " + strconv.Quote(c.name), status: st}
		}
	}
	if e.replaceBody {
		if st := hostcall.ReplaceBody(s.isRequest, e.body); st != hostcall.OK {
			return &hostError{what: "body", status: st}
		}
	}
	return nil
}

// hostError is a host call that failed while applying the edits.
type hostError struct {
	what   string
	status hostcall.Status
}

func (e *hostError) Error() string {
	return "setting the " + e.what + ": status " + strconv.Itoa(int(e.status))
}

// reply answers with a short JSON error; the stream stops here.
func (h *httpContext) reply(s side, status int, details, msg string) types.Action {
	h.replied = true
	h.setPending(s, false)
	body := []byte(`{"error":` + strconv.Quote(msg) + `}`)
	headers := [][2]string{{"content-type", "application/json"}, {"x-wasp-transform", details}}
	if err := proxywasm.SendHttpResponse(uint32(status), headers, body, -1); err != nil {
		proxywasm.LogErrorf("transform: cannot send the local reply: %v", err)
	}
	return types.ActionPause
}

// side is the request or the response: the host calls and statuses that
// differ between the two.
type side struct {
	name      string
	isRequest bool
}

var (
	requestSide  = side{name: "request", isRequest: true}
	responseSide = side{name: "response"}
)

func (s side) tooLargeStatus() int {
	if s.isRequest {
		return config.TransformBodyTooLargeRequestStatus
	}
	return config.TransformResponseFailedStatus
}

func (s side) notJSONStatus() int {
	if s.isRequest {
		return config.TransformBadRequestStatus
	}
	return config.TransformResponseFailedStatus
}

func (s side) failedStatus() int { return s.notJSONStatus() }
