// Command callcost is a benchmark filter: on request headers it repeats one
// SDK call (or a bare guest call or allocation) N times, so that wasmtest's
// BenchmarkCallCost can price each kind of host call against the others.
// The plugin configuration is "<op> <n>". It is test data: `make wasm`
// skips it.
package main

import (
	"fmt"
	"unsafe"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
	_ "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/waspabi"
)

func init() { proxywasm.SetVMContext(&vm{}) }

func main() {}

type vm struct{ types.DefaultVMContext }

func (*vm) NewPluginContext(uint32) types.PluginContext { return &plugin{} }

type plugin struct {
	types.DefaultPluginContext
	op string
	n  int
}

func (p *plugin) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil {
		return types.OnPluginStartStatusFailed
	}
	if _, err := fmt.Sscanf(string(data), "%s %d", &p.op, &p.n); err != nil {
		proxywasm.LogCriticalf("config %q: %v", data, err)
		return types.OnPluginStartStatusFailed
	}
	if p.op == "getshared" {
		_ = proxywasm.SetSharedData("callcost", []byte("0123456789"), 0)
	}
	return types.OnPluginStartStatusOK
}

func (p *plugin) NewHttpContext(uint32) types.HttpContext { return &stream{p: p} }

type stream struct {
	types.DefaultHttpContext
	p *plugin
}

// sink keeps the results alive so that the compiler cannot drop the calls.
var sink []byte

func (s *stream) OnHttpRequestHeaders(int, bool) types.Action {
	for range s.p.n {
		switch s.p.op {
		case "add":
			_ = proxywasm.AddHttpRequestHeader("x-a", "b")
		case "get":
			v, _ := proxywasm.GetHttpRequestHeader(":path")
			sink = append(sink[:0], v...)
		case "getmissing":
			v, _ := proxywasm.GetHttpRequestHeader("x-missing")
			sink = append(sink[:0], v...)
		case "getshared":
			v, _, _ := proxywasm.GetSharedData("callcost")
			sink = v
		case "setshared":
			_ = proxywasm.SetSharedData("callcost", []byte("0123456789"), 0)
		case "getproperty":
			v, _ := proxywasm.GetProperty([]string{"request", "path"})
			sink = v
		case "rawmissing":
			rawStatus = rawGetHeaderMapValue(0, unsafe.Pointer(unsafe.StringData(missingKey)), uint32(len(missingKey)), unsafe.Pointer(&rawAddr), unsafe.Pointer(&rawSize))
		case "call":
			rawStatus = step(rawStatus)
		case "alloc8":
			sinkPtr = new(*byte)
		case "alloc":
			sink = make([]byte, 16)
		}
	}
	return types.ActionContinue
}

// rawGetHeaderMapValue is the host call without the SDK and the bridge:
// out-parameters in package variables, so no guest allocation happens around
// it. Only used for an absent header, so the host never allocates a buffer
// (which the bridge would have to release).
//
//go:wasmimport env proxy_get_header_map_value
func rawGetHeaderMapValue(mapType uint32, key unsafe.Pointer, keySize uint32, retData unsafe.Pointer, retSize unsafe.Pointer) uint32

const missingKey = "x-missing"

var (
	rawAddr, rawSize, rawStatus uint32
	sinkPtr                     **byte
)

// step is a function call the compiler cannot remove, to price a plain Go
// call in the guest against an allocation.
//
//go:noinline
func step(v uint32) uint32 { return v + 1 }
