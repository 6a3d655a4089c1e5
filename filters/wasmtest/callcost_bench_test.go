package wasmtest_test

import (
	"fmt"
	"testing"

	"wasp.dev/filters/wasmtest"
)

// callCostRepeats is how many times the callcost filter repeats its call per
// request: enough that the per-call cost dominates the exchange's own.
const callCostRepeats = 20

// BenchmarkCallCost prices one SDK call of each kind through the bridge and
// this host: ns per call = (ns/op of the op - ns/op of "none") / repeats.
//   - call, alloc, alloc8: a plain Go call, make([]byte, 16) and new(*byte)
//     in the guest, no host call (the price of a guest allocation);
//   - rawmissing: the bare host call (its own wasmimport, no SDK, no bridge)
//     for an absent header: the host-call round trip;
//   - getmissing: the same through the SDK and bridge: the SDK's escaping
//     out-parameters are the difference;
//   - get: a present header: the host calls proxy_on_memory_allocate and
//     copies the value in;
//   - add, getproperty, getshared, setshared: as named.
func BenchmarkCallCost(b *testing.B) {
	wasm := wasmtest.Build(b, "testdata/callcost")
	for _, op := range []string{"none", "call", "alloc", "alloc8", "add", "rawmissing", "getmissing", "get", "getproperty", "getshared", "setshared"} {
		b.Run(op, func(b *testing.B) {
			p := wasmtest.NewHost().MustStart(b, wasm, wasmtest.Config{
				Name: "callcost", VMID: "callcost",
				Configuration: []byte(fmt.Sprintf("%s %d", op, callCostRepeats)),
			})
			req := wasmtest.Request{Path: "/callcost"}
			b.ReportAllocs()
			for b.Loop() {
				p.Do(req, nil)
			}
		})
	}
}
