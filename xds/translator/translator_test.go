package translator

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"wasp.dev/filters/config"
	"wasp.dev/xds/ir"
)

// hcms returns every HTTP connection manager of the resources.
func hcms(t testing.TB, r *Resources) []*hcmv3.HttpConnectionManager {
	t.Helper()
	var out []*hcmv3.HttpConnectionManager
	for _, l := range r.Listeners {
		for _, fc := range l.FilterChains {
			for _, f := range fc.Filters {
				if f.Name != hcmFilterName {
					continue
				}
				var h hcmv3.HttpConnectionManager
				if err := f.GetTypedConfig().UnmarshalTo(&h); err != nil {
					t.Fatal(err)
				}
				out = append(out, &h)
			}
		}
	}
	return out
}

func wasmPlugins(t testing.TB, h *hcmv3.HttpConnectionManager) []*wasmv3.PluginConfig {
	t.Helper()
	var out []*wasmv3.PluginConfig
	for _, hf := range h.HttpFilters {
		var w wasmfilterv3.Wasm
		if !hf.GetTypedConfig().MessageIs(&w) {
			continue // router, RBAC
		}
		if err := hf.GetTypedConfig().UnmarshalTo(&w); err != nil {
			t.Fatal(err)
		}
		out = append(out, w.Config)
	}
	return out
}

// TestWasmInvariants checks, over every golden case, what the design
// promises for Wasm plugins: failure_policy always explicit, one VmConfig
// per module byte for byte (so plugins share a VM), the router last, every
// envelope parseable by the filters' own config type with routes that
// exist, and code clusters present whenever code is remote.
func TestWasmInvariants(t *testing.T) {
	ins, _ := filepath.Glob("testdata/*.in.yaml")
	plugins := 0
	for _, in := range ins {
		p := loadCase(t, in)
		// Custom filters get their configuration verbatim, not an envelope.
		custom := map[string]string{}
		for _, f := range p.WasmFilters {
			if f.Custom != nil {
				custom[WasmFilterPrefix+f.Name] = f.Custom.Configuration
			}
		}
		res, err := Translate(p, Options{})
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		checkConsistent(t, res)
		routeNames := map[string]bool{}
		for _, rc := range res.Routes {
			for _, vh := range rc.VirtualHosts {
				for _, r := range vh.Routes {
					if routeNames[r.Name] || r.Name == "" {
						t.Errorf("%s: route name %q empty or not unique", in, r.Name)
					}
					routeNames[r.Name] = true
				}
			}
		}
		clusters := map[string]bool{}
		for _, c := range res.Clusters {
			clusters[c.Name] = true
		}
		vms := map[string][]byte{}
		for _, h := range hcms(t, res) {
			if last := h.HttpFilters[len(h.HttpFilters)-1]; last.Name != routerFilterName {
				t.Errorf("%s: last HTTP filter is %s, want the router", in, last.Name)
			}
			for _, p := range wasmPlugins(t, h) {
				plugins++
				if p.FailurePolicy == wasmv3.FailurePolicy_UNSPECIFIED {
					t.Errorf("%s: plugin %s has no explicit failure_policy", in, p.Name)
				}
				vm, err := proto.MarshalOptions{Deterministic: true}.Marshal(p.GetVmConfig())
				if err != nil {
					t.Fatal(err)
				}
				id := p.GetVmConfig().VmId
				if prev, ok := vms[id]; ok && string(prev) != string(vm) {
					t.Errorf("%s: plugins of module %s have different vm_config bytes", in, id)
				}
				vms[id] = vm
				if remote := p.GetVmConfig().GetCode().GetRemote(); remote != nil {
					if !clusters[remote.HttpUri.GetCluster()] {
						t.Errorf("%s: code cluster %s missing", in, remote.HttpUri.GetCluster())
					}
				}
				var s wrapperspb.StringValue
				if err := p.Configuration.UnmarshalTo(&s); err != nil {
					t.Fatal(err)
				}
				if want, ok := custom[p.Name]; ok {
					if s.Value != want {
						t.Errorf("%s: custom plugin %s configuration %q, want %q verbatim", in, p.Name, s.Value, want)
					}
					continue
				}
				var env config.PluginConfig[json.RawMessage]
				if err := json.Unmarshal([]byte(s.Value), &env); err != nil {
					t.Fatalf("%s: plugin %s: %v", in, p.Name, err)
				}
				for route, key := range env.Routes {
					if !routeNames[route] {
						t.Errorf("%s: plugin %s maps unknown route %q", in, p.Name, route)
					}
					if env.Policies[key] == nil {
						t.Errorf("%s: plugin %s maps route %q to missing policy %q", in, p.Name, route, key)
					}
				}
			}
		}
	}
	if plugins < 5 {
		t.Fatalf("only %d plugins across the golden cases; the Wasm cases are not exercised", plugins)
	}
}

// TestRateLimitEnvelopeRoundTrip parses the emitted rate-limit plugin
// configuration with the filter's own parser and checks that each route
// resolves to its own policy (two policies of one kind on one listener).
func TestRateLimitEnvelopeRoundTrip(t *testing.T) {
	res, err := Translate(loadCase(t, "testdata/two-policies-same-kind.in.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := hcms(t, res)
	if len(hs) != 1 {
		t.Fatalf("want 1 HCM, got %d", len(hs))
	}
	ps := wasmPlugins(t, hs[0])
	if len(ps) != 1 || ps[0].Name != "wasp.ratelimit" {
		t.Fatalf("want one wasp.ratelimit plugin, got %v", ps)
	}
	var s wrapperspb.StringValue
	if err := ps[0].Configuration.UnmarshalTo(&s); err != nil {
		t.Fatal(err)
	}
	c, err := config.ParseRateLimitPlugin([]byte(s.Value))
	if err != nil {
		t.Fatal(err)
	}
	for route, want := range map[string]int32{
		"httproute/default/strict/rule/0/match/0":  1,
		"httproute/default/relaxed/rule/0/match/0": 100,
	} {
		_, p, ok := c.PolicyFor(route)
		if !ok || p.TokenBucket.MaxTokens != want {
			t.Errorf("route %s: policy %+v, want maxTokens %d", route, p, want)
		}
	}
	if _, _, ok := c.PolicyFor("httproute/default/open/rule/0/match/0"); ok {
		t.Errorf("the route without a policy got one")
	}
}

// TestPerPolicyDesign checks design a (kept for the benchmark): one
// disabled plugin per policy, enabled per route.
func TestPerPolicyDesign(t *testing.T) {
	res, err := Translate(loadCase(t, "testdata/two-policies-same-kind.in.yaml"), Options{WasmAttachment: PluginPerPolicy})
	if err != nil {
		t.Fatal(err)
	}
	h := hcms(t, res)[0]
	var disabled []string
	for _, hf := range h.HttpFilters {
		if hf.Disabled {
			disabled = append(disabled, hf.Name)
		}
	}
	if strings.Join(disabled, ",") != "wasp.ratelimit/default/relaxed,wasp.ratelimit/default/strict" {
		t.Fatalf("disabled plugins = %v", disabled)
	}
	for _, r := range res.Routes[0].VirtualHosts[0].Routes {
		if strings.Contains(r.Name, "strict") {
			if _, ok := r.TypedPerFilterConfig["wasp.ratelimit/default/strict"]; !ok || len(r.TypedPerFilterConfig) != 1 {
				t.Errorf("route %s: typed_per_filter_config = %v", r.Name, r.TypedPerFilterConfig)
			}
		}
		if strings.Contains(r.Name, "open") && len(r.TypedPerFilterConfig) != 0 {
			t.Errorf("route %s enables %v", r.Name, r.TypedPerFilterConfig)
		}
	}
}

func TestTranslateErrorsNameTheCulprit(t *testing.T) {
	cases := map[string]struct {
		file   string
		mutate func(*ir.Proxy)
		want   string
	}{
		"invalid rate limit policy": {"two-policies-same-kind", func(p *ir.Proxy) {
			p.WasmFilters[0].Policies["default/strict"] = json.RawMessage(`{"tokenBucket":{"maxTokens":0,"fillInterval":"1s"}}`)
		}, `maxTokens`},
		"unknown policy field": {"two-policies-same-kind", func(p *ir.Proxy) {
			p.WasmFilters[0].Policies["default/strict"] = json.RawMessage(`{"tokenBuckets":{}}`)
		}, `wasp.ratelimit`},
		"bad access log operator": {"wasm-filters", func(p *ir.Proxy) {
			p.WasmFilters[0].Policies["default/access-logs"] = json.RawMessage(`{"accessLog":[{"fileSink":{"path":"/dev/stdout","stringFormat":"%NOPE%"}}]}`)
		}, `NOPE`},
		"access log cel filter": {"wasm-filters", func(p *ir.Proxy) {
			p.WasmFilters[0].Policies["default/access-logs"] = json.RawMessage(`{"accessLog":[{"fileSink":{"path":"/dev/stdout","stringFormat":"%RESPONSE_CODE%"},"filter":{"celFilter":{"match":"true"}}}]}`)
		}, `cel`},
		"bad regex": {"match-types", func(p *ir.Proxy) {
			p.Listeners[0].VirtualHosts[0].Routes[2].Match.Path.Value = "(["
		}, `route regex`},
		"same VIP and port twice": {"waypoint-three-services", func(p *ir.Proxy) {
			p.Waypoint.Services[1].Addresses = []string{"10.96.238.187"}
			p.Waypoint.Services[1].Ports[0].Port = 80
		}, `waypoint chain default/postgres:80: 10.96.238.187:80 is also served by default/ollama:80`},
		"prefix rewrite without prefix match": {"route-filters", func(p *ir.Proxy) {
			p.Listeners[0].VirtualHosts[0].Routes[5].Match = nil
		}, `route rewrite-prefix: ReplacePrefixMatch needs a PathPrefix match`},
		"hostname in two virtual hosts": {"ingress-hostnames", func(p *ir.Proxy) {
			p.Listeners[0].VirtualHosts[1].Hostnames = []string{"example.com"}
		}, `domain "example.com" in virtual hosts default/gw/http/example.com and default/gw/http/*.example.com`},
		"listener name twice": {"ingress-hostnames", func(p *ir.Proxy) {
			p.Listeners[1].Name = p.Listeners[0].Name
		}, `listener default/gw/http: defined twice`},
		"regex too big for Envoy": {"match-types", func(p *ir.Proxy) {
			p.Listeners[0].VirtualHosts[0].Routes[4].Match.Headers[0].Value = strings.Repeat("(abc|def)", 20)
		}, `above Envoy's limit of 100`},
		"host header modified": {"route-filters", func(p *ir.Proxy) {
			p.Listeners[0].VirtualHosts[0].Routes[0].RequestHeaders.Set[0].Name = "Host"
		}, `route header-modifiers: header "Host" cannot be modified`},
		"pseudo-header removed on a backend": {"route-filters", func(p *ir.Proxy) {
			p.Listeners[0].VirtualHosts[0].Routes[7].Backends[0].RequestHeaders.Remove = []string{":path"}
		}, `route rewrite-root-prefix backend default/app:80: header ":path" cannot be modified`},
		"endpoint is a hostname": {"ingress-basic", func(p *ir.Proxy) {
			p.Backends[0].Endpoints[0].Address = "app.default.svc"
		}, `backend default/app:80: endpoint address "app.default.svc" is not an IP address`},
		"dangling backend": {"ingress-basic", func(p *ir.Proxy) {
			p.Backends[0].Name = "other"
		}, `unknown backend "default/app:80"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := loadCase(t, "testdata/"+c.file+".in.yaml")
			c.mutate(p)
			res, err := Translate(p, Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Translate() error = %v, want it to contain %q", err, c.want)
			}
			if res != nil {
				t.Fatalf("Translate returned resources along with an error")
			}
		})
	}
}

// TestTranslateIsDeterministic translates each case twice into
// deterministic protobuf bytes.
func TestTranslateIsDeterministic(t *testing.T) {
	ins, _ := filepath.Glob("testdata/*.in.yaml")
	for _, in := range ins {
		a, err := Translate(loadCase(t, in), Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Translate(loadCase(t, in), Options{})
		for i := range a.Listeners {
			if !proto.Equal(a.Listeners[i], b.Listeners[i]) {
				t.Errorf("%s: listener %s differs between runs", in, a.Listeners[i].Name)
			}
		}
		ab, _ := a.YAML()
		bb, _ := b.YAML()
		if string(ab) != string(bb) {
			t.Errorf("%s: YAML differs between runs", in)
		}
	}
}

// TestEmptyWaypointHasNoListener: Envoy refuses a listener without filter
// chains, so a waypoint serving no Service yet emits none.
func TestEmptyWaypointHasNoListener(t *testing.T) {
	res, err := Translate(&ir.Proxy{Name: "default/wp", Kind: ir.KindWaypoint, Waypoint: &ir.Waypoint{}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Listeners) != 0 {
		t.Fatalf("got %d listeners", len(res.Listeners))
	}
}

func TestEnvelopeEncoding(t *testing.T) {
	cases := []config.PluginConfig[json.RawMessage]{
		{},
		{Default: "d", Policies: map[string]json.RawMessage{"d": json.RawMessage(`{ "a" : [1, 2] }`)}},
		{
			Policies: map[string]json.RawMessage{"b": json.RawMessage(`{}`), "a\"<é>\n": json.RawMessage(`"x"`)},
			Routes:   map[string]string{"r2": "b", "r1": "a\"<é>\n"},
			Default:  "b",
		},
	}
	for i, c := range cases {
		got, err := encodeEnvelope(c)
		if err != nil {
			t.Fatal(err)
		}
		var back config.PluginConfig[json.RawMessage]
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("case %d: %s: %v", i, got, err)
		}
		want, _ := json.Marshal(c)
		again, _ := json.Marshal(back)
		if string(want) != string(again) {
			t.Errorf("case %d: encoded %s decodes to %s, want %s", i, got, again, want)
		}
	}
	if _, err := encodeEnvelope(config.PluginConfig[json.RawMessage]{Policies: map[string]json.RawMessage{"k": json.RawMessage(`{`)}}); err == nil {
		t.Error("malformed policy JSON accepted")
	}
}

// TestWaypointAuthorizationOrder: on every chain the peer identity is set
// first; RBAC comes before everything that acts on the request (the HCM's
// first HTTP filters, or before tcp_proxy), and chains without a policy
// get none.
func TestWaypointAuthorizationOrder(t *testing.T) {
	res, err := Translate(loadCase(t, "testdata/waypoint-authz.in.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"default/ollama:80":     {setFilterStateName, hcmFilterName + "[router]"},
		"default/postgres:5432": {setFilterStateName, "wasp.authz.deny", tcpProxyFilterName},
		"default/postgres:9187": {setFilterStateName, hcmFilterName + "[wasp.authz.deny router]"},
		"default/reviews:9080":  {setFilterStateName, hcmFilterName + "[wasp.authz.allow router]"},
	}
	for _, fc := range res.Listeners[0].FilterChains {
		var got []string
		for _, f := range fc.Filters {
			name := f.Name
			var h hcmv3.HttpConnectionManager
			if f.GetTypedConfig().MessageIs(&h) {
				if err := f.GetTypedConfig().UnmarshalTo(&h); err != nil {
					t.Fatal(err)
				}
				var hf []string
				for _, x := range h.HttpFilters {
					n := x.Name
					if n == routerFilterName {
						n = "router"
					}
					hf = append(hf, n)
				}
				name += "[" + strings.Join(hf, " ") + "]"
			}
			got = append(got, name)
		}
		if strings.Join(got, ",") != strings.Join(want[fc.Name], ",") {
			t.Errorf("chain %s: filters %v, want %v", fc.Name, got, want[fc.Name])
		}
	}
}
