package ratelimit

import (
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"wasp.dev/filters/config"
)

// nativeHarness runs the filter's Go code under the SDK's proxytest. The
// emulator hosts one plugin context, so "VMs" are separate pluginContexts
// (each with its own policies, samplers and buffers: all of a VM's state)
// behind one multiplexing plugin, sharing the emulator's shared data and
// counters as Envoy's workers do.
type nativeHarness struct{}

type nativeRun struct {
	host     proxytest.HostEmulator
	mux      *muxPlugin
	clock    int64
	routeSet bool
}

// muxPlugin dispatches new HTTP contexts to the selected VM's plugin.
type muxPlugin struct {
	types.DefaultPluginContext
	vms     []*pluginContext
	current int
}

func (m *muxPlugin) OnPluginStart(size int) types.OnPluginStartStatus {
	for _, vm := range m.vms {
		if s := vm.OnPluginStart(size); s != types.OnPluginStartStatusOK {
			return s
		}
	}
	return types.OnPluginStartStatusOK
}

func (m *muxPlugin) NewHttpContext(id uint32) types.HttpContext {
	return m.vms[m.current].NewHttpContext(id)
}

type muxVM struct {
	types.DefaultVMContext
	plugin *muxPlugin
}

func (v *muxVM) NewPluginContext(uint32) types.PluginContext { return v.plugin }

// emulatedStart is where native runs' clocks start (the wasm host's too).
var emulatedStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

func (nativeHarness) newHost(t testing.TB, pluginConfig string, vms int) (*nativeRun, types.OnPluginStartStatus) {
	r := &nativeRun{mux: &muxPlugin{}, clock: emulatedStart}
	for i := 0; i < vms; i++ {
		r.mux.vms = append(r.mux.vms, &pluginContext{})
	}
	opt := proxytest.NewEmulatorOption().
		WithVMContext(&muxVM{plugin: r.mux}).
		WithPluginConfiguration([]byte(pluginConfig))
	host, reset := proxytest.NewHostEmulator(opt)
	r.host = host
	saved := now
	now = func() int64 { return r.clock }
	t.Cleanup(func() { now = saved; reset() })
	return r, host.StartPlugin()
}

func (h nativeHarness) start(t testing.TB, pluginConfig string, vms int) run {
	r, status := h.newHost(t, pluginConfig, vms)
	if status != types.OnPluginStartStatusOK {
		t.Fatalf("plugin did not start: %q", r.host.GetCriticalLogs())
	}
	return r
}

func (h nativeHarness) startFailure(t testing.TB, pluginConfig string) (bool, []string) {
	r, status := h.newHost(t, pluginConfig, 1)
	logs := append(r.host.GetErrorLogs(), r.host.GetCriticalLogs()...)
	return status == types.OnPluginStartStatusOK, logs
}

var markerPath = []string{config.RateLimitedFilterStateKey}

// markerUnset stands for "no filter state": proxytest cannot delete a
// property, so the harness overwrites the marker before each request.
const markerUnset = "\x00unset"

func (r *nativeRun) do(t testing.TB, req request) response {
	t.Helper()
	r.mux.current = req.vm
	if req.route != "" {
		must(t, r.host.SetProperty(strings.Split(routeNamePath, "\x00"), []byte(req.route)))
		r.routeSet = true
	} else if r.routeSet {
		t.Fatal("native harness cannot unset xds.route_name within a run")
	}
	if req.source != "" {
		must(t, r.host.SetProperty(strings.Split(sourceAddressPath, "\x00"), []byte(req.source)))
	}
	must(t, r.host.SetProperty(markerPath, []byte(markerUnset)))

	id := r.host.InitializeHttpContext()
	defer r.host.CompleteHttpContext(id)
	headers := append([][2]string{{":method", "GET"}, {":path", "/"}, {":authority", "ollama"}}, req.headers...)
	action := r.host.CallOnRequestHeaders(id, headers, true)

	var resp response
	if marker, err := r.host.GetProperty(markerPath); err == nil && string(marker) != markerUnset {
		resp.marker = string(marker)
	}
	if local := r.host.GetSentLocalResponse(id); local != nil {
		if action != types.ActionPause {
			t.Errorf("local reply sent but the filter returned %v", action)
		}
		resp.status, resp.body, resp.headers = int(local.StatusCode), string(local.Data), toMap(local.Headers)
		return resp
	}
	if action != types.ActionContinue {
		t.Fatalf("no local reply, but the filter returned %v", action)
	}
	r.host.CallOnResponseHeaders(id, [][2]string{{":status", "200"}}, false)
	resp.status, resp.headers = 200, toMap(r.host.GetCurrentResponseHeaders(id))
	return resp
}

func (r *nativeRun) advance(d time.Duration) { r.clock += int64(d) }

func (r *nativeRun) counter(t testing.TB, name string) uint64 {
	v, err := r.host.GetCounterMetric(name)
	if err != nil {
		t.Fatalf("counter %s: %v", name, err)
	}
	return v
}

func toMap(pairs [][2]string) map[string]string {
	m := make(map[string]string, len(pairs))
	for _, kv := range pairs {
		m[kv[0]] = kv[1]
	}
	return m
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestNativeScenarios(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { runScenario(t, nativeHarness{}, sc) })
	}
}

func TestNativeInvalidConfig(t *testing.T) { runInvalidConfigs(t, nativeHarness{}) }
