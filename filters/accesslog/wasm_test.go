package accesslog

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"wasp.dev/filters/config"
	"wasp.dev/filters/wasmtest"
)

// The same tables as native_test.go, run on the compiled .wasm in wazero.

var (
	wasmOnce sync.Once
	wasmPath string
	wasmErr  error
)

// accessLogWasm builds the filter once per test process.
func accessLogWasm(tb testing.TB) string {
	tb.Helper()
	wasmOnce.Do(func() { wasmPath, wasmErr = wasmtest.BuildPackage("../builtin") })
	if wasmErr != nil {
		tb.Fatal(wasmErr)
	}
	return wasmPath
}

// wasmVMEnv is the VM environment Envoy gives the module when the
// translator sets vm_config.environment_variables.host_env_keys: ["HOSTNAME"]
// and the pod's HOSTNAME is testHostname.
var wasmVMEnv = map[string]string{hostnameEnv: testHostname}

// newWasmVM starts one VM; each case starts its own plugin (root context)
// in it, as Envoy does for plugins that share a VM.
func newWasmVM(t testing.TB) (*wasmtest.Host, *wasmtest.VM) {
	h := wasmtest.NewHost()
	vm, err := h.NewVM(accessLogWasm(t), wasmtest.VMConfig{ID: "builtin", Env: wasmVMEnv})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vm.Close)
	return h, vm
}

// wasmRequest turns an exchange into wasmtest's request and upstream.
func wasmRequest(ex exchange) (wasmtest.Request, wasmtest.Upstream) {
	req := wasmtest.Request{Headers: ex.requestHeaders, Body: ex.requestBody, Properties: map[string][]byte{}}
	for _, p := range ex.props {
		req.Properties[strings.Join(p.path, ".")] = p.value
	}
	resp := &wasmtest.Response{Body: ex.responseBody, Trailers: ex.responseTrailers}
	for _, h := range ex.responseHeaders {
		if h[0] == ":status" {
			resp.Status, _ = strconv.Atoi(h[1])
			continue
		}
		resp.Headers = append(resp.Headers, h)
	}
	return req, func(*wasmtest.UpstreamRequest) *wasmtest.Response { return resp }
}

// wasmResult reads the lines as Envoy's native file logger would print them:
// %FILTER_STATE(wasm.<key>:PLAIN)% followed by a newline.
func wasmResult(t testing.TB, res *wasmtest.Result) result {
	t.Helper()
	if len(res.Errors) > 0 {
		t.Fatalf("VM errors: %v", res.Errors)
	}
	out := result{lines: map[int]string{}}
	for i := 0; i < maxEntries; i++ {
		if v, ok := res.FilterState[config.AccessLogFilterStateKey(i)]; ok {
			printed := string(v) + "\n"
			out.lines[i] = strings.TrimSuffix(printed, "\n")
		}
	}
	_, out.seen = res.FilterState["wasm."+config.AccessLogSeenKey]
	return out
}

func TestLinesWasm(t *testing.T) {
	_, vm := newWasmVM(t)
	for i, c := range lineCases() {
		t.Run(c.name, func(t *testing.T) {
			p, err := vm.Start(wasmtest.Config{Name: "accesslog-" + strconv.Itoa(i), RootID: "accesslog", Configuration: c.config})
			if err != nil {
				t.Fatal(err)
			}
			req, up := wasmRequest(c.ex)
			checkLines(t, wasmResult(t, p.Do(req, up)), c.want)
		})
	}
}

func TestSeedSampleWasm(t *testing.T) {
	_, vm := newWasmVM(t)
	p, err := vm.Start(wasmtest.Config{Name: "accesslog", RootID: "accesslog", Configuration: pluginConfig(jsonSink(seedJSONFormat))})
	if err != nil {
		t.Fatal(err)
	}
	req, up := wasmRequest(rateLimitedGet())
	checkSeedSample(t, wasmResult(t, p.Do(req, up)))
}

// Without host_env_keys the VM has no HOSTNAME: %HOSTNAME% is missing,
// "-" in text and null when it is a JSON value of its own.
func TestHostnameUnsetWasm(t *testing.T) {
	h := wasmtest.NewHost()
	p := h.MustStart(t, accessLogWasm(t), wasmtest.Config{Name: "accesslog", RootID: "accesslog", VMID: "builtin",
		Configuration: pluginConfig(textSink("host=%HOSTNAME%"), jsonSink(`{"host":"%HOSTNAME%"}`))})
	req, up := wasmRequest(upstreamGet(200, 0))
	checkLines(t, wasmResult(t, p.Do(req, up)), map[int]string{0: "host=-", 1: `{"host":null}`})
}

func TestStartFailuresWasm(t *testing.T) {
	_, vm := newWasmVM(t)
	for i, c := range startCases() {
		t.Run(c.name, func(t *testing.T) {
			_, err := vm.Start(wasmtest.Config{Name: "bad-" + strconv.Itoa(i), RootID: "accesslog", Configuration: c.config})
			if err == nil {
				t.Fatal("plugin started")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("start error %q does not contain %q", err, c.want)
			}
		})
	}
	if vm.Failed() != nil {
		t.Fatalf("a refused configuration failed the VM: %v", vm.Failed())
	}
}

func TestDurationsWasm(t *testing.T) {
	_, vm := newWasmVM(t)
	p, err := vm.Start(wasmtest.Config{Name: "accesslog", RootID: "accesslog", Configuration: pluginConfig(jsonSink(durationsFormat))})
	if err != nil {
		t.Fatal(err)
	}
	req, up := wasmRequest(upstreamGet(200, 0))
	checkDurations(t, wasmResult(t, p.Do(req, up)))
}

// wasmOTLP is the wazero host with its http-call handler forwarding to the
// collector; ticks come from advancing the host clock.
type wasmOTLP struct {
	host *wasmtest.Host
	p    *wasmtest.Plugin
	t    *testing.T
}

func (w *wasmOTLP) do(ex exchange) result {
	req, up := wasmRequest(ex)
	return wasmResult(w.t, w.p.Do(req, up))
}

func (w *wasmOTLP) tick(*testing.T) { w.host.Advance(time.Second) }

func (w *wasmOTLP) counter(name string) uint64 {
	v, _ := w.host.Counter(name)
	return v
}

func TestOTLPWasm(t *testing.T) {
	c := newCollector(t)
	h, vm := newWasmVM(t)
	h.HandleHTTPCalls(func(call *wasmtest.HTTPCall) *wasmtest.HTTPCallResponse {
		if call.Cluster != otlpCluster {
			t.Errorf("call to cluster %q", call.Cluster)
			return nil
		}
		status, body, err := c.forward(call.Headers, call.Body)
		if err != nil {
			t.Error(err)
			return nil
		}
		return &wasmtest.HTTPCallResponse{Headers: [][2]string{{":status", strconv.Itoa(status)}}, Body: body}
	})
	for _, np := range nodeProps {
		h.SetProperty(strings.Join(np.path, "."), np.value)
	}
	p, err := vm.Start(wasmtest.Config{Name: "accesslog", RootID: "accesslog", Configuration: otlpConfig()})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.TickPeriod(); got != time.Second {
		t.Errorf("tick period %v, want 1s", got)
	}
	testOTLP(t, &wasmOTLP{host: h, p: p, t: t}, c)
}

// TestSeedRateLimitChainWasm is seed 002 end to end in wazero: wasp's rate
// limiter (kgateway's tokenBucket 3 per 60s) and the access-log filter in one
// HCM chain; the fourth `curl http://ollama:80/` gets 429 and its line shows
// response_flags "RL" with the seed sample's keys and types.
func TestSeedRateLimitChainWasm(t *testing.T) {
	rl, err := wasmtest.BuildPackage("../builtin")
	if err != nil {
		t.Fatal(err)
	}
	h := wasmtest.NewHost()
	worker := h.NewWorker() // one module, one VM key: both plugins in one VM
	limiter := worker.MustStart(t, rl, wasmtest.Config{Name: "ratelimit", RootID: "ratelimit", VMID: "builtin", VMEnv: wasmVMEnv, Configuration: []byte(
		`{"policies":{"default/ratelimit":{"tokenBucket":{"maxTokens":3,"tokensPerFill":3,"fillInterval":"60s"}}},` +
			`"routes":{"default/ollama/rule-0":"default/ratelimit"}}`)})
	logger := worker.MustStart(t, accessLogWasm(t), wasmtest.Config{Name: "accesslog", RootID: "accesslog", VMID: "builtin", VMEnv: wasmVMEnv,
		Configuration: pluginConfig(jsonSink(seedJSONFormat))})
	if logger.VM() != limiter.VM() {
		t.Fatal("the access-log and rate-limit plugins of the built-in module run in two VMs")
	}
	chain := wasmtest.NewChain(logger, limiter)
	curl := wasmtest.Request{Authority: "ollama", Path: "/", Headers: [][2]string{
		{"user-agent", "curl/8.12.1"}, {"accept", "*/*"}, {"x-request-id", seedRequestID}},
		Properties: map[string][]byte{"xds.route_name": []byte("default/ollama/rule-0")}}
	ollama := func(*wasmtest.UpstreamRequest) *wasmtest.Response {
		return &wasmtest.Response{Status: http.StatusOK, Body: []byte("Ollama is running")}
	}
	var last *wasmtest.Result
	for i := 0; i < 4; i++ {
		last = chain.Do(curl, ollama)
		if len(last.Errors) > 0 {
			t.Fatalf("request %d: %v", i+1, last.Errors)
		}
		want := http.StatusOK
		if i == 3 {
			want = http.StatusTooManyRequests
		}
		if last.Status() != want {
			t.Fatalf("request %d: status %d, want %d", i+1, last.Status(), want)
		}
	}
	got := wasmResult(t, last)
	checkSeedSample(t, got)
	if !strings.Contains(got.lines[0], `"bytes_sent":18`) {
		t.Errorf("429 line %s: want bytes_sent 18 (local_rate_limited)", got.lines[0])
	}
}
