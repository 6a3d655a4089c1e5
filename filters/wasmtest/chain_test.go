package wasmtest_test

import (
	"slices"
	"strings"
	"testing"

	"wasp.dev/filters/wasmtest"
)

// A chain of two modules on one stream, as an HCM lists them: the example
// counter first, then the allcalls test filter.
func startChain(t *testing.T) (*wasmtest.Host, *wasmtest.Plugin, *wasmtest.Plugin, *wasmtest.Chain) {
	t.Helper()
	h := wasmtest.NewHost()
	counter := h.MustStart(t, wasmtest.Build(t, "../examples/counter"), wasmtest.Config{
		Name: "counter", VMID: "wasp", Configuration: []byte(`{"deny_path":"/deny"}`)})
	all := h.MustStart(t, wasmtest.Build(t, "../abi/testdata/allcalls"), wasmtest.Config{
		Name: "allcalls", VMID: "allcalls"})
	h.RegisterForeignFunction("echo", func([]byte) ([]byte, wasmtest.Status) { return []byte("pong"), wasmtest.StatusOK })
	return h, counter, all, wasmtest.NewChain(counter, all)
}

func TestWasmChainPassesThrough(t *testing.T) {
	_, _, _, chain := startChain(t)
	res := chain.Do(wasmtest.Request{Path: "/ok"}, nil)
	if res.Upstream == nil || res.Upstream.Header("x-wasp-example") != "hello" || res.Upstream.Header("x-added") != "1" {
		t.Fatalf("upstream %+v", res.Upstream)
	}
	// Both filters' response work reaches the client, and both wrote
	// filter state on the one stream.
	if res.Header("x-request-count") != "1" || res.Header("x-resp") != "1" {
		t.Errorf("client headers %v", res.Response.Headers)
	}
	if string(res.FilterState["wasm.example_count"]) != "1" || string(res.FilterState["wasm.allcalls"]) != "v1" {
		t.Errorf("filter state %q", res.FilterState)
	}
}

// A local reply from the first filter: the second never sees the request,
// the reply passes through the encoders of the filters that saw it, and
// every filter still gets proxy_on_log (its context created for the
// purpose), as Envoy does.
func TestWasmChainLocalReplyStopsLaterFilters(t *testing.T) {
	_, _, all, chain := startChain(t)
	res := chain.Do(wasmtest.Request{Path: "/deny"}, nil)
	if res.Upstream != nil || res.Status() != 403 || res.LocalReply == nil || res.LocalReply.Plugin != "counter" {
		t.Fatalf("result %+v", res)
	}
	if res.Header("x-resp") != "" {
		t.Error("the second filter's encoder ran for a reply it never saw the request of")
	}
	logs := all.LogsAt(wasmtest.LogInfo)
	if slices.ContainsFunc(logs, func(l string) bool { return strings.HasPrefix(l, "request_headers") }) {
		t.Errorf("second filter saw the request: %v", logs)
	}
	if !slices.ContainsFunc(logs, func(l string) bool { return strings.HasPrefix(l, "stream_done") }) {
		t.Errorf("second filter got no proxy_on_log: %v", logs)
	}
}

// A panic in a filter fails its VM: the stream gets Envoy's fail-closed
// answer (503, empty body, details wasm_fail_stream), the panic message is
// captured from fd 2 as an error log, and later requests fail the same way.
func TestWasmChainVMFailure(t *testing.T) {
	_, _, all, chain := startChain(t)
	for i := 0; i < 2; i++ {
		res := chain.Do(wasmtest.Request{Path: "/panic"}, nil)
		if res.Status() != 503 || res.LocalReply == nil || res.LocalReply.Details != "wasm_fail_stream" ||
			len(res.Response.Body) != 0 || len(res.Errors) == 0 || res.Upstream != nil {
			t.Fatalf("request %d: %+v", i, res)
		}
	}
	if all.VM().Failed() == nil {
		t.Error("VM not marked failed")
	}
	if !slices.ContainsFunc(all.LogsAt(wasmtest.LogError), func(l string) bool { return strings.Contains(l, "panic: boom") }) {
		t.Errorf("panic not captured: %v", all.LogsAt(wasmtest.LogError))
	}
}

// The second filter pauses for an HTTP callout; its answer resumes the
// request, which then reaches upstream with both filters' changes.
func TestWasmChainCalloutResumes(t *testing.T) {
	h, _, _, chain := startChain(t)
	h.HandleHTTPCalls(func(*wasmtest.HTTPCall) *wasmtest.HTTPCallResponse {
		return &wasmtest.HTTPCallResponse{Headers: [][2]string{{":status", "200"}}}
	})
	res := chain.Do(wasmtest.Request{Path: "/callout"}, nil)
	if res.Stalled != "" || res.Upstream == nil || res.Upstream.Header("x-callout") != "done" ||
		res.Upstream.Header("x-wasp-example") != "hello" || res.Status() != 200 {
		t.Fatalf("result %+v", res)
	}
}

// Without a handler the callout cannot be sent (Envoy: unknown cluster),
// the filter stays paused, and the exchange reports where it stalled.
func TestWasmChainStalls(t *testing.T) {
	_, _, _, chain := startChain(t)
	res := chain.Do(wasmtest.Request{Path: "/callout"}, nil)
	if res.Stalled != "allcalls paused the request" || res.Upstream != nil || res.Status() != 0 {
		t.Fatalf("result %+v", res)
	}
}
