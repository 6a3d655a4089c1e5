package wasmtest

// Proxy-wasm action values returned by the header, body and trailer
// callbacks. Envoy casts them to its filter statuses: 0 is Continue, 1 is
// StopIteration (headers, trailers) or StopIterationAndBuffer (body); any
// other value also stops iteration here.
const (
	actionContinue uint32 = 0
	actionPause    uint32 = 1
)

// enter locks f's VM for a callback; leave runs the deferred work and
// unlocks it, then applies the stream effects of the call.
func (x *exchange) enter(f *filterCtx) { f.vm.mu.Lock() }

func (x *exchange) leave(f *filterCtx, err error) {
	f.vm.runPending()
	f.vm.mu.Unlock()
	if err != nil {
		x.failStream(f, err)
	}
	// Local replies and resets apply now, before the filter manager looks at
	// the callback's result (Envoy runs them as the VM call returns);
	// continues wait until deliver has recorded that the filter stopped.
	x.applyReplies()
}

// create runs proxy_on_context_create for f's stream context. Called with
// the VM locked.
func (x *exchange) create(f *filterCtx) error {
	if f.created {
		return nil
	}
	f.created = true
	f.id = f.vm.newContextID()
	f.vm.streams[f.id] = f
	_, err := f.vm.call(f.vm.fn.contextCreate, f.id, f.id, f.plugin.id)
	return err
}

func (x *exchange) callHeaders(f *filterCtx, d direction, eos bool) uint32 {
	x.enter(f)
	var action uint32
	err := x.create(f)
	if err == nil {
		fn := f.vm.fn.requestHeaders
		n := x.s.reqHeaders
		if d == decoding {
			f.reqHeadersOK = true
		} else {
			fn, n = f.vm.fn.responseHeaders, x.s.respHeaders
			f.respHeadersOK = true
		}
		action, err = f.vm.call(fn, f.id, f.id, uint32(len(n.pairs)), b32(eos))
	}
	x.leave(f, err)
	if err != nil {
		return actionContinue
	}
	return action
}

// callBody runs the body callback with buf as the filter's body buffer and
// returns the action and the buffer as the filter left it.
func (x *exchange) callBody(f *filterCtx, d direction, buf []byte, eos bool) (uint32, []byte) {
	x.enter(f)
	f.body, f.bodyDir = &buf, d
	fn := f.vm.fn.requestBody
	if d == encoding {
		fn = f.vm.fn.responseBody
	}
	action, err := f.vm.call(fn, f.id, f.id, uint32(len(buf)), b32(eos))
	f.body = nil
	x.leave(f, err)
	if err != nil {
		return actionContinue, buf
	}
	return action, buf
}

func (x *exchange) callTrailers(f *filterCtx, d direction) uint32 {
	x.enter(f)
	fn, n := f.vm.fn.requestTrailers, x.s.reqTrailers
	if d == decoding {
		f.reqTrailersOK = true
	} else {
		fn, n = f.vm.fn.responseTrailers, x.s.respTrailers
		f.respTrailersOK = true
	}
	action, err := f.vm.call(fn, f.id, f.id, uint32(len(n.pairs)))
	x.leave(f, err)
	if err != nil {
		return actionContinue
	}
	return action
}

// callLog is the access-log phase: Envoy creates the context of a filter
// that never saw the request so that it can still log.
func (x *exchange) callLog(f *filterCtx) {
	x.enter(f)
	defer f.vm.mu.Unlock()
	if f.vm.phase == phaseFailed {
		return
	}
	if err := x.create(f); err != nil {
		f.vm.runPending()
		return
	}
	f.logPhase = true
	f.reqHeadersOK, f.respHeadersOK, f.reqTrailersOK, f.respTrailersOK = false, false, false, false
	f.vm.call(f.vm.fn.log, f.id, f.id)
	f.logPhase = false
	f.vm.runPending()
}

func (x *exchange) callDoneDelete(f *filterCtx) {
	x.enter(f)
	defer f.vm.mu.Unlock()
	if !f.created || f.deleted {
		return
	}
	f.deleted = true
	if f.vm.phase != phaseFailed {
		f.vm.call(f.vm.fn.done, f.id, f.id)
		f.vm.call(f.vm.fn.delete, f.id, f.id)
		f.vm.runPending()
	}
	delete(f.vm.streams, f.id)
}

func b32(v bool) uint32 {
	if v {
		return 1
	}
	return 0
}
