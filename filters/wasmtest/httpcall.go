package wasmtest

import "time"

// HTTPCall is an outgoing proxy_http_call as the cluster sees it.
type HTTPCall struct {
	// Cluster is the upstream cluster name the plugin passed.
	Cluster  string
	Headers  [][2]string // includes :method, :path, :authority
	Body     []byte
	Trailers [][2]string
	Timeout  time.Duration
	// Plugin is the name of the calling plugin.
	Plugin string
}

// Header returns the first value of the header name (case-insensitive).
func (c *HTTPCall) Header(name string) string { return headerValue(c.Headers, name) }

// HTTPCallResponse is the cluster's answer to an HTTPCall. A nil response
// means the call failed (reset or timeout): the plugin gets
// proxy_on_http_call_response with no headers, body or trailers, as Envoy
// delivers failures.
type HTTPCallResponse struct {
	Headers  [][2]string // include ":status"
	Body     []byte
	Trailers [][2]string
}

// HTTPCallHandler answers the plugins' proxy_http_call requests. It runs on
// the goroutine of the exchange, after the VM call that made the request has
// returned, like Envoy's asynchronous response.
type HTTPCallHandler func(call *HTTPCall) *HTTPCallResponse

// HandleHTTPCalls sets the handler for every proxy_http_call on this host.
// Without one, every call fails (Envoy's answer for an unknown cluster:
// proxy_http_call returns BadArgument).
func (h *Host) HandleHTTPCalls(fn HTTPCallHandler) {
	h.mu.Lock()
	h.httpHandler = fn
	h.mu.Unlock()
}

func (h *Host) httpCallHandler() HTTPCallHandler {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.httpHandler
}
