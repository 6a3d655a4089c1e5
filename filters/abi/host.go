//go:build wasip1

package waspabi

import (
	"unsafe"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/internal"
)

// wasmHost implements the SDK's host interface by calling the imported host
// functions. The SDK passes sizes as Go int (64-bit on wasm); the ABI carries
// them as i32.
type wasmHost struct{}

var _ internal.ProxyWasmHost = wasmHost{}

func init() {
	// The release func unlocks the SDK's test mutex; it is never called because
	// this host serves the module for its whole life. No host call happens here:
	// Envoy forbids proxy_* calls (other than proxy_log) during _initialize.
	_ = internal.RegisterMockWasmHost(wasmHost{})
}

func p(b *byte) unsafe.Pointer { return unsafe.Pointer(b) }

// outAddr and outSize receive the (address, size) out-parameters of the host
// calls that return data. Package variables never move and need no
// allocation per call (a local whose address is passed to the host escapes to
// the heap); sharing them is safe because the guest is single-threaded and
// no host call runs guest code that makes another host call (the host only
// calls proxy_on_memory_allocate in between).
var outAddr, outSize uint32

var (
	pRetAddr = unsafe.Pointer(&outAddr)
	pRetSize = unsafe.Pointer(&outSize)
)

// returned hands the data the host wrote to the SDK's out-parameters and
// clears the slots. Once *data holds the buffer's address, the buffer is
// reachable through it and the allocation list can let go.
func returned(data **byte, dataSize *int) {
	*data = ptr(outAddr)
	*dataSize = int(outSize)
	outAddr, outSize = 0, 0
	releasePending()
}

func (wasmHost) ProxyLog(level internal.LogLevel, msg *byte, msgSize int) internal.Status {
	return internal.Status(importLog(uint32(level), p(msg), uint32(msgSize)))
}

func (wasmHost) ProxySetProperty(path *byte, pathSize int, value *byte, valueSize int) internal.Status {
	return internal.Status(importSetProperty(p(path), uint32(pathSize), p(value), uint32(valueSize)))
}

func (wasmHost) ProxyGetProperty(path *byte, pathSize int, retData **byte, retSize *int) internal.Status {
	st := importGetProperty(p(path), uint32(pathSize), pRetAddr, pRetSize)
	returned(retData, retSize)
	return internal.Status(st)
}

func (wasmHost) ProxySendLocalResponse(status uint32, details *byte, detailsSize int, body *byte, bodySize int, headers *byte, headersSize int, grpcStatus int32) internal.Status {
	return internal.Status(importSendLocalResponse(status, p(details), uint32(detailsSize), p(body), uint32(bodySize), p(headers), uint32(headersSize), grpcStatus))
}

func (wasmHost) ProxyGetSharedData(key *byte, keySize int, retData **byte, retSize *int, retCas *uint32) internal.Status {
	st := importGetSharedData(p(key), uint32(keySize), pRetAddr, pRetSize, unsafe.Pointer(retCas))
	returned(retData, retSize)
	return internal.Status(st)
}

func (wasmHost) ProxySetSharedData(key *byte, keySize int, value *byte, valueSize int, cas uint32) internal.Status {
	return internal.Status(importSetSharedData(p(key), uint32(keySize), p(value), uint32(valueSize), cas))
}

func (wasmHost) ProxyRegisterSharedQueue(name *byte, nameSize int, retID *uint32) internal.Status {
	return internal.Status(importRegisterSharedQueue(p(name), uint32(nameSize), unsafe.Pointer(retID)))
}

func (wasmHost) ProxyResolveSharedQueue(vmID *byte, vmIDSize int, name *byte, nameSize int, retID *uint32) internal.Status {
	return internal.Status(importResolveSharedQueue(p(vmID), uint32(vmIDSize), p(name), uint32(nameSize), unsafe.Pointer(retID)))
}

func (wasmHost) ProxyDequeueSharedQueue(queueID uint32, retData **byte, retSize *int) internal.Status {
	st := importDequeueSharedQueue(queueID, pRetAddr, pRetSize)
	returned(retData, retSize)
	return internal.Status(st)
}

func (wasmHost) ProxyEnqueueSharedQueue(queueID uint32, value *byte, valueSize int) internal.Status {
	return internal.Status(importEnqueueSharedQueue(queueID, p(value), uint32(valueSize)))
}

func (wasmHost) ProxyGetHeaderMapValue(mapType internal.MapType, key *byte, keySize int, retData **byte, retSize *int) internal.Status {
	st := importGetHeaderMapValue(uint32(mapType), p(key), uint32(keySize), pRetAddr, pRetSize)
	returned(retData, retSize)
	return internal.Status(st)
}

func (wasmHost) ProxyAddHeaderMapValue(mapType internal.MapType, key *byte, keySize int, value *byte, valueSize int) internal.Status {
	return internal.Status(importAddHeaderMapValue(uint32(mapType), p(key), uint32(keySize), p(value), uint32(valueSize)))
}

func (wasmHost) ProxyReplaceHeaderMapValue(mapType internal.MapType, key *byte, keySize int, value *byte, valueSize int) internal.Status {
	return internal.Status(importReplaceHeaderMapValue(uint32(mapType), p(key), uint32(keySize), p(value), uint32(valueSize)))
}

func (wasmHost) ProxyContinueStream(streamType internal.StreamType) internal.Status {
	return internal.Status(importContinueStream(uint32(streamType)))
}

func (wasmHost) ProxyCloseStream(streamType internal.StreamType) internal.Status {
	return internal.Status(importCloseStream(uint32(streamType)))
}

func (wasmHost) ProxyRemoveHeaderMapValue(mapType internal.MapType, key *byte, keySize int) internal.Status {
	return internal.Status(importRemoveHeaderMapValue(uint32(mapType), p(key), uint32(keySize)))
}

func (wasmHost) ProxyGetHeaderMapPairs(mapType internal.MapType, retData **byte, retSize *int) internal.Status {
	st := importGetHeaderMapPairs(uint32(mapType), pRetAddr, pRetSize)
	returned(retData, retSize)
	return internal.Status(st)
}

func (wasmHost) ProxySetHeaderMapPairs(mapType internal.MapType, data *byte, size int) internal.Status {
	return internal.Status(importSetHeaderMapPairs(uint32(mapType), p(data), uint32(size)))
}

func (wasmHost) ProxyGetBufferBytes(bufferType internal.BufferType, start int, maxSize int, retData **byte, retSize *int) internal.Status {
	st := importGetBufferBytes(uint32(bufferType), uint32(start), uint32(maxSize), pRetAddr, pRetSize)
	returned(retData, retSize)
	return internal.Status(st)
}

func (wasmHost) ProxySetBufferBytes(bufferType internal.BufferType, start int, maxSize int, data *byte, size int) internal.Status {
	return internal.Status(importSetBufferBytes(uint32(bufferType), uint32(start), uint32(maxSize), p(data), uint32(size)))
}

func (wasmHost) ProxyHttpCall(upstream *byte, upstreamSize int, headers *byte, headersSize int, body *byte, bodySize int, trailers *byte, trailersSize int, timeout uint32, calloutID *uint32) internal.Status {
	return internal.Status(importHttpCall(p(upstream), uint32(upstreamSize), p(headers), uint32(headersSize), p(body), uint32(bodySize), p(trailers), uint32(trailersSize), timeout, unsafe.Pointer(calloutID)))
}

func (wasmHost) ProxyCallForeignFunction(name *byte, nameSize int, param *byte, paramSize int, retData **byte, retSize *int) internal.Status {
	st := importCallForeignFunction(p(name), uint32(nameSize), p(param), uint32(paramSize), pRetAddr, pRetSize)
	returned(retData, retSize)
	return internal.Status(st)
}

func (wasmHost) ProxySetTickPeriodMilliseconds(period uint32) internal.Status {
	return internal.Status(importSetTickPeriodMilliseconds(period))
}

func (wasmHost) ProxySetEffectiveContext(contextID uint32) internal.Status {
	return internal.Status(importSetEffectiveContext(contextID))
}

func (wasmHost) ProxyDone() internal.Status { return internal.Status(importDone()) }

func (wasmHost) ProxyDefineMetric(metricType internal.MetricType, name *byte, nameSize int, retID *uint32) internal.Status {
	return internal.Status(importDefineMetric(uint32(metricType), p(name), uint32(nameSize), unsafe.Pointer(retID)))
}

func (wasmHost) ProxyIncrementMetric(metricID uint32, offset int64) internal.Status {
	return internal.Status(importIncrementMetric(metricID, offset))
}

func (wasmHost) ProxyRecordMetric(metricID uint32, value uint64) internal.Status {
	return internal.Status(importRecordMetric(metricID, value))
}

func (wasmHost) ProxyGetMetric(metricID uint32, retValue *uint64) internal.Status {
	return internal.Status(importGetMetric(metricID, unsafe.Pointer(retValue)))
}
