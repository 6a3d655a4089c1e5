package ir

import (
	"encoding/json"
	"strings"
	"testing"
)

func validProxy() *Proxy {
	return &Proxy{
		Name: "default/gw",
		Kind: KindIngress,
		Listeners: []*HTTPListener{{
			Name: "default/gw/http", Port: 8080,
			VirtualHosts: []*VirtualHost{{
				Name: "default/gw/http/*", Hostnames: []string{"*"},
				Routes: []*Route{{
					Name:     "r0",
					Backends: []*WeightedBackend{{Backend: "default/app:80", Weight: 1}},
					Wasm:     map[string]string{FilterRateLimit: "default/rl"},
				}},
			}},
		}},
		Backends:    []*Backend{{Name: "default/app:80"}},
		WasmModules: []*WasmModule{{Name: "ratelimit", File: "/etc/wasp/ratelimit.wasm"}},
		WasmFilters: []*WasmFilter{{
			Name: FilterRateLimit, Module: "ratelimit",
			Policies: map[string]json.RawMessage{"default/rl": json.RawMessage(`{}`)},
		}},
	}
}

func TestValidateAcceptsValidProxy(t *testing.T) {
	if err := validProxy().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateRejects(t *testing.T) {
	cases := map[string]struct {
		mutate func(*Proxy)
		want   string
	}{
		"duplicate route name": {func(p *Proxy) {
			vh := p.Listeners[0].VirtualHosts[0]
			vh.Routes = append(vh.Routes, &Route{Name: "r0", DirectResponse: &DirectResponse{Status: 500}})
		}, "route r0: duplicate name"},
		"unknown backend": {func(p *Proxy) {
			p.Listeners[0].VirtualHosts[0].Routes[0].Backends[0].Backend = "nope"
		}, `unknown backend "nope"`},
		"unknown policy key": {func(p *Proxy) {
			p.Listeners[0].VirtualHosts[0].Routes[0].Wasm[FilterRateLimit] = "other"
		}, `has no policy "other"`},
		"two actions": {func(p *Proxy) {
			p.Listeners[0].VirtualHosts[0].Routes[0].DirectResponse = &DirectResponse{Status: 500}
		}, "exactly one of"},
		"url without sha": {func(p *Proxy) {
			p.WasmModules[0] = &WasmModule{Name: "ratelimit", URL: "http://x/rl.wasm"}
		}, "sha256"},
		"waypoint without section": {func(p *Proxy) { p.Kind = KindWaypoint }, "without a waypoint section"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := validProxy()
			c.mutate(p)
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate() = %v, want error containing %q", err, c.want)
			}
		})
	}
}

func TestDurationJSON(t *testing.T) {
	var v struct{ D *Duration }
	if err := json.Unmarshal([]byte(`{"D":"180s"}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.D.Std().Seconds() != 180 {
		t.Fatalf("got %v", v.D.Std())
	}
	b, _ := json.Marshal(v)
	if string(b) != `{"D":"3m0s"}` {
		t.Fatalf("marshal: %s", b)
	}
}
