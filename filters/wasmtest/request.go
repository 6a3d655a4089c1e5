package wasmtest

import "strings"

// Request is what the client sends. Defaults: GET, "/", authority
// "example.com", scheme "http".
type Request struct {
	Method    string
	Path      string
	Authority string
	Scheme    string
	// Headers are the regular request headers (names are lower-cased as
	// Envoy's codecs do). Pseudo-headers come from the fields above; a
	// pseudo-header given here replaces the field's.
	Headers [][2]string
	// Body is sent as one chunk; BodyChunks, if set, as several. With
	// neither, the headers end the stream (unless there are trailers).
	Body       []byte
	BodyChunks [][]byte
	Trailers   [][2]string
	// Properties are this request's attributes in Envoy's encodings, keyed
	// by dotted path: "xds.route_name", "source.address", ... (see Prop*).
	// They win over computed ones.
	Properties map[string][]byte
	// Protocol is request.protocol (default "HTTP/1.1").
	Protocol string
}

// headerMap builds the request header map: the pseudo-headers (from the
// fields, or from Headers when given there), then the regular headers.
func (r *Request) headerMap() *headerMap {
	m := &headerMap{pairs: make([][2]string, 0, 4+len(r.Headers)+2)}
	pseudo := [4][2]string{
		{":authority", or(r.Authority, "example.com")},
		{":path", or(r.Path, "/")},
		{":method", or(r.Method, "GET")},
		{":scheme", or(r.Scheme, "http")},
	}
	for _, p := range pseudo {
		for _, h := range r.Headers {
			if h[0] == p[0] {
				p[1] = h[1]
				break
			}
		}
		m.pairs = append(m.pairs, p)
	}
	for _, h := range r.Headers {
		if !strings.HasPrefix(h[0], ":") {
			m.add(h[0], h[1])
		}
	}
	return m
}

func (r *Request) chunks() [][]byte {
	if r.BodyChunks != nil {
		return r.BodyChunks
	}
	if r.Body != nil {
		return [][]byte{r.Body}
	}
	return nil
}

// Response is what upstream answers.
type Response struct {
	Status     int // default 200
	Headers    [][2]string
	Body       []byte
	BodyChunks [][]byte
	Trailers   [][2]string
}

func (r *Response) chunks() [][]byte {
	if r.BodyChunks != nil {
		return r.BodyChunks
	}
	if r.Body != nil {
		return [][]byte{r.Body}
	}
	return nil
}

// UpstreamRequest is the request as the filters let it through to the
// router: headers after every mutation (pseudo-headers included), the
// body (all chunks joined) and trailers.
type UpstreamRequest struct {
	Headers  [][2]string
	Body     []byte
	Trailers [][2]string
	// Chunks is how many body chunks reached upstream.
	Chunks int

	s *stream // the exchange's stream, for SetProperty
}

// SetProperty sets a request property (dotted path, Envoy's encoding, see
// Prop*) for the rest of the stream: proxy_get_property calls after the
// upstream answered (response callbacks, proxy_on_log) read the new value.
// It is the router's write to the stream info: when Envoy re-selects the
// route after a filter cleared the route cache, the router stores the new
// route, so a filter's on_log reads the new xds.route_name and
// xds.cluster_name. Like Request.Properties, the value wins over computed
// ones. A nil value deletes the property.
func (u *UpstreamRequest) SetProperty(path string, value []byte) {
	if u.s == nil {
		return
	}
	if value == nil {
		delete(u.s.props, propertyKey(path))
		return
	}
	if u.s.props == nil {
		u.s.props = map[string][]byte{}
	}
	u.s.props[propertyKey(path)] = value
}

// Header returns the first value of the header (case-insensitive), "" if
// absent.
func (u *UpstreamRequest) Header(name string) string { return headerValue(u.Headers, name) }

// HeaderValues returns every value of the header.
func (u *UpstreamRequest) HeaderValues(name string) []string { return headerValues(u.Headers, name) }

// Upstream answers a request that reached the router. Nil means an upstream
// that answers 200 with no body.
type Upstream func(req *UpstreamRequest) *Response

// ClientResponse is what the client received.
type ClientResponse struct {
	Status   int
	Headers  [][2]string // ":status" included
	Body     []byte
	Trailers [][2]string
}

// Header returns the first value of the header (case-insensitive), "" if
// absent.
func (c *ClientResponse) Header(name string) string { return headerValue(c.Headers, name) }

// HeaderValues returns every value of the header.
func (c *ClientResponse) HeaderValues(name string) []string { return headerValues(c.Headers, name) }

// LocalReply is a proxy_send_local_response as Envoy applied it.
type LocalReply struct {
	Plugin string // plugin_name of the filter that sent it
	Status int
	// Details is the response code details, with whitespace replaced by
	// '_' as Envoy does.
	Details    string
	Body       []byte
	Headers    [][2]string // the additional headers the filter passed
	GrpcStatus int32       // -1: none
}

// Result is the outcome of one exchange.
type Result struct {
	// Upstream is what reached the router; nil if the request never got
	// there (local reply, stall, reset).
	Upstream *UpstreamRequest
	// Response is what the client got. Status 0: nothing (stall or reset).
	Response ClientResponse
	// LocalReply is set when a filter answered with
	// proxy_send_local_response (or a VM failure answered 503).
	LocalReply *LocalReply
	// FilterState holds what filters wrote with proxy_set_property, under
	// Envoy's key "wasm.<path>" (nil if nothing was written).
	FilterState map[string][]byte
	// Stalled names the filter and direction where iteration stopped and
	// never resumed (Envoy would wait for a timeout), "" otherwise.
	Stalled string
	// RouteCacheCleared is set when a filter changed the request headers:
	// with ABI 0.2.1 Envoy then re-selects the route at the router
	// (wasmtest does not model routing; the upstream sees the new headers).
	RouteCacheCleared bool
	// Reset is set when a filter closed the stream (proxy_close_stream).
	Reset bool
	// Errors are VM failures (traps, panics) during the exchange.
	Errors []error
}

// Status is Response.Status.
func (r *Result) Status() int { return r.Response.Status }

// Header returns the first value of a client response header.
func (r *Result) Header(name string) string { return r.Response.Header(name) }

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
