package wasmtest_test

import (
	"testing"

	"wasp.dev/filters/wasmtest"
)

// BenchmarkRequestHello is the floor of one exchange: the smallest filter
// (one header added), so the figure is host plus bridge plus Go-runtime
// overhead: context create, request headers, response headers, log, done,
// delete.
func BenchmarkRequestHello(b *testing.B) {
	wasm := wasmtest.Build(b, "../examples/hello")
	p := wasmtest.NewHost().MustStart(b, wasm, wasmtest.Config{Name: "hello"})
	req := wasmtest.Request{Path: "/"}
	b.ReportAllocs()
	for b.Loop() {
		p.Do(req, nil)
	}
}
