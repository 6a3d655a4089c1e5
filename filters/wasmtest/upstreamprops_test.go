package wasmtest_test

import (
	"testing"

	"wasp.dev/filters/config"
	"wasp.dev/filters/wasmtest"
)

// routeLogConfig is an accesslog plugin configuration whose one entry
// prints the route and cluster the filter reads in proxy_on_log.
const routeLogConfig = `{"default":"p","policies":{"p":{"accessLog":[` +
	`{"fileSink":{"path":"/dev/stdout","stringFormat":"%ROUTE_NAME% %UPSTREAM_CLUSTER%"}}]}}}`

// TestWasmUpstreamSetPropertyReachesOnLog: the router (the upstream
// handler) re-selects the route and writes it to the stream's properties;
// the accesslog filter's on_log reads the new route, as Envoy's does from
// the stream info the router updated.
func TestWasmUpstreamSetPropertyReachesOnLog(t *testing.T) {
	h := wasmtest.NewHost()
	p := h.MustStart(t, wasmtest.Build(t, "../builtin"), wasmtest.Config{
		Name: "accesslog", RootID: "accesslog", VMID: "accesslog", Configuration: []byte(routeLogConfig),
	})
	req := wasmtest.Request{Path: "/old", Properties: map[string][]byte{
		"xds.route_name":   wasmtest.PropString("old-route"),
		"xds.cluster_name": wasmtest.PropString("old-cluster"),
	}}
	line := func(res *wasmtest.Result) string {
		t.Helper()
		if len(res.Errors) > 0 {
			t.Fatalf("VM errors: %v", res.Errors)
		}
		return string(res.FilterState[config.AccessLogFilterStateKey(0)])
	}

	// Without a write the initial properties hold through on_log.
	if got := line(p.Do(req, nil)); got != "old-route old-cluster" {
		t.Errorf("unchanged stream logged %q", got)
	}

	res := p.Do(req, func(u *wasmtest.UpstreamRequest) *wasmtest.Response {
		u.SetProperty("xds.route_name", wasmtest.PropString("new-route"))
		u.SetProperty("xds.cluster_name", wasmtest.PropString("new-cluster"))
		return &wasmtest.Response{Status: 200}
	})
	if got := line(res); got != "new-route new-cluster" {
		t.Errorf("after the router's write on_log logged %q, want the new route and cluster", got)
	}

	// A nil value deletes the property: on_log finds no route ("-").
	res = p.Do(req, func(u *wasmtest.UpstreamRequest) *wasmtest.Response {
		u.SetProperty("xds.route_name", nil)
		return nil
	})
	if got := line(res); got != "- old-cluster" {
		t.Errorf("after deleting the route on_log logged %q", got)
	}
}
