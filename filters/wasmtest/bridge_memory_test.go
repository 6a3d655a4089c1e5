package wasmtest_test

import (
	"fmt"
	"strings"
	"testing"

	"wasp.dev/filters/wasmtest"
)

// retainRequests is enough requests to fill many of the bridge's host-buffer
// chunks and to span several forced collections in the guest.
const retainRequests = 300

// TestWasmBridgeKeepsReturnedValues proves that the buffers the bridge hands
// the host for returned data stay intact for as long as the filter holds the
// SDK's (uncopied) results, across collections and while later buffers are
// carved and allocated: filters/abi/testdata/retain answers 500 if any kept
// value changed. Values vary in length around the bridge's carving limit and
// in content per request, so a reused or overwritten buffer cannot go unseen.
func TestWasmBridgeKeepsReturnedValues(t *testing.T) {
	wasm := wasmtest.Build(t, "../abi/testdata/retain")
	p := wasmtest.NewHost().MustStart(t, wasm, wasmtest.Config{Name: "retain"})
	for i := range retainRequests {
		value := fmt.Sprintf("%d:%s", i, strings.Repeat(string(rune('a'+i%26)), i%300))
		res := p.Do(wasmtest.Request{Headers: [][2]string{{"x-value", value}}}, nil)
		if res.Status() != 200 {
			t.Fatalf("request %d: status %d, body %q", i, res.Status(), res.Response.Body)
		}
	}
}
