package wasmtest

import (
	"fmt"

	"github.com/tetratelabs/wazero/api"
)

// exports holds the module's proxy-wasm callbacks, resolved once per
// instance so that the hot path does no lookup by name. A nil entry is a
// callback the module does not export; Envoy skips it.
type exports struct {
	malloc               api.Function
	contextCreate        api.Function
	vmStart              api.Function
	configure            api.Function
	requestHeaders       api.Function
	requestBody          api.Function
	requestTrailers      api.Function
	responseHeaders      api.Function
	responseBody         api.Function
	responseTrailers     api.Function
	httpCallResponse     api.Function
	queueReady           api.Function
	tick                 api.Function
	log                  api.Function
	done                 api.Function
	delete               api.Function
	newConnection        api.Function
	downstreamData       api.Function
	upstreamData         api.Function
	downstreamClose      api.Function
	upstreamClose        api.Function
	foreignFunction      api.Function
	requestMetadata      api.Function
	responseMetadata     api.Function
	grpcInitialMetadata  api.Function
	grpcTrailingMetadata api.Function
	grpcReceive          api.Function
	grpcClose            api.Function
}

// CallbackNames lists every callback of proxy-wasm ABI v0.2.1 a module may
// export, besides proxy_abi_version_0_2_1 and proxy_on_memory_allocate.
var CallbackNames = []string{
	"proxy_on_context_create", "proxy_on_vm_start", "proxy_on_configure",
	"proxy_on_request_headers", "proxy_on_request_body", "proxy_on_request_trailers",
	"proxy_on_response_headers", "proxy_on_response_body", "proxy_on_response_trailers",
	"proxy_on_request_metadata", "proxy_on_response_metadata",
	"proxy_on_http_call_response", "proxy_on_queue_ready", "proxy_on_tick",
	"proxy_on_log", "proxy_on_done", "proxy_on_delete",
	"proxy_on_new_connection", "proxy_on_downstream_data", "proxy_on_upstream_data",
	"proxy_on_downstream_connection_close", "proxy_on_upstream_connection_close",
	"proxy_on_foreign_function",
	"proxy_on_grpc_receive_initial_metadata", "proxy_on_grpc_receive_trailing_metadata",
	"proxy_on_grpc_receive", "proxy_on_grpc_close",
}

func (e *exports) resolve(mod api.Module) error {
	f := mod.ExportedFunction
	if f("proxy_abi_version_0_2_1") == nil && f("proxy_abi_version_0_2_0") == nil {
		return fmt.Errorf("wasmtest: module exports neither proxy_abi_version_0_2_1 nor proxy_abi_version_0_2_0")
	}
	e.malloc = f("proxy_on_memory_allocate")
	if e.malloc == nil {
		return fmt.Errorf("wasmtest: module does not export proxy_on_memory_allocate")
	}
	e.contextCreate = f("proxy_on_context_create")
	e.vmStart = f("proxy_on_vm_start")
	e.configure = f("proxy_on_configure")
	e.requestHeaders = f("proxy_on_request_headers")
	e.requestBody = f("proxy_on_request_body")
	e.requestTrailers = f("proxy_on_request_trailers")
	e.responseHeaders = f("proxy_on_response_headers")
	e.responseBody = f("proxy_on_response_body")
	e.responseTrailers = f("proxy_on_response_trailers")
	e.httpCallResponse = f("proxy_on_http_call_response")
	e.queueReady = f("proxy_on_queue_ready")
	e.tick = f("proxy_on_tick")
	e.log = f("proxy_on_log")
	e.done = f("proxy_on_done")
	e.delete = f("proxy_on_delete")
	e.newConnection = f("proxy_on_new_connection")
	e.downstreamData = f("proxy_on_downstream_data")
	e.upstreamData = f("proxy_on_upstream_data")
	e.downstreamClose = f("proxy_on_downstream_connection_close")
	e.upstreamClose = f("proxy_on_upstream_connection_close")
	e.foreignFunction = f("proxy_on_foreign_function")
	e.requestMetadata = f("proxy_on_request_metadata")
	e.responseMetadata = f("proxy_on_response_metadata")
	e.grpcInitialMetadata = f("proxy_on_grpc_receive_initial_metadata")
	e.grpcTrailingMetadata = f("proxy_on_grpc_receive_trailing_metadata")
	e.grpcReceive = f("proxy_on_grpc_receive")
	e.grpcClose = f("proxy_on_grpc_close")
	return nil
}
