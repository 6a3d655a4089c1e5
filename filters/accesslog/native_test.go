package accesslog

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"wasp.dev/filters/config"
)

// maxEntries bounds the line keys the tests look for.
const maxEntries = 4

// nativeHost runs the filter's Go code under the SDK's emulator.
type nativeHost struct {
	host  proxytest.HostEmulator
	reset func()
}

func startNative(t testing.TB, cfg []byte, props []prop) (*nativeHost, error) {
	t.Setenv(hostnameEnv, testHostname)
	opt := proxytest.NewEmulatorOption().WithVMContext(&vm{}).WithPluginConfiguration(cfg)
	for _, p := range props {
		opt = opt.WithProperty(p.path, p.value)
	}
	host, reset := proxytest.NewHostEmulator(opt)
	if st := host.StartPlugin(); st != types.OnPluginStartStatusOK {
		logs := strings.Join(host.GetCriticalLogs(), "\n")
		reset()
		return nil, &startError{logs}
	}
	return &nativeHost{host: host, reset: reset}, nil
}

type startError struct{ logs string }

func (e *startError) Error() string { return "plugin start failed: " + e.logs }

// do runs one exchange through the filter (properties are the emulator's,
// set at start) and returns what proxy_on_log stored.
func (n *nativeHost) do(ex exchange) result {
	h := n.host
	id := h.InitializeHttpContext()
	h.CallOnRequestHeaders(id, ex.requestHeaders, ex.requestBody == nil)
	if ex.requestBody != nil {
		h.CallOnRequestBody(id, ex.requestBody, true)
	}
	h.CallOnResponseHeaders(id, ex.responseHeaders, ex.responseBody == nil && ex.responseTrailers == nil)
	if ex.responseBody != nil {
		h.CallOnResponseBody(id, ex.responseBody, ex.responseTrailers == nil)
	}
	if ex.responseTrailers != nil {
		h.CallOnResponseTrailers(id, ex.responseTrailers)
	}
	h.CompleteHttpContext(id)
	res := result{lines: map[int]string{}}
	for i := 0; i < maxEntries; i++ {
		if b, err := h.GetProperty([]string{config.AccessLogLineKey(i)}); err == nil {
			res.lines[i] = string(b)
		}
	}
	_, err := h.GetProperty([]string{config.AccessLogSeenKey})
	res.seen = err == nil
	return res
}

// runNative runs one case on a fresh emulator: proxytest's properties are
// emulator-wide, so a fresh one per exchange keeps cases apart.
func runNative(t *testing.T, cfg []byte, ex exchange) result {
	t.Helper()
	n, err := startNative(t, cfg, ex.props)
	if err != nil {
		t.Fatal(err)
	}
	defer n.reset()
	return n.do(ex)
}

func TestLinesNative(t *testing.T) {
	for _, c := range lineCases() {
		t.Run(c.name, func(t *testing.T) {
			checkLines(t, runNative(t, c.config, c.ex), c.want)
		})
	}
}

func TestSeedSampleNative(t *testing.T) {
	checkSeedSample(t, runNative(t, pluginConfig(jsonSink(seedJSONFormat)), rateLimitedGet()))
}

func TestStartFailuresNative(t *testing.T) {
	for _, c := range startCases() {
		t.Run(c.name, func(t *testing.T) {
			n, err := startNative(t, c.config, nil)
			if err == nil {
				n.reset()
				t.Fatal("plugin started")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("start error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestDurationsNative(t *testing.T) {
	checkDurations(t, runNative(t, pluginConfig(jsonSink(durationsFormat)), upstreamGet(200, 0)))
}

// nativeOTLP delivers the emulator's recorded callouts to the collector.
type nativeOTLP struct {
	*nativeHost
	c         *collector
	delivered int
}

func (n *nativeOTLP) tick(t *testing.T) {
	n.host.Tick()
	calls := n.host.GetCalloutAttributesFromContext(proxytest.PluginContextID)
	for ; n.delivered < len(calls); n.delivered++ {
		call := calls[n.delivered]
		if call.Upstream != otlpCluster {
			t.Errorf("call to cluster %q", call.Upstream)
		}
		status, body, err := n.c.forward(call.Headers, call.Body)
		if err != nil {
			t.Fatal(err)
		}
		n.host.CallOnHttpCallResponse(call.CalloutID, [][2]string{{":status", strconv.Itoa(status)}}, nil, body)
	}
}

func (n *nativeOTLP) counter(name string) uint64 {
	v, _ := n.host.GetCounterMetric(name)
	return v
}

func TestOTLPNative(t *testing.T) {
	c := newCollector(t)
	n, err := startNative(t, otlpConfig(), append(rateLimitedGet().props, nodeProps...))
	if err != nil {
		t.Fatal(err)
	}
	defer n.reset()
	if got := n.host.GetTickPeriod(); got != 1000 {
		t.Errorf("tick period %d, want 1000", got)
	}
	testOTLP(t, &nativeOTLP{nativeHost: n, c: c}, c)
}

// A stream that ended without a response (a reset before any reply): the
// wazero host always produces a response, so this runs natively only; the
// formatter's own tests cover the same rules.
func TestNoResponseNative(t *testing.T) {
	cfg := pluginConfig(jsonSink(`{"code":"%RESPONSE_CODE%","flags":"%RESPONSE_FLAGS%","details":"%RESPONSE_CODE_DETAILS%",` +
		`"d":"%DURATION%","up":"%UPSTREAM_HOST%","text":"%RESPONSE_CODE% %UPSTREAM_HOST%"}`))
	ex := withoutProps(upstreamGet(0, 0), "response.code", "response.code_details", "request.duration", "upstream.address")
	checkLines(t, runNative(t, cfg, ex), map[int]string{0: `{"code":0,"d":null,"details":null,"flags":"-","text":"0 -","up":null}`})
}
