package main

import (
	"os"
	"testing"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"wasp.dev/filters/wasmtest"
)

// One request through the example filter (request headers, shared-data
// counter, filter state, response headers, log, done, delete): natively
// under the SDK's emulator, and as the compiled module in wasmtest.

func BenchmarkRequestNative(b *testing.B) {
	opt := proxytest.NewEmulatorOption().WithVMContext(&vmContext{}).
		WithPluginConfiguration([]byte(testConfig))
	host, reset := proxytest.NewHostEmulator(opt)
	defer reset()
	if st := host.StartPlugin(); st != types.OnPluginStartStatusOK {
		b.Fatalf("start: %v", st)
	}
	req := [][2]string{{":authority", "example.com"}, {":path", "/a"}, {":method", "GET"}, {":scheme", "http"}}
	resp := [][2]string{{":status", "200"}}
	b.ReportAllocs()
	for b.Loop() {
		id := host.InitializeHttpContext()
		host.CallOnRequestHeaders(id, req, true)
		host.CallOnResponseHeaders(id, resp, true)
		host.CompleteHttpContext(id)
	}
}

func BenchmarkRequestWasm(b *testing.B) {
	wasm := wasmtest.Build(b, ".")
	h := wasmtest.NewHost()
	p := h.MustStart(b, wasm, wasmtest.Config{Name: "example", VMID: "wasp", Configuration: []byte(testConfig)})
	req := wasmtest.Request{Path: "/a"}
	b.ReportAllocs()
	for b.Loop() {
		if res := p.Do(req, nil); res.Status() != 200 {
			b.Fatalf("status %d", res.Status())
		}
	}
	// After the loop: b.Loop drops metrics reported before it.
	if info, err := os.Stat(wasm); err == nil {
		b.ReportMetric(float64(info.Size())/(1<<20), "module-MiB")
	}
}
