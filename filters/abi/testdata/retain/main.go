// Command retain is a test filter for the bridge's host buffers: it keeps
// every value a data-returning host call gave it (the SDK aliases the buffer
// the host wrote, without copying) next to its own copy, collects garbage, and
// answers 500 naming the first kept value that no longer matches its copy. A
// buffer freed, reused or overwritten while the filter still holds it shows up
// here. It is test data: `make wasm` skips it.
package main

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
	_ "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/waspabi"
)

func init() { proxywasm.SetVMContext(&vm{}) }

func main() {}

// gcEvery is how often (in requests) the filter forces a collection: often
// enough that freed buffers are reclaimed and reallocated between requests,
// rarely enough to keep the test fast.
const gcEvery = 7

type vm struct{ types.DefaultVMContext }

func (*vm) NewPluginContext(uint32) types.PluginContext { return &plugin{} }

type plugin struct{ types.DefaultPluginContext }

func (*plugin) NewHttpContext(uint32) types.HttpContext { return &stream{} }

type stream struct{ types.DefaultHttpContext }

// kept holds the values as the SDK returned them; copies holds what they
// said when they were returned.
var (
	kept     []string
	copies   []string
	requests int
)

func keep(v string) {
	kept = append(kept, v)
	copies = append(copies, strings.Clone(v))
}

func (*stream) OnHttpRequestHeaders(int, bool) types.Action {
	// One small value (carved from a shared chunk) and one large (the
	// serialised header map, its own buffer) per request.
	v, err := proxywasm.GetHttpRequestHeader("x-value")
	if err != nil {
		return fail(fmt.Sprintf("x-value: %v", err))
	}
	keep(v)
	pairs, err := proxywasm.GetHttpRequestHeaders()
	if err != nil {
		return fail(fmt.Sprintf("headers: %v", err))
	}
	for _, p := range pairs {
		keep(p[0])
		keep(p[1])
	}
	requests++
	if requests%gcEvery == 0 {
		runtime.GC()
	}
	for i := range kept {
		if kept[i] != copies[i] {
			return fail(fmt.Sprintf("value %d changed from %q to %q", i, copies[i], kept[i]))
		}
	}
	return types.ActionContinue
}

func fail(msg string) types.Action {
	if err := proxywasm.SendHttpResponse(500, nil, []byte(msg), -1); err != nil {
		proxywasm.LogCriticalf("sending 500: %v", err)
	}
	return types.ActionPause
}
