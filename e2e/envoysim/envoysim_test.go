package envoysim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"wasp.dev/filters/wasmtest"
	"wasp.dev/xds/ir"
	"wasp.dev/xds/translator"
)

// goldenDir holds the xDS translator's golden inputs: the tests run the
// translator's real output for them.
const goldenDir = "../../xds/translator/testdata"

// codeHost is the wasm server host the golden cases name; the fetcher
// resolves it to the test's HTTP server, as cluster DNS would.
const codeHost = "wasp-controller.wasp-system.svc:8082"

// filterPackages are the modules the golden cases use, by module name:
// the built-in filters are one module.
var filterPackages = map[string]string{
	"builtin": "../../filters/builtin",
}

// customModule is the code server's name for the module that stands in for
// every remote module that is not a built-in filter.
const customModule = "custom"

// helloPackage stands in for the golden case's custom "demo" filter (a
// local file): it adds x-hello: wasp to every request.
const helloPackage = "../../filters/examples/hello"

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// codeServer serves the built filters at /wasm/<name>.wasm and returns
// their sha256 by name.
func codeServer(t *testing.T) (*httptest.Server, map[string]string) {
	t.Helper()
	sums := map[string]string{}
	paths := map[string]string{}
	for name, pkg := range filterPackages {
		p, err := wasmtest.BuildPackage(pkg)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		sums[name], paths[name] = hex.EncodeToString(h[:]), p
	}
	// Remote modules that are none of the built-ins (users' WasmFilters)
	// are served the hello filter.
	hello, err := wasmtest.BuildPackage(helloPackage)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(hello)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	sums[customModule], paths[customModule] = hex.EncodeToString(h[:]), hello
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/wasm/"), ".wasm")
		p, ok := paths[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, p)
	}))
	t.Cleanup(srv.Close)
	return srv, sums
}

// loadGolden reads a translator golden input and points its remote
// modules at the real filters' sha256.
func loadGolden(t *testing.T, name string, sums map[string]string) *ir.Proxy {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir, name+".in.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var p ir.Proxy
	if err := yaml.UnmarshalStrict(b, &p); err != nil {
		t.Fatal(err)
	}
	for i := range p.WasmModules {
		m := p.WasmModules[i]
		if m.URL == "" {
			continue
		}
		if sum, ok := sums[m.Name]; ok {
			m.SHA256 = sum
			continue
		}
		// A user's module (WasmFilter): served as the stand-in, keeping the
		// case's host so the code cluster is the one the translator built.
		m.URL = m.URL[:strings.LastIndex(m.URL, "/")+1] + customModule + ".wasm"
		m.SHA256 = sums[customModule]
	}
	return &p
}

func translate(t *testing.T, p *ir.Proxy, opts translator.Options) *Resources {
	t.Helper()
	r, err := translator.Translate(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &Resources{Listeners: r.Listeners, Routes: r.Routes, Clusters: r.Clusters, Endpoints: r.Endpoints, Secrets: r.Secrets}
}

func newProxy(t *testing.T, res *Resources, srv *httptest.Server) *Proxy {
	t.Helper()
	return newProxyWith(t, res, srv, Options{Seed: 1})
}

// newProxyWith is newProxy with options (Fetcher is filled in).
func newProxyWith(t *testing.T, res *Resources, srv *httptest.Server, opts Options) *Proxy {
	t.Helper()
	hello, err := wasmtest.BuildPackage(helloPackage)
	if err != nil {
		t.Fatal(err)
	}
	f := &Fetcher{
		Resolve:    map[string]string{codeHost: strings.TrimPrefix(srv.URL, "http://")},
		Dir:        t.TempDir(),
		LocalFiles: map[string]string{"/etc/wasp/filters/demo.wasm": hello},
	}
	opts.Fetcher = f
	p, err := New(context.Background(), res, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func do(t *testing.T, p *Proxy, req Request) *Exchange {
	t.Helper()
	ex, err := p.Do(req, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ex.Result.Errors {
		t.Errorf("VM error: %v", e)
	}
	return ex
}

// TestWasmFiltersGolden runs the translator's wasm-filters case (every
// built-in filter plus a custom one, plugin per filter kind) in both
// attachment designs: the route decides the policy, the seed's rate limit
// answers 3 × 200 then 429 local_rate_limited, and the native logger prints
// the access-log filter's JSON line with RL.
func TestWasmFiltersGolden(t *testing.T) {
	srv, sums := codeServer(t)
	for _, design := range []translator.WasmAttachment{translator.PluginPerKind, translator.PluginPerPolicy} {
		t.Run([]string{"PluginPerKind", "PluginPerPolicy"}[design], func(t *testing.T) {
			p := newProxy(t, translate(t, loadGolden(t, "wasm-filters", sums), translator.Options{WasmAttachment: design}), srv)
			builtinVMs := 0
			for _, vm := range p.worker.VMs() {
				if vm.ID() == "builtin" {
					builtinVMs++
				}
			}
			if builtinVMs != 1 {
				t.Fatalf("%d VMs for the built-in module, want one shared by its plugins", builtinVMs)
			}
			api := Request{ListenerPort: 8080, Path: "/api/generate", Authority: "ollama"}
			var statuses []int
			var last *Exchange
			for range 4 {
				last = do(t, p, api)
				statuses = append(statuses, last.Status())
			}
			if want := []int{200, 200, 200, 429}; !slices.Equal(statuses, want) {
				t.Fatalf("statuses %v, want %v", statuses, want)
			}
			if last.Route != "httproute/default/ollama/rule/0/match/0" || last.Cluster != "default/ollama:80" || last.Endpoint != "" {
				t.Errorf("route %q cluster %q endpoint %q: the 429 must not reach upstream", last.Route, last.Cluster, last.Endpoint)
			}
			lr := last.Result.LocalReply
			if lr == nil || lr.Status != 429 || string(last.Result.Response.Body) != "local_rate_limited" {
				t.Errorf("429 local reply = %+v", lr)
			}
			if last.ResponseFlags != "-" {
				t.Errorf("native response flags %q: a Wasm local reply cannot set RL", last.ResponseFlags)
			}
			checkSeedLogLine(t, last, 429, "RL")

			// The first request went upstream with both request filters applied.
			first := do(t, p, Request{ListenerPort: 8080, Path: "/", Authority: "ollama", Headers: [][2]string{{"x-request-id", "fixed"}}})
			if first.Status() != 429 {
				t.Errorf("route rule/1 shares the policy's bucket: got %d", first.Status())
			}
			p.Host().Advance(20 * time.Second) // 3 per 60s: one token back
			ok := do(t, p, api)
			if ok.Status() != 200 || ok.Endpoint != "10.0.4.1:11434" || ok.Cluster != "default/ollama:80" {
				t.Fatalf("after 20s: %d via %q %q", ok.Status(), ok.Cluster, ok.Endpoint)
			}
			up := ok.Result.Upstream
			if up.Header("x-wasp") != "transformed" || up.Header("x-hello") != "wasp" {
				t.Errorf("upstream headers %v: want transform and the custom filter applied", up.Headers)
			}
			if !uuidPattern.MatchString(up.Header("x-request-id")) {
				t.Errorf("x-request-id %q is not a generated UUID", up.Header("x-request-id"))
			}
			checkSeedLogLine(t, ok, 200, "-")

			// Rule 1 ("/") is listed before the /healthz direct response, so
			// it shadows it (first match wins); its policy is the rate limit
			// alone, so transform leaves it alone. (The stand-in for the custom
			// filter ignores its configuration: in design b it runs everywhere.)
			p.Host().Advance(20 * time.Second)
			root := do(t, p, Request{ListenerPort: 8080, Path: "/healthz"})
			if root.Route != "httproute/default/ollama/rule/1/match/0" || root.Status() != 200 {
				t.Fatalf("/healthz: route %q status %d", root.Route, root.Status())
			}
			if root.Result.Upstream.Header("x-wasp") != "" {
				t.Errorf("rule 1 got rule 0's transform: %v", root.Result.Upstream.Headers)
			}
			if design == translator.PluginPerPolicy {
				// Design a enables each policy's plugin on its routes only.
				if slices.Contains(root.Plugins, "wasp.transform/default/transform") || slices.Contains(root.Plugins, "wasp.demo/default/demo") ||
					!slices.Contains(root.Plugins, "wasp.ratelimit/default/ratelimit") || root.Result.Upstream.Header("x-hello") != "" {
					t.Errorf("rule 1 ran plugins %v", root.Plugins)
				}
				if !slices.Contains(ok.Plugins, "wasp.transform/default/transform") {
					t.Errorf("rule 0 ran plugins %v", ok.Plugins)
				}
			}
		})
	}
}

// checkSeedLogLine checks the native logger's line against the ambient
// seed's sample: sorted keys, numbers as numbers, the flags.
func checkSeedLogLine(t *testing.T, ex *Exchange, code int, flags string) {
	t.Helper()
	var line string
	for _, l := range ex.AccessLog {
		if l.Path == "/dev/stdout" {
			line += l.Line
		}
	}
	if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
		t.Fatalf("want exactly one /dev/stdout line, got %q", line)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("log line %q: %v", line, err)
	}
	if m["response_code"] != float64(code) || m["response_flags"] != flags || m["method"] != "GET" {
		t.Errorf("log line %s: want response_code %d, response_flags %q", line, code, flags)
	}
	if _, ok := m["bytes_sent"].(float64); !ok {
		t.Errorf("bytes_sent is not a number in %s", line)
	}
	if m["request_id"] != ex.RequestID {
		t.Errorf("request_id %v, want %q", m["request_id"], ex.RequestID)
	}
	keys := regexp.MustCompile(`"([a-z_]+)":`).FindAllStringSubmatch(line, -1)
	var names []string
	for _, k := range keys {
		names = append(names, k[1])
	}
	if !slices.IsSorted(names) {
		t.Errorf("keys not sorted: %v", names)
	}
}

// TestWaypointChains selects filter chains by the restored destination.
func TestWaypointChains(t *testing.T) {
	srv, sums := codeServer(t)
	p := newProxy(t, translate(t, loadGolden(t, "waypoint-three-services", sums), translator.Options{}), srv)
	wp := func(dst string) Request {
		return Request{ListenerPort: translator.WaypointPort, Destination: netip.MustParseAddrPort(dst), Authority: "reviews:9080"}
	}
	counts := map[string]int{}
	const n = 1000
	for range n {
		ex := do(t, p, wp("10.96.104.12:9080"))
		if ex.FilterChain != "default/reviews:9080" || ex.Route != "httproute/default/reviews-route/rule/0/match/0" {
			t.Fatalf("chain %q route %q", ex.FilterChain, ex.Route)
		}
		counts[ex.Cluster]++
	}
	if v1 := counts["default/reviews-v1:9080"]; v1 < 850 || v1 > 950 || v1+counts["default/reviews-v2:9080"] != n {
		t.Errorf("90/10 split over %d requests: %v", n, counts)
	}
	if ex := do(t, p, wp("[fd00:10:96::4b1]:80")); ex.FilterChain != "default/ollama:80" || ex.Endpoint != "10.244.1.5:11434" {
		t.Errorf("IPv6 VIP: chain %q endpoint %q", ex.FilterChain, ex.Endpoint)
	}
	if _, err := p.Do(wp("10.96.7.7:5432"), nil); err == nil || !strings.Contains(err.Error(), "TCP") {
		t.Errorf("TCP port: err %v", err)
	}
	if _, err := p.Do(wp("10.96.9.9:80"), nil); err == nil || !strings.Contains(err.Error(), "no filter chain") {
		t.Errorf("unknown VIP: err %v", err)
	}
}

// TestTimeouts: the seed's 180s route timeout lets a 2-minute answer
// through where Envoy's default 15s would cut it.
func TestTimeouts(t *testing.T) {
	srv, sums := codeServer(t)
	p := newProxy(t, translate(t, loadGolden(t, "timeouts-180s", sums), translator.Options{}), srv)
	cases := []struct {
		path    string
		latency time.Duration
		status  int
		timeout time.Duration
		flags   string
	}{
		{"/api/chat", 2 * time.Minute, 200, 180 * time.Second, "-"},
		{"/api/chat", 181 * time.Second, 504, 180 * time.Second, "UT"},
		{"/health", 11 * time.Second, 504, 10 * time.Second, "UT"},
		{"/stream", time.Hour, 200, 0, "-"},
	}
	for _, c := range cases {
		ex := do(t, p, Request{ListenerPort: 8080, Path: c.path, UpstreamLatency: c.latency})
		if ex.Status() != c.status || ex.Action.Timeout != c.timeout || ex.ResponseFlags != c.flags {
			t.Errorf("%s after %v: %d timeout %v flags %s; want %d %v %s", c.path, c.latency, ex.Status(), ex.Action.Timeout, ex.ResponseFlags, c.status, c.timeout, c.flags)
		}
	}
}

// TestMatchTypes checks Envoy's route selection on every Gateway API match.
func TestMatchTypes(t *testing.T) {
	srv, sums := codeServer(t)
	p := newProxy(t, translate(t, loadGolden(t, "match-types", sums), translator.Options{}), srv)
	cases := []struct {
		method, path string
		headers      [][2]string
		route        string
	}{
		{"GET", "/login", nil, "exact"},
		{"GET", "/login?next=/", nil, "exact"},
		{"GET", "/login/x", nil, "catch-all"},
		{"GET", "/api/v1", nil, "prefix"},
		{"GET", "/api", nil, "prefix"}, // Gateway API: "/api/" matches /api (path_separated_prefix)
		{"GET", "/apix", nil, "catch-all"},
		{"GET", "/v2/items/7", nil, "regex"},
		{"GET", "/vx/items/7", nil, "catch-all"},
		{"GET", "/", [][2]string{{"x-env", "canary"}}, "header-exact"},
		{"GET", "/", [][2]string{{"X-User", "admin-bob"}}, "header-regex"},
		{"GET", "/", [][2]string{{"x-user", "bob-admin"}}, "catch-all"},
		{"GET", "/?debug=1", nil, "query-exact"},
		{"GET", "/?page=12", nil, "query-regex"},
		{"GET", "/?page=x", nil, "catch-all"},
		{"POST", "/", nil, "method"},
		{"GET", "/orders/1?format=json", [][2]string{{"x-tenant", "acme"}}, "combined"},
		{"GET", "/orders/1?format=xml", [][2]string{{"x-tenant", "acme"}}, "catch-all"},
	}
	for _, c := range cases {
		ex := do(t, p, Request{ListenerPort: 8080, Method: c.method, Path: c.path, Headers: c.headers})
		if ex.Route != c.route {
			t.Errorf("%s %s %v: route %q, want %q", c.method, c.path, c.headers, ex.Route, c.route)
		}
	}
}

// TestCodeChecks: Envoy refuses code whose sha256 differs from the xDS.
func TestCodeChecks(t *testing.T) {
	srv, sums := codeServer(t)
	bad := map[string]string{}
	for k := range sums {
		bad[k] = strings.Repeat("0", 64)
	}
	res := translate(t, loadGolden(t, "wasm-filters", bad), translator.Options{})
	f := &Fetcher{Resolve: map[string]string{codeHost: strings.TrimPrefix(srv.URL, "http://")}, Dir: t.TempDir()}
	_, err := New(context.Background(), res, Options{Fetcher: f})
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("want a sha256 mismatch error, got %v", err)
	}
}

// TestRouteFilters checks the router's native work on the translator's
// route-filters case: header changes, redirects and rewrites.
func TestRouteFilters(t *testing.T) {
	srv, sums := codeServer(t)
	p := newProxy(t, translate(t, loadGolden(t, "route-filters", sums), translator.Options{}), srv)
	upstream := func(*UpstreamCall) *wasmtest.Response {
		return &wasmtest.Response{Status: 200, Headers: [][2]string{{"server", "app"}, {"cache-control", "max-age=60"}}}
	}
	ex, err := p.Do(Request{ListenerPort: 8080, Path: "/headers", Authority: "gw.example", Headers: [][2]string{{"x-remove", "1"}, {"x-set", "zero"}, {"x-add", "one"}}}, upstream)
	if err != nil {
		t.Fatal(err)
	}
	up := ex.Result.Upstream
	if up.Header("x-remove") != "" || up.Header("x-set") != "one" || !slices.Equal(up.HeaderValues("x-add"), []string{"one", "two"}) {
		t.Errorf("request headers upstream: %v", up.Headers)
	}
	if ex.Result.Header("server") != "" || ex.Result.Header("cache-control") != "no-store" {
		t.Errorf("response headers: %v", ex.Result.Response.Headers)
	}
	cases := []struct {
		path, wantPath, wantHost, location string
		status                             int
	}{
		{"/secure/a", "", "", "https://gw.example/secure/a", 301},
		{"/old", "", "", "http://new.example.com/new", 308},
		{"/docs/x?y=1", "", "", "http://gw.example/manual/x?y=1", 302},
		{"/full/a/b?q=1", "/index.html?q=1", "internal.example.com", "", 200},
		{"/v1/items", "/v2/items", "gw.example", "", 200},
		{"/strip/items", "/items", "gw.example", "", 200},
		{"/other", "/app/other", "gw.example", "", 200},
	}
	for _, c := range cases {
		ex, err := p.Do(Request{ListenerPort: 8080, Path: c.path, Authority: "gw.example"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ex.Status() != c.status || ex.Result.Header("location") != c.location {
			t.Errorf("%s: %d location %q, want %d %q", c.path, ex.Status(), ex.Result.Header("location"), c.status, c.location)
			continue
		}
		if c.wantPath != "" {
			up := ex.Result.Upstream
			if up.Header(":path") != c.wantPath || up.Header(":authority") != c.wantHost {
				t.Errorf("%s: upstream %s %s, want %s %s", c.path, up.Header(":authority"), up.Header(":path"), c.wantHost, c.wantPath)
			}
		}
	}
	if ex, _ := p.Do(Request{ListenerPort: 8080, Path: "/other"}, nil); ex.Result.Upstream.Header("x-backend") != "app" {
		t.Errorf("weighted cluster header missing: %v", ex.Result.Upstream.Headers)
	}
}

// unmodelled lists the translator golden cases the simulation refuses, and
// why; every other case must start (code fetched, plugins configured).
var unmodelled = map[string]string{
	"waypoint-authz": "Envoy's RBAC HTTP/network filters are not modelled",
}

// TestEveryGoldenStarts: the simulation starts on every translator golden
// case, or refuses it with a "not modelled" error naming what is missing.
func TestEveryGoldenStarts(t *testing.T) {
	srv, sums := codeServer(t)
	ins, _ := filepath.Glob(filepath.Join(goldenDir, "*.in.yaml"))
	if len(ins) == 0 {
		t.Fatal("no golden cases")
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		t.Run(name, func(t *testing.T) {
			proxy := loadGolden(t, name, sums)
			res := translate(t, proxy, translator.Options{})
			hello, err := wasmtest.BuildPackage(helloPackage)
			if err != nil {
				t.Fatal(err)
			}
			// Every code host of the case is the test's code server.
			resolve := map[string]string{}
			for _, u := range RemoteCodeURIs(res) {
				resolve[strings.SplitN(strings.TrimPrefix(u, "http://"), "/", 2)[0]] = strings.TrimPrefix(srv.URL, "http://")
			}
			// Local files: the built-ins by name, anything else the hello filter.
			local := map[string]string{}
			for _, m := range proxy.WasmModules {
				if m.File == "" {
					continue
				}
				local[m.File] = hello
				if pkg, ok := filterPackages[m.Name]; ok {
					if local[m.File], err = wasmtest.BuildPackage(pkg); err != nil {
						t.Fatal(err)
					}
				}
			}
			f := &Fetcher{Resolve: resolve, Dir: t.TempDir(), LocalFiles: local}
			p, err := New(context.Background(), res, Options{Fetcher: f})
			if reason, known := unmodelled[name]; known {
				if err == nil || !strings.Contains(err.Error(), "not modelled") {
					p.Close()
					t.Fatalf("listed as unmodelled (%s) but New returned %v: update the list", reason, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p.Close()
		})
	}
}
