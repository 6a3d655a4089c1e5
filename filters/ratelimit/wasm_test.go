package ratelimit

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"wasp.dev/filters/config"
	"wasp.dev/filters/wasmtest"
)

// wasmHarness runs the compiled filter in wasmtest: real VMs (one per
// worker) on one host whose shared data, counters and clock they share.
type wasmHarness struct{}

type wasmRun struct {
	host *wasmtest.Host
	vms  []*wasmtest.Plugin
}

// pluginConfig is how the translator installs the filter.
func pluginConfig(configuration string) wasmtest.Config {
	return wasmtest.Config{Name: "wasp.ratelimit", RootID: "ratelimit", VMID: "builtin", Configuration: []byte(configuration)}
}

func (wasmHarness) start(t testing.TB, configuration string, vms int) run {
	wasm := wasmtest.Build(t, "../builtin")
	r := &wasmRun{host: wasmtest.NewHost()}
	for i := 0; i < vms; i++ {
		r.vms = append(r.vms, r.host.MustStart(t, wasm, pluginConfig(configuration)))
	}
	return r
}

func (wasmHarness) startFailure(t testing.TB, configuration string) (bool, []string) {
	wasm := wasmtest.Build(t, "../builtin")
	p, err := wasmtest.NewHost().Start(wasm, pluginConfig(configuration))
	if err == nil {
		p.VM().Close()
		return true, nil
	}
	var se *wasmtest.StartError
	if !errors.As(err, &se) {
		t.Fatalf("start failed without a StartError: %v", err)
	}
	if se.Stage != "proxy_on_configure" {
		t.Fatalf("start failed at %s, want proxy_on_configure: %v", se.Stage, err)
	}
	var logs []string
	for _, l := range se.Logs {
		if l.Level >= wasmtest.LogError {
			logs = append(logs, l.Message)
		}
	}
	return false, logs
}

func (r *wasmRun) do(t testing.TB, req request) response {
	t.Helper()
	props := map[string][]byte{}
	if req.route != "" {
		props["xds.route_name"] = wasmtest.PropString(req.route)
	}
	if req.source != "" {
		props["source.address"] = wasmtest.PropString(req.source)
	}
	res := r.vms[req.vm].Do(wasmtest.Request{Authority: "ollama", Headers: req.headers, Properties: props}, nil)
	if len(res.Errors) > 0 {
		t.Fatalf("VM failed: %v", res.Errors)
	}
	resp := response{
		status: res.Status(),
		marker: string(res.FilterState[config.RateLimitedFilterStateName]),
	}
	if lr := res.LocalReply; lr != nil {
		resp.body, resp.headers = string(lr.Body), toMap(lr.Headers)
		// What the client sees once Envoy has added its own headers.
		if ct, cl := res.Header("content-type"), res.Header("content-length"); ct != "text/plain" || cl != strconv.Itoa(len(lr.Body)) {
			t.Errorf("client got content-type %q content-length %q", ct, cl)
		}
		return resp
	}
	resp.headers = toMap(res.Response.Headers)
	return resp
}

func (r *wasmRun) advance(d time.Duration) { r.host.Advance(d) }

func (r *wasmRun) counter(t testing.TB, name string) uint64 {
	v, ok := r.host.Counter(name)
	if !ok {
		t.Fatalf("counter %s not defined", name)
	}
	return v
}

func TestWasmScenarios(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { runScenario(t, wasmHarness{}, sc) })
	}
}

func TestWasmInvalidConfig(t *testing.T) { runInvalidConfigs(t, wasmHarness{}) }

// TestWasmTwoVMsConcurrently drives two VMs from two goroutines at one
// instant: the shared bucket admits exactly maxTokens, however the VMs'
// compare-and-swaps interleave in the host.
func TestWasmTwoVMsConcurrently(t *testing.T) {
	const maxTokens = 40
	cfg := `{"policies": {"p": {"tokenBucket": {"maxTokens": 40, "fillInterval": "1h"}}}, "routes": {"ollama": "p"}}`
	r := wasmHarness{}.start(t, cfg, 2).(*wasmRun)
	r.do(t, ollama(0)) // creates the bucket: no first-touch race below
	var wg sync.WaitGroup
	counts := make([]map[int]int, 2)
	for vm := range 2 {
		counts[vm] = map[int]int{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				res := r.vms[vm].Do(wasmtest.Request{Properties: map[string][]byte{
					"xds.route_name": wasmtest.PropString("ollama")}}, nil)
				counts[vm][res.Status()]++
			}
		}()
	}
	wg.Wait()
	allowed := counts[0][200] + counts[1][200]
	if allowed != maxTokens-1 || counts[0][429]+counts[1][429] != 100-allowed {
		t.Fatalf("two concurrent VMs: %v %v; want %d allowed in total", counts[0], counts[1], maxTokens-1)
	}
	if got := r.counter(t, metricErrors); got != 0 {
		t.Fatalf("%d shared-data errors", got)
	}
}
