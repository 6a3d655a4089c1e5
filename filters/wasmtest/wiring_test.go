package wasmtest_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"wasp.dev/filters/wasmtest"
)

// The wiring tests prove that every host call the bridge imports and every
// callback it exports reaches the other side: the test filter
// filters/abi/testdata/allcalls makes each call and logs what it saw, and
// each effect is observed through the host.

func startAllCalls(t *testing.T) (*wasmtest.Host, *wasmtest.Plugin) {
	t.Helper()
	wasm := wasmtest.Build(t, "../abi/testdata/allcalls")
	h := wasmtest.NewHost()
	h.RegisterForeignFunction("echo", func(arg []byte) ([]byte, wasmtest.Status) {
		if string(arg) != "ping" {
			return nil, wasmtest.StatusBadArgument
		}
		return []byte("pong"), wasmtest.StatusOK
	})
	p := h.MustStart(t, wasm, wasmtest.Config{
		Name: "allcalls", RootID: "root", VMID: "allcalls",
		VMConfig: []byte("vmcfg"), Configuration: []byte("plugcfg"),
	})
	return h, p
}

// wantLogs asserts that each line appears among the plugin's info logs.
func wantLogs(t *testing.T, p *wasmtest.Plugin, lines ...string) {
	t.Helper()
	got := p.LogsAt(wasmtest.LogInfo)
	for _, l := range lines {
		if !slices.Contains(got, l) {
			t.Errorf("missing log line %q", l)
		}
	}
	if t.Failed() {
		t.Logf("logs:\n%s", strings.Join(got, "\n"))
	}
}

func TestWasmWiringRootContext(t *testing.T) {
	h, p := startAllCalls(t)
	wantLogs(t, p,
		"vm_start size=5 config=vmcfg err=ok",
		"configure size=7 config=plugcfg err=ok",
		"set_tick=ok",
		"register_queue=ok",
		"counter=2 gauge=4",
	)
	if v, ok := h.Counter("allcalls_counter"); !ok || v != 2 {
		t.Errorf("counter = %d, %v", v, ok)
	}
	if v, ok := h.Gauge("allcalls_gauge"); !ok || v != 4 {
		t.Errorf("gauge = %d, %v", v, ok)
	}
	if v, ok := h.Histogram("allcalls_hist"); !ok || !slices.Equal(v, []uint64{7}) {
		t.Errorf("histogram = %v, %v", v, ok)
	}
	if p.TickPeriod() != time.Second {
		t.Errorf("tick period %v", p.TickPeriod())
	}

	// A tick resolves the queue and enqueues; the owner is notified and
	// dequeues.
	h.Advance(time.Second)
	wantLogs(t, p, "tick resolve=ok same=true", "enqueue=ok",
		"queue_ready dequeued=hello err=ok", "dequeue_empty=empty")
	// Ticks follow the clock: 2.5 s more fire two more ticks.
	h.Advance(2500 * time.Millisecond)
	if n := countLogs(p, "tick resolve=ok same=true"); n != 3 {
		t.Errorf("%d ticks after 3.5 s with a 1 s period, want 3", n)
	}

	// Removing the plugin: on_done returns false and the plugin finishes
	// with proxy_done, after which the host deletes the root context.
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	wantLogs(t, p, "plugin_done", "proxy_done called")
	if !p.Stopped() {
		t.Error("root context not deleted after proxy_done")
	}
}

func TestWasmWiringHTTP(t *testing.T) {
	h, p := startAllCalls(t)
	h.HandleHTTPCalls(func(c *wasmtest.HTTPCall) *wasmtest.HTTPCallResponse {
		if c.Cluster != "backend" || c.Header(":path") != "/check" || string(c.Body) != "body" ||
			c.Header("content-length") != "4" || c.Timeout != 500*time.Millisecond || len(c.Trailers) != 1 {
			t.Errorf("http call %+v", c)
		}
		return &wasmtest.HTTPCallResponse{
			Headers: [][2]string{{":status", "200"}}, Body: []byte("allowed"), Trailers: [][2]string{{"x", "y"}},
		}
	})

	upstream := func(u *wasmtest.UpstreamRequest) *wasmtest.Response {
		return &wasmtest.Response{
			Status:   200,
			Headers:  [][2]string{{"server", "envoy"}, {"x-secret", "s"}},
			Body:     []byte("resp"),
			Trailers: [][2]string{{"rt0", "0"}},
		}
	}

	// Headers, a body in two chunks and trailers: the trailers end the
	// stream, so the body callbacks never see end_of_stream; the filter
	// buffers (Pause) and the trailers callback's Continue flushes the body.
	res := p.Do(wasmtest.Request{
		Path:       "/plain",
		Headers:    [][2]string{{"x-replaced", "old"}, {"x-removed", "y"}},
		BodyChunks: [][]byte{[]byte("a"), []byte("b")},
		Trailers:   [][2]string{{"t1", "1"}, {"t3", "3"}},
		Properties: map[string][]byte{"xds.route_name": wasmtest.PropString("r1")},
	}, upstream)
	up := res.Upstream
	if up == nil {
		t.Fatalf("upstream not reached: %+v", res)
	}
	if up.Header("x-added") != "1" || up.Header("x-replaced") != "new" || up.Header("x-removed") != "" {
		t.Errorf("upstream headers %v", up.Headers)
	}
	if string(up.Body) != "ab" || up.Chunks != 1 {
		t.Errorf("upstream body %q in %d chunks, want ab in 1", up.Body, up.Chunks)
	}
	if want := [][2]string{{"t1", "one"}, {"t2", "2"}}; !slices.Equal(up.Trailers, want) {
		t.Errorf("upstream trailers %v, want %v", up.Trailers, want)
	}
	if res.Header("x-resp") != "1" || res.Header("server") != "wasp" || res.Header("x-secret") != "" {
		t.Errorf("client headers %v", res.Response.Headers)
	}
	if string(res.Response.Body) != "resp" || headerIn(res.Response.Trailers, "rt") != "1" {
		t.Errorf("client body %q trailers %v", res.Response.Body, res.Response.Trailers)
	}
	if string(res.FilterState["wasm.allcalls"]) != "v1" {
		t.Errorf("filter state %q", res.FilterState)
	}
	if !res.RouteCacheCleared {
		t.Error("request header change did not clear the route cache")
	}
	wantLogs(t, p,
		"request_headers n=6 eos=false path=/plain err=ok",
		"request_pairs=6 err=ok",
		"route=r1 err=ok",
		"plugin_name=allcalls",
		"set_property=ok",
		"filter_state=v1 err=ok",
		"set_shared=ok",
		"get_shared=v cas_nonzero=true err=ok",
		"set_shared_stale=cas mismatch",
		"foreign=pong err=ok",
		"request_body size=1 eos=false body=a err=ok",
		"request_body size=2 eos=false body=ab err=ok",
		"request_trailers n=2 pairs=2 err=ok",
		"trailer t1=1",
		"response_headers n=3 eos=false status=200 err=ok",
		"response_pairs=3",
		"request_headers_in_response=bad argument",
		"response_body size=4 eos=false body=resp",
		"response_trailers n=1",
		"log_path=/plain err=ok",
		"stream_done id=2 code_len=8 err=ok",
	)

	// Without trailers the last chunk ends the stream: the filter rewrites
	// the buffered body (replace B, append C, prepend A) and the response
	// body (upper case).
	res = p.Do(wasmtest.Request{Path: "/body", BodyChunks: [][]byte{[]byte("a"), []byte("b")}},
		func(*wasmtest.UpstreamRequest) *wasmtest.Response {
			return &wasmtest.Response{Body: []byte("resp")}
		})
	if res.Upstream == nil || string(res.Upstream.Body) != "ABC" || string(res.Response.Body) != "RESP" {
		t.Errorf("body rewrite: %+v", res)
	}
	wantLogs(t, p, "request_body size=2 eos=true body=ab err=ok", "replace_body=ok", "append_body=ok",
		"prepend_body=ok", "response_body size=4 eos=true body=resp", "response_replace_body=ok")

	if v, _, ok := h.SharedData("allcalls", "k"); !ok || string(v) != "v" {
		t.Errorf("shared data k = %q, %v", v, ok)
	}

	// proxy_set_header_map_pairs replaces the whole map.
	res = p.Do(wasmtest.Request{Path: "/setpairs", Headers: [][2]string{{"drop", "me"}}}, nil)
	want := [][2]string{{":path", "/rewritten"}, {":method", "GET"}, {":authority", "a"}, {":scheme", "http"}, {"only", "this"}}
	if res.Upstream == nil || !slices.Equal(res.Upstream.Headers, want) {
		t.Errorf("set pairs: upstream %+v", res.Upstream)
	}

	// A local reply; the second one in the stream is refused.
	res = p.Do(wasmtest.Request{Path: "/local"}, nil)
	// The reply passes through the filter's own response callbacks, as in
	// Envoy (header added, body upper-cased).
	if res.Upstream != nil || res.Status() != 418 || string(res.Response.Body) != "TEAPOT" ||
		res.Header("x-local") != "yes" || res.Header("x-resp") != "1" || res.LocalReply == nil || res.LocalReply.Plugin != "allcalls" {
		t.Errorf("local reply: %+v", res)
	}
	wantLogs(t, p, "local=ok", "local_again=bad argument")

	// An HTTP callout pauses the request; its answer resumes it.
	res = p.Do(wasmtest.Request{Path: "/callout"}, nil)
	if res.Upstream == nil || res.Upstream.Header("x-callout") != "done" || res.Stalled != "" {
		t.Errorf("callout: %+v", res)
	}
	wantLogs(t, p, "dispatch=ok", "callout_response headers=1 body=allowed trailers=1 status=200",
		"callout_add=ok", "resume=ok")

	res = p.Do(wasmtest.Request{Path: "/close"}, nil)
	wantLogs(t, p, "close=ok")
}

// TestWasmWiringL4AndNoOps drives the callbacks exchanges do not: L4 ones,
// and the metadata, gRPC and foreign-function ones the SDK has no API for
// (the bridge exports them as no-ops so that every ABI callback exists).
func TestWasmWiringL4AndNoOps(t *testing.T) {
	_, http := startAllCalls(t)
	vm := http.VM()
	// A second plugin in the same VM whose contexts are L4 only.
	p, err := vm.Start(wasmtest.Config{Name: "allcalls-tcp", Configuration: []byte("tcp")})
	if err != nil {
		t.Fatal(err)
	}
	id := vm.NewContextID()
	calls := []struct {
		name string
		args []uint32
	}{
		{"proxy_on_context_create", []uint32{id, p.ContextID()}},
		{"proxy_on_new_connection", []uint32{id}},
		{"proxy_on_downstream_data", []uint32{id, 5, 1}},
		{"proxy_on_upstream_data", []uint32{id, 3, 0}},
		{"proxy_on_downstream_connection_close", []uint32{id, 1}},
		{"proxy_on_upstream_connection_close", []uint32{id, 2}},
		{"proxy_on_log", []uint32{id}},
		{"proxy_on_done", []uint32{id}},
		{"proxy_on_delete", []uint32{id}},
		{"proxy_on_request_metadata", []uint32{id, 0}},
		{"proxy_on_response_metadata", []uint32{id, 0}},
		{"proxy_on_grpc_receive_initial_metadata", []uint32{p.ContextID(), 1, 0}},
		{"proxy_on_grpc_receive_trailing_metadata", []uint32{p.ContextID(), 1, 0}},
		{"proxy_on_grpc_receive", []uint32{p.ContextID(), 1, 0}},
		{"proxy_on_grpc_close", []uint32{p.ContextID(), 1, 0}},
		{"proxy_on_foreign_function", []uint32{p.ContextID(), 1, 0}},
	}
	for _, c := range calls {
		r, err := vm.CallExport(c.name, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if strings.HasSuffix(c.name, "_metadata") && !strings.Contains(c.name, "grpc") && r != 0 {
			t.Errorf("%s returned %d, want Continue", c.name, r)
		}
	}
	wantLogs(t, p, "new_connection", "downstream_data size=5 eos=true", "upstream_data size=3 eos=false",
		"downstream_close peer=1", "upstream_close peer=2", "tcp_stream_done")
	if err := vm.Failed(); err != nil {
		t.Fatal(err)
	}
}

func TestWasmInitializeRestriction(t *testing.T) {
	wasm := wasmtest.Build(t, "../abi/testdata/initcall")
	_, err := wasmtest.NewHost().Start(wasm, wasmtest.Config{Name: "initcall"})
	var se *wasmtest.StartError
	if !errors.As(err, &se) || se.Stage != "_initialize" {
		t.Fatalf("want an _initialize StartError, got %v", err)
	}
	var msgs []string
	for _, l := range se.Logs {
		msgs = append(msgs, l.Message)
	}
	for _, want := range []string{"init may log", "Attempted call to restricted proxy-wasm capability: proxy_get_property"} {
		if !slices.Contains(msgs, want) {
			t.Errorf("logs %q lack %q", msgs, want)
		}
	}
}

func countLogs(p *wasmtest.Plugin, line string) int {
	n := 0
	for _, l := range p.LogsAt(wasmtest.LogInfo) {
		if l == line {
			n++
		}
	}
	return n
}

func headerIn(pairs [][2]string, name string) string {
	for _, p := range pairs {
		if p[0] == name {
			return p[1]
		}
	}
	return ""
}
