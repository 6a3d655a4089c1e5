package wasmtest

import (
	"fmt"
	"strconv"
)

// Chain is an HTTP filter chain: plugins in filter order (as the HCM lists
// them), possibly from different modules and VMs, sharing each stream's
// properties and filter state.
type Chain struct {
	plugins []*Plugin
}

// NewChain returns the chain of plugins in filter order.
func NewChain(plugins ...*Plugin) *Chain { return &Chain{plugins: plugins} }

// Do sends req through the plugin alone; see Chain.Do.
func (p *Plugin) Do(req Request, upstream Upstream) *Result {
	x := newExchange(&p.self, &req, upstream)
	x.run()
	return x.result
}

// Do runs one HTTP exchange through the chain the way Envoy's filter
// manager does:
//   - decoder callbacks in filter order, encoder callbacks in reverse order;
//     a filter that returns Pause holds back what it got (headers, a
//     buffered body, trailers) until it returns Continue on a later callback
//     or calls proxy_continue_stream;
//   - a stream context is created (proxy_on_context_create) when the filter
//     first sees the request headers;
//   - proxy_send_local_response takes effect when the VM call returns: later
//     decoder filters never see the request, the reply passes through the
//     encoder callbacks of the filters that saw it, and a second call in
//     the same stream fails with BadArgument;
//   - proxy_http_call requests go to the host's HTTPCallHandler once the VM
//     call returns, and the answer is delivered with
//     proxy_on_http_call_response to the caller's root context;
//   - at the end every filter gets proxy_on_log (a filter that never saw the
//     request gets its context created first), in filter order, then
//     proxy_on_done and proxy_on_delete.
func (c *Chain) Do(req Request, upstream Upstream) *Result {
	x := newExchange(c, &req, upstream)
	x.run()
	return x.result
}

type exchange struct {
	chain    *Chain
	req      *Request
	upstream Upstream
	s        *stream
	filters  []*filterCtx
	result   *Result

	upstreamReq  *UpstreamRequest
	client       ClientResponse
	clientGotHdr bool
	decodeDone   bool // decoding stopped (local reply, reset, failure)
	encodeDone   bool
	encodeBegun  bool
	finished     bool

	// Backing storage, so that one exchange costs few allocations.
	stream    stream
	ctxs      []filterCtx
	ctxPtrs   [4]*filterCtx
	resultBuf Result
}

func newExchange(c *Chain, req *Request, upstream Upstream) *exchange {
	x := &exchange{chain: c, req: req, upstream: upstream}
	x.s, x.result = &x.stream, &x.resultBuf
	s := x.s
	s.protocol = or(req.Protocol, "HTTP/1.1")
	s.reqHeaders = req.headerMap()
	if len(c.plugins) > 0 {
		s.host = c.plugins[0].vm.host
		s.connectionID = s.host.newConnectionID()
		s.start = s.host.Now()
	}
	if len(req.Properties) > 0 {
		s.props = make(map[string][]byte, len(req.Properties))
		for k, v := range req.Properties {
			s.props[propertyKey(k)] = v
		}
	}
	if len(req.Trailers) > 0 {
		s.reqTrailers = newHeaderMap(req.Trailers)
	}
	x.ctxs = make([]filterCtx, len(c.plugins))
	x.filters = x.ctxPtrs[:0]
	for i, p := range c.plugins {
		x.ctxs[i] = filterCtx{vm: p.vm, plugin: p, s: s}
		x.filters = append(x.filters, &x.ctxs[i])
	}
	return x
}

func (x *exchange) run() {
	chunks := x.req.chunks()
	hasTrailers := x.s.reqTrailers != nil
	x.deliver(decoding, 0, event{kind: evHeaders, eos: len(chunks) == 0 && !hasTrailers})
	for i, ch := range chunks {
		if x.decodeDone {
			break
		}
		x.s.reqBodySize += len(ch)
		x.deliver(decoding, 0, event{kind: evData, data: ch, eos: i == len(chunks)-1 && !hasTrailers})
	}
	if hasTrailers && !x.decodeDone {
		x.deliver(decoding, 0, event{kind: evTrailers})
	}
	x.finish()
}

type eventKind int

const (
	evHeaders eventKind = iota
	evData
	evTrailers
)

type event struct {
	kind eventKind
	data []byte
	eos  bool
}

// filterAt returns the filter at position pos of direction d's order.
func (x *exchange) filterAt(d direction, pos int) *filterCtx {
	if d == decoding {
		return x.filters[pos]
	}
	return x.filters[len(x.filters)-1-pos]
}

func (x *exchange) aborted(d direction) bool {
	if d == decoding {
		return x.decodeDone
	}
	return x.encodeDone
}

// deliver hands ev to the filter at pos in direction d (or to the router /
// the client past the last one).
func (x *exchange) deliver(d direction, pos int, ev event) {
	if x.aborted(d) {
		return
	}
	if pos == len(x.filters) {
		x.sink(d, ev)
		return
	}
	f := x.filterAt(d, pos)
	if f.vm.Failed() != nil && f.created {
		// A failed VM's filters are skipped (the stream already failed).
		x.deliver(d, pos+1, ev)
		return
	}
	if d == encoding && !f.created {
		// Envoy: a filter whose context was never created (it never saw
		// the request) passes the response on without a VM call.
		x.deliver(d, pos+1, ev)
		return
	}
	it := &f.it[d]
	switch ev.kind {
	case evHeaders:
		action := x.callHeaders(f, d, ev.eos)
		if x.aborted(d) {
			return
		}
		if action == actionContinue && !it.stopped {
			x.leaveHeaders(f, d)
			if ev.eos {
				it.finished = true
			}
			x.deliver(d, pos+1, ev)
			return
		}
		it.stopped, it.heldHeaders, it.headersEOS = true, true, ev.eos
	case evData:
		buf := ev.data
		if it.holdsData {
			buf = append(it.held, ev.data...)
		}
		action, out := x.callBody(f, d, buf, ev.eos)
		if x.aborted(d) {
			return
		}
		if action == actionContinue {
			it.held, it.holdsData = nil, false
			if it.stopped {
				it.stopped = false
				x.flushHeaders(f, d, pos)
			}
			if ev.eos {
				it.finished = true
			}
			x.deliver(d, pos+1, event{kind: evData, data: out, eos: ev.eos})
			return
		}
		it.stopped, it.held, it.holdsData, it.heldEOS = true, out, true, ev.eos
	case evTrailers:
		action := x.callTrailers(f, d)
		if x.aborted(d) {
			return
		}
		if action == actionContinue {
			if it.stopped {
				it.stopped = false
				x.flushHeaders(f, d, pos)
				x.flushData(f, d, pos, false)
			}
			it.finished = true
			x.leaveTrailers(f, d)
			x.deliver(d, pos+1, ev)
			return
		}
		it.stopped, it.heldTrailers = true, true
	}
	x.settle()
}

// resume is proxy_continue_stream on filter f: it passes on what f holds.
func (x *exchange) resume(f *filterCtx, d direction) {
	it := &f.it[d]
	if !it.stopped || x.aborted(d) {
		return
	}
	pos := x.position(f, d)
	it.stopped = false
	x.flushHeaders(f, d, pos)
	x.flushData(f, d, pos, !it.heldTrailers)
	if it.heldTrailers && !x.aborted(d) {
		it.heldTrailers = false
		it.finished = true
		x.leaveTrailers(f, d)
		x.deliver(d, pos+1, event{kind: evTrailers})
	}
}

func (x *exchange) flushHeaders(f *filterCtx, d direction, pos int) {
	it := &f.it[d]
	if !it.heldHeaders {
		return
	}
	it.heldHeaders = false
	x.leaveHeaders(f, d)
	if it.headersEOS {
		it.finished = true
	}
	x.deliver(d, pos+1, event{kind: evHeaders, eos: it.headersEOS})
}

func (x *exchange) flushData(f *filterCtx, d direction, pos int, mayEnd bool) {
	it := &f.it[d]
	if !it.holdsData {
		return
	}
	data, eos := it.held, it.heldEOS && mayEnd
	it.held, it.holdsData = nil, false
	if eos {
		it.finished = true
	}
	x.deliver(d, pos+1, event{kind: evData, data: data, eos: eos})
}

// leaveHeaders: once a filter passes the headers on, Envoy no longer lets
// it touch them.
func (x *exchange) leaveHeaders(f *filterCtx, d direction) {
	if d == decoding {
		f.reqHeadersOK = false
	} else {
		f.respHeadersOK = false
	}
}

func (x *exchange) leaveTrailers(f *filterCtx, d direction) {
	if d == decoding {
		f.reqTrailersOK = false
	} else {
		f.respTrailersOK = false
	}
}

func (x *exchange) position(f *filterCtx, d direction) int {
	for pos := range x.filters {
		if x.filterAt(d, pos) == f {
			return pos
		}
	}
	return -1
}

// sink is the router (decoding) or the client (encoding).
func (x *exchange) sink(d direction, ev event) {
	if d == decoding {
		x.routerReceive(ev)
		return
	}
	x.clientReceive(ev)
}

func (x *exchange) routerReceive(ev event) {
	if x.upstreamReq == nil {
		x.upstreamReq = &UpstreamRequest{s: x.s}
	}
	u := x.upstreamReq
	switch ev.kind {
	case evHeaders:
		u.Headers = x.s.reqHeaders.clone()
	case evData:
		u.Body = append(u.Body, ev.data...)
		u.Chunks++
	case evTrailers:
		u.Trailers = x.s.reqTrailers.clone()
	}
	if ev.eos || ev.kind == evTrailers {
		x.decodeDone = true
		x.respond()
	}
}

// respond asks the upstream and sends its response through the encoders.
func (x *exchange) respond() {
	resp := &Response{Status: 200}
	if x.upstream != nil {
		if r := x.upstream(x.upstreamReq); r != nil {
			resp = r
		}
	}
	status := resp.Status
	if status == 0 {
		status = 200
	}
	pairs := append([][2]string{{":status", strconv.Itoa(status)}}, resp.Headers...)
	x.startResponse(pairs, resp.chunks(), resp.Trailers)
}

// startResponse runs a response (upstream's or a local reply) through the
// encoder callbacks.
func (x *exchange) startResponse(headers [][2]string, chunks [][]byte, trailers [][2]string) {
	x.encodeBegun = true
	x.s.respHeaders = newHeaderMap(headers)
	x.s.responseCode, _ = strconv.Atoi(headerValue(headers, ":status"))
	if len(trailers) > 0 {
		x.s.respTrailers = newHeaderMap(trailers)
	}
	hasTrailers := len(trailers) > 0
	x.deliver(encoding, 0, event{kind: evHeaders, eos: len(chunks) == 0 && !hasTrailers})
	for i, ch := range chunks {
		if x.encodeDone {
			return
		}
		x.s.respBodySize += len(ch)
		x.deliver(encoding, 0, event{kind: evData, data: ch, eos: i == len(chunks)-1 && !hasTrailers})
	}
	if hasTrailers && !x.encodeDone {
		x.deliver(encoding, 0, event{kind: evTrailers})
	}
}

func (x *exchange) clientReceive(ev event) {
	switch ev.kind {
	case evHeaders:
		x.clientGotHdr = true
		x.client.Headers = x.s.respHeaders.clone()
		x.client.Status, _ = strconv.Atoi(headerValue(x.client.Headers, ":status"))
	case evData:
		x.client.Body = append(x.client.Body, ev.data...)
	case evTrailers:
		x.client.Trailers = x.s.respTrailers.clone()
	}
	if ev.eos || ev.kind == evTrailers {
		x.encodeDone = true
	}
}

// settle applies what host calls deferred until their VM call returned:
// local replies, continues, resets. Async work (HTTP call answers, queue
// notifications) already ran inside the VM lock and may have queued more.
func (x *exchange) settle() {
	for changed := true; changed; {
		changed = x.applyReplies()
		for _, f := range x.filters {
			for d := decoding; d <= encoding; d++ {
				if f.continueDir[d] {
					// Continuing a filter that is not stopped does nothing
					// (Envoy's continueDecoding/continueEncoding).
					f.continueDir[d] = false
					if f.it[d].stopped {
						x.resume(f, d)
						changed = true
					}
				}
			}
		}
	}
}

// applyReplies applies pending local replies and resets; it reports whether
// there were any.
func (x *exchange) applyReplies() bool {
	changed := false
	for _, f := range x.filters {
		if f.localReply != nil {
			lr := f.localReply
			f.localReply = nil
			x.applyLocalReply(f, lr)
			changed = true
		}
		if f.closed && !x.result.Reset {
			x.result.Reset = true
			x.decodeDone, x.encodeDone = true, true
			changed = true
		}
	}
	return changed
}

// applyLocalReply is Envoy's sendLocalReply: during decoding (or before
// the response started) the reply goes through the encoder callbacks of the
// filters that saw the request; once the response started, it replaces
// the response directly, or resets the stream if the client already got
// headers.
func (x *exchange) applyLocalReply(f *filterCtx, lr *LocalReply) {
	if x.result.LocalReply == nil {
		x.result.LocalReply = lr
	}
	x.s.responseCodeDetails = lr.Details
	headers := [][2]string{{":status", strconv.Itoa(lr.Status)}}
	if len(lr.Body) > 0 {
		headers = append(headers,
			[2]string{"content-length", strconv.Itoa(len(lr.Body))},
			[2]string{"content-type", "text/plain"})
	}
	headers = append(headers, lr.Headers...)
	var chunks [][]byte
	if len(lr.Body) > 0 {
		chunks = [][]byte{lr.Body}
	}
	x.decodeDone = true
	switch {
	case !x.encodeBegun:
		x.startResponse(headers, chunks, nil)
	case !x.clientGotHdr:
		// Direct local reply: bypasses the encoder filters.
		x.encodeDone = true
		x.s.respHeaders = newHeaderMap(headers)
		x.s.respTrailers = nil
		x.s.responseCode = lr.Status
		x.client = ClientResponse{Headers: x.s.respHeaders.clone(), Status: lr.Status}
		for _, c := range chunks {
			x.client.Body = append(x.client.Body, c...)
		}
		x.clientGotHdr = true
	default:
		x.result.Reset = true
		x.encodeDone = true
	}
}

// failStream is Envoy's answer when a VM fails during a stream: 503 with an
// empty body and details wasm_fail_stream.
func (x *exchange) failStream(f *filterCtx, err error) {
	x.result.Errors = append(x.result.Errors, fmt.Errorf("plugin %q: %w", f.plugin.cfg.Name, err))
	if x.clientGotHdr || x.result.Reset {
		x.result.Reset = true
		x.encodeDone = true
		return
	}
	f.localReply = &LocalReply{Plugin: f.plugin.cfg.Name, Status: 503, Details: "wasm_fail_stream", GrpcStatus: -1}
}

// finish runs the end of the stream: on_log for every filter in order, then
// on_done and on_delete.
func (x *exchange) finish() {
	x.settle()
	if !x.encodeDone && !x.result.Reset {
		x.result.Stalled = x.stallPoint()
	}
	x.s.end = x.s.host.Now()
	for _, f := range x.filters {
		x.callLog(f)
	}
	for _, f := range x.filters {
		x.callDoneDelete(f)
	}
	x.result.Upstream = x.upstreamReq
	x.result.Response = x.client
	x.result.RouteCacheCleared = x.s.routeCacheCleared
	x.result.FilterState = x.s.filterState
}

func (x *exchange) stallPoint() string {
	for d := decoding; d <= encoding; d++ {
		for pos := range x.filters {
			f := x.filterAt(d, pos)
			if f.it[d].stopped {
				return fmt.Sprintf("%s paused the %s", f.plugin.cfg.Name, d)
			}
		}
	}
	return "stream did not complete"
}
