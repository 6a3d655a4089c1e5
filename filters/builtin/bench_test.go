package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"wasp.dev/filters/config"
	"wasp.dev/filters/wasmtest"
)

// The built-in filters' per-request cost as the compiled module in wazero,
// each scenario through the same harness (one worker, the plugins in HCM
// order, one VM for the built-in module):
//
//	go test ./filters/builtin -run '^$' -bench BenchmarkBuiltin
//
// Each reports guest-allocs/op (heap objects the guest allocated per
// request, from the bridge's wasp_guest_mallocs) and linear-MiB (guest
// linear memory after the run). make bench-filters prints them as one
// table with ratios to the floor (TestBuiltinTable).

// Plugin configurations, as the translator writes them for the seeds.
const (
	// benchRateLimit never runs out during a run: the host clock stands
	// still, so the bucket only drains.
	benchRateLimit = `{"policies":{"default/ratelimit":{"tokenBucket":{"maxTokens":2000000000,"tokensPerFill":1,"fillInterval":"1s"}}},` +
		`"routes":{"default/ollama/rule-0":"default/ratelimit"}}`
	// benchAccessLog is the waypoint seed's jsonFormat to a file sink.
	benchAccessLog = `{"policies":{"default/access-logging":{"accessLog":[{"fileSink":{"path":"/dev/stdout","jsonFormat":{` +
		`"start_time":"%START_TIME%","method":"%REQ(X-ENVOY-ORIGINAL-METHOD?:METHOD)%","path":"%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",` +
		`"protocol":"%PROTOCOL%","response_code":"%RESPONSE_CODE%","response_flags":"%RESPONSE_FLAGS%","bytes_received":"%BYTES_RECEIVED%",` +
		`"bytes_sent":"%BYTES_SENT%","request_id":"%REQ(X-REQUEST-ID)%","authority":"%REQ(:AUTHORITY)%"}}}]}},` +
		`"default":"default/access-logging"}`
	// benchTransformHeaders edits headers only (the ingress seed's kind of
	// policy, with templates).
	benchTransformHeaders = `{"policies":{"p":{"request":{` +
		`"remove":["x-internal"],` +
		`"set":[{"name":"x-served-by","value":"wasp"},{"name":"x-user","value":"{{ base64_decode(header(\"x-user-b64\")) }}"}],` +
		`"add":[{"name":"x-route","value":"{% if header(\":method\") == \"GET\" %}read{% else %}write{% endif %}"}]}}},` +
		`"routes":{"default/ollama/rule-0":"p"}}`
	// benchTransformJSON renders a body from a 4 KiB JSON request body.
	benchTransformJSON = `{"policies":{"p":{"request":{` +
		`"set":[{"name":"x-order","value":"{{ order.id }}"}],` +
		`"body":{"parseAs":"AsJson","value":"{\"order\":\"{{ order.id }}\",\"customer\":\"{{ raw_string(order.customer.name) }}\",\"lines\":[{% for l in order.lines %}{\"sku\":\"{{ l.sku }}\",\"total\":{{ l.qty * l.price }}}{% if not loop.is_last %},{% endif %}{% endfor %}],\"count\":{{ length(order.lines) }}}"}}}},` +
		`"routes":{"default/ollama/rule-0":"p"}}`
)

// benchVMEnv is what the translator gives the built-in module's VM.
var benchVMEnv = map[string]string{"HOSTNAME": "wasp-waypoint-0"}

type benchPlugin struct{ rootID, configuration string }

var (
	accessLogPlugin = benchPlugin{config.RootIDAccessLog, benchAccessLog}
	rateLimitPlugin = benchPlugin{config.RootIDRateLimit, benchRateLimit}
	transformPlugin = benchPlugin{config.RootIDTransform, benchTransformHeaders}
	transformJSON   = benchPlugin{config.RootIDTransform, benchTransformJSON}
)

// scenario is one benchmarked request through a chain of plugins.
type scenario struct {
	name    string
	floor   int // this many hello plugins (the floor) instead of the built-in module
	plugins []benchPlugin
	post    bool // a POST with the 4 KiB JSON body
}

var scenarios = []scenario{
	{name: "Floor", floor: 1},
	// Two hello plugins in one chain: the harness's and the ABI's cost of a
	// second plugin on the stream, the floor of a two-filter chain.
	{name: "FloorTwoPlugins", floor: 2},
	{name: "RateLimit", plugins: []benchPlugin{rateLimitPlugin}},
	{name: "AccessLog", plugins: []benchPlugin{accessLogPlugin}},
	{name: "TransformHeaders", plugins: []benchPlugin{transformPlugin}},
	{name: "WaypointSeed", plugins: []benchPlugin{accessLogPlugin, rateLimitPlugin}},
	{name: "Ingress", plugins: []benchPlugin{rateLimitPlugin, transformPlugin}},
	{name: "AllThree", plugins: []benchPlugin{accessLogPlugin, rateLimitPlugin, transformPlugin}},
	{name: "TransformJSON4KiB", plugins: []benchPlugin{transformJSON}, post: true},
}

func scenarioNamed(name string) scenario {
	for _, s := range scenarios {
		if s.name == name {
			return s
		}
	}
	panic("no scenario " + name)
}

// benchRequest is the seed's curl through a waypoint route.
func benchRequest(post bool) wasmtest.Request {
	req := wasmtest.Request{
		Method: "GET", Path: "/", Authority: "ollama",
		Headers: [][2]string{{"user-agent", "curl/8.12.1"}, {"accept", "*/*"},
			{"x-request-id", "9f0c1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b"}, {"x-internal", "secret"}, {"x-user-b64", "YWRhQGV4YW1wbGUuY29t"}},
		Properties: map[string][]byte{"xds.route_name": wasmtest.PropString("default/ollama/rule-0")},
	}
	if post {
		req.Method = "POST"
		req.Headers = append(req.Headers, [2]string{"content-type", "application/json"},
			[2]string{"content-length", strconv.Itoa(len(benchJSONBody))})
		req.Body = []byte(benchJSONBody)
	}
	return req
}

var benchUpstream = func(*wasmtest.UpstreamRequest) *wasmtest.Response {
	return &wasmtest.Response{Status: 200, Headers: [][2]string{{"content-type", "text/plain"}}, Body: []byte("Ollama is running")}
}

// benchJSONBody is a 4 KiB order document.
var benchJSONBody = func() string {
	var b strings.Builder
	b.WriteString(`{"order":{"id":"ord-42","customer":{"name":"Ada \"the\" Lovelace","tier":"gold"},"lines":[`)
	for i := 0; b.Len() < 4096-120; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"sku":"sku-%04d","qty":%d,"price":%d.25,"note":"n"}`, i, i%5+1, i%17+1)
	}
	b.WriteString(`]}}`)
	s := b.String()
	return s + strings.Repeat(" ", 4096-len(s))
}()

// running is a scenario started on a fresh host: its chain and its VM.
type running struct {
	chain *wasmtest.Chain
	vm    *wasmtest.VM
	req   wasmtest.Request
}

func modulePath(tb testing.TB, floor bool) string {
	if floor { // the hello module
		return wasmtest.Build(tb, "../examples/hello")
	}
	return wasmtest.Build(tb, ".")
}

func start(tb testing.TB, s scenario) *running {
	tb.Helper()
	w := wasmtest.NewHost().NewWorker()
	tb.Cleanup(w.Close)
	wasm := modulePath(tb, s.floor > 0)
	var plugins []*wasmtest.Plugin
	for i := range s.floor {
		plugins = append(plugins, w.MustStart(tb, wasm, wasmtest.Config{Name: "hello-" + strconv.Itoa(i), VMID: "hello"}))
	}
	for _, p := range s.plugins {
		plugins = append(plugins, w.MustStart(tb, wasm, wasmtest.Config{Name: "wasp." + p.rootID, RootID: p.rootID,
			VMID: config.BuiltinModule, VMEnv: benchVMEnv, Configuration: []byte(p.configuration)}))
	}
	if n := len(w.VMs()); n != 1 {
		tb.Fatalf("%s: %d VMs, want the one of the module", s.name, n)
	}
	r := &running{chain: wasmtest.NewChain(plugins...), vm: plugins[0].VM(), req: benchRequest(s.post)}
	r.check(tb, r.do())
	return r
}

func (r *running) do() *wasmtest.Result { return r.chain.Do(r.req, benchUpstream) }

func (r *running) check(tb testing.TB, res *wasmtest.Result) {
	if res.Status() != 200 || len(res.Errors) > 0 {
		tb.Fatalf("status %d, errors %v", res.Status(), res.Errors)
	}
}

func mallocs(tb testing.TB, vm *wasmtest.VM) uint64 {
	n, ok := vm.GuestMallocs()
	if !ok {
		tb.Fatal("the module does not export wasp_guest_mallocs")
	}
	return n
}

func benchScenario(b *testing.B, name string) {
	r := start(b, scenarioNamed(name))
	before := mallocs(b, r.vm)
	b.ReportAllocs()
	var res *wasmtest.Result
	for b.Loop() {
		res = r.do()
	}
	allocs := mallocs(b, r.vm) - before
	r.check(b, res)
	b.ReportMetric(float64(allocs)/float64(b.N), "guest-allocs/op")
	b.ReportMetric(float64(r.vm.MemorySize())/(1<<20), "linear-MiB")
}

func BenchmarkBuiltinFloor(b *testing.B)             { benchScenario(b, "Floor") }
func BenchmarkBuiltinFloorTwoPlugins(b *testing.B)   { benchScenario(b, "FloorTwoPlugins") }
func BenchmarkBuiltinRateLimit(b *testing.B)         { benchScenario(b, "RateLimit") }
func BenchmarkBuiltinAccessLog(b *testing.B)         { benchScenario(b, "AccessLog") }
func BenchmarkBuiltinTransformHeaders(b *testing.B)  { benchScenario(b, "TransformHeaders") }
func BenchmarkBuiltinWaypointSeed(b *testing.B)      { benchScenario(b, "WaypointSeed") }
func BenchmarkBuiltinIngress(b *testing.B)           { benchScenario(b, "Ingress") }
func BenchmarkBuiltinAllThree(b *testing.B)          { benchScenario(b, "AllThree") }
func BenchmarkBuiltinTransformJSON4KiB(b *testing.B) { benchScenario(b, "TransformJSON4KiB") }

// moduleSize is the size of the module's file.
func moduleSize(tb testing.TB, floor bool) int64 {
	info, err := os.Stat(modulePath(tb, floor))
	if err != nil {
		tb.Fatal(err)
	}
	return info.Size()
}
