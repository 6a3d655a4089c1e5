package ir

import (
	"strings"
	"testing"
)

func TestIstioAutoMTLS(t *testing.T) {
	svc := &ServiceRef{Namespace: "httpbin", Name: "httpbin", Port: 8000}
	on := &IstioIntegration{AutoMTLS: true}
	cases := map[string]struct {
		integration *IstioIntegration
		backend     *Backend
		want        bool
	}{
		"on, Service backend":     {on, &Backend{Name: "b", Service: svc}, true},
		"on, opted out":           {on, &Backend{Name: "b", Service: svc, DisableIstioAutoMTLS: true}, false},
		"on, not a Service":       {on, &Backend{Name: "b"}, false},
		"autoMtls off":            {&IstioIntegration{}, &Backend{Name: "b", Service: svc}, false},
		"no integration":          {nil, &Backend{Name: "b", Service: svc}, false},
		"no integration, opt-out": {nil, &Backend{Name: "b", Service: svc, DisableIstioAutoMTLS: true}, false},
	}
	for name, c := range cases {
		p := &Proxy{Name: "p", Kind: KindIngress, IstioIntegration: c.integration}
		if got := p.IstioAutoMTLS(c.backend); got != c.want {
			t.Errorf("%s: IstioAutoMTLS = %v, want %v", name, got, c.want)
		}
	}
}

func TestValidateIstio(t *testing.T) {
	ok := func() *Proxy {
		p := validProxy()
		p.IstioIntegration = &IstioIntegration{AutoMTLS: true}
		p.Backends[0].Service = &ServiceRef{Namespace: "default", Name: "app", Port: 80}
		p.Backends[0].Endpoints = []*Endpoint{
			{Address: "10.0.0.1", Port: 8080, TLSMode: TLSModeIstio},
			{Address: "10.0.0.2", Port: 8080},
		}
		return p
	}
	if err := ok().Validate(); err != nil {
		t.Fatal(err)
	}
	optedOut := ok()
	optedOut.Backends[0].Service.Port = 0
	optedOut.Backends[0].DisableIstioAutoMTLS = true
	if err := optedOut.Validate(); err != nil {
		t.Fatalf("an opted-out backend needs no SNI: %v", err)
	}
	cases := map[string]struct {
		mutate func(*Proxy)
		want   string
	}{
		"unknown tlsMode": {func(p *Proxy) { p.Backends[0].Endpoints[1].TLSMode = "STRICT" },
			`backend default/app:80 endpoint 10.0.0.2:8080: unknown tlsMode "STRICT"`},
		"no service name": {func(p *Proxy) { p.Backends[0].Service.Name = "" },
			`backend default/app:80: Istio auto mTLS needs the service's namespace, name and port`},
		"waypoint": {func(p *Proxy) { p.Kind, p.Listeners, p.Waypoint = KindWaypoint, nil, &Waypoint{} },
			`proxy default/gw: istioIntegration is for ingress proxies, not waypoints`},
	}
	for name, c := range cases {
		p := ok()
		c.mutate(p)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate() = %v, want it to contain %q", name, err, c.want)
		}
	}
}
