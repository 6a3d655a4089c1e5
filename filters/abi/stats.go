//go:build wasip1

package waspabi

import "runtime"

// wasp_guest_mallocs returns how many heap objects the module's Go runtime
// has allocated so far (runtime.MemStats.Mallocs), so that a test host can
// count guest allocations per request: call it before and after a run.
// Envoy never calls it; an extra export does not change how Envoy loads
// the module. ReadMemStats stops the (single-threaded) world briefly, so
// hosts call it outside measured loops.
//
//go:wasmexport wasp_guest_mallocs
func guestMallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}
