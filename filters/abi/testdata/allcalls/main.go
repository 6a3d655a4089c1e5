// Command allcalls is a test filter that makes every host call the bridge
// imports and implements every callback the bridge exports, logging what it
// saw as "<what>=<value>" so that wasmtest's wiring test can observe each one
// through the host. It is test data: `make wasm` skips it.
package main

import (
	"fmt"
	"strings"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
	_ "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/waspabi"
)

func init() { proxywasm.SetVMContext(&vm{}) }

func main() {}

func logf(format string, args ...any) { proxywasm.LogInfof(format, args...) }

func status(err error) string {
	if err == nil {
		return "ok"
	}
	return strings.TrimPrefix(err.Error(), "error status returned by host: ")
}

type vm struct{ types.DefaultVMContext }

func (*vm) OnVMStart(size int) types.OnVMStartStatus {
	data, err := proxywasm.GetVMConfiguration()
	logf("vm_start size=%d config=%s err=%s", size, data, status(err))
	return types.OnVMStartStatusOK
}

func (*vm) NewPluginContext(uint32) types.PluginContext { return &plugin{} }

type plugin struct {
	types.DefaultPluginContext
	tcpOnly bool // configuration "tcp": L4 contexts only
	queue   uint32
	counter proxywasm.MetricCounter
	gauge   proxywasm.MetricGauge
	hist    proxywasm.MetricHistogram
}

func (p *plugin) OnPluginStart(size int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	logf("configure size=%d config=%s err=%s", size, data, status(err))
	if string(data) == "tcp" {
		p.tcpOnly = true
		return types.OnPluginStartStatusOK
	}
	logf("set_tick=%s", status(proxywasm.SetTickPeriodMilliSeconds(1000)))
	p.queue, err = proxywasm.RegisterSharedQueue("q")
	logf("register_queue=%s", status(err))
	p.counter = proxywasm.DefineCounterMetric("allcalls_counter")
	p.gauge = proxywasm.DefineGaugeMetric("allcalls_gauge")
	p.hist = proxywasm.DefineHistogramMetric("allcalls_hist")
	p.counter.Increment(2)
	p.gauge.Add(5)
	p.gauge.Add(-1)
	p.hist.Record(7)
	logf("counter=%d gauge=%d", p.counter.Value(), p.gauge.Value())
	return types.OnPluginStartStatusOK
}

func (p *plugin) OnTick() {
	id, err := proxywasm.ResolveSharedQueue("allcalls", "q")
	logf("tick resolve=%s same=%v", status(err), id == p.queue)
	logf("enqueue=%s", status(proxywasm.EnqueueSharedQueue(id, []byte("hello"))))
}

func (p *plugin) OnQueueReady(id uint32) {
	data, err := proxywasm.DequeueSharedQueue(id)
	logf("queue_ready dequeued=%s err=%s", data, status(err))
	_, err = proxywasm.DequeueSharedQueue(id)
	logf("dequeue_empty=%s", status(err))
}

// OnPluginDone defers the end of the root context to proxy_done.
func (p *plugin) OnPluginDone() bool {
	logf("plugin_done")
	proxywasm.PluginDone()
	logf("proxy_done called")
	return false
}

func (p *plugin) NewHttpContext(id uint32) types.HttpContext {
	if p.tcpOnly {
		return nil
	}
	return &http{id: id}
}

func (p *plugin) NewTcpContext(uint32) types.TcpContext { return &tcp{} }

type http struct {
	types.DefaultHttpContext
	id uint32
}

func (h *http) OnHttpRequestHeaders(n int, eos bool) types.Action {
	path, err := proxywasm.GetHttpRequestHeader(":path")
	logf("request_headers n=%d eos=%v path=%s err=%s", n, eos, path, status(err))
	hs, err := proxywasm.GetHttpRequestHeaders()
	logf("request_pairs=%d err=%s", len(hs), status(err))
	logf("add=%s", status(proxywasm.AddHttpRequestHeader("x-added", "1")))
	logf("replace=%s", status(proxywasm.ReplaceHttpRequestHeader("x-replaced", "new")))
	logf("remove=%s", status(proxywasm.RemoveHttpRequestHeader("x-removed")))
	route, err := proxywasm.GetProperty([]string{"xds", "route_name"})
	logf("route=%s err=%s", route, status(err))
	name, _ := proxywasm.GetProperty([]string{"plugin_name"})
	logf("plugin_name=%s", name)
	logf("set_property=%s", status(proxywasm.SetProperty([]string{"allcalls"}, []byte("v1"))))
	fs, err := proxywasm.GetProperty([]string{"allcalls"})
	logf("filter_state=%s err=%s", fs, status(err))
	logf("set_shared=%s", status(proxywasm.SetSharedData("k", []byte("v"), 0)))
	v, cas, err := proxywasm.GetSharedData("k")
	logf("get_shared=%s cas_nonzero=%v err=%s", v, cas != 0, status(err))
	logf("set_shared_stale=%s", status(proxywasm.SetSharedData("k", []byte("w"), cas+1000)))
	out, err := proxywasm.CallForeignFunction("echo", []byte("ping"))
	logf("foreign=%s err=%s", out, status(err))

	switch path {
	case "/setpairs":
		logf("set_pairs=%s", status(proxywasm.ReplaceHttpRequestHeaders([][2]string{
			{":path", "/rewritten"}, {":method", "GET"}, {":authority", "a"}, {":scheme", "http"}, {"only", "this"},
		})))
	case "/local":
		logf("local=%s", status(proxywasm.SendHttpResponse(418, [][2]string{{"x-local", "yes"}}, []byte("teapot"), -1)))
		logf("local_again=%s", status(proxywasm.SendHttpResponse(500, nil, nil, -1)))
		return types.ActionPause
	case "/callout":
		_, err := proxywasm.DispatchHttpCall("backend", [][2]string{
			{":method", "POST"}, {":path", "/check"}, {":authority", "auth"},
		}, []byte("body"), [][2]string{{"t", "1"}}, 500, h.onCallout)
		logf("dispatch=%s", status(err))
		return types.ActionPause
	case "/panic":
		panic("boom")
	case "/close":
		logf("close=%s", status(proxywasm.CloseDownstream()))
	}
	return types.ActionContinue
}

func (h *http) onCallout(numHeaders, bodySize, numTrailers int) {
	hs, _ := proxywasm.GetHttpCallResponseHeaders()
	body, _ := proxywasm.GetHttpCallResponseBody(0, bodySize)
	tr, _ := proxywasm.GetHttpCallResponseTrailers()
	logf("callout_response headers=%d body=%s trailers=%d status=%s", numHeaders, body, len(tr), headerOf(hs, ":status"))
	logf("callout_add=%s", status(proxywasm.AddHttpRequestHeader("x-callout", "done")))
	logf("resume=%s", status(proxywasm.ResumeHttpRequest()))
}

func (h *http) OnHttpRequestBody(size int, eos bool) types.Action {
	body, err := proxywasm.GetHttpRequestBody(0, size)
	logf("request_body size=%d eos=%v body=%s err=%s", size, eos, body, status(err))
	if !eos {
		return types.ActionPause // buffer until the end
	}
	logf("replace_body=%s", status(proxywasm.ReplaceHttpRequestBody([]byte("B"))))
	logf("append_body=%s", status(proxywasm.AppendHttpRequestBody([]byte("C"))))
	logf("prepend_body=%s", status(proxywasm.PrependHttpRequestBody([]byte("A"))))
	return types.ActionContinue
}

func (h *http) OnHttpRequestTrailers(n int) types.Action {
	tr, err := proxywasm.GetHttpRequestTrailers()
	logf("request_trailers n=%d pairs=%d err=%s", n, len(tr), status(err))
	v, _ := proxywasm.GetHttpRequestTrailer("t1")
	logf("trailer t1=%s", v)
	logf("trailer_add=%s", status(proxywasm.AddHttpRequestTrailer("t2", "2")))
	logf("trailer_replace=%s", status(proxywasm.ReplaceHttpRequestTrailer("t1", "one")))
	logf("trailer_remove=%s", status(proxywasm.RemoveHttpRequestTrailer("t3")))
	return types.ActionContinue
}

func (h *http) OnHttpResponseHeaders(n int, eos bool) types.Action {
	st, err := proxywasm.GetHttpResponseHeader(":status")
	logf("response_headers n=%d eos=%v status=%s err=%s", n, eos, st, status(err))
	logf("response_add=%s", status(proxywasm.AddHttpResponseHeader("x-resp", "1")))
	logf("response_replace=%s", status(proxywasm.ReplaceHttpResponseHeader("server", "wasp")))
	logf("response_remove=%s", status(proxywasm.RemoveHttpResponseHeader("x-secret")))
	hs, _ := proxywasm.GetHttpResponseHeaders()
	logf("response_pairs=%d", len(hs))
	_, err = proxywasm.GetHttpRequestHeader(":path")
	logf("request_headers_in_response=%s", status(err))
	return types.ActionContinue
}

func (h *http) OnHttpResponseBody(size int, eos bool) types.Action {
	body, _ := proxywasm.GetHttpResponseBody(0, size)
	logf("response_body size=%d eos=%v body=%s", size, eos, body)
	if eos {
		logf("response_replace_body=%s", status(proxywasm.ReplaceHttpResponseBody([]byte(strings.ToUpper(string(body))))))
	}
	return types.ActionContinue
}

func (h *http) OnHttpResponseTrailers(n int) types.Action {
	logf("response_trailers n=%d", n)
	logf("response_trailer_add=%s", status(proxywasm.AddHttpResponseTrailer("rt", "1")))
	return types.ActionContinue
}

func (h *http) OnHttpStreamDone() {
	code, err := proxywasm.GetProperty([]string{"response", "code"})
	logf("stream_done id=%d code_len=%d err=%s", h.id, len(code), status(err))
	path, err := proxywasm.GetHttpRequestHeader(":path")
	logf("log_path=%s err=%s", path, status(err))
}

type tcp struct{ types.DefaultTcpContext }

func (*tcp) OnNewConnection() types.Action { logf("new_connection"); return types.ActionContinue }

func (*tcp) OnDownstreamData(size int, eos bool) types.Action {
	logf("downstream_data size=%d eos=%v", size, eos)
	return types.ActionContinue
}

func (*tcp) OnDownstreamClose(pt types.PeerType) { logf("downstream_close peer=%d", pt) }

func (*tcp) OnUpstreamData(size int, eos bool) types.Action {
	logf("upstream_data size=%d eos=%v", size, eos)
	return types.ActionContinue
}

func (*tcp) OnUpstreamClose(pt types.PeerType) { logf("upstream_close peer=%d", pt) }

func (*tcp) OnStreamDone() { logf("tcp_stream_done") }

func headerOf(hs [][2]string, name string) string {
	for _, h := range hs {
		if h[0] == name {
			return h[1]
		}
	}
	return fmt.Sprint("<none>")
}
