package main

import (
	"testing"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"wasp.dev/filters/wasmtest"
)

const testConfig = `{"header":"x-wasp-example","value":"hi","deny_path":"/deny"}`

// step is one request of a scenario and what must come of it. The steps run
// in order against one host, so the shared counter carries over.
type step struct {
	path string

	wantStatus      int
	wantUpstream    bool   // the request reached upstream
	wantAdded       string // x-wasp-example upstream saw
	wantCount       string // x-request-count the client saw
	wantFilterState string // wasm.example_count
	wantBody        string
}

var scenario = []step{
	{path: "/a", wantStatus: 200, wantUpstream: true, wantAdded: "hi", wantCount: "1", wantFilterState: "1", wantBody: "ok"},
	{path: "/b", wantStatus: 200, wantUpstream: true, wantAdded: "hi", wantCount: "2", wantFilterState: "2", wantBody: "ok"},
	{path: "/deny", wantStatus: 403, wantBody: deniedBody},
	{path: "/c", wantStatus: 200, wantUpstream: true, wantAdded: "hi", wantCount: "3", wantFilterState: "3", wantBody: "ok"},
}

// outcome is what one request produced, in terms both runners can report.
type outcome struct {
	status      int
	upstream    bool
	added       string
	count       string
	filterState string
	body        string
}

func check(t *testing.T, i int, s step, got outcome) {
	t.Helper()
	want := outcome{s.wantStatus, s.wantUpstream, s.wantAdded, s.wantCount, s.wantFilterState, s.wantBody}
	if got != want {
		t.Errorf("step %d (%s):\n got %+v\nwant %+v", i, s.path, got, want)
	}
}

func TestNative(t *testing.T) {
	opt := proxytest.NewEmulatorOption().WithVMContext(&vmContext{}).
		WithPluginConfiguration([]byte(testConfig))
	host, reset := proxytest.NewHostEmulator(opt)
	defer reset()
	if st := host.StartPlugin(); st != types.OnPluginStartStatusOK {
		t.Fatalf("start: %v", st)
	}
	for i, s := range scenario {
		id := host.InitializeHttpContext()
		action := host.CallOnRequestHeaders(id, [][2]string{
			{":authority", "example.com"}, {":path", s.path}, {":method", "GET"}, {":scheme", "http"},
		}, true)
		var got outcome
		if lr := host.GetSentLocalResponse(id); lr != nil {
			got.status, got.body = int(lr.StatusCode), string(lr.Data)
		} else {
			if action != types.ActionContinue {
				t.Fatalf("step %d: request paused without a local response", i)
			}
			got.upstream = true
			got.added = header(host.GetCurrentRequestHeaders(id), "x-wasp-example")
			host.CallOnResponseHeaders(id, [][2]string{{":status", "200"}}, false)
			host.CallOnResponseBody(id, []byte("ok"), true)
			got.status = 200
			got.count = header(host.GetCurrentResponseHeaders(id), countHeader)
			got.body = string(host.GetCurrentResponseBody(id))
			if v, err := host.GetProperty([]string{countProperty}); err == nil {
				got.filterState = string(v)
			}
		}
		host.CompleteHttpContext(id)
		check(t, i, s, got)
	}
	if n, err := host.GetCounterMetric(requestsMetric); err != nil || n != 3 {
		t.Errorf("metric %s = %d, %v; want 3", requestsMetric, n, err)
	}
}

func TestWasm(t *testing.T) {
	wasm := wasmtest.Build(t, ".")
	h := wasmtest.NewHost()
	p := h.MustStart(t, wasm, wasmtest.Config{Name: "example", VMID: "wasp", Configuration: []byte(testConfig)})
	for i, s := range scenario {
		res := p.Do(wasmtest.Request{Path: s.path}, okUpstream)
		got := outcome{status: res.Status(), body: string(res.Response.Body), count: res.Header(countHeader)}
		if res.Upstream != nil {
			got.upstream = true
			got.added = res.Upstream.Header("x-wasp-example")
		}
		got.filterState = string(res.FilterState["wasm."+countProperty])
		check(t, i, s, got)
		if s.wantStatus == deniedStatus {
			if res.LocalReply == nil || res.Header("x-denied-by") != "wasp-example" || res.Header("content-type") != "text/plain" {
				t.Errorf("step %d: local reply %+v, headers %v", i, res.LocalReply, res.Response.Headers)
			}
		}
	}
	if n, ok := h.Counter(requestsMetric); !ok || n != 3 {
		t.Errorf("metric %s = %d, %v; want 3", requestsMetric, n, ok)
	}
	if logs := p.LogsAt(wasmtest.LogError); len(logs) > 0 {
		t.Errorf("error logs: %v", logs)
	}
}

// TestWasmWorkersShareCounter runs two VMs of the module on one host, as two
// Envoy workers: the counter in shared data is common to both.
func TestWasmWorkersShareCounter(t *testing.T) {
	wasm := wasmtest.Build(t, ".")
	h := wasmtest.NewHost()
	cfg := wasmtest.Config{Name: "example", VMID: "wasp", Configuration: []byte(testConfig)}
	workers := []*wasmtest.Plugin{h.MustStart(t, wasm, cfg), h.MustStart(t, wasm, cfg)}
	for i := 1; i <= 6; i++ {
		res := workers[i%2].Do(wasmtest.Request{Path: "/x"}, okUpstream)
		if got, want := res.Header(countHeader), formatUint(uint64(i)); got != want {
			t.Fatalf("request %d: count %q, want %q", i, got, want)
		}
	}
	// Another vm_id is another namespace.
	other := h.MustStart(t, wasm, wasmtest.Config{Name: "example", VMID: "other", Configuration: []byte(testConfig)})
	if got := other.Do(wasmtest.Request{Path: "/x"}, okUpstream).Header(countHeader); got != "1" {
		t.Fatalf("other vm_id: count %q, want 1", got)
	}
}

func TestWasmBadConfigFailsStart(t *testing.T) {
	wasm := wasmtest.Build(t, ".")
	_, err := wasmtest.NewHost().Start(wasm, wasmtest.Config{Name: "example", Configuration: []byte(`{"header":""}`)})
	se, ok := err.(*wasmtest.StartError)
	if !ok || se.Stage != "proxy_on_configure" || len(se.Logs) == 0 {
		t.Fatalf("want a proxy_on_configure StartError with logs, got %v", err)
	}
}

func okUpstream(*wasmtest.UpstreamRequest) *wasmtest.Response {
	return &wasmtest.Response{Status: 200, Body: []byte("ok")}
}

func header(pairs [][2]string, name string) string {
	for _, p := range pairs {
		if p[0] == name {
			return p[1]
		}
	}
	return ""
}
