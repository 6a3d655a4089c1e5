package wasmtest_test

import (
	"runtime"
	"testing"

	"wasp.dev/filters/wasmtest"
)

const (
	soakRequests = 200_000
	// The Go runtime in the guest sizes its heap over the first ~100k
	// requests (measured: linear memory grows from 6 to 8.3 MB, then stays
	// flat through 400k requests), so memory is compared between the
	// middle and the end of the run.
	soakWarmup = 100_000
	// Guest memory grows in 64 KiB pages and never shrinks: 4 pages over
	// 100k requests bounds a leak to under 3 bytes per request. wazero keeps
	// linear memory on the Go heap, so the host bound includes it.
	maxGuestGrowth = 4 * 64 << 10
	maxHostGrowth  = 1 << 20
)

// TestWasmSoak sends 200k requests through the compiled example filter and
// checks that guest linear memory and the host heap stay flat after
// warm-up: every stream context is deleted (proxy_on_delete), and neither
// the bridge nor the host keeps per-request state.
func TestWasmSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: 200k requests take 10-40 s on the shared 2-core machine; run without -short")
	}
	wasm := wasmtest.Build(t, "../examples/counter")
	h := wasmtest.NewHost()
	p := h.MustStart(t, wasm, wasmtest.Config{Name: "example", VMID: "soak",
		Configuration: []byte(`{"deny_path":"/deny"}`)})
	req := wasmtest.Request{Path: "/soak", Headers: [][2]string{{"user-agent", "soak"}}}
	deny := wasmtest.Request{Path: "/deny"}
	upstream := func(*wasmtest.UpstreamRequest) *wasmtest.Response {
		return &wasmtest.Response{Status: 200, Body: []byte("ok")}
	}

	var guestAt, hostAt uint64
	for i := 1; i <= soakRequests; i++ {
		r := req
		if i%10 == 0 {
			r = deny // local replies too
		}
		res := p.Do(r, upstream)
		if res.Status() != 200 && res.Status() != 403 {
			t.Fatalf("request %d: status %d, errors %v", i, res.Status(), res.Errors)
		}
		if i == soakWarmup {
			guestAt, hostAt = uint64(p.VM().MemorySize()), heapAfterGC()
		}
	}
	guest, host := uint64(p.VM().MemorySize()), heapAfterGC()
	t.Logf("guest memory %d -> %d bytes, host heap %d -> %d bytes", guestAt, guest, hostAt, host)
	if guest > guestAt+maxGuestGrowth {
		t.Errorf("guest memory grew by %d bytes after warm-up", guest-guestAt)
	}
	if host > hostAt+maxHostGrowth {
		t.Errorf("host heap grew by %d bytes after warm-up (bound %d)", host-hostAt, maxHostGrowth)
	}
	if n, _ := h.Counter("example_requests_total"); n != soakRequests-soakRequests/10 {
		t.Errorf("counted %d requests", n)
	}
}

func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
