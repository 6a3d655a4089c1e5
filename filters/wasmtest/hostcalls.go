package wasmtest

import (
	"context"
	"fmt"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// hostFunc is one env.proxy_* function: its wasm signature and its Go body.
// Bodies read arguments from stack and leave the WasmResult in stack[0].
type hostFunc struct {
	params  []api.ValueType
	results []api.ValueType
	fn      func(vm *VM, stack []uint64) Status
}

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

func sig(n int) []api.ValueType {
	out := make([]api.ValueType, n)
	for i := range out {
		out[i] = i32
	}
	return out
}

// hostFunctionSignatures is every host function Envoy 1.33 exports to
// modules (cpp-host FOR_ALL_HOST_FUNCTIONS and FOR_ALL_HOST_FUNCTIONS_ABI_SPECIFIC),
// so a module that loads in Envoy loads here.
var hostFunctionSignatures map[string]hostFunc

func init() {
	one := []api.ValueType{i32}
	h := func(n int, fn func(*VM, []uint64) Status) hostFunc {
		return hostFunc{params: sig(n), results: one, fn: fn}
	}
	hostFunctionSignatures = map[string]hostFunc{
		"proxy_log":                          h(3, hostLog),
		"proxy_get_log_level":                h(1, hostGetLogLevel),
		"proxy_get_status":                   h(3, hostGetStatus),
		"proxy_set_property":                 h(4, hostSetProperty),
		"proxy_get_property":                 h(4, hostGetProperty),
		"proxy_send_local_response":          h(8, hostSendLocalResponse),
		"proxy_get_shared_data":              h(5, hostGetSharedData),
		"proxy_set_shared_data":              h(5, hostSetSharedData),
		"proxy_register_shared_queue":        h(3, hostRegisterSharedQueue),
		"proxy_resolve_shared_queue":         h(5, hostResolveSharedQueue),
		"proxy_dequeue_shared_queue":         h(3, hostDequeueSharedQueue),
		"proxy_enqueue_shared_queue":         h(3, hostEnqueueSharedQueue),
		"proxy_get_header_map_value":         h(5, hostGetHeaderMapValue),
		"proxy_add_header_map_value":         h(5, hostAddHeaderMapValue),
		"proxy_replace_header_map_value":     h(5, hostReplaceHeaderMapValue),
		"proxy_remove_header_map_value":      h(3, hostRemoveHeaderMapValue),
		"proxy_get_header_map_pairs":         h(3, hostGetHeaderMapPairs),
		"proxy_set_header_map_pairs":         h(3, hostSetHeaderMapPairs),
		"proxy_get_header_map_size":          h(2, hostGetHeaderMapSize),
		"proxy_get_buffer_status":            h(3, hostGetBufferStatus),
		"proxy_get_buffer_bytes":             h(5, hostGetBufferBytes),
		"proxy_set_buffer_bytes":             h(5, hostSetBufferBytes),
		"proxy_http_call":                    h(10, hostHTTPCall),
		"proxy_grpc_call":                    h(12, hostUnimplemented),
		"proxy_grpc_stream":                  h(9, hostUnimplemented),
		"proxy_grpc_close":                   h(1, hostUnimplemented),
		"proxy_grpc_cancel":                  h(1, hostUnimplemented),
		"proxy_grpc_send":                    h(4, hostUnimplemented),
		"proxy_set_tick_period_milliseconds": h(1, hostSetTickPeriod),
		"proxy_get_current_time_nanoseconds": h(1, hostGetCurrentTime),
		"proxy_define_metric":                h(4, hostDefineMetric),
		"proxy_increment_metric":             {params: []api.ValueType{i32, i64}, results: one, fn: hostIncrementMetric},
		"proxy_record_metric":                {params: []api.ValueType{i32, i64}, results: one, fn: hostRecordMetric},
		"proxy_get_metric":                   h(2, hostGetMetric),
		"proxy_set_effective_context":        h(1, hostSetEffectiveContext),
		"proxy_done":                         h(0, hostDone),
		"proxy_call_foreign_function":        h(6, hostCallForeignFunction),
		"proxy_get_configuration":            h(2, hostGetConfiguration),
		"proxy_continue_request":             h(0, func(vm *VM, _ []uint64) Status { return continueStream(vm, 0) }),
		"proxy_continue_response":            h(0, func(vm *VM, _ []uint64) Status { return continueStream(vm, 1) }),
		"proxy_continue_stream":              h(1, func(vm *VM, s []uint64) Status { return continueStream(vm, uint32(s[0])) }),
		"proxy_close_stream":                 h(1, hostCloseStream),
		"proxy_clear_route_cache":            h(0, hostClearRouteCache),
	}
}

// buildEnvModule defines the env module. Each function finds its VM in the
// call's context and enforces Envoy's start-time restriction: during
// _initialize only proxy_log may be called.
func buildEnvModule(rt wazero.Runtime) wazero.HostModuleBuilder {
	b := rt.NewHostModuleBuilder("env")
	for _, name := range sortedKeys(hostFunctionSignatures) {
		hf := hostFunctionSignatures[name]
		name := name
		fn := hf.fn
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
			vm := vmFrom(ctx)
			if vm.phase == phaseInitializing && name != "proxy_log" {
				msg := "Attempted call to restricted proxy-wasm capability: " + name
				vm.addLog(LogEntry{Level: LogError, Message: msg})
				vm.fail(fmt.Errorf("%s during _initialize (Envoy allows only proxy_log there)", name))
				stack[0] = uint64(StatusInternalFailure)
				return
			}
			stack[0] = uint64(fn(vm, stack))
		}), hf.params, hf.results).Export(name)
	}
	return b
}

func u32(v uint64) uint32 { return uint32(v) }

func hostUnimplemented(*VM, []uint64) Status { return StatusUnimplemented }

func hostLog(vm *VM, s []uint64) Status {
	level := LogLevel(u32(s[0]))
	msg, ok := vm.readString(u32(s[1]), u32(s[2]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	if level > LogCritical {
		return StatusBadArgument
	}
	e := LogEntry{Level: level, Message: msg}
	if p, _ := vm.effectiveContext(); p != nil {
		e.Plugin = p.cfg.Name
	}
	vm.addLog(e)
	return StatusOK
}

// hostGetLogLevel reports trace so that SDKs which filter by level log
// everything into the captured logs.
func hostGetLogLevel(vm *VM, s []uint64) Status {
	if !vm.writeU32(u32(s[0]), uint32(LogTrace)) {
		return StatusInvalidMemoryAccess
	}
	return StatusOK
}

// hostGetStatus serves the gRPC status of a gRPC callout; wasmtest has no
// gRPC callouts, so it is always "ok, no message".
func hostGetStatus(vm *VM, s []uint64) Status {
	if !vm.writeU32(u32(s[0]), 0) || !vm.writeU32(u32(s[1]), 0) || !vm.writeU32(u32(s[2]), 0) {
		return StatusInvalidMemoryAccess
	}
	return StatusOK
}

func hostGetProperty(vm *VM, s []uint64) Status {
	path, ok := vm.read(u32(s[0]), u32(s[1]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	v, found := vm.lookupProperty(string(path))
	if !found {
		return StatusNotFound
	}
	return vm.copyOut(v, u32(s[2]), u32(s[3]))
}

// hostSetProperty stores filter state "wasm.<path>" on the stream, as
// Envoy's CelState (bytes, mutable, FilterChain life span).
func hostSetProperty(vm *VM, s []uint64) Status {
	path, ok1 := vm.readString(u32(s[0]), u32(s[1]))
	value, ok2 := vm.read(u32(s[2]), u32(s[3]))
	if !ok1 || !ok2 {
		return StatusInvalidMemoryAccess
	}
	_, f := vm.effectiveContext()
	if f == nil {
		return StatusNotFound
	}
	if f.s.filterState == nil {
		f.s.filterState = map[string][]byte{}
	}
	f.s.filterState["wasm."+path] = append([]byte(nil), value...)
	return StatusOK
}

func hostSendLocalResponse(vm *VM, s []uint64) Status {
	details, ok1 := vm.readString(u32(s[1]), u32(s[2]))
	body, ok2 := vm.read(u32(s[3]), u32(s[4]))
	rawHeaders, ok3 := vm.read(u32(s[5]), u32(s[6]))
	if !ok1 || !ok2 || !ok3 {
		return StatusInvalidMemoryAccess
	}
	headers, ok := DecodePairs(rawHeaders)
	if !ok {
		return StatusBadArgument
	}
	_, f := vm.effectiveContext()
	if f == nil {
		return StatusNotFound
	}
	if f.localReplySent {
		return StatusBadArgument
	}
	f.localReplySent = true
	f.localReply = &LocalReply{
		Plugin:     f.plugin.cfg.Name,
		Status:     int(u32(s[0])),
		Details:    replaceWhitespace(details),
		Body:       append([]byte(nil), body...),
		Headers:    headers,
		GrpcStatus: int32(u32(s[7])),
	}
	return StatusOK
}

func hostGetSharedData(vm *VM, s []uint64) Status {
	key, ok := vm.readString(u32(s[0]), u32(s[1]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	value, cas, st := vm.host.getSharedData(vm.cfg.ID, key)
	if st != StatusOK {
		return st
	}
	if st := vm.copyOut(value, u32(s[2]), u32(s[3])); st != StatusOK {
		return st
	}
	if !vm.writeU32(u32(s[4]), cas) {
		return StatusInvalidMemoryAccess
	}
	return StatusOK
}

func hostSetSharedData(vm *VM, s []uint64) Status {
	key, ok1 := vm.readString(u32(s[0]), u32(s[1]))
	value, ok2 := vm.read(u32(s[2]), u32(s[3]))
	if !ok1 || !ok2 {
		return StatusInvalidMemoryAccess
	}
	return vm.host.setSharedData(vm.cfg.ID, key, value, u32(s[4]))
}

func hostRegisterSharedQueue(vm *VM, s []uint64) Status {
	name, ok := vm.readString(u32(s[0]), u32(s[1]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	p, _ := vm.effectiveContext()
	if p == nil {
		return StatusBadArgument
	}
	if !vm.writeU32(u32(s[2]), vm.host.registerQueue(p, name)) {
		return StatusInvalidMemoryAccess
	}
	return StatusOK
}

func hostResolveSharedQueue(vm *VM, s []uint64) Status {
	vmID, ok1 := vm.readString(u32(s[0]), u32(s[1]))
	name, ok2 := vm.readString(u32(s[2]), u32(s[3]))
	if !ok1 || !ok2 {
		return StatusInvalidMemoryAccess
	}
	id, st := vm.host.resolveQueue(vmID, name)
	if st != StatusOK {
		return st
	}
	if !vm.writeU32(u32(s[4]), id) {
		return StatusInvalidMemoryAccess
	}
	return StatusOK
}

func hostDequeueSharedQueue(vm *VM, s []uint64) Status {
	value, st := vm.host.dequeue(u32(s[0]))
	if st != StatusOK {
		return st
	}
	return vm.copyOut(value, u32(s[1]), u32(s[2]))
}

func hostEnqueueSharedQueue(vm *VM, s []uint64) Status {
	value, ok := vm.read(u32(s[1]), u32(s[2]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	owner, st := vm.host.enqueue(u32(s[0]), value)
	if st == StatusOK && owner != nil {
		// Envoy posts the notification to the owner's thread: it runs after
		// this VM call returns.
		id := u32(s[0])
		if owner.vm == vm {
			vm.pending = append(vm.pending, func() { vm.deliverQueueReady(owner, id) })
		} else {
			vm.pending = append(vm.pending, func() { owner.vm.notifyQueue(owner, id) })
		}
	}
	return st
}

// notifyQueue delivers proxy_on_queue_ready to owner from outside its VM.
func (vm *VM) notifyQueue(owner *Plugin, id uint32) {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	vm.deliverQueueReady(owner, id)
	vm.runPending()
}

func (vm *VM) deliverQueueReady(owner *Plugin, id uint32) {
	vm.call(vm.fn.queueReady, owner.id, owner.id, id)
}

// headerMapArg resolves the map-type argument for the effective context.
// Envoy answers BadArgument for a map that is not available now (its
// getMap/getConstMap return null), and a change to the request headers
// clears the route cache.
func headerMapArg(vm *VM, t uint32, write bool) (*headerMap, Status) {
	if t == 6 || t == 7 {
		if vm.callResponse == nil || write {
			return nil, StatusBadArgument
		}
		if t == 6 {
			return vm.callResponse.headers, StatusOK
		}
		return vm.callResponse.trailers, StatusOK
	}
	_, f := vm.effectiveContext()
	if f == nil {
		return nil, StatusBadArgument
	}
	m, ok, mutable := f.headerMapFor(t)
	if !ok || m == nil || (write && !mutable) {
		return nil, StatusBadArgument
	}
	if write && t == 0 {
		f.s.routeCacheCleared = true
	}
	return m, StatusOK
}

func hostGetHeaderMapValue(vm *VM, s []uint64) Status {
	m, st := headerMapArg(vm, u32(s[0]), false)
	if st != StatusOK {
		return st
	}
	key, ok := vm.read(u32(s[1]), u32(s[2]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	v, found := m.getBytes(key)
	if !found {
		return StatusNotFound
	}
	return vm.copyOutString(v, u32(s[3]), u32(s[4]))
}

func headerKV(vm *VM, s []uint64) (string, string, bool) {
	k, ok1 := vm.readString(u32(s[1]), u32(s[2]))
	v, ok2 := vm.readString(u32(s[3]), u32(s[4]))
	return k, v, ok1 && ok2
}

func hostAddHeaderMapValue(vm *VM, s []uint64) Status {
	m, st := headerMapArg(vm, u32(s[0]), true)
	if st != StatusOK {
		return st
	}
	k, v, ok := headerKV(vm, s)
	if !ok {
		return StatusInvalidMemoryAccess
	}
	m.add(k, v)
	return StatusOK
}

func hostReplaceHeaderMapValue(vm *VM, s []uint64) Status {
	m, st := headerMapArg(vm, u32(s[0]), true)
	if st != StatusOK {
		return st
	}
	k, v, ok := headerKV(vm, s)
	if !ok {
		return StatusInvalidMemoryAccess
	}
	m.replace(k, v)
	return StatusOK
}

func hostRemoveHeaderMapValue(vm *VM, s []uint64) Status {
	m, st := headerMapArg(vm, u32(s[0]), true)
	if st != StatusOK {
		return st
	}
	k, ok := vm.readString(u32(s[1]), u32(s[2]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	m.remove(k)
	return StatusOK
}

// hostGetHeaderMapPairs follows Envoy: a map that is not available reads as
// empty (Ok), unlike the other header calls.
func hostGetHeaderMapPairs(vm *VM, s []uint64) Status {
	m, st := headerMapArg(vm, u32(s[0]), false)
	var pairs [][2]string
	if st == StatusOK && m != nil {
		pairs = m.pairs
	}
	return vm.copyOutPairs(pairs, u32(s[1]), u32(s[2]))
}

func hostSetHeaderMapPairs(vm *VM, s []uint64) Status {
	m, st := headerMapArg(vm, u32(s[0]), true)
	if st != StatusOK {
		return st
	}
	raw, ok := vm.read(u32(s[1]), u32(s[2]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	pairs, ok := DecodePairs(raw)
	if !ok {
		return StatusBadArgument
	}
	m.setAll(pairs)
	return StatusOK
}

func hostGetHeaderMapSize(vm *VM, s []uint64) Status {
	m, st := headerMapArg(vm, u32(s[0]), false)
	if st != StatusOK {
		return st
	}
	n := 0
	if m != nil {
		n = m.byteSize()
	}
	if !vm.writeU32(u32(s[1]), uint32(n)) {
		return StatusInvalidMemoryAccess
	}
	return StatusOK
}

// buffer resolves a buffer type for the effective context. mutable is nil
// for read-only buffers.
func (vm *VM) buffer(t uint32) (data []byte, mutable *[]byte, st Status) {
	p, f := vm.effectiveContext()
	switch t {
	case 0, 1: // HTTP request / response body
		if f == nil {
			return nil, nil, StatusNotFound
		}
		if f.body == nil || f.bodyDir != direction(t) {
			// Envoy: outside its callback the body reads as empty.
			return nil, nil, StatusOK
		}
		return *f.body, f.body, StatusOK
	case 4: // HTTP call response body
		if vm.callResponse == nil {
			return nil, nil, StatusNotFound
		}
		return vm.callResponse.body, nil, StatusOK
	case 6: // VM configuration
		return vm.cfg.Configuration, nil, StatusOK
	case 7: // plugin configuration: only during proxy_on_configure
		if vm.configuring == nil || vm.configuring != p {
			return nil, nil, StatusNotFound
		}
		return vm.configuring.cfg.Configuration, nil, StatusOK
	case 8: // call data of a foreign function
		if vm.callData == nil {
			return nil, nil, StatusNotFound
		}
		return vm.callData, nil, StatusOK
	}
	return nil, nil, StatusNotFound
}

func hostGetBufferStatus(vm *VM, s []uint64) Status {
	data, _, st := vm.buffer(u32(s[0]))
	if st != StatusOK {
		return st
	}
	if !vm.writeU32(u32(s[1]), uint32(len(data))) || !vm.writeU32(u32(s[2]), 0) {
		return StatusInvalidMemoryAccess
	}
	return StatusOK
}

// hostGetBufferBytes follows cpp-host: the range is clipped to the buffer,
// and an empty range returns Ok without touching the out-pointers.
func hostGetBufferBytes(vm *VM, s []uint64) Status {
	data, _, st := vm.buffer(u32(s[0]))
	if st != StatusOK {
		return st
	}
	start, length := uint64(u32(s[1])), uint64(u32(s[2]))
	if start > uint64(len(data)) {
		return StatusBadArgument
	}
	if start+length > uint64(len(data)) {
		length = uint64(len(data)) - start
	}
	if length == 0 {
		return StatusOK
	}
	return vm.copyOut(data[start:start+length], u32(s[3]), u32(s[4]))
}

// hostSetBufferBytes follows Envoy's Buffer::copyFrom: start 0 drains
// length bytes and prepends the data; start at or past the end appends;
// anything else is BadArgument.
func hostSetBufferBytes(vm *VM, s []uint64) Status {
	_, buf, st := vm.buffer(u32(s[0]))
	if st != StatusOK {
		return st
	}
	if buf == nil {
		if u32(s[0]) <= 1 {
			return StatusNotFound
		}
		return StatusBadArgument
	}
	data, ok := vm.read(u32(s[3]), u32(s[4]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	start, length := int(u32(s[1])), int(u32(s[2]))
	cur := *buf
	switch {
	case start == 0:
		if length > len(cur) {
			length = len(cur)
		}
		next := make([]byte, 0, len(data)+len(cur)-length)
		next = append(next, data...)
		next = append(next, cur[length:]...)
		*buf = next
	case start >= len(cur):
		*buf = append(cur, data...)
	default:
		return StatusBadArgument
	}
	return StatusOK
}

func hostSetTickPeriod(vm *VM, s []uint64) Status {
	p, _ := vm.effectiveContext()
	if p == nil {
		return StatusBadArgument
	}
	p.setTickPeriod(time.Duration(u32(s[0])) * time.Millisecond)
	return StatusOK
}

func hostGetCurrentTime(vm *VM, s []uint64) Status {
	if !vm.writeU64(u32(s[0]), uint64(vm.host.Now().UnixNano())) {
		return StatusInvalidMemoryAccess
	}
	return StatusOK
}

func hostDefineMetric(vm *VM, s []uint64) Status {
	name, ok := vm.readString(u32(s[1]), u32(s[2]))
	if !ok {
		return StatusInvalidMemoryAccess
	}
	id, st := vm.host.defineMetric(MetricType(u32(s[0])), name)
	if st != StatusOK {
		return st
	}
	if !vm.writeU32(u32(s[3]), id) {
		return StatusInvalidMemoryAccess
	}
	return StatusOK
}

func hostIncrementMetric(vm *VM, s []uint64) Status {
	return vm.host.incrementMetric(u32(s[0]), int64(s[1]))
}

func hostRecordMetric(vm *VM, s []uint64) Status {
	return vm.host.recordMetric(u32(s[0]), s[1])
}

func hostGetMetric(vm *VM, s []uint64) Status {
	v, st := vm.host.getMetric(u32(s[0]))
	if st != StatusOK {
		return st
	}
	if !vm.writeU64(u32(s[1]), v) {
		return StatusInvalidMemoryAccess
	}
	return StatusOK
}

func hostSetEffectiveContext(vm *VM, s []uint64) Status {
	id := u32(s[0])
	_, isRoot := vm.plugins[id]
	f, isStream := vm.streams[id]
	if !isRoot && !(isStream && !f.deleted) {
		return StatusBadArgument
	}
	vm.effective = id
	return StatusOK
}

// hostDone acknowledges a root context that finished after returning false
// from proxy_on_done.
func hostDone(vm *VM, _ []uint64) Status {
	p, _ := vm.effectiveContext()
	if p == nil || !p.stopping {
		return StatusNotFound
	}
	vm.pending = append(vm.pending, func() { p.deleteLocked() })
	return StatusOK
}

func hostGetConfiguration(vm *VM, s []uint64) Status {
	data, _, st := vm.buffer(7)
	if st != StatusOK {
		return st
	}
	return vm.copyOut(data, u32(s[0]), u32(s[1]))
}

func continueStream(vm *VM, streamType uint32) Status {
	_, f := vm.effectiveContext()
	if f == nil || streamType > 1 {
		return StatusBadArgument
	}
	f.continueDir[streamType] = true
	return StatusOK
}

// hostCloseStream resets the HTTP stream for Request/Response, as Envoy
// does; Downstream/Upstream address L4 connections, which an HTTP context
// does not have (Envoy then does nothing and returns Ok).
func hostCloseStream(vm *VM, s []uint64) Status {
	_, f := vm.effectiveContext()
	switch t := u32(s[0]); {
	case t > 3:
		return StatusBadArgument
	case t <= 1 && f != nil:
		f.closed = true
	}
	return StatusOK
}

func hostClearRouteCache(vm *VM, _ []uint64) Status {
	_, f := vm.effectiveContext()
	if f == nil {
		return StatusBadArgument
	}
	return StatusOK
}
