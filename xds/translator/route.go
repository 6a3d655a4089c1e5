package translator

import (
	"fmt"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	"wasp.dev/xds/ir"
)

// routeConfig builds a RouteConfiguration named name from virtual hosts.
func (t *translation) routeConfig(name string, vhs []*ir.VirtualHost) (*routev3.RouteConfiguration, error) {
	rc := &routev3.RouteConfiguration{Name: name}
	owner := map[string]string{} // domain → virtual host: Envoy rejects duplicates
	for _, vh := range vhs {
		v := &routev3.VirtualHost{Name: vh.Name, Domains: domains(vh.Hostnames)}
		for _, d := range v.Domains {
			if other, dup := owner[d]; dup {
				return nil, fmt.Errorf("route configuration %s: domain %q in virtual hosts %s and %s", name, d, other, vh.Name)
			}
			owner[d] = vh.Name
		}
		for _, r := range vh.Routes {
			er, err := t.route(r)
			if err != nil {
				return nil, fmt.Errorf("route configuration %s: %w", name, err)
			}
			v.Routes = append(v.Routes, er)
		}
		rc.VirtualHosts = append(rc.VirtualHosts, v)
	}
	return rc, nil
}

// domains maps Gateway API hostnames to Envoy domains: "*.example.com" is
// a suffix wildcard in both (it matches any depth of subdomain, never the
// bare "example.com"); an empty list means any host. Ports in the Host
// header are stripped by the HCM (strip_any_host_port), as Gateway API
// hostnames carry none.
func domains(hostnames []string) []string {
	if len(hostnames) == 0 {
		return []string{"*"}
	}
	return hostnames
}

func (t *translation) route(r *ir.Route) (*routev3.Route, error) {
	m, err := routeMatch(r.Match)
	if err != nil {
		return nil, fmt.Errorf("route %s: %w", r.Name, err)
	}
	er := &routev3.Route{Name: r.Name, Match: m}
	switch {
	case r.Redirect != nil:
		rd, err := redirect(r)
		if err != nil {
			return nil, fmt.Errorf("route %s: %w", r.Name, err)
		}
		er.Action = &routev3.Route_Redirect{Redirect: rd}
	case r.DirectResponse != nil:
		er.Action = directResponse(r.DirectResponse)
	case totalWeight(r.Backends) == 0:
		// Gateway API: when every backendRef has weight 0, answer 500.
		// Envoy would refuse a weighted cluster whose weights sum to 0.
		er.Action = directResponse(&ir.DirectResponse{Status: 500})
	default:
		ra, err := t.routeAction(r)
		if err != nil {
			return nil, fmt.Errorf("route %s: %w", r.Name, err)
		}
		er.Action = &routev3.Route_Route{Route: ra}
	}
	for _, h := range []*ir.HeaderModifier{r.RequestHeaders, r.ResponseHeaders} {
		if err := checkHeaderModifier(h); err != nil {
			return nil, fmt.Errorf("route %s: %w", r.Name, err)
		}
	}
	for _, b := range r.Backends {
		for _, h := range []*ir.HeaderModifier{b.RequestHeaders, b.ResponseHeaders} {
			if err := checkHeaderModifier(h); err != nil {
				return nil, fmt.Errorf("route %s backend %s: %w", r.Name, b.Backend, err)
			}
		}
	}
	if h := r.RequestHeaders; h != nil {
		er.RequestHeadersToAdd, er.RequestHeadersToRemove = headerOptions(h)
	}
	if h := r.ResponseHeaders; h != nil {
		er.ResponseHeadersToAdd, er.ResponseHeadersToRemove = headerOptions(h)
	}
	if t.opts.WasmAttachment == PluginPerPolicy {
		er.TypedPerFilterConfig = t.wasm.routePerPolicyConfig(r)
	}
	er.TypedPerFilterConfig = t.wasm.routeCustomConfig(r, er.TypedPerFilterConfig)
	return er, nil
}

// routeMatch follows Gateway API match semantics.
func routeMatch(m *ir.Match) (*routev3.RouteMatch, error) {
	rm := &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}}
	if m == nil {
		return rm, nil
	}
	if p := m.Path; p != nil {
		switch p.Type {
		case ir.PathExact:
			rm.PathSpecifier = &routev3.RouteMatch_Path{Path: p.Value}
		case ir.PathPrefix, "":
			// Gateway API prefixes match whole segments: "/foo" matches
			// "/foo" and "/foo/x", not "/foobar"; Envoy's
			// path_separated_prefix does exactly that (and rejects a
			// trailing slash, which Gateway API ignores).
			prefix := strings.TrimRight(p.Value, "/")
			if prefix != "" {
				rm.PathSpecifier = &routev3.RouteMatch_PathSeparatedPrefix{PathSeparatedPrefix: prefix}
			}
		case ir.PathRegularExpression:
			if err := checkRegex(p.Value); err != nil {
				return nil, fmt.Errorf("path %w", err)
			}
			rm.PathSpecifier = &routev3.RouteMatch_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: p.Value}}
		default:
			return nil, fmt.Errorf("unknown path match type %q", p.Type)
		}
	}
	for _, h := range m.Headers {
		sm, err := stringMatcher(h)
		if err != nil {
			return nil, fmt.Errorf("header %s: %w", h.Name, err)
		}
		rm.Headers = append(rm.Headers, &routev3.HeaderMatcher{
			Name:                 h.Name,
			HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: sm},
		})
	}
	if m.Method != "" {
		rm.Headers = append(rm.Headers, &routev3.HeaderMatcher{
			Name: ":method",
			HeaderMatchSpecifier: &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{
				MatchPattern: &matcherv3.StringMatcher_Exact{Exact: m.Method},
			}},
		})
	}
	for _, q := range m.QueryParams {
		sm, err := stringMatcher(q)
		if err != nil {
			return nil, fmt.Errorf("query parameter %s: %w", q.Name, err)
		}
		rm.QueryParameters = append(rm.QueryParameters, &routev3.QueryParameterMatcher{
			Name:                         q.Name,
			QueryParameterMatchSpecifier: &routev3.QueryParameterMatcher_StringMatch{StringMatch: sm},
		})
	}
	return rm, nil
}

func stringMatcher(m *ir.StringMatch) (*matcherv3.StringMatcher, error) {
	switch m.Type {
	case ir.MatchExact, "":
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: m.Value}}, nil
	case ir.MatchRegularExpression:
		if err := checkRegex(m.Value); err != nil {
			return nil, err
		}
		return &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_SafeRegex{
			SafeRegex: &matcherv3.RegexMatcher{Regex: m.Value},
		}}, nil
	default:
		return nil, fmt.Errorf("unknown match type %q", m.Type)
	}
}

// checkHeaderModifier refuses what Envoy refuses at load time although
// ValidateAll accepts it: pseudo-headers and host may be neither modified
// nor removed (Envoy's header parser; use URLRewrite to change the host).
func checkHeaderModifier(h *ir.HeaderModifier) error {
	if h == nil {
		return nil
	}
	names := append([]string{}, h.Remove...)
	for _, x := range append(append([]ir.Header{}, h.Set...), h.Add...) {
		names = append(names, x.Name)
	}
	for _, n := range names {
		if strings.HasPrefix(n, ":") || strings.EqualFold(n, "host") {
			return fmt.Errorf("header %q cannot be modified or removed by a header modifier", n)
		}
	}
	return nil
}

// headerOptions maps a Gateway API header modifier: set overwrites, add
// appends.
func headerOptions(h *ir.HeaderModifier) ([]*corev3.HeaderValueOption, []string) {
	var opts []*corev3.HeaderValueOption
	for _, s := range h.Set {
		opts = append(opts, &corev3.HeaderValueOption{
			Header:       &corev3.HeaderValue{Key: s.Name, Value: s.Value},
			AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
		})
	}
	for _, a := range h.Add {
		opts = append(opts, &corev3.HeaderValueOption{
			Header:       &corev3.HeaderValue{Key: a.Name, Value: a.Value},
			AppendAction: corev3.HeaderValueOption_APPEND_IF_EXISTS_OR_ADD,
		})
	}
	return opts, h.Remove
}

func directResponse(d *ir.DirectResponse) *routev3.Route_DirectResponse {
	dr := &routev3.DirectResponseAction{Status: d.Status}
	if d.Body != "" {
		dr.Body = &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: d.Body}}
	}
	return &routev3.Route_DirectResponse{DirectResponse: dr}
}

func totalWeight(bs []*ir.WeightedBackend) uint64 {
	var sum uint64
	for _, b := range bs {
		sum += uint64(b.Weight)
	}
	return sum
}
