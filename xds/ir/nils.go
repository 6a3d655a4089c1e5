package ir

import "fmt"

// nilEntry reports the first nil element of any list in p. JSON "null"
// list entries decode to nil pointers; every other check (and the
// translator) may then assume non-nil elements.
func (p *Proxy) nilEntry() error {
	bad := func(where string, i int) error { return fmt.Errorf("%s[%d]: null entry", where, i) }
	for i, l := range p.Listeners {
		if l == nil {
			return bad("listeners", i)
		}
		for j, vh := range l.VirtualHosts {
			if vh == nil {
				return bad("listener "+l.Name+" virtualHosts", j)
			}
			if err := nilInRoutes("virtual host "+vh.Name, vh.Routes); err != nil {
				return err
			}
		}
		for j, ts := range l.TLS {
			if ts == nil {
				return bad("listener "+l.Name+" tls", j)
			}
			for k, vh := range ts.VirtualHosts {
				if vh == nil {
					return bad("tls server "+ts.Name+" virtualHosts", k)
				}
				if err := nilInRoutes("virtual host "+vh.Name, vh.Routes); err != nil {
					return err
				}
			}
		}
	}
	for i, c := range p.TLSCertificates {
		if c == nil {
			return bad("tlsCertificates", i)
		}
	}
	if w := p.Waypoint; w != nil {
		for i, ap := range w.AuthorizationPolicies {
			if ap == nil {
				return bad("waypoint authorizationPolicies", i)
			}
		}
		for i, s := range w.Services {
			if s == nil {
				return bad("waypoint services", i)
			}
			for j, sp := range s.Ports {
				if sp == nil {
					return bad("waypoint service "+s.Namespace+"/"+s.Name+" ports", j)
				}
				if err := nilInRoutes(fmt.Sprintf("waypoint service %s/%s port %d", s.Namespace, s.Name, sp.Port), sp.Routes); err != nil {
					return err
				}
			}
		}
	}
	for i, b := range p.Backends {
		if b == nil {
			return bad("backends", i)
		}
		for j, e := range b.Endpoints {
			if e == nil {
				return bad("backend "+b.Name+" endpoints", j)
			}
		}
	}
	for i, m := range p.WasmModules {
		if m == nil {
			return bad("wasmModules", i)
		}
	}
	for i, f := range p.WasmFilters {
		if f == nil {
			return bad("wasmFilters", i)
		}
	}
	return nil
}

func nilInRoutes(where string, routes []*Route) error {
	for i, r := range routes {
		if r == nil {
			return fmt.Errorf("%s routes[%d]: null entry", where, i)
		}
		for j, b := range r.Backends {
			if b == nil {
				return fmt.Errorf("route %s backends[%d]: null entry", r.Name, j)
			}
		}
		for j, m := range r.Mirrors {
			if m == nil {
				return fmt.Errorf("route %s mirrors[%d]: null entry", r.Name, j)
			}
		}
		if m := r.Match; m != nil {
			for j, h := range m.Headers {
				if h == nil {
					return fmt.Errorf("route %s headers[%d]: null entry", r.Name, j)
				}
			}
			for j, q := range m.QueryParams {
				if q == nil {
					return fmt.Errorf("route %s queryParams[%d]: null entry", r.Name, j)
				}
			}
		}
	}
	return nil
}
