package transform

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"wasp.dev/filters/config"
	"wasp.dev/filters/wasmtest"
)

// The two benchmarked transformations, each measured three ways: plain Go
// (templates and header edits, no host), natively through proxytest, and as
// the compiled module in wazero through wasmtest.

const benchHeaderPolicy = `{"request":{
 "remove":["x-internal"],
 "set":[{"name":":path","value":"{{ replace_with_string(header(\":path\"), \"/v1/\", \"/v2/\") }}"},
        {"name":"x-user","value":"{{ base64_decode(header(\"x-user-b64\")) }}"}],
 "add":[{"name":"x-route","value":"{% if header(\":method\") == \"GET\" %}read{% else %}write{% endif %}"}]}}`

const benchJSONPolicy = `{"request":{
 "set":[{"name":"x-order","value":"{{ order.id }}"}],
 "body":{"parseAs":"AsJson","value":"{\"order\":\"{{ order.id }}\",\"customer\":\"{{ raw_string(order.customer.name) }}\",\"lines\":[{% for l in order.lines %}{\"sku\":\"{{ l.sku }}\",\"total\":{{ l.qty * l.price }}}{% if not loop.is_last %},{% endif %}{% endfor %}],\"count\":{{ length(order.lines) }}}"}}}`

var benchHeaders = [][2]string{
	{":method", "GET"}, {":path", "/v1/orders/42?expand=lines"}, {":authority", "shop.example.com"}, {":scheme", "http"},
	{"user-agent", "bench/1.0"}, {"accept", "application/json"}, {"x-internal", "secret"}, {"x-user-b64", "YWRhQGV4YW1wbGUuY29t"},
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

func benchPostHeaders() [][2]string {
	h := append([][2]string(nil), benchHeaders...)
	h[0][1] = "POST"
	return append(h, [2]string{"content-type", "application/json"}, [2]string{"content-length", strconv.Itoa(len(benchJSONBody))})
}

func compileBench(b *testing.B, policyJSON string) *transform {
	cfg, err := config.ParseTransformPlugin([]byte(testConfig(policyJSON)))
	if err != nil {
		b.Fatal(err)
	}
	p := cfg.Policies["p1"]
	pol, err := compilePolicy(&p)
	if err != nil {
		b.Fatal(err)
	}
	return pol.request
}

func benchPlain(b *testing.B, policyJSON string, headers [][2]string, body string) {
	t := compileBench(b, policyJSON)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	cpu := startCPU()
	for b.Loop() {
		e, err := t.run(&message{headers: headers, requestHeaders: headers, body: []byte(body), hasBody: body != ""})
		if err != nil {
			b.Fatal(err)
		}
		_ = e.headerCalls(headers)
	}
	cpu.report(b)
}

func BenchmarkPlainHeaders(b *testing.B) { benchPlain(b, benchHeaderPolicy, benchHeaders, "") }

func BenchmarkPlainJSONBody4KiB(b *testing.B) {
	benchPlain(b, benchJSONPolicy, benchPostHeaders(), benchJSONBody)
}

func benchNative(b *testing.B, policyJSON string, headers [][2]string, body string) {
	opt := proxytest.NewEmulatorOption().
		WithVMContext(&vmContext{}).
		WithPluginConfiguration([]byte(testConfig(policyJSON))).
		WithProperty(strings.Split(routeNamePath, "\x00"), []byte("r1"))
	host, reset := proxytest.NewHostEmulator(opt)
	defer reset()
	if host.StartPlugin() != types.OnPluginStartStatusOK {
		b.Fatal("plugin start failed")
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	cpu := startCPU()
	for b.Loop() {
		id := host.InitializeHttpContext()
		action := host.CallOnRequestHeaders(id, headers, body == "")
		if body != "" {
			action = host.CallOnRequestBody(id, []byte(body), true)
		}
		if action != types.ActionContinue || host.GetSentLocalResponse(id) != nil {
			b.Fatalf("request did not pass: %v", action)
		}
		host.CompleteHttpContext(id)
	}
	cpu.report(b)
}

func BenchmarkNativeHeaders(b *testing.B) { benchNative(b, benchHeaderPolicy, benchHeaders, "") }

func BenchmarkNativeJSONBody4KiB(b *testing.B) {
	benchNative(b, benchJSONPolicy, benchPostHeaders(), benchJSONBody)
}

func benchWasm(b *testing.B, policyJSON string, headers [][2]string, body string) {
	wasm := wasmtest.Build(b, "../builtin")
	host := wasmtest.NewHost()
	defer host.Close()
	p := host.MustStart(b, wasm, wasmtest.Config{Name: "transform", RootID: "transform", VMID: "builtin", Configuration: []byte(testConfig(policyJSON))})
	req := wasmtest.Request{Headers: headers, Properties: map[string][]byte{"xds.route_name": wasmtest.PropString("r1")}}
	if body != "" {
		req.Body = []byte(body)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	cpu := startCPU()
	for b.Loop() {
		res := p.Do(req, nil)
		if res.Upstream == nil || res.LocalReply != nil {
			b.Fatalf("request did not pass: %+v", res)
		}
	}
	cpu.report(b)
}

func BenchmarkWasmHeaders(b *testing.B) { benchWasm(b, benchHeaderPolicy, benchHeaders, "") }

func BenchmarkWasmJSONBody4KiB(b *testing.B) {
	benchWasm(b, benchJSONPolicy, benchPostHeaders(), benchJSONBody)
}

// The benchmarks must transform, not just pass through: check the outputs
// once, natively and in wasm, so a broken policy cannot post fast figures.
func TestBenchTransformationsDoTransform(t *testing.T) {
	c := exchangeCase{policy: benchHeaderPolicy, reqHeaders: benchHeaders, wantStatus: 200,
		wantUpstream: map[string][]string{":path": {"/v2/orders/42?expand=lines"}, "x-user": {"ada@example.com"}, "x-route": {"read"}, "x-internal": nil}}
	c.check(t, runNative(t, &c))
	j := exchangeCase{policy: benchJSONPolicy, reqHeaders: benchPostHeaders(), reqChunks: []string{benchJSONBody}, wantStatus: 200,
		wantUpstream: map[string][]string{"x-order": {"ord-42"}}}
	o := runNative(t, &j)
	j.check(t, o)
	if !strings.HasPrefix(o.upstreamBody, `{"order":"ord-42","customer":"Ada \"the\" Lovelace","lines":[{"sku":"sku-0000","total":1.25},`) {
		t.Fatalf("unexpected body %q", o.upstreamBody[:120])
	}
	if got := headerValuesOf(o.upstreamHeaders, "content-length"); len(got) != 1 || got[0] != strconv.Itoa(len(o.upstreamBody)) {
		t.Fatalf("content-length %q for a %d-byte body", got, len(o.upstreamBody))
	}
}
