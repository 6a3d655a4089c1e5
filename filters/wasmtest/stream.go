package wasmtest

import (
	"strings"
	"time"
)

// stream is one HTTP request/response as every filter of a chain sees it:
// one header map per direction (Envoy passes the same map along the chain),
// the properties, and the filter state.
type stream struct {
	host         *Host
	props        map[string][]byte // per-request attributes, by \0-joined path
	filterState  map[string][]byte // "wasm.<path>" -> bytes
	connectionID uint64
	protocol     string
	start, end   time.Time

	reqHeaders, reqTrailers   *headerMap
	respHeaders, respTrailers *headerMap
	reqBodySize, respBodySize int

	routeCacheCleared   bool
	responseCode        int
	responseCodeDetails string
}

// direction of iteration.
type direction int

const (
	decoding direction = iota // request: filters in order
	encoding                  // response: filters in reverse order
)

func (d direction) String() string {
	if d == decoding {
		return "request"
	}
	return "response"
}

// iteration is one filter's state in one direction, as Envoy's filter
// manager keeps it: whether iteration stopped at this filter and what it
// holds back (headers, buffered body, trailers).
type iteration struct {
	stopped      bool
	heldHeaders  bool
	headersEOS   bool // the held headers ended the stream
	held         []byte
	holdsData    bool
	heldEOS      bool // the held data ended the stream
	heldTrailers bool
	finished     bool // end of stream passed this filter
}

// filterCtx is one filter's stream context (an HTTP context in its VM).
type filterCtx struct {
	vm      *VM
	plugin  *Plugin
	id      uint32
	s       *stream
	created bool
	deleted bool

	// Which header maps the filter may touch now. Envoy hands a filter the
	// request headers only while it processes (or holds) them, and so on.
	reqHeadersOK, reqTrailersOK, respHeadersOK, respTrailersOK bool
	logPhase                                                   bool

	// body is the body buffer of the running body callback (nil outside).
	body    *[]byte
	bodyDir direction

	localReplySent bool
	localReply     *LocalReply // deferred until the VM call returns
	continueDir    [2]bool     // deferred proxy_continue_stream
	closed         bool        // proxy_close_stream

	it [2]iteration
}

// headerMapFor returns the map of type t if the filter may access it now;
// mutable reports whether it may change it.
func (f *filterCtx) headerMapFor(t uint32) (m *headerMap, ok bool, mutable bool) {
	s := f.s
	switch t {
	case 0:
		return s.reqHeaders, f.reqHeadersOK || f.logPhase, !f.logPhase
	case 1:
		return s.reqTrailers, (f.reqTrailersOK || f.logPhase) && s.reqTrailers != nil, !f.logPhase
	case 2:
		return s.respHeaders, (f.respHeadersOK || f.logPhase) && s.respHeaders != nil, !f.logPhase
	case 3:
		return s.respTrailers, (f.respTrailersOK || f.logPhase) && s.respTrailers != nil, !f.logPhase
	}
	return nil, false, false
}

// replaceWhitespace is Envoy's StringUtil::replaceAllEmptySpace, applied to
// local reply details.
func replaceWhitespace(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\f', '\v', '\n', '\r':
			return '_'
		}
		return r
	}, s)
}
