package e2e

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	proxyprotocolv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/proxy_protocol/v3"

	"wasp.dev/e2e/envoysim"
	"wasp.dev/e2e/harness"
	"wasp.dev/filters/wasmtest"
)

// The ambient seed (002): the ollama Service and its VIP, as in
// examples/seeds/waypoint-ollama/00-cluster.yaml.
const (
	ollamaVIP      = "10.96.238.187:80"
	ollamaEndpoint = "10.244.0.12:11434"
	clientVIP      = "10.96.143.111:80"
	waypointNS     = "default"
	waypointName   = "kgateway-waypoint"
)

// seedLogKeys are the keys of the seed's sample access-log line, and the
// JSON type of each value there.
var seedLogKeys = map[string]string{
	"authority": "string", "bytes_received": "number", "bytes_sent": "number", "method": "string",
	"path": "string", "protocol": "string", "request_id": "string", "response_code": "number",
	"response_flags": "string", "start_time": "string",
}

// startTimePattern is the seed sample's %START_TIME% (2025-04-10T18:36:34.047Z).
var startTimePattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// ollamaRequest is the seed's `curl http://ollama:80/` as it reaches the
// waypoint: PROXY protocol on 15088 with the Service VIP as destination.
func ollamaRequest() envoysim.Request {
	return envoysim.Request{
		ListenerPort: 15088, Destination: netip.MustParseAddrPort(ollamaVIP),
		Source: netip.MustParseAddrPort("10.244.0.11:51234"),
		Method: "GET", Path: "/", Authority: "ollama",
		Headers: [][2]string{{"user-agent", "curl/8.12.1"}, {"accept", "*/*"}},
	}
}

// hasOllamaRateLimit reports whether the snapshot's rate-limit plugin
// configuration holds maxTokens n.
func hasOllamaRateLimit(n int) func(*envoysim.Resources) bool {
	return func(res *envoysim.Resources) bool {
		l := listenerOnPort(res, 15088)
		if l == nil {
			return false
		}
		return strings.Contains(fmt.Sprint(l), fmt.Sprintf(`\"maxTokens\":%d`, n))
	}
}

// TestSeedWaypointOllama is the headline seed: the kgateway-waypoint
// Gateway, the 180s timeout route, the 3-per-minute rate limit and the
// access log, end to end.
func TestSeedWaypointOllama(t *testing.T) {
	in := installed(t)
	applySeed(t, in, "waypoint-ollama")

	gw := waitGateway(t, in, waypointNS, waypointName)
	t.Logf("Gateway %s/%s status.addresses: %v", waypointNS, waypointName, gw.Object["status"].(map[string]any)["addresses"])
	waitRouteParents(t, in, waypointNS, "ollama", "True", "True")
	waitPolicy(t, in, "TrafficPolicy", waypointNS, "ratelimit")
	waitPolicy(t, in, "HTTPListenerPolicy", waypointNS, "access-logging")

	ads := connectProxy(t, in, waypointNS, waypointName)
	res := waitXDS(t, ads, "the ollama rate limit", hasOllamaRateLimit(3))

	t.Run("Listener15088", func(t *testing.T) {
		l := listenerOnPort(res, 15088)
		if l == nil {
			t.Fatalf("no listener on 15088: %v", res.Listeners)
		}
		var names []string
		for _, lf := range l.GetListenerFilters() {
			names = append(names, lf.GetName())
			var pp proxyprotocolv3.ProxyProtocol
			if lf.GetTypedConfig().UnmarshalTo(&pp) != nil {
				continue
			}
			if pp.GetAllowRequestsWithoutProxyProtocol() {
				t.Errorf("the 15088 listener accepts connections without a PROXY header")
			}
			tlv := false
			for _, r := range pp.GetRules() {
				tlv = tlv || r.GetTlvType() == 0xD0
			}
			if !tlv {
				t.Errorf("no rule for ztunnel's peer identity TLV 0xD0: %v", pp.GetRules())
			}
		}
		if !slices.Contains(names, "envoy.filters.listener.proxy_protocol") {
			t.Errorf("listener %q has no PROXY protocol listener filter: %v", l.GetName(), names)
		}
		if a := l.GetAddress().GetSocketAddress().GetAddress(); a != "::" && a != "0.0.0.0" {
			t.Errorf("listener binds %q; ztunnel dials the pod IP", a)
		}
	})

	t.Run("WasmURLsOnChartService", func(t *testing.T) { codeResolve(t, in, res) })
	sim := newSim(t, in, ads, res, envoysim.Options{Seed: 2})
	t.Run("WasmCodeFromController", func(t *testing.T) { checkCode(t, in, ads, sim, res) })

	var exchanges []*envoysim.Exchange
	t.Run("RateLimit3PerMinute", func(t *testing.T) {
		var got []string
		for range 4 {
			ex, err := sim.Do(ollamaRequest(), upstreamOK)
			if err != nil {
				t.Fatal(err)
			}
			exchanges = append(exchanges, ex)
			got = append(got, fmt.Sprintf("%d %s", ex.Status(), ex.Result.Response.Body))
		}
		want := []string{"200 ok", "200 ok", "200 ok", "429 local_rate_limited"}
		if !slices.Equal(got, want) {
			t.Fatalf("client saw %q, want %q", got, want)
		}
		last := exchanges[3]
		if last.Result.Header("content-length") != "18" || last.Result.Header("content-type") != "text/plain" {
			t.Errorf("429 headers %v, want content-length 18, content-type text/plain (as the seed's curl shows)", last.Result.Response.Headers)
		}
		if last.Endpoint != "" {
			t.Errorf("the rate-limited request reached %s", last.Endpoint)
		}
	})
	if len(exchanges) != 4 {
		t.FailNow()
	}

	t.Run("RouteTimeout180s", func(t *testing.T) {
		ex := exchanges[0]
		if ex.Action == nil || ex.Action.Timeout != 180*time.Second {
			t.Fatalf("route %q action %+v, want timeout 180s", ex.Route, ex.Action)
		}
		if ex.Endpoint != ollamaEndpoint || !strings.Contains(ex.Cluster, "ollama") {
			t.Errorf("upstream %s %s, want the ollama endpoint %s", ex.Cluster, ex.Endpoint, ollamaEndpoint)
		}
		if !strings.Contains(ex.Route, "httproute/default/ollama/") {
			t.Errorf("route name %q does not name the HTTPRoute", ex.Route)
		}
	})

	t.Run("FiltersOnTheRightRoutes", func(t *testing.T) {
		plugins := sim.Plugins()[exchanges[0].Listener+"/"+exchanges[0].FilterChain]
		var names []string
		for _, p := range plugins {
			names = append(names, p.FilterName)
			var env struct {
				Policies map[string]json.RawMessage `json:"policies"`
				Routes   map[string]string          `json:"routes"`
				Default  string                     `json:"default"`
			}
			if err := json.Unmarshal(p.Configuration, &env); err != nil {
				t.Errorf("%s: configuration is not the PluginConfig envelope: %v", p.FilterName, err)
				continue
			}
			switch {
			case strings.Contains(p.FilterName, "ratelimit"):
				if _, ok := env.Routes[exchanges[0].Route]; !ok || env.Default != "" {
					t.Errorf("rate limit: routes %v default %q; want the ollama route %q only", env.Routes, env.Default, exchanges[0].Route)
				}
			case strings.Contains(p.FilterName, "accesslog"):
				if env.Default == "" {
					t.Errorf("access log is listener-wide but has no default policy: %s", p.Configuration)
				}
			}
		}
		if len(names) < 2 || !strings.Contains(names[0], "accesslog") || !slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, "ratelimit") }) {
			t.Errorf("HTTP filters %v: want the access log first (it must see every request) and the rate limit", names)
		}
		for _, ex := range exchanges {
			if !slices.Equal(ex.Plugins, names) {
				t.Errorf("request ran %v, want %v", ex.Plugins, names)
			}
		}
		// The client Service shares the waypoint but not the ollama route:
		// no rate limit, and the listener-wide access log still logs it.
		for i := range 5 {
			req := ollamaRequest()
			req.Destination, req.Authority = netip.MustParseAddrPort(clientVIP), "client"
			ex, err := sim.Do(req, upstreamOK)
			if err != nil {
				t.Fatal(err)
			}
			if ex.Status() != 200 || len(ex.AccessLog) == 0 {
				t.Fatalf("client request %d: %d (route %q), %d log lines; want 200, logged", i+1, ex.Status(), ex.Route, len(ex.AccessLog))
			}
		}
	})

	t.Run("AccessLogLine", func(t *testing.T) {
		for i, ex := range exchanges {
			code, flags := 200, "-"
			if i == 3 {
				code, flags = 429, "RL"
			}
			checkAccessLog(t, ex, code, flags)
		}
	})

	t.Run("PolicyUpdate3To5", func(t *testing.T) {
		updateMaxTokens(t, in, 5)
		res5 := waitXDS(t, ads, "maxTokens 5", hasOllamaRateLimit(5))
		// The same Envoy (host) takes the new config: state survives, and a
		// full minute refills the bucket to its new size.
		sim.Host().Advance(time.Minute)
		sim5 := newSim(t, in, ads, res5, envoysim.Options{Host: sim.Host(), Seed: 3})
		var got []int
		for range 6 {
			ex, err := sim5.Do(ollamaRequest(), upstreamOK)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ex.Status())
		}
		if want := []int{200, 200, 200, 200, 200, 429}; !slices.Equal(got, want) {
			t.Errorf("after maxTokens 5: %v, want %v", got, want)
		}
		updateMaxTokens(t, in, 3)
		waitXDS(t, ads, "maxTokens 3 again", hasOllamaRateLimit(3))
	})
}

// upstreamOK is ollama answering "ok".
func upstreamOK(*envoysim.UpstreamCall) *wasmtest.Response {
	return &wasmtest.Response{Status: 200, Headers: [][2]string{{"content-type", "text/plain"}}, Body: []byte("ok")}
}

// checkAccessLog checks the stdout line against the seed's sample: the same
// keys, sorted, with the same JSON types, and the expected code and flags.
func checkAccessLog(t *testing.T, ex *envoysim.Exchange, code int, flags string) {
	t.Helper()
	var lines []string
	for _, l := range ex.AccessLog {
		if l.Path == "/dev/stdout" {
			lines = append(lines, l.Line)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("request %s: %d lines on /dev/stdout, want 1: %q", ex.RequestID, len(lines), lines)
	}
	line := strings.TrimSuffix(lines[0], "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("access log %q is not JSON: %v", line, err)
	}
	var keys []string
	for k, v := range m {
		keys = append(keys, k)
		typ := map[bool]string{true: "number", false: "string"}[isNumber(v)]
		if want, ok := seedLogKeys[k]; !ok || want != typ {
			t.Errorf("key %q is a %s; the seed has %q", k, typ, want)
		}
	}
	sort.Strings(keys)
	var want []string
	for k := range seedLogKeys {
		want = append(want, k)
	}
	sort.Strings(want)
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("keys %v, want the seed's %v", keys, want)
	}
	// Envoy ≥ 1.33 writes keys sorted: the line's own order.
	var order []string
	for _, mm := range regexp.MustCompile(`"([a-z_]+)":`).FindAllStringSubmatch(line, -1) {
		order = append(order, mm[1])
	}
	if !slices.IsSorted(order) {
		t.Errorf("keys not sorted in %s", line)
	}
	checks := map[string]any{"response_code": float64(code), "response_flags": flags, "method": "GET", "path": "/",
		"authority": "ollama", "protocol": "HTTP/1.1", "request_id": ex.RequestID, "bytes_received": float64(0)}
	if code == 429 {
		checks["bytes_sent"] = float64(18)
	}
	for k, v := range checks {
		if m[k] != v {
			t.Errorf("%s = %v, want %v in %s", k, m[k], v, line)
		}
	}
	if s, _ := m["start_time"].(string); !startTimePattern.MatchString(s) {
		t.Errorf("start_time %q, want the seed's 2025-04-10T18:36:34.047Z shape", s)
	}
}

func isNumber(v any) bool { _, ok := v.(float64); return ok }

// updateMaxTokens applies the seed's TrafficPolicy with maxTokens n (the
// seed's file with one number changed).
func updateMaxTokens(t testing.TB, in *harness.Installation, n int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(seedDir("waypoint-ollama"), "30-ratelimit.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "maxTokens: 3", fmt.Sprintf("maxTokens: %d", n), 1)
	if n != 3 && s == string(b) {
		t.Fatal("30-ratelimit.yaml no longer says maxTokens: 3")
	}
	if _, err := in.Applier.Apply(t.Context(), []byte(s), "default", false); err != nil {
		t.Fatal(err)
	}
}
