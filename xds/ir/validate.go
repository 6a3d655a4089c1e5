package ir

import (
	"errors"
	"fmt"
)

// Validate checks the rules the translator relies on (see the package
// comment): unique names, and every reference resolving inside the proxy.
// It reports every problem it finds, each naming the object.
func (p *Proxy) Validate() error {
	if p == nil {
		return fmt.Errorf("proxy: nil")
	}
	if err := p.nilEntry(); err != nil {
		return fmt.Errorf("proxy %s: %w", p.Name, err)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if p.Name == "" {
		bad("proxy: empty name")
	}
	switch p.Kind {
	case KindIngress:
		if p.Waypoint != nil {
			bad("proxy %s: ingress proxy has a waypoint section", p.Name)
		}
	case KindWaypoint:
		if p.Waypoint == nil {
			bad("proxy %s: waypoint proxy without a waypoint section", p.Name)
		}
		if len(p.Listeners) > 0 {
			bad("proxy %s: waypoint proxy has ingress listeners", p.Name)
		}
	default:
		bad("proxy %s: unknown kind %q", p.Name, p.Kind)
	}

	backends := map[string]bool{}
	for _, b := range p.Backends {
		if backends[b.Name] {
			bad("backend %s: duplicate name", b.Name)
		}
		backends[b.Name] = true
	}
	modules := map[string]bool{}
	for _, m := range p.WasmModules {
		if modules[m.Name] {
			bad("wasm module %s: duplicate name", m.Name)
		}
		modules[m.Name] = true
		if (m.URL == "") == (m.File == "") {
			bad("wasm module %s: exactly one of url and file must be set", m.Name)
		}
		if m.URL != "" && len(m.SHA256) != 64 {
			bad("wasm module %s: url needs a sha256 of 64 hex digits", m.Name)
		}
	}
	filters := map[string]*WasmFilter{}
	for _, f := range p.WasmFilters {
		if filters[f.Name] != nil {
			bad("wasm filter %s: duplicate name", f.Name)
		}
		filters[f.Name] = f
		if !modules[f.Module] {
			bad("wasm filter %s: unknown module %q", f.Name, f.Module)
		}
		if f.Default != "" && f.Policies[f.Default] == nil {
			bad("wasm filter %s: default policy %q not in policies", f.Name, f.Default)
		}
		if c := f.Custom; c != nil {
			switch {
			case f.Name == FilterAccessLog || f.Name == FilterRateLimit || f.Name == FilterTransform:
				bad("wasm filter %s: a built-in filter cannot be custom", f.Name)
			case len(f.Policies) > 0 || f.Default != "":
				bad("wasm filter %s: a custom filter has no policies or default", f.Name)
			}
			if c.RelativeTo != "" && c.RelativeTo != FilterRateLimit && c.RelativeTo != FilterTransform {
				bad("wasm filter %s: relativeTo %q is not %s or %s", f.Name, c.RelativeTo, FilterRateLimit, FilterTransform)
			}
			if c.Placement != "" && c.Placement != PlaceBefore && c.Placement != PlaceAfter {
				bad("wasm filter %s: placement %q is not Before or After", f.Name, c.Placement)
			}
		}
	}

	routeNames := map[string]bool{}
	checkRoute := func(where string, r *Route) {
		if r.Name == "" {
			bad("%s: route with empty name", where)
		} else if routeNames[r.Name] {
			bad("route %s: duplicate name", r.Name)
		}
		routeNames[r.Name] = true
		actions := 0
		if len(r.Backends) > 0 {
			actions++
		}
		if r.Redirect != nil {
			actions++
		}
		if r.DirectResponse != nil {
			actions++
		}
		if actions != 1 {
			bad("route %s: want exactly one of backends, redirect, directResponse; have %d", r.Name, actions)
		}
		for _, wb := range r.Backends {
			if wb.Unresolved {
				if wb.Backend != "" {
					bad("route %s: an unresolved backend names backend %q", r.Name, wb.Backend)
				}
				continue
			}
			if !backends[wb.Backend] {
				bad("route %s: unknown backend %q", r.Name, wb.Backend)
			}
		}
		for _, m := range r.Mirrors {
			if !backends[m.Backend] {
				bad("route %s: unknown mirror backend %q", r.Name, m.Backend)
			}
		}
		for name, key := range r.Wasm {
			f := filters[name]
			if f == nil {
				bad("route %s: unknown wasm filter %q", r.Name, name)
			} else if f.Custom != nil {
				if key != name {
					bad("route %s: custom wasm filter %s is enabled with its own name, not %q", r.Name, name, key)
				}
			} else if f.Policies[key] == nil {
				bad("route %s: wasm filter %s has no policy %q", r.Name, name, key)
			}
		}
	}

	ports := map[uint32]bool{}
	for _, l := range p.Listeners {
		if ports[l.Port] {
			bad("listener %s: port %d used twice", l.Name, l.Port)
		}
		ports[l.Port] = true
		for _, vh := range l.VirtualHosts {
			for _, r := range vh.Routes {
				checkRoute("virtual host "+vh.Name, r)
			}
		}
		for _, ts := range l.TLS {
			for _, vh := range ts.VirtualHosts {
				for _, r := range vh.Routes {
					checkRoute("virtual host "+vh.Name, r)
				}
			}
		}
	}
	p.validateTLS(bad)
	if w := p.Waypoint; w != nil {
		for _, s := range w.Services {
			if len(s.Addresses) == 0 {
				bad("waypoint service %s/%s: no addresses", s.Namespace, s.Name)
			}
			for _, sp := range s.Ports {
				if !backends[sp.Backend] {
					bad("waypoint service %s/%s port %d: unknown backend %q", s.Namespace, s.Name, sp.Port, sp.Backend)
				}
				if sp.Protocol != ProtocolHTTP && len(sp.Routes) > 0 {
					bad("waypoint service %s/%s port %d: routes on a %s port", s.Namespace, s.Name, sp.Port, sp.Protocol)
				}
				for _, r := range sp.Routes {
					checkRoute(fmt.Sprintf("waypoint service %s/%s port %d", s.Namespace, s.Name, sp.Port), r)
				}
			}
		}
	}
	p.validateIstio(bad)
	return errors.Join(errs...)
}
