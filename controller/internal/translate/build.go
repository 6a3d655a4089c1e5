package translate

import (
	"encoding/json"
	"fmt"
	"path"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/filters/config"
	"wasp.dev/xds/ir"
)

// proxyBuilder accumulates one Proxy.
type proxyBuilder struct {
	t        *translator
	g        *gatewayCtx
	p        *ir.Proxy
	backends map[string]*ir.Backend
	// policies used, per filter: key → config.
	wasm map[string]map[string]json.RawMessage
	// custom are the WasmFilters enabled on some route, by IR name;
	// svc and svcPort ("ns/svc/port name") are the waypoint Service port
	// whose routes are being built (wasmfilters.go).
	custom  map[string]*wasmFilterCtx
	svc     nsName
	svcPort string
}

func (t *translator) buildProxy(g *gatewayCtx) *ir.Proxy {
	if !g.accepted {
		return nil
	}
	b := &proxyBuilder{t: t, g: g, p: &ir.Proxy{Name: g.key.String(), Kind: g.kind},
		backends: map[string]*ir.Backend{}, wasm: map[string]map[string]json.RawMessage{}, custom: map[string]*wasmFilterCtx{}}
	if g.kind == ir.KindWaypoint {
		b.waypoint()
	} else {
		b.ingress()
		// Istio sidecar integration: ingress only; a waypoint's upstream
		// traffic is ztunnel's (docs/istio-sidecar.md).
		if p := g.params; p != nil && p.Istio.AutoMTLS() {
			b.p.IstioIntegration = &ir.IstioIntegration{AutoMTLS: true}
		}
	}
	b.accessLog()
	b.finish()
	return b.p
}

// routesFor emits the Envoy routes of every attachment, named under prefix.
func (b *proxyBuilder) routesFor(prefix string, ln gwv1.SectionName, atts []*attachment) []emitted {
	var out []emitted
	seen := map[*routeCtx]bool{}
	for _, a := range atts {
		if seen[a.route] {
			continue // attached twice to the same place (two listeners, one port)
		}
		seen[a.route] = true
		rc := a.route
		for _, rule := range rc.rules {
			wasm := b.t.wasmForRoute(b.g, ln, rc, rule)
			b.useWasm(wasm)
			for _, be := range rule.backends {
				b.backends[be.Name] = be
			}
			for j, m := range rule.matches {
				r := rule.action // copy; slices inside are shared read-only
				r.Name = fmt.Sprintf("%s/httproute/%s/%s/rule/%d/match/%d", prefix, rc.r.Namespace, rc.r.Name, rule.index, j)
				r.Match = m
				r.Wasm = wasm
				b.customWasm(&r, ln, rc, rule)
				out = append(out, emitted{route: &r, rc: rc, rule: rule.index, match: j})
			}
		}
	}
	return out
}

func (b *proxyBuilder) useWasm(wasm map[string]string) {
	for filter, key := range wasm {
		tp := b.t.policies.byKey[key]
		if b.wasm[filter] == nil {
			b.wasm[filter] = map[string]json.RawMessage{}
		}
		b.wasm[filter][key] = tp.feature(filter)
	}
}

func (b *proxyBuilder) waypoint() {
	w := &ir.Waypoint{Port: uint32(b.g.listenerP.l.Port)}
	ln := b.g.listenerP.l.Name
	for _, ss := range b.g.served {
		s := ss.svc
		ws := &ir.WaypointService{
			Namespace: s.Namespace, Name: s.Name,
			Hostname:  ss.hostname(b.t.opts.ClusterDomain),
			Addresses: serviceVIPs(s),
		}
		for _, sp := range ss.ports {
			b.svc, b.svcPort = nsName{s.Namespace, s.Name}, s.Namespace+"/"+s.Name+"/"+sp.sp.Name
			if ss.entry != nil {
				b.svc, b.svcPort = nsName{}, "" // ServiceEntry hosts are not WasmFilter targets
			}
			be := b.t.backendSet[sp.backend]
			b.backends[be.Name] = be
			wp := &ir.WaypointPort{Port: uint32(sp.sp.Port), Name: sp.sp.Name, Protocol: ir.ProtocolTCP, Backend: be.Name}
			if sp.http {
				wp.Protocol = ir.ProtocolHTTP
				prefix := be.Name
				// Routes parented to the Service win over routes parented to
				// the waypoint Gateway: the Service's owner spoke for it.
				atts := sp.attached
				if len(atts) == 0 {
					atts = b.g.gwRoutes
				}
				es := b.routesFor(prefix, ln, atts)
				if len(atts) == 0 {
					wasm := b.t.wasmForRoute(b.g, ln, nil, nil)
					b.useWasm(wasm)
					def := &ir.Route{
						Name:     prefix + "/default",
						Backends: []*ir.WeightedBackend{{Backend: be.Name, Weight: 1}},
						Wasm:     wasm,
					}
					b.customWasm(def, ln, nil, nil)
					es = append(es, emitted{route: def})
				}
				sortByPrecedence(es)
				for _, e := range es {
					wp.Routes = append(wp.Routes, e.route)
				}
			}
			ws.Ports = append(ws.Ports, wp)
		}
		w.Services = append(w.Services, ws)
	}
	if wa := b.t.authzByWaypoint[b.g.key]; wa != nil {
		w.AuthorizationPolicies = wa.policies
	}
	b.p.Waypoint = w
}

// accessLog installs the Gateway's HTTPListenerPolicy access log, if any:
// the access-log filter runs on every route (its policy is the Default;
// facts.md: a filter that must log every request is enabled for all
// routes). The xDS translator adds the native file sinks that print the
// lines the filter leaves in filter state (config.AccessLogLineFormat).
func (b *proxyBuilder) accessLog() {
	lp := b.t.policies.accessLog[b.g.key]
	if lp == nil {
		return
	}
	b.wasm[ir.FilterAccessLog] = map[string]json.RawMessage{lp.key: lp.config}
}

// finish adds the backends, Wasm modules and filters the proxy uses, sorted.
func (b *proxyBuilder) finish() {
	for _, name := range sortedKeys(b.backends) {
		b.p.Backends = append(b.p.Backends, b.backends[name])
	}
	if len(b.wasm) > 0 {
		// One module for every built-in filter, so that Envoy runs them in
		// one VM per worker; the root_id picks the filter inside it.
		mod := b.t.builtinModule()
		b.p.WasmModules = append(b.p.WasmModules, &mod)
	}
	for _, filter := range sortedKeys(b.wasm) {
		f := &ir.WasmFilter{Name: filter, Module: config.BuiltinModule, RootID: filter, FailurePolicy: ir.FailClosed, Policies: b.wasm[filter]}
		if filter == ir.FilterAccessLog {
			f.Default = sortedKeys(b.wasm[filter])[0]
			// A broken access logger must not take traffic down with it.
			f.FailurePolicy = ir.FailOpen
		}
		b.p.WasmFilters = append(b.p.WasmFilters, f)
	}
	b.finishCustom()
}

// builtinModule returns where proxies load the built-in filters' module
// (config.BuiltinModule) from.
func (t *translator) builtinModule() ir.WasmModule {
	if m, ok := t.opts.WasmModules[config.BuiltinModule]; ok {
		m.Name = config.BuiltinModule
		return m
	}
	return ir.WasmModule{Name: config.BuiltinModule, File: path.Join(DefaultWasmDir, config.BuiltinModule+".wasm")}
}

// coversHost says whether wildcard hostname w ("*" or "*.example.com")
// covers hostname h.
func coversHost(w, h string) bool {
	if w == "*" {
		return true
	}
	return len(w) > 1 && w[0] == '*' && hostMatchesWildcard(h, w)
}

func hasRoute(es []emitted, name string) bool {
	for _, e := range es {
		if e.route.Name == name {
			return true
		}
	}
	return false
}
