package transform

import (
	"strconv"
	"strings"
	"testing"

	"wasp.dev/filters/wasmtest"
)

// runWasm plays an exchange through the compiled module in wazero, with
// wasmtest's Envoy-like filter chain (it honours pauses, buffering and local
// replies the way Envoy's HCM does).
func runWasm(t testing.TB, host *wasmtest.Host, wasm string, c *exchangeCase) *outcome {
	p := host.MustStart(t, wasm, wasmtest.Config{Name: "transform", RootID: "transform", VMID: "builtin", Configuration: []byte(c.pluginConfig())})
	req := wasmtest.Request{
		Headers:    c.reqHeaders,
		Trailers:   c.reqTrailers,
		Properties: map[string][]byte{"xds.route_name": wasmtest.PropString(c.routeName())},
	}
	for _, chunk := range c.reqChunks {
		req.BodyChunks = append(req.BodyChunks, []byte(chunk))
	}
	upstream := func(*wasmtest.UpstreamRequest) *wasmtest.Response {
		resp := &wasmtest.Response{}
		for _, h := range c.responseHeaders() {
			if h[0] == ":status" {
				resp.Status, _ = strconv.Atoi(h[1])
				continue
			}
			resp.Headers = append(resp.Headers, h)
		}
		for _, chunk := range c.respChunks {
			resp.BodyChunks = append(resp.BodyChunks, []byte(chunk))
		}
		return resp
	}
	res := p.Do(req, upstream)
	if len(res.Errors) > 0 || res.Stalled != "" || res.Reset {
		t.Fatalf("exchange failed: errors %v, stalled %q, reset %v, logs %v", res.Errors, res.Stalled, res.Reset, p.Logs())
	}
	o := &outcome{status: res.Status(), clientHeaders: res.Response.Headers, clientBody: string(res.Response.Body)}
	if res.Upstream != nil {
		o.reachedUpstream = true
		o.upstreamHeaders = res.Upstream.Headers
		o.upstreamBody = string(res.Upstream.Body)
	}
	return o
}

func TestWasmExchanges(t *testing.T) {
	wasm := wasmtest.Build(t, "../builtin")
	host := wasmtest.NewHost()
	defer host.Close()
	for i := range exchangeCases {
		c := &exchangeCases[i]
		t.Run(c.name, func(t *testing.T) { c.check(t, runWasm(t, host, wasm, c)) })
	}
}

// The compiled module must refuse a bad template at start, naming where.
func TestWasmPluginStartRejectsBadTemplate(t *testing.T) {
	wasm := wasmtest.Build(t, "../builtin")
	host := wasmtest.NewHost()
	defer host.Close()
	cfg := testConfig(`{"request":{"add":[{"name":"x-a","value":"{{ nope( }}"}]}}`)
	_, err := host.Start(wasm, wasmtest.Config{Name: "transform", RootID: "transform", VMID: "builtin", Configuration: []byte(cfg)})
	if err == nil {
		t.Fatal("plugin started with a bad template")
	}
	want := `policies["p1"].request.add[0].value: header "x-a": template error at 1:4: unknown function "nope"`
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("start error %q does not contain %q", err, want)
	}
}
