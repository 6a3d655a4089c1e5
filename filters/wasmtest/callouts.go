package wasmtest

import (
	"strconv"
	"time"
)

// callResponse is the HTTP call answer visible during
// proxy_on_http_call_response.
type callResponse struct {
	headers, trailers *headerMap
	body              []byte
}

type pendingHTTP struct {
	token  uint32
	plugin *Plugin
	call   *HTTPCall
}

// hostHTTPCall follows Envoy: the cluster must exist (here: a handler is
// set), the headers must carry :method, :path and :authority; the call is
// sent after the VM call returns and answered to the root context.
func hostHTTPCall(vm *VM, s []uint64) Status {
	cluster, ok1 := vm.readString(u32(s[0]), u32(s[1]))
	rawHeaders, ok2 := vm.read(u32(s[2]), u32(s[3]))
	body, ok3 := vm.read(u32(s[4]), u32(s[5]))
	rawTrailers, ok4 := vm.read(u32(s[6]), u32(s[7]))
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return StatusInvalidMemoryAccess
	}
	headers, ok := DecodePairs(rawHeaders)
	if !ok {
		return StatusBadArgument
	}
	trailers, ok := DecodePairs(rawTrailers)
	if !ok {
		return StatusBadArgument
	}
	p, _ := vm.effectiveContext()
	if p == nil || vm.host.httpCallHandler() == nil {
		return StatusBadArgument
	}
	for _, required := range []string{":method", ":path", ":authority"} {
		if headerValue(headers, required) == "" {
			return StatusBadArgument
		}
	}
	if int32(u32(s[8])) < 0 {
		return StatusBadArgument
	}
	if len(body) > 0 {
		// Envoy sets content-length on a call with a body.
		headers = append(headers, [2]string{"content-length", strconv.Itoa(len(body))})
	}
	token := vm.nextHTTPToken
	vm.nextHTTPToken++
	call := &HTTPCall{
		Cluster:  cluster,
		Headers:  headers,
		Body:     append([]byte(nil), body...),
		Trailers: trailers,
		Timeout:  time.Duration(u32(s[8])) * time.Millisecond,
		Plugin:   p.cfg.Name,
	}
	if !vm.writeU32(u32(s[9]), token) {
		return StatusInvalidMemoryAccess
	}
	pend := &pendingHTTP{token: token, plugin: p, call: call}
	vm.httpCalls[token] = pend
	vm.pending = append(vm.pending, func() { vm.answerHTTPCall(pend) })
	return StatusOK
}

// answerHTTPCall asks the handler and delivers proxy_on_http_call_response
// to the calling root context. Called with vm.mu held, after the VM call
// that made the request returned.
func (vm *VM) answerHTTPCall(p *pendingHTTP) {
	delete(vm.httpCalls, p.token)
	var resp *HTTPCallResponse
	if h := vm.host.httpCallHandler(); h != nil {
		resp = h(p.call)
	}
	cr := &callResponse{headers: newHeaderMap(nil), trailers: newHeaderMap(nil)}
	if resp != nil {
		cr.headers = newHeaderMap(resp.Headers)
		cr.trailers = newHeaderMap(resp.Trailers)
		cr.body = resp.Body
	}
	prev := vm.callResponse
	vm.callResponse = cr
	vm.call(vm.fn.httpCallResponse, p.plugin.id, p.plugin.id, p.token,
		uint32(len(cr.headers.pairs)), uint32(len(cr.body)), uint32(len(cr.trailers.pairs)))
	vm.callResponse = prev
}

// ForeignFunction is a host function a plugin reaches with
// proxy_call_foreign_function.
type ForeignFunction func(arg []byte) ([]byte, Status)

// RegisterForeignFunction makes fn callable by name from every VM of h.
func (h *Host) RegisterForeignFunction(name string, fn ForeignFunction) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.foreign == nil {
		h.foreign = map[string]ForeignFunction{}
	}
	h.foreign[name] = fn
}

func hostCallForeignFunction(vm *VM, s []uint64) Status {
	name, ok1 := vm.readString(u32(s[0]), u32(s[1]))
	arg, ok2 := vm.read(u32(s[2]), u32(s[3]))
	if !ok1 || !ok2 {
		return StatusInvalidMemoryAccess
	}
	vm.host.mu.Lock()
	fn := vm.host.foreign[name]
	vm.host.mu.Unlock()
	if fn == nil {
		return StatusNotFound
	}
	out, st := fn(append([]byte(nil), arg...))
	if st != StatusOK {
		return st
	}
	return vm.copyOut(out, u32(s[4]), u32(s[5]))
}
