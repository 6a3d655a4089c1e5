// Package wasmtest runs compiled proxy-wasm modules (.wasm) under go test,
// on wazero, the way Envoy (≥ 1.33) runs them. It is wasp's own host for
// testing filters written in Go against the tetratelabs proxy-wasm-go-sdk
// API and built with the standard toolchain (GOOS=wasip1, c-shared); it
// runs modules from any SDK that target ABI 0.2.1.
//
// # Usage
//
//	func TestWasmRateLimit(t *testing.T) {
//		wasm := wasmtest.Build(t, ".") // go build once per test process
//		host := wasmtest.NewHost()     // one Envoy: shared data, metrics, clock, logs
//		p := host.MustStart(t, wasm, wasmtest.Config{
//			Name:          "wasp.ratelimit",
//			RootID:        "ratelimit",
//			VMID:          "wasp",
//			Configuration: []byte(`{"policies":{}}`),
//		})
//		res := p.Do(wasmtest.Request{
//			Method: "GET", Path: "/api", Authority: "shop.example",
//			Headers:    [][2]string{{"x-user", "alice"}},
//			Properties: map[string][]byte{"xds.route_name": wasmtest.PropString("r1")},
//		}, func(up *wasmtest.UpstreamRequest) *wasmtest.Response {
//			return &wasmtest.Response{Status: 200, Body: []byte("ok")}
//		})
//		if res.Status() != 429 || res.LocalReply == nil { ... }
//		host.Advance(20 * time.Second) // moves the clock and fires ticks
//	}
//
// A filter chain (several plugins on one stream, in HCM order, possibly
// from different modules) runs with NewChain(p1, p2, p3).Do(req, upstream).
// Host.Start gives each plugin a VM of its own; a Worker (Host.NewWorker)
// shares VMs the way an Envoy worker does: plugins with the same VM key
// (vm_id, VM configuration, code) start in one VM, each with its own root
// context, as wasp's built-in filters do. VM.GuestMallocs counts the
// guest's heap allocations (modules built with wasp's bridge).
//
// # What is faithful to Envoy
//
//   - Start: instantiate, _initialize (only proxy_log is allowed there; any
//     other proxy_* call fails the load: Envoy refuses it with
//     InternalFailure and an error log), proxy_on_context_create for the root
//     context, proxy_on_vm_start (VM configuration readable), proxy_on_configure
//     (plugin configuration readable only then). A failure is a *StartError
//     carrying the guest's log lines.
//
//   - Imports: only env.proxy_* host calls Envoy provides and the WASI
//     functions of EnvoyWASIFunctions; anything else fails to load.
//     fd 1 is captured as info logs, fd 2 as error logs.
//
//   - Streams: see Chain.Do. Header maps keep Envoy's semantics (lower-cased
//     keys, pseudo-headers first, get = first value, replace = first value,
//     remove = all). A filter may read or change request headers only while
//     it processes or holds them (Envoy answers BadArgument otherwise); in
//     proxy_on_log every map is readable.
//
//   - proxy_send_local_response takes effect when the VM call returns; a
//     second call in the same stream returns BadArgument; details have
//     whitespace replaced by '_'; the reply carries content-type text/plain
//     and content-length when it has a body.
//
//   - Properties (proxy_get_property): the request's Properties, then
//     request.* / response.* / connection_id computed from the stream,
//     plugin_name / plugin_root_id / plugin_vm_id, host-wide ones
//     (Host.SetProperty), filter state "wasm.<name>", then defaults for
//     source.* / destination.* / connection.mtls. Encodings: see Prop*.
//     proxy_set_property stores filter state under "wasm.<path>"
//     (Result.FilterState). The upstream handler, standing in for the
//     router, may change request properties with UpstreamRequest.SetProperty
//     (Envoy's router stores a re-selected route in the stream info): reads
//     after that, proxy_on_log included, see the new value.
//
//   - Shared data: Envoy's CAS semantics, namespaced by vm_id, shared by
//     every VM of the Host. Shared queues, metrics (define, increment,
//     record, get) likewise.
//
//   - Environment: VMConfig.Env (Config.VMEnv) is the module's WASI
//     environ (environ_get, what os.Getenv reads), as Envoy exposes
//     vm_config.environment_variables: pass the values Envoy would resolve
//     (host_env_keys read from the Envoy process, plus key_values); the
//     test process's own environment never leaks in. Env belongs to the VM:
//     plugins started in one VM (VM.Start) see the environment it was
//     created with. Envoy 1.33 keys VMs by (vm_id, configuration, code)
//     without the environment, so a plugin differing only in env reuses the
//     first one's VM there (a later Envoy puts env in the key and makes a
//     new VM): keep environment_variables identical for every plugin of one
//     module, as wasp's translator does.
//
//   - Time: the Host clock (Now, Advance) drives WASI clock_time_get,
//     proxy_get_current_time_nanoseconds and ticks.
//
//   - proxy_http_call goes to the HTTPCallHandler (HandleHTTPCalls) once the
//     calling VM call returns; the answer comes back through
//     proxy_on_http_call_response on the root context.
//
//   - Bodies: a filter that returns Pause from a body callback buffers; the
//     next callback sees the whole buffer, and Continue passes it on as one
//     chunk. Trailers end the stream, so with trailers no body callback
//     sees end_of_stream. A local reply passes through the response
//     callbacks of the filters that saw the request (the sender included);
//     filters that never saw it only get proxy_on_log.
//
//   - A trap or panic fails the VM: the stream is answered 503 with details
//     wasm_fail_stream (Envoy's fail-closed answer) and the VM refuses every
//     later call; the panic text is in the logs (fd 2).
//
// Other entry points: Host.Advance and Plugin.Tick (timers), Host.Enqueue
// (shared queues), Host.RegisterForeignFunction, Plugin.Stop (proxy_on_done,
// proxy_done, proxy_on_delete), VM.Start (several plugins in one VM),
// VM.CallExport (raw ABI calls), AssertEnvoyModule (the module's imports and
// exports are what Envoy 1.33 loads).
//
// # Not modelled
//
// gRPC callouts (proxy_grpc_* return Unimplemented), L4 (network) filters,
// metadata callbacks, route re-selection after a header change (an
// upstream handler that routes may do it and record the new route with
// UpstreamRequest.SetProperty), and
// Envoy's own headers (x-request-id, x-forwarded-*): pass them in the
// request if a filter needs them.
//
// Compiling a Go-built module takes seconds, so each module is compiled once
// per test process and every VM instantiates the same compiled code.
package wasmtest
