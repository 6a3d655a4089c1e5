//go:build wasip1

package waspabi

import "unsafe"

// Direct host calls for wasp's built-in filters: the same imports the SDK
// uses, without its per-call allocations. A data-returning call appends the
// host's bytes to a caller's buffer (proxy_on_memory_allocate is served
// from that buffer's spare capacity, grown only when it is too small), so a
// filter that reuses its buffers allocates nothing per request. The SDK API
// stays the way for users' filters; these functions exist for hot paths
// measured in filters/builtin's benchmarks (docs/adr/0004-builtin-filters-one-vm.md).
//
// Statuses are proxy-wasm ABI statuses (StatusOK, StatusNotFound, ...).

// ABI statuses the built-in filters distinguish.
const (
	StatusOK          = 0
	StatusNotFound    = 1
	StatusCasMismatch = 8
)

// Header map types of the ABI.
const (
	MapRequestHeaders   = 0
	MapRequestTrailers  = 1
	MapResponseHeaders  = 2
	MapResponseTrailers = 3
)

// appendTo is the buffer a direct call appends to while appending is set;
// proxyOnMemoryAllocate serves the host from its spare capacity.
var (
	appendTo  []byte
	appending bool
	outCas    uint32
	pRetCas   = unsafe.Pointer(&outCas)
)

// appendAlloc gives the host size bytes after appendTo's contents, growing
// the buffer (kept for the caller) when they do not fit.
func appendAlloc(size uint32) uint32 {
	n := max(int(size), 1)
	if cap(appendTo)-len(appendTo) < n {
		grown := make([]byte, len(appendTo), 2*cap(appendTo)+n)
		copy(grown, appendTo)
		appendTo = grown
	}
	return addrOf(appendTo[len(appendTo) : len(appendTo)+n])
}

func beginAppend(dst []byte) {
	appendTo, appending = dst, true
	outAddr, outSize = 0, 0
}

// endAppend returns the buffer with the host's bytes appended (when the
// call succeeded and returned any).
func endAppend(st uint32) []byte {
	out := appendTo
	appendTo, appending = nil, false
	if st == StatusOK && outAddr != 0 {
		out = out[:len(out)+int(outSize)]
	}
	outAddr, outSize = 0, 0
	releasePending()
	return out
}

func strPtr(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

func bytesPtr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

// AppendProperty appends the value of the property at path (segments
// joined with NUL, e.g. "xds\x00route_name") to dst.
func AppendProperty(dst []byte, path string) ([]byte, uint32) {
	beginAppend(dst)
	st := importGetProperty(strPtr(path), uint32(len(path)), pRetAddr, pRetSize)
	return endAppend(st), st
}

// AppendHeaderValue appends the first value of header name of map mapType.
func AppendHeaderValue(dst []byte, mapType uint32, name string) ([]byte, uint32) {
	beginAppend(dst)
	st := importGetHeaderMapValue(mapType, strPtr(name), uint32(len(name)), pRetAddr, pRetSize)
	return endAppend(st), st
}

// AppendHeaderPairs appends the serialized header map mapType (the ABI's
// pair encoding: count, then name and value sizes, then NUL-terminated
// names and values).
func AppendHeaderPairs(dst []byte, mapType uint32) ([]byte, uint32) {
	beginAppend(dst)
	st := importGetHeaderMapPairs(mapType, pRetAddr, pRetSize)
	return endAppend(st), st
}

// AppendSharedData appends the value of shared-data key and returns its CAS
// token.
func AppendSharedData(dst []byte, key string) ([]byte, uint32, uint32) {
	beginAppend(dst)
	st := importGetSharedData(strPtr(key), uint32(len(key)), pRetAddr, pRetSize, pRetCas)
	return endAppend(st), outCas, st
}

// SetSharedData stores value under key if its CAS token is still cas (0:
// unconditionally).
func SetSharedData(key string, value []byte, cas uint32) uint32 {
	return importSetSharedData(strPtr(key), uint32(len(key)), bytesPtr(value), uint32(len(value)), cas)
}

// SetProperty stores value as filter state under path; the host copies it.
func SetProperty(path string, value []byte) uint32 {
	return importSetProperty(strPtr(path), uint32(len(path)), bytesPtr(value), uint32(len(value)))
}

// ReplaceHeaderValue sets header name of map mapType to value.
func ReplaceHeaderValue(mapType uint32, name, value string) uint32 {
	return importReplaceHeaderMapValue(mapType, strPtr(name), uint32(len(name)), strPtr(value), uint32(len(value)))
}

// AddHeaderValue adds a value of header name to map mapType.
func AddHeaderValue(mapType uint32, name, value string) uint32 {
	return importAddHeaderMapValue(mapType, strPtr(name), uint32(len(name)), strPtr(value), uint32(len(value)))
}

// RemoveHeaderValue removes every value of header name from map mapType.
func RemoveHeaderValue(mapType uint32, name string) uint32 {
	return importRemoveHeaderMapValue(mapType, strPtr(name), uint32(len(name)))
}

// IncrementMetric adds delta to metric id.
func IncrementMetric(id uint32, delta int64) uint32 { return importIncrementMetric(id, delta) }

// Buffer types of the ABI the built-in filters read and replace.
const (
	BufferHttpRequestBody  = 0
	BufferHttpResponseBody = 1
)

// AppendBufferBytes appends up to size bytes of buffer bufferType from
// start to dst.
func AppendBufferBytes(dst []byte, bufferType uint32, start, size int) ([]byte, uint32) {
	beginAppend(dst)
	st := importGetBufferBytes(bufferType, uint32(start), uint32(size), pRetAddr, pRetSize)
	return endAppend(st), st
}

// ReplaceBufferBytes replaces the whole of buffer bufferType with data; the
// host copies data, so the caller may reuse it.
func ReplaceBufferBytes(bufferType uint32, data []byte) uint32 {
	return importSetBufferBytes(bufferType, 0, 1<<31-1, bytesPtr(data), uint32(len(data)))
}
