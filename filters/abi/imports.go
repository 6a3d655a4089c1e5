//go:build wasip1

package waspabi

import "unsafe"

// Host functions of proxy-wasm ABI v0.2.1, imported from the host's "env"
// module. Every address and size is an i32 on the wire; Go pointers are passed
// as unsafe.Pointer (which keeps the pointee alive for the call) and sizes as
// uint32. The linker keeps an import only if a filter can reach it, so a module
// imports just the host calls it uses.

//go:wasmimport env proxy_log
func importLog(level uint32, msg unsafe.Pointer, msgSize uint32) uint32

//go:wasmimport env proxy_set_property
func importSetProperty(path unsafe.Pointer, pathSize uint32, value unsafe.Pointer, valueSize uint32) uint32

//go:wasmimport env proxy_get_property
func importGetProperty(path unsafe.Pointer, pathSize uint32, retData unsafe.Pointer, retSize unsafe.Pointer) uint32

//go:wasmimport env proxy_send_local_response
func importSendLocalResponse(status uint32, details unsafe.Pointer, detailsSize uint32, body unsafe.Pointer, bodySize uint32, headers unsafe.Pointer, headersSize uint32, grpcStatus int32) uint32

//go:wasmimport env proxy_get_shared_data
func importGetSharedData(key unsafe.Pointer, keySize uint32, retData unsafe.Pointer, retSize unsafe.Pointer, retCas unsafe.Pointer) uint32

//go:wasmimport env proxy_set_shared_data
func importSetSharedData(key unsafe.Pointer, keySize uint32, value unsafe.Pointer, valueSize uint32, cas uint32) uint32

//go:wasmimport env proxy_register_shared_queue
func importRegisterSharedQueue(name unsafe.Pointer, nameSize uint32, retID unsafe.Pointer) uint32

//go:wasmimport env proxy_resolve_shared_queue
func importResolveSharedQueue(vmID unsafe.Pointer, vmIDSize uint32, name unsafe.Pointer, nameSize uint32, retID unsafe.Pointer) uint32

//go:wasmimport env proxy_dequeue_shared_queue
func importDequeueSharedQueue(queueID uint32, retData unsafe.Pointer, retSize unsafe.Pointer) uint32

//go:wasmimport env proxy_enqueue_shared_queue
func importEnqueueSharedQueue(queueID uint32, value unsafe.Pointer, valueSize uint32) uint32

//go:wasmimport env proxy_get_header_map_value
func importGetHeaderMapValue(mapType uint32, key unsafe.Pointer, keySize uint32, retData unsafe.Pointer, retSize unsafe.Pointer) uint32

//go:wasmimport env proxy_add_header_map_value
func importAddHeaderMapValue(mapType uint32, key unsafe.Pointer, keySize uint32, value unsafe.Pointer, valueSize uint32) uint32

//go:wasmimport env proxy_replace_header_map_value
func importReplaceHeaderMapValue(mapType uint32, key unsafe.Pointer, keySize uint32, value unsafe.Pointer, valueSize uint32) uint32

//go:wasmimport env proxy_remove_header_map_value
func importRemoveHeaderMapValue(mapType uint32, key unsafe.Pointer, keySize uint32) uint32

//go:wasmimport env proxy_get_header_map_pairs
func importGetHeaderMapPairs(mapType uint32, retData unsafe.Pointer, retSize unsafe.Pointer) uint32

//go:wasmimport env proxy_set_header_map_pairs
func importSetHeaderMapPairs(mapType uint32, data unsafe.Pointer, size uint32) uint32

//go:wasmimport env proxy_continue_stream
func importContinueStream(streamType uint32) uint32

//go:wasmimport env proxy_close_stream
func importCloseStream(streamType uint32) uint32

//go:wasmimport env proxy_get_buffer_bytes
func importGetBufferBytes(bufferType uint32, start uint32, maxSize uint32, retData unsafe.Pointer, retSize unsafe.Pointer) uint32

//go:wasmimport env proxy_set_buffer_bytes
func importSetBufferBytes(bufferType uint32, start uint32, maxSize uint32, data unsafe.Pointer, size uint32) uint32

//go:wasmimport env proxy_http_call
func importHttpCall(upstream unsafe.Pointer, upstreamSize uint32, headers unsafe.Pointer, headersSize uint32, body unsafe.Pointer, bodySize uint32, trailers unsafe.Pointer, trailersSize uint32, timeoutMillis uint32, retCalloutID unsafe.Pointer) uint32

//go:wasmimport env proxy_call_foreign_function
func importCallForeignFunction(name unsafe.Pointer, nameSize uint32, param unsafe.Pointer, paramSize uint32, retData unsafe.Pointer, retSize unsafe.Pointer) uint32

//go:wasmimport env proxy_set_tick_period_milliseconds
func importSetTickPeriodMilliseconds(period uint32) uint32

//go:wasmimport env proxy_set_effective_context
func importSetEffectiveContext(contextID uint32) uint32

//go:wasmimport env proxy_done
func importDone() uint32

//go:wasmimport env proxy_define_metric
func importDefineMetric(metricType uint32, name unsafe.Pointer, nameSize uint32, retID unsafe.Pointer) uint32

//go:wasmimport env proxy_increment_metric
func importIncrementMetric(metricID uint32, offset int64) uint32

//go:wasmimport env proxy_record_metric
func importRecordMetric(metricID uint32, value uint64) uint32

//go:wasmimport env proxy_get_metric
func importGetMetric(metricID uint32, retValue unsafe.Pointer) uint32
