package wasmtest_test

import (
	"context"
	"os"
	"testing"

	"github.com/tetratelabs/wazero"

	"wasp.dev/filters/wasmtest"
)

// Compiling a Go-built module is the dominant fixed cost of a wasm test:
// cold (fresh runtime, no cache) versus cached (a shared wazero
// CompilationCache, as wasmtest uses for every VM of the process), plus the
// cost of starting one plugin VM from the compiled module.

func BenchmarkCompileCold(b *testing.B) {
	wasm := wasmtest.Build(b, "../examples/counter")
	defer reportSize(b, wasm) // after the loop: b.Loop drops earlier metrics
	ctx := context.Background()
	for b.Loop() {
		rt, _, err := wasmtest.CompileFile(ctx, wasm, nil)
		if err != nil {
			b.Fatal(err)
		}
		rt.Close(ctx)
	}
}

func BenchmarkCompileCached(b *testing.B) {
	wasm := wasmtest.Build(b, "../examples/counter")
	defer reportSize(b, wasm)
	ctx := context.Background()
	cache := wazero.NewCompilationCache()
	rt, _, err := wasmtest.CompileFile(ctx, wasm, cache) // fill the cache
	if err != nil {
		b.Fatal(err)
	}
	rt.Close(ctx)
	for b.Loop() {
		rt, _, err := wasmtest.CompileFile(ctx, wasm, cache)
		if err != nil {
			b.Fatal(err)
		}
		rt.Close(ctx)
	}
}

// BenchmarkStartPlugin is instantiate + _initialize + context create +
// vm_start + configure from the process-wide compiled module: the cost of
// each extra worker VM in a test, and of each Envoy canary start.
func BenchmarkStartPlugin(b *testing.B) {
	wasm := wasmtest.Build(b, "../examples/counter")
	h := wasmtest.NewHost()
	cfg := wasmtest.Config{Name: "example", VMID: "bench"}
	if p, err := h.Start(wasm, cfg); err != nil { // compile outside the loop
		b.Fatal(err)
	} else {
		p.VM().Close()
	}
	for b.Loop() {
		p, err := h.Start(wasm, cfg)
		if err != nil {
			b.Fatal(err)
		}
		p.VM().Close()
	}
}

func reportSize(b *testing.B, path string) {
	if info, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(info.Size())/(1<<20), "module-MiB")
	}
}
