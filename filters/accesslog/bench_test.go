package accesslog

import (
	"testing"
	"time"

	"wasp.dev/filters/accesslog/format"
	"wasp.dev/filters/config"
	"wasp.dev/filters/wasmtest"
)

// Benchmarks: the seed's jsonFormat for one rate-limited request, three ways.
//
//	go test ./filters/accesslog -run '^$' -bench Seed -benchmem

// staticSource is the seed request's values in plain Go, without a host.
type staticSource struct{}

func (staticSource) StartTime() (time.Time, bool) { return seedStart, true }
func (staticSource) Number(f format.Field) (int64, bool) {
	switch f {
	case format.ResponseCode:
		return 429, true
	case format.BytesReceived:
		return 0, true
	case format.BytesSent:
		return 18, true
	}
	return 0, false
}
func (staticSource) String(f format.Field) (string, bool) {
	if f == format.Protocol {
		return "HTTP/1.1", true
	}
	return "", false
}
func (staticSource) ResponseFlags() uint64 { return format.RateLimited }
func (staticSource) Header(k format.HeaderKind, name string) (string, bool) {
	if k != format.RequestHeader {
		return "", false
	}
	switch name {
	case ":method":
		return "GET", true
	case ":path":
		return "/", true
	case ":authority":
		return "ollama", true
	case "x-request-id":
		return seedRequestID, true
	}
	return "", false
}
func (staticSource) FilterState(string) (string, bool) { return "", false }

// BenchmarkSeedFormatGo is the formatter alone.
func BenchmarkSeedFormatGo(b *testing.B) {
	f, err := format.ParseJSON([]byte(seedJSONFormat), format.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = f.Append(buf[:0], staticSource{})
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkSeedNative is one request through the filter's Go code under the
// SDK's emulator (proxy_on_log included).
func BenchmarkSeedNative(b *testing.B) {
	n, err := startNative(b, pluginConfig(jsonSink(seedJSONFormat)), rateLimitedGet().props)
	if err != nil {
		b.Fatal(err)
	}
	defer n.reset()
	ex := rateLimitedGet()
	h := n.host
	b.ReportAllocs()
	for b.Loop() {
		id := h.InitializeHttpContext()
		h.CallOnRequestHeaders(id, ex.requestHeaders, true)
		h.CallOnResponseHeaders(id, ex.responseHeaders, true)
		h.CompleteHttpContext(id)
	}
	if _, err := h.GetProperty([]string{config.AccessLogLineKey(0)}); err != nil {
		b.Fatal("no line")
	}
}

// BenchmarkSeedWasm is one request through the compiled filter in wazero
// (the host's exchange machinery included).
func BenchmarkSeedWasm(b *testing.B) {
	h := wasmtest.NewHost()
	p, err := h.Start(accessLogWasm(b), wasmtest.Config{Name: "accesslog", RootID: "accesslog", VMID: "builtin", VMEnv: wasmVMEnv,
		Configuration: pluginConfig(jsonSink(seedJSONFormat))})
	if err != nil {
		b.Fatal(err)
	}
	defer p.VM().Close()
	req, up := wasmRequest(rateLimitedGet())
	b.ReportAllocs()
	var res *wasmtest.Result
	for b.Loop() {
		res = p.Do(req, up)
	}
	if _, ok := res.FilterState[config.AccessLogFilterStateKey(0)]; !ok {
		b.Fatal("no line")
	}
}

// BenchmarkSeedWasmBaseline is the same exchange through a filter with no
// configuration (no policy: proxy_on_log returns at once), to separate the
// host's per-request cost from the formatting.
func BenchmarkSeedWasmBaseline(b *testing.B) {
	h := wasmtest.NewHost()
	p, err := h.Start(accessLogWasm(b), wasmtest.Config{Name: "accesslog", RootID: "accesslog", VMID: "builtin"})
	if err != nil {
		b.Fatal(err)
	}
	defer p.VM().Close()
	req, up := wasmRequest(rateLimitedGet())
	b.ReportAllocs()
	for b.Loop() {
		p.Do(req, up)
	}
}
