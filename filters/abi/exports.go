//go:build wasip1

package waspabi

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/internal"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// Every callback of proxy-wasm ABI v0.2.1, exported to the host and forwarded
// to the SDK. Booleans travel as i32 (non-zero is true).

func b(v uint32) bool { return v != 0 }

func u(v bool) uint32 {
	if v {
		return 1
	}
	return 0
}

//go:wasmexport proxy_abi_version_0_2_1
func proxyABIVersion() {}

//go:wasmexport proxy_on_context_create
func proxyOnContextCreate(contextID, parentContextID uint32) {
	internal.ProxyOnContextCreate(contextID, parentContextID)
}

//go:wasmexport proxy_on_vm_start
func proxyOnVMStart(rootContextID, vmConfigSize uint32) uint32 {
	return u(bool(internal.ProxyOnVMStart(rootContextID, int(vmConfigSize))))
}

//go:wasmexport proxy_on_configure
func proxyOnConfigure(rootContextID, pluginConfigSize uint32) uint32 {
	return u(bool(internal.ProxyOnConfigure(rootContextID, int(pluginConfigSize))))
}

//go:wasmexport proxy_on_new_connection
func proxyOnNewConnection(contextID uint32) uint32 {
	return uint32(internal.ProxyOnNewConnection(contextID))
}

//go:wasmexport proxy_on_downstream_data
func proxyOnDownstreamData(contextID, size, endOfStream uint32) uint32 {
	return uint32(internal.ProxyOnDownstreamData(contextID, int(size), b(endOfStream)))
}

//go:wasmexport proxy_on_downstream_connection_close
func proxyOnDownstreamConnectionClose(contextID, peerType uint32) {
	internal.ProxyOnDownstreamConnectionClose(contextID, types.PeerType(peerType))
}

//go:wasmexport proxy_on_upstream_data
func proxyOnUpstreamData(contextID, size, endOfStream uint32) uint32 {
	return uint32(internal.ProxyOnUpstreamData(contextID, int(size), b(endOfStream)))
}

//go:wasmexport proxy_on_upstream_connection_close
func proxyOnUpstreamConnectionClose(contextID, peerType uint32) {
	internal.ProxyOnUpstreamConnectionClose(contextID, types.PeerType(peerType))
}

//go:wasmexport proxy_on_request_headers
func proxyOnRequestHeaders(contextID, numHeaders, endOfStream uint32) uint32 {
	return uint32(internal.ProxyOnRequestHeaders(contextID, int(numHeaders), b(endOfStream)))
}

//go:wasmexport proxy_on_request_body
func proxyOnRequestBody(contextID, size, endOfStream uint32) uint32 {
	return uint32(internal.ProxyOnRequestBody(contextID, int(size), b(endOfStream)))
}

//go:wasmexport proxy_on_request_trailers
func proxyOnRequestTrailers(contextID, numTrailers uint32) uint32 {
	return uint32(internal.ProxyOnRequestTrailers(contextID, int(numTrailers)))
}

//go:wasmexport proxy_on_response_headers
func proxyOnResponseHeaders(contextID, numHeaders, endOfStream uint32) uint32 {
	return uint32(internal.ProxyOnResponseHeaders(contextID, int(numHeaders), b(endOfStream)))
}

//go:wasmexport proxy_on_response_body
func proxyOnResponseBody(contextID, size, endOfStream uint32) uint32 {
	return uint32(internal.ProxyOnResponseBody(contextID, int(size), b(endOfStream)))
}

//go:wasmexport proxy_on_response_trailers
func proxyOnResponseTrailers(contextID, numTrailers uint32) uint32 {
	return uint32(internal.ProxyOnResponseTrailers(contextID, int(numTrailers)))
}

// The SDK has no metadata, gRPC-call or foreign-function callback API: these
// exports complete the ABI surface and do nothing (metadata continues).

//go:wasmexport proxy_on_request_metadata
func proxyOnRequestMetadata(contextID, numElements uint32) uint32 {
	return uint32(types.ActionContinue)
}

//go:wasmexport proxy_on_response_metadata
func proxyOnResponseMetadata(contextID, numElements uint32) uint32 {
	return uint32(types.ActionContinue)
}

//go:wasmexport proxy_on_grpc_receive_initial_metadata
func proxyOnGrpcReceiveInitialMetadata(contextID, token, numHeaders uint32) {}

//go:wasmexport proxy_on_grpc_receive_trailing_metadata
func proxyOnGrpcReceiveTrailingMetadata(contextID, token, numTrailers uint32) {}

//go:wasmexport proxy_on_grpc_receive
func proxyOnGrpcReceive(contextID, token, size uint32) {}

//go:wasmexport proxy_on_grpc_close
func proxyOnGrpcClose(contextID, token, status uint32) {}

//go:wasmexport proxy_on_foreign_function
func proxyOnForeignFunction(rootContextID, functionID, size uint32) {}

//go:wasmexport proxy_on_http_call_response
func proxyOnHttpCallResponse(rootContextID, token, numHeaders, bodySize, numTrailers uint32) {
	internal.ProxyOnHttpCallResponse(rootContextID, token, int(numHeaders), int(bodySize), int(numTrailers))
}

//go:wasmexport proxy_on_queue_ready
func proxyOnQueueReady(rootContextID, queueID uint32) {
	internal.ProxyOnQueueReady(rootContextID, queueID)
}

//go:wasmexport proxy_on_tick
func proxyOnTick(rootContextID uint32) {
	internal.ProxyOnTick(rootContextID)
}

//go:wasmexport proxy_on_log
func proxyOnLog(contextID uint32) {
	internal.ProxyOnLog(contextID)
}

//go:wasmexport proxy_on_done
func proxyOnDone(contextID uint32) uint32 {
	return u(internal.ProxyOnDone(contextID))
}

//go:wasmexport proxy_on_delete
func proxyOnDelete(contextID uint32) {
	internal.ProxyOnDelete(contextID)
}
