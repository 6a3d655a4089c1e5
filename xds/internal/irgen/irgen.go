// Package irgen builds large synthetic IRs for benchmarks.
package irgen

import (
	"encoding/json"
	"fmt"

	"wasp.dev/xds/ir"
)

// Shape of the generated ingress: routes are spread over virtual hosts and
// backends the way a big shared gateway looks (many teams, many hosts).
const (
	routesPerHost    = 100
	routesPerBackend = 10
	endpointsPer     = 3
)

// Ingress returns an ingress proxy with n routes, each with its own
// rate-limit policy attached (the worst case for Wasm config size), plus a
// listener-wide access log.
func Ingress(name string, n int) *ir.Proxy {
	p := &ir.Proxy{
		Name: name,
		Kind: ir.KindIngress,
		WasmModules: []*ir.WasmModule{
			{Name: "builtin", URL: "http://wasp-controller.wasp-system.svc:8082/wasm/builtin.wasm", SHA256: sha("b")},
		},
	}
	rl := &ir.WasmFilter{Name: ir.FilterRateLimit, Module: "builtin", RootID: ir.FilterRateLimit, Policies: map[string]json.RawMessage{}}
	al := &ir.WasmFilter{
		Name: ir.FilterAccessLog, Module: "builtin", RootID: ir.FilterAccessLog, Default: "gw/access",
		Policies: map[string]json.RawMessage{"gw/access": json.RawMessage(
			`{"accessLog":[{"fileSink":{"path":"/dev/stdout","jsonFormat":{"code":"%RESPONSE_CODE%","flags":"%RESPONSE_FLAGS%","path":"%REQ(:PATH)%"}}}]}`)},
	}
	p.WasmFilters = []*ir.WasmFilter{al, rl}
	l := &ir.HTTPListener{Name: name + "/http", Port: 8080}
	p.Listeners = []*ir.HTTPListener{l}
	var vh *ir.VirtualHost
	for i := 0; i < n; i++ {
		if i%routesPerHost == 0 {
			host := fmt.Sprintf("team%d.example.com", i/routesPerHost)
			vh = &ir.VirtualHost{Name: l.Name + "/" + host, Hostnames: []string{host}}
			l.VirtualHosts = append(l.VirtualHosts, vh)
		}
		if i%routesPerBackend == 0 {
			b := &ir.Backend{Name: fmt.Sprintf("ns%d/svc%d:80", i/routesPerHost, i/routesPerBackend)}
			for e := 0; e < endpointsPer; e++ {
				b.Endpoints = append(b.Endpoints, &ir.Endpoint{
					Address: fmt.Sprintf("10.%d.%d.%d", (i/routesPerBackend)/250, (i/routesPerBackend)%250, e+1),
					Port:    8080,
				})
			}
			p.Backends = append(p.Backends, b)
		}
		key := fmt.Sprintf("ns%d/ratelimit-%d", i/routesPerHost, i)
		rl.Policies[key] = json.RawMessage(fmt.Sprintf(
			`{"tokenBucket":{"maxTokens":%d,"tokensPerFill":%d,"fillInterval":"1s"}}`, 10+i%90, 1+i%10))
		timeout := ir.Duration(30e9)
		vh.Routes = append(vh.Routes, &ir.Route{
			Name:     fmt.Sprintf("httproute/ns%d/route%d/rule/0/match/0", i/routesPerHost, i),
			Match:    &ir.Match{Path: &ir.PathMatch{Type: ir.PathPrefix, Value: fmt.Sprintf("/api/v%d", i)}},
			Backends: []*ir.WeightedBackend{{Backend: p.Backends[len(p.Backends)-1].Name, Weight: 1}},
			RequestHeaders: &ir.HeaderModifier{
				Set: []ir.Header{{Name: "x-route", Value: fmt.Sprint(i)}},
			},
			Timeouts: &ir.Timeouts{Request: &timeout},
			Wasm:     map[string]string{ir.FilterRateLimit: key},
		})
	}
	return p
}

func sha(seed string) string {
	s := ""
	for len(s) < 64 {
		s += fmt.Sprintf("%x", seed[0])
	}
	return s[:64]
}
