package ratelimit

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"wasp.dev/filters/config"
)

// The scenarios below run twice: natively under the SDK's proxytest
// (native_test.go) and as the compiled .wasm in wasmtest (wasm_test.go).
// Both must give the same results; the harness is the only difference.

// request is one HTTP request as the filter sees it.
type request struct {
	vm      int    // which worker VM serves it
	route   string // xds.route_name; "" leaves the property unset
	source  string // source.address; "" leaves it unset
	headers [][2]string
}

// response is what the client gets, plus what the access log would see.
type response struct {
	status  int               // 200 = passed to the upstream (which answers 200)
	body    string            // local reply body
	headers map[string]string // local reply headers, or the upstream response's after the filter
	marker  string            // filter state wasm.wasp_ratelimited ("" when unset)
}

// run is one plugin configuration started on a fresh host with n VMs.
type run interface {
	do(t testing.TB, r request) response
	advance(d time.Duration)
	counter(t testing.TB, name string) uint64
}

// harness starts runs; start fails the test if the plugin does not start.
type harness interface {
	start(t testing.TB, pluginConfig string, vms int) run
	// startFailure starts a plugin expected to refuse its configuration and
	// returns the error-or-worse log lines it wrote.
	startFailure(t testing.TB, pluginConfig string) (started bool, logs []string)
}

// step is one request, after advancing the clock, and its expected answer.
type step struct {
	advance time.Duration
	req     request
	want    int               // 200 or 429
	headers map[string]string // expected response headers (subset)
}

type scenario struct {
	name     string
	config   string
	vms      int
	steps    []step
	counters map[string]uint64 // expected counters at the end
}

const seedConfig = `{
  "policies": {"default/ratelimit": {"tokenBucket": {"maxTokens": 3, "tokensPerFill": 3, "fillInterval": "60s"}}},
  "routes": {"ollama": "default/ratelimit"}
}`

func ollama(vm int) request { return request{vm: vm, route: "ollama", source: "10.0.0.1:40000"} }

func times(n int, s step) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func concat(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func withHeader(vm int, name, value string) request {
	r := ollama(vm)
	r.headers = [][2]string{{name, value}}
	return r
}

func counters(allowed, limited, shadow uint64) map[string]uint64 {
	return map[string]uint64{metricAllowed: allowed, metricLimited: limited, metricShadowLimited: shadow, metricErrors: 0}
}

var scenarios = []scenario{
	{
		name:   "seed: 3 x 200, 429 with the exact body, 200 after 60s",
		config: seedConfig,
		steps: concat(
			times(3, step{req: ollama(0), want: 200}),
			[]step{{req: ollama(0), want: 429}},
			[]step{{advance: 60 * time.Second, req: ollama(0), want: 200}},
		),
		counters: counters(4, 1, 0),
	},
	{
		name:   "continuous refill: one token after 20s of 3 per 60s, fractions kept",
		config: seedConfig,
		steps: concat(
			times(3, step{req: ollama(0), want: 200}),
			[]step{
				{advance: 19 * time.Second, req: ollama(0), want: 429},
				{advance: time.Second, req: ollama(0), want: 200}, // 20 s: one token
				{req: ollama(0), want: 429},
				{advance: 10 * time.Second, req: ollama(0), want: 429}, // half a token, kept
				{advance: 10 * time.Second, req: ollama(0), want: 200},
			},
		),
		counters: counters(5, 3, 0),
	},
	{
		name:   "a route without a policy passes untouched",
		config: seedConfig,
		steps: times(5, step{req: request{route: "other", source: "10.0.0.1:1"}, want: 200,
			headers: map[string]string{"x-ratelimit-limit": ""}}),
		counters: counters(0, 0, 0),
	},
	{
		name:   "the default policy covers unlisted routes and a missing route name",
		config: `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1m"}}}, "default": "p"}`,
		steps: []step{
			{req: request{source: "10.0.0.1:1"}, want: 200},
			{req: request{source: "10.0.0.1:1"}, want: 429},
		},
		counters: counters(1, 1, 0),
	},
	{
		name:   "two VMs share one bucket",
		config: seedConfig,
		vms:    2,
		steps: []step{
			{req: ollama(0), want: 200},
			{req: ollama(1), want: 200},
			{req: ollama(0), want: 200},
			{req: ollama(1), want: 429},
			{req: ollama(0), want: 429},
			{advance: 20 * time.Second, req: ollama(1), want: 200},
			{req: ollama(0), want: 429},
		},
		counters: counters(4, 3, 0),
	},
	{
		name: "per-client buckets by source address (port ignored)",
		config: `{"policies": {"p": {"tokenBucket": {"maxTokens": 2, "fillInterval": "1m"},
		          "key": {"type": "ClientAddress"}}}, "routes": {"r": "p"}}`,
		steps: []step{
			{req: request{route: "r", source: "10.0.0.1:1000"}, want: 200},
			{req: request{route: "r", source: "10.0.0.1:2000"}, want: 200},
			{req: request{route: "r", source: "10.0.0.1:3000"}, want: 429},
			{req: request{route: "r", source: "10.0.0.2:1000"}, want: 200},
			{req: request{route: "r", source: "[2001:db8::2]:1000"}, want: 200},
			{req: request{route: "r", source: "10.0.0.2:1000"}, want: 200},
			{req: request{route: "r", source: "10.0.0.2:1000"}, want: 429},
		},
		counters: counters(5, 2, 0),
	},
	{
		name: "per-client buckets by x-forwarded-for with one trusted hop",
		config: `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1m"},
		          "key": {"type": "ClientAddress", "clientAddress": {"header": "x-forwarded-for", "trustedHops": 1}}}},
		          "routes": {"ollama": "p"}}`,
		steps: []step{
			{req: withHeader(0, "x-forwarded-for", "1.1.1.1, 9.9.9.9"), want: 200},
			{req: withHeader(0, "x-forwarded-for", "1.1.1.1, 9.9.9.8"), want: 429}, // same client, other proxy
			{req: withHeader(0, "x-forwarded-for", "2.2.2.2, 9.9.9.9"), want: 200},
			// Too few entries: falls back to the connection (10.0.0.1).
			{req: withHeader(0, "x-forwarded-for", "3.3.3.3"), want: 200},
			{req: ollama(0), want: 429},
			// Repeated headers count as one list: the client is 4.4.4.4
			// (a first-value read would see one entry and fall back to
			// the connection address, whose bucket is empty by now).
			{req: request{route: "ollama", source: "10.0.0.1:40000", headers: [][2]string{
				{"x-forwarded-for", "1.1.1.1"}, {"x-forwarded-for", "4.4.4.4, 9.9.9.9"}}}, want: 200},
			{req: withHeader(0, "x-forwarded-for", "4.4.4.4, 9.9.9.7"), want: 429},
		},
		counters: counters(4, 3, 0),
	},
	{
		name: "per-header buckets; requests without the header share one bucket",
		config: `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1m"},
		          "key": {"type": "Header", "header": "x-user-id"}}}, "routes": {"ollama": "p"}}`,
		steps: []step{
			{req: withHeader(0, "x-user-id", "alice"), want: 200},
			{req: withHeader(0, "x-user-id", "alice"), want: 429},
			{req: withHeader(0, "x-user-id", "bob"), want: 200},
			{req: ollama(0), want: 200},
			{req: ollama(0), want: 429},
		},
		counters: counters(3, 2, 0),
	},
	{
		name: "per-route buckets of one policy",
		config: `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1m"}, "key": {"type": "Route"}}},
		          "routes": {"a": "p", "b": "p"}}`,
		steps: []step{
			{req: request{route: "a", source: "10.0.0.1:1"}, want: 200},
			{req: request{route: "b", source: "10.0.0.1:1"}, want: 200},
			{req: request{route: "a", source: "10.0.0.1:1"}, want: 429},
		},
		counters: counters(2, 1, 0),
	},
	{
		// Two slots: A (empty) and B (one token) fill them; C evicts the
		// fuller B, A stays limited, and B comes back to a fresh bucket.
		name: "per-client eviction at maxKeys",
		config: `{"policies": {"p": {"tokenBucket": {"maxTokens": 2, "fillInterval": "1m"},
		          "key": {"type": "Header", "header": "x-user"}, "maxKeys": 2}}, "routes": {"ollama": "p"}}`,
		steps: []step{
			{req: withHeader(0, "x-user", "a"), want: 200},
			{req: withHeader(0, "x-user", "a"), want: 200},
			{req: withHeader(0, "x-user", "a"), want: 429},
			{req: withHeader(0, "x-user", "b"), want: 200},
			{req: withHeader(0, "x-user", "c"), want: 200}, // evicts b
			{req: withHeader(0, "x-user", "a"), want: 429}, // a kept its empty bucket
			{req: withHeader(0, "x-user", "b"), want: 200}, // fresh bucket (evicts c)
			{req: withHeader(0, "x-user", "b"), want: 200}, // ...with two tokens
			{req: withHeader(0, "x-user", "b"), want: 429},
		},
		counters: counters(6, 3, 0),
	},
	{
		name: "shadow mode counts but never rejects",
		config: `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1m"}, "percentEnforced": 0}},
		          "routes": {"ollama": "p"}}`,
		steps:    times(3, step{req: ollama(0), want: 200}),
		counters: counters(1, 0, 2),
	},
	{
		name: "percentEnforced 50 rejects every other limited request",
		config: `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1m"}, "percentEnforced": 50}},
		          "routes": {"ollama": "p"}}`,
		steps: concat(
			[]step{{req: ollama(0), want: 200}},
			[]step{{req: ollama(0), want: 200}, {req: ollama(0), want: 429}},
			[]step{{req: ollama(0), want: 200}, {req: ollama(0), want: 429}},
		),
		counters: counters(1, 2, 2),
	},
	{
		name: "percentEnabled 50: every other request bypasses the limiter",
		config: `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1m"}, "percentEnabled": 50}},
		          "routes": {"ollama": "p"}}`,
		steps: []step{
			{req: ollama(0), want: 200}, // not enabled: no token taken
			{req: ollama(0), want: 200}, // enabled: takes the only token
			{req: ollama(0), want: 200}, // not enabled
			{req: ollama(0), want: 429}, // enabled, bucket empty
		},
		counters: counters(1, 1, 0),
	},
	{
		name: "response headers on allowed and limited responses",
		config: `{"policies": {"p": {"tokenBucket": {"maxTokens": 3, "tokensPerFill": 3, "fillInterval": "60s"},
		          "responseHeaders": true}}, "routes": {"ollama": "p"}}`,
		steps: []step{
			{req: ollama(0), want: 200, headers: map[string]string{"x-ratelimit-limit": "3", "x-ratelimit-remaining": "2", "x-ratelimit-reset": "20"}},
			{req: ollama(0), want: 200, headers: map[string]string{"x-ratelimit-remaining": "1", "x-ratelimit-reset": "40"}},
			{req: ollama(0), want: 200, headers: map[string]string{"x-ratelimit-remaining": "0", "x-ratelimit-reset": "60"}},
			{req: ollama(0), want: 429, headers: map[string]string{"x-ratelimit-limit": "3", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "60"}},
			{advance: 30 * time.Second, req: ollama(0), want: 200, headers: map[string]string{"x-ratelimit-remaining": "0", "x-ratelimit-reset": "50"}},
		},
		counters: counters(4, 1, 0),
	},
	{
		name:   "hostile request input never panics",
		config: `{"policies": {"p": {"tokenBucket": {"maxTokens": 100, "fillInterval": "1m"}, "key": {"type": "ClientAddress", "clientAddress": {"header": "x-forwarded-for", "trustedHops": 2}}}}, "routes": {"ollama": "p"}, "default": "p"}`,
		steps: []step{
			{req: request{route: "ollama", source: "not an address", headers: [][2]string{{"x-forwarded-for", strings.Repeat(",", 10000)}}}, want: 200},
			{req: request{route: "ollama", source: "[::1", headers: [][2]string{{"x-forwarded-for", "\x00\xff\xfe, [, ]"}}}, want: 200},
			{req: request{route: strings.Repeat("r", 5000), source: strings.Repeat("9", 70000)}, want: 200},
		},
		counters: counters(3, 0, 0),
	},
}

// runScenario plays sc on h and checks every answer.
func runScenario(t *testing.T, h harness, sc scenario) {
	vms := sc.vms
	if vms == 0 {
		vms = 1
	}
	r := h.start(t, sc.config, vms)
	for i, s := range sc.steps {
		if s.advance > 0 {
			r.advance(s.advance)
		}
		got := r.do(t, s.req)
		checkResponse(t, i, s, got)
	}
	for _, name := range sortedNames(sc.counters) {
		if got := r.counter(t, name); got != sc.counters[name] {
			t.Errorf("counter %s = %d, want %d", name, got, sc.counters[name])
		}
	}
}

func checkResponse(t *testing.T, i int, s step, got response) {
	t.Helper()
	if got.status != s.want {
		t.Fatalf("step %d (vm %d, route %q): status %d, want %d", i, s.req.vm, s.req.route, got.status, s.want)
	}
	if s.want == config.RateLimitedStatus {
		if got.body != config.RateLimitedBody {
			t.Errorf("step %d: 429 body %q, want %q", i, got.body, config.RateLimitedBody)
		}
		for _, h := range []string{"content-type", "x-envoy-ratelimited"} {
			if v, ok := got.headers[h]; ok {
				t.Errorf("step %d: 429 carries %s: %q; Envoy's local rate limit sends none", i, h, v)
			}
		}
		if got.marker != config.RateLimitedMarkerValue {
			t.Errorf("step %d: filter state %s = %q, want %q", i, config.RateLimitedFilterStateName, got.marker, config.RateLimitedMarkerValue)
		}
	} else if got.marker != "" {
		t.Errorf("step %d: passed request carries filter state %q", i, got.marker)
	}
	for _, name := range sortedNames(s.headers) {
		want := s.headers[name]
		if v := got.headers[name]; v != want {
			t.Errorf("step %d: header %s = %q, want %q", i, name, v, want)
		}
	}
}

func sortedNames[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// invalidConfigs maps a plugin configuration to the field its error must
// name.
var invalidConfigs = []struct {
	name, config, field string
}{
	{"empty", ``, "configuration"},
	{"not JSON", `{`, "configuration"},
	{"trailing data", `{} {}`, "configuration"},
	{"unknown field", `{"policies": {"p": {"tokenBucket": {"maxToken": 3, "fillInterval": "1s"}}}}`, `"maxToken"`},
	{"wrong type", `{"policies": {"p": {"tokenBucket": {"maxTokens": "3", "fillInterval": "1s"}}}}`, "maxTokens"},
	{"maxTokens 0", `{"policies": {"p": {"tokenBucket": {"maxTokens": 0, "fillInterval": "1s"}}}}`, `policies["p"].tokenBucket.maxTokens`},
	{"maxTokens missing", `{"policies": {"p": {"tokenBucket": {"fillInterval": "1s"}}}}`, `policies["p"].tokenBucket.maxTokens`},
	{"tokensPerFill 0", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "tokensPerFill": 0, "fillInterval": "1s"}}}}`, `policies["p"].tokenBucket.tokensPerFill`},
	{"fillInterval missing", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1}}}}`, `policies["p"].tokenBucket.fillInterval`},
	{"fillInterval not a duration", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "soon"}}}}`, `policies["p"].tokenBucket.fillInterval`},
	{"fillInterval below 50ms", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "49ms"}}}}`, `policies["p"].tokenBucket.fillInterval`},
	{"fillInterval negative", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "-1s"}}}}`, `policies["p"].tokenBucket.fillInterval`},
	{"key type missing", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "key": {}}}}`, `policies["p"].key.type`},
	{"key type unknown", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "key": {"type": "Cookie"}}}}`, `policies["p"].key.type`},
	{"header key without header", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "key": {"type": "Header"}}}}`, `policies["p"].key.header`},
	{"header key upper case", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "key": {"type": "Header", "header": "X-User"}}}}`, `policies["p"].key.header`},
	{"header key pseudo-header", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "key": {"type": "Header", "header": ":path"}}}}`, `policies["p"].key.header`},
	{"route key with header", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "key": {"type": "Route", "header": "x"}}}}`, `policies["p"].key.header`},
	{"client address without header", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "key": {"type": "ClientAddress", "clientAddress": {}}}}}`, `policies["p"].key.clientAddress.header`},
	{"trusted hops too many", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "key": {"type": "ClientAddress", "clientAddress": {"header": "x-forwarded-for", "trustedHops": 17}}}}}`, `policies["p"].key.clientAddress.trustedHops`},
	{"maxKeys without key", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "maxKeys": 10}}}`, `policies["p"].maxKeys`},
	{"maxKeys too large", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "key": {"type": "Route"}, "maxKeys": 65537}}}`, `policies["p"].maxKeys`},
	{"maxKeys negative", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "key": {"type": "Route"}, "maxKeys": -1}}}`, `policies["p"].maxKeys`},
	{"percentEnforced above 100", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "percentEnforced": 101}}}`, `policies["p"].percentEnforced`},
	{"percentEnforced negative", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "percentEnforced": -1}}}`, `policies["p"].percentEnforced`},
	{"percentEnabled above 100", `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "percentEnabled": 101}}}`, `policies["p"].percentEnabled`},
	{"route to a missing policy", `{"policies": {}, "routes": {"r": "nope"}}`, `routes["r"]`},
	{"default to a missing policy", `{"default": "nope"}`, `default`},
	{"empty policy key", `{"policies": {"": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}}}}`, `policies[""]`},
}

func runInvalidConfigs(t *testing.T, h harness) {
	for _, c := range invalidConfigs {
		t.Run(c.name, func(t *testing.T) {
			started, logs := h.startFailure(t, c.config)
			if started {
				t.Fatal("plugin started with an invalid configuration")
			}
			if len(logs) != 1 {
				t.Fatalf("want one log line naming the field, got %d: %q", len(logs), logs)
			}
			if !strings.Contains(logs[0], c.field) {
				t.Fatalf("log line %q does not name %s", logs[0], c.field)
			}
		})
	}
}
