package main

import (
	"os"
	"strconv"
	"testing"
)

// soakRequests is the soak's length in make test; make soak-builtin sets
// WASP_SOAK_REQUESTS=1000000 (the 1M-request run takes minutes on the
// shared 2-core machine, too long for make test).
const soakRequests = 200_000

// TestBuiltinSoak sends requests through the waypoint seed's chain
// (access log + rate limit) in the built-in module and checks that, after
// warm-up (the first half), the guest allocates nothing per request and its
// linear memory does not grow: no per-request state survives a stream.
func TestBuiltinSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak: runs without -short (make test, make soak-builtin)")
	}
	n := soakRequests
	if v, err := strconv.Atoi(os.Getenv("WASP_SOAK_REQUESTS")); err == nil && v > 0 {
		n = v
	}
	r := start(t, scenarioNamed("WaypointSeed"))
	var memAt uint32
	var mallocsAt uint64
	for i := 1; i <= n; i++ {
		if res := r.do(); res.Status() != 200 || len(res.Errors) > 0 {
			t.Fatalf("request %d: status %d, errors %v", i, res.Status(), res.Errors)
		}
		if i == n/2 {
			memAt, mallocsAt = r.vm.MemorySize(), mallocs(t, r.vm)
		}
	}
	mem, allocs := r.vm.MemorySize(), mallocs(t, r.vm)-mallocsAt
	t.Logf("%d requests: linear memory %.2f -> %.2f MiB over the second half, %d guest allocations", n, mib(memAt), mib(mem), allocs)
	if mem > memAt {
		t.Errorf("guest linear memory grew by %d bytes after warm-up", mem-memAt)
	}
	// A handful of allocations may happen off the request path (a map
	// the SDK grows once); per request there must be none.
	if allocs > uint64(n/2)/1000 {
		t.Errorf("%d guest allocations over %d requests after warm-up", allocs, n/2)
	}
}
