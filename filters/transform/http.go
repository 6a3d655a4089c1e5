package transform

import (
	"errors"
	"strconv"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"wasp.dev/filters/config"
)

// routeNamePath is config.PropertyRouteName as the SDK's path segments (it
// joins them with NUL; Envoy resolves "xds" then "route_name").
var routeNamePath = []string{"xds", "route_name"}

type httpContext struct {
	types.DefaultHttpContext
	plugin *pluginContext
	policy *policy

	requestHeaders [][2]string // as they arrived, for request_header()

	// Per direction: whether the headers wait for the body, and the headers
	// as they arrived.
	reqPending, respPending bool
	reqPairs, respPairs     [][2]string
	// The body so far, copied chunk by chunk: a trailers callback cannot
	// count on reading the host's buffer, and reading only the new part
	// keeps buffering linear.
	reqBody, respBody []byte
	replied           bool // a local reply was sent; do nothing more
}

func (h *httpContext) OnHttpRequestHeaders(_ int, endOfStream bool) types.Action {
	// Without a route name (no route matched) only the default policy can
	// apply.
	route, _ := proxywasm.GetProperty(routeNamePath)
	h.policy = h.plugin.policyFor(string(route))
	if h.policy == nil {
		return types.ActionContinue
	}
	pairs, err := proxywasm.GetHttpRequestHeaders()
	if err != nil {
		proxywasm.LogErrorf("transform: cannot read request headers: %v", err)
		return types.ActionContinue
	}
	h.requestHeaders = pairs
	t := h.policy.request
	if t == nil {
		return types.ActionContinue
	}
	h.reqPairs = pairs
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
	pairs, err := proxywasm.GetHttpResponseHeaders()
	if err != nil {
		proxywasm.LogErrorf("transform: cannot read response headers: %v", err)
		return types.ActionContinue
	}
	h.respPairs = pairs
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
		chunk, err := s.getBody(len(*buf), bodySize-len(*buf))
		if err != nil && !errors.Is(err, types.ErrorStatusNotFound) {
			proxywasm.LogErrorf("transform: cannot read the %s body: %v", s.name, err)
			return h.reply(s, s.failedStatus(), s.name+"_transformation_failed", s.name+" transformation failed")
		}
		*buf = append(*buf, chunk...)
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
	m := &message{headers: pairs, requestHeaders: h.requestHeaders, body: body, hasBody: hasBody}
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

func (h *httpContext) apply(s side, e *edits, arrived [][2]string) error {
	if len(e.remove)+len(e.set)+len(e.add) > 0 || e.replaceBody {
		if err := s.setHeaders(e.applyHeaders(arrived)); err != nil {
			return err
		}
	}
	if e.replaceBody {
		return s.replaceBody(e.body)
	}
	return nil
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

func (s side) getBody(start, size int) ([]byte, error) {
	if s.isRequest {
		return proxywasm.GetHttpRequestBody(start, size)
	}
	return proxywasm.GetHttpResponseBody(start, size)
}

func (s side) replaceBody(b []byte) error {
	if s.isRequest {
		return proxywasm.ReplaceHttpRequestBody(b)
	}
	return proxywasm.ReplaceHttpResponseBody(b)
}

func (s side) setHeaders(pairs [][2]string) error {
	if s.isRequest {
		return proxywasm.ReplaceHttpRequestHeaders(pairs)
	}
	return proxywasm.ReplaceHttpResponseHeaders(pairs)
}
