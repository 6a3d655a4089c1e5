package envoysim

import (
	"encoding/json"
	"slices"
	"testing"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	filelogv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"sigs.k8s.io/yaml"

	"wasp.dev/xds/ir"
	"wasp.dev/xds/translator"
)

// rerouteCase is a translator input in the golden files' shape: /old and
// /new go to different backends with different rate limits; /old's
// transform sets :path to /new, and a user WasmFilter (the hello stand-in,
// which adds x-hello) is enabled on /old only.
const rerouteCase = `
name: default/gw
kind: ingress
listeners:
- name: default/gw/http
  port: 8080
  virtualHosts:
  - name: default/gw/http/*
    hostnames: ["*"]
    routes:
    - name: httproute/default/old/rule/0/match/0
      match: {path: {type: PathPrefix, value: /old}}
      backends: [{backend: "default/old:80", weight: 1}]
      wasm: {ratelimit: default/old-rl, transform: default/to-new, "wasmfilter/default/tag": "wasmfilter/default/tag"}
    - name: httproute/default/new/rule/0/match/0
      match: {path: {type: PathPrefix, value: /new}}
      backends: [{backend: "default/new:80", weight: 1}]
      wasm: {ratelimit: default/new-rl}
backends:
- name: default/old:80
  endpoints: [{address: 10.0.1.1, port: 8080}]
- name: default/new:80
  endpoints: [{address: 10.0.2.2, port: 8080}]
wasmModules:
- name: builtin
  url: http://wasp-controller.wasp-system.svc:8082/wasm/builtin.wasm
- name: wasmfilter/default/tag
  url: http://wasp-controller.wasp-system.svc:8082/wasm/tag.wasm
wasmFilters:
- name: accesslog
  module: builtin
  rootID: accesslog
  default: default/logs
  policies:
    default/logs:
      accessLog:
      - fileSink:
          path: /dev/stdout
          jsonFormat:
            route_name: "%ROUTE_NAME%"
            upstream_cluster: "%UPSTREAM_CLUSTER%"
            response_code: "%RESPONSE_CODE%"
- name: ratelimit
  module: builtin
  rootID: ratelimit
  policies:
    default/old-rl: {tokenBucket: {maxTokens: 1, fillInterval: 60s}}
    default/new-rl: {tokenBucket: {maxTokens: 5, fillInterval: 60s}}
- name: transform
  module: builtin
  rootID: transform
  policies:
    default/to-new: {request: {set: [{name: ":path", value: /new}]}}
- name: wasmfilter/default/tag
  module: wasmfilter/default/tag
  failurePolicy: FailClosed
  custom: {configuration: '{}'}
`

const (
	oldRoute = "httproute/default/old/rule/0/match/0"
	newRoute = "httproute/default/new/rule/0/match/0"
	tagName  = "wasp.wasmfilter/default/tag"
)

// TestWasmRouteCacheReselect: a transform that rewrites /old to /new
// clears the route cache, and the router routes by /new, while the filter
// chain stays the one created on /old.
func TestWasmRouteCacheReselect(t *testing.T) {
	srv, sums := codeServer(t)
	var in ir.Proxy
	if err := yaml.UnmarshalStrict([]byte(rerouteCase), &in); err != nil {
		t.Fatal(err)
	}
	for i := range in.WasmModules {
		m := in.WasmModules[i]
		if sum, ok := sums[m.Name]; ok {
			m.SHA256 = sum
			continue
		}
		m.URL = m.URL[:len(m.URL)-len("tag.wasm")] + customModule + ".wasm"
		m.SHA256 = sums[customModule]
	}
	res := translate(t, &in, translator.Options{})
	addNativeLogger(t, res, nativeRouteLog)
	p := newProxy(t, res, srv)

	ex := do(t, p, Request{ListenerPort: 8080, Path: "/old/x", Authority: "gw"})
	if ex.Status() != 200 || !ex.Result.RouteCacheCleared {
		t.Fatalf("status %d, route cache cleared %v", ex.Status(), ex.Result.RouteCacheCleared)
	}
	// The router re-selected: /new's route, cluster and endpoint.
	if ex.InitialRoute != oldRoute || ex.Route != newRoute || ex.Cluster != "default/new:80" || ex.Endpoint != "10.0.2.2:8080" {
		t.Errorf("initial route %q, route %q, cluster %q, endpoint %q: want %s then %s via default/new:80",
			ex.InitialRoute, ex.Route, ex.Cluster, ex.Endpoint, oldRoute, newRoute)
	}
	if got := ex.Result.Upstream.Header(":path"); got != "/new" {
		t.Errorf("upstream :path %q", got)
	}
	// The chain was created on /old: the user filter enabled only there ran.
	if !slices.Contains(ex.Plugins, tagName) || ex.Result.Upstream.Header("x-hello") != "wasp" {
		t.Errorf("plugins %v, upstream %v: the /old-only filter must run", ex.Plugins, ex.Result.Upstream.Headers)
	}
	// Envoy's own access log, at log time, reads the stream info the router
	// updated when it re-selected: the new route and its cluster.
	var line string
	for _, l := range ex.AccessLog {
		if l.Path == nativeRouteLog {
			line = l.Line
		}
	}
	if want := newRoute + " default/new:80\n"; line != want {
		t.Errorf("native access log line %q, want %q", line, want)
	}
	// The accesslog Wasm filter's own line: its on_log reads xds.route_name
	// and xds.cluster_name from the stream info the router updated, so it
	// names the new route too.
	var wasmLine map[string]any
	for _, l := range ex.AccessLog {
		if l.Path == "/dev/stdout" {
			if err := json.Unmarshal([]byte(l.Line), &wasmLine); err != nil {
				t.Fatal(err)
			}
		}
	}
	if wasmLine["response_code"] != float64(200) || wasmLine["route_name"] != newRoute || wasmLine["upstream_cluster"] != "default/new:80" {
		t.Errorf("accesslog filter line %v, want route %s via default/new:80", wasmLine, newRoute)
	}

	// The rate limit filter ran before transform, on /old: /old's bucket
	// (1 token) applies, not /new's (5): the second /old request is limited.
	second := do(t, p, Request{ListenerPort: 8080, Path: "/old/y", Authority: "gw"})
	if second.Status() != 429 || second.Endpoint != "" {
		t.Errorf("second /old request: %d via %q, want 429 from /old's bucket", second.Status(), second.Endpoint)
	}
	// /new's own bucket is untouched by the rewritten requests.
	direct := do(t, p, Request{ListenerPort: 8080, Path: "/new", Authority: "gw"})
	if direct.Status() != 200 || direct.Route != newRoute || direct.InitialRoute != newRoute || direct.Result.RouteCacheCleared {
		t.Errorf("direct /new: %d route %q initial %q cleared %v", direct.Status(), direct.Route, direct.InitialRoute, direct.Result.RouteCacheCleared)
	}
	if slices.Contains(direct.Plugins, tagName) || direct.Result.Upstream.Header("x-hello") != "" {
		t.Errorf("direct /new ran plugins %v", direct.Plugins)
	}
}

// nativeRouteLog is the path of the native logger the test adds: Envoy's
// formatter, not a Wasm filter, prints the route and cluster.
const nativeRouteLog = "/dev/route-names"

// addNativeLogger appends a native file access logger printing
// %ROUTE_NAME% and %UPSTREAM_CLUSTER% to every connection manager.
func addNativeLogger(t *testing.T, res *Resources, path string) {
	t.Helper()
	fl, err := anypb.New(&filelogv3.FileAccessLog{Path: path, AccessLogFormat: &filelogv3.FileAccessLog_LogFormat{
		LogFormat: &corev3.SubstitutionFormatString{Format: &corev3.SubstitutionFormatString_TextFormatSource{
			TextFormatSource: &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: "%ROUTE_NAME% %UPSTREAM_CLUSTER%\n"}},
		}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range res.Listeners {
		for _, fc := range l.GetFilterChains() {
			for _, f := range fc.GetFilters() {
				if f.GetTypedConfig().GetTypeUrl() != hcmTypeURL {
					continue
				}
				var hcm hcmv3.HttpConnectionManager
				if err := f.GetTypedConfig().UnmarshalTo(&hcm); err != nil {
					t.Fatal(err)
				}
				hcm.AccessLog = append(hcm.AccessLog, &accesslogv3.AccessLog{Name: "envoy.access_loggers.file", ConfigType: &accesslogv3.AccessLog_TypedConfig{TypedConfig: fl}})
				if err := f.GetTypedConfig().MarshalFrom(&hcm); err != nil {
					t.Fatal(err)
				}
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no connection manager to add the logger to")
	}
}
