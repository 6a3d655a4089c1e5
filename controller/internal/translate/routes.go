package translate

import (
	"fmt"
	"time"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/xds/ir"
)

// routeCtx is one HTTPRoute with its rules converted once, whatever the
// number of parents it attaches to.
type routeCtx struct {
	r     *gwv1.HTTPRoute
	key   nsName
	rules []*ruleIR
	// refErr is the first unresolvable reference (ResolvedRefs=False).
	refErr *refError
	// invalid is the first field Envoy would refuse (validate_route.go):
	// the route is then Accepted=False on every parent and left out.
	invalid *routeProblem
	// parents are wasp's status entries, in parentRef order.
	parents []gwv1.RouteParentStatus
}

// ruleIR is one rule: its matches and the action every match shares.
type ruleIR struct {
	index   int
	name    string // rule name, "" when unnamed (TrafficPolicy sectionName)
	matches []*ir.Match
	action  ir.Route // Name, Match and Wasm unset
	// backends are the Backends the action refers to.
	backends []*ir.Backend
}

// defaultStatus is what a rule with no usable backend answers (Gateway API:
// requests to invalid backends get 500).
const defaultStatus = 500

func (t *translator) convertRoute(r *gwv1.HTTPRoute) *routeCtx {
	rc := &routeCtx{r: r, key: nsName{r.Namespace, r.Name}, invalid: validateRoute(r)}
	for i := range r.Spec.Rules {
		rule := t.convertRule(rc, i, &r.Spec.Rules[i])
		rc.rules = append(rc.rules, rule)
		if rc.invalid == nil {
			rc.invalid = checkRuleRoutes(fmt.Sprintf("spec.rules[%d]", i), rule)
		}
	}
	return rc
}

func (t *translator) fail(rc *routeCtx, e *refError) {
	if rc.refErr == nil {
		rc.refErr = e
	}
}

func (t *translator) convertRule(rc *routeCtx, i int, rule *gwv1.HTTPRouteRule) *ruleIR {
	ns := rc.r.Namespace
	out := &ruleIR{index: i}
	if rule.Name != nil {
		out.name = string(*rule.Name)
	}
	if len(rule.Matches) == 0 {
		out.matches = []*ir.Match{{Path: &ir.PathMatch{Type: ir.PathPrefix, Value: "/"}}}
	}
	for _, m := range rule.Matches {
		out.matches = append(out.matches, convertMatch(m))
	}
	a := &out.action
	broken := false // an unsupported filter: answer 500 rather than skip it
	for _, f := range rule.Filters {
		switch f.Type {
		case gwv1.HTTPRouteFilterRequestHeaderModifier:
			a.RequestHeaders = headerModifier(f.RequestHeaderModifier)
		case gwv1.HTTPRouteFilterResponseHeaderModifier:
			a.ResponseHeaders = headerModifier(f.ResponseHeaderModifier)
		case gwv1.HTTPRouteFilterRequestRedirect:
			a.Redirect = redirect(f.RequestRedirect)
		case gwv1.HTTPRouteFilterURLRewrite:
			a.URLRewrite = urlRewrite(f.URLRewrite)
		case gwv1.HTTPRouteFilterRequestMirror:
			if f.RequestMirror == nil {
				continue
			}
			b, err := t.resolveBackendRef(ns, f.RequestMirror.BackendRef)
			if err != nil {
				t.fail(rc, err)
				continue
			}
			m := &ir.Mirror{Backend: b.Name}
			switch {
			case f.RequestMirror.Percent != nil:
				m.Percent = ptrTo(float64(*f.RequestMirror.Percent))
			case f.RequestMirror.Fraction != nil && f.RequestMirror.Fraction.Denominator != nil && *f.RequestMirror.Fraction.Denominator > 0:
				m.Percent = ptrTo(100 * float64(f.RequestMirror.Fraction.Numerator) / float64(*f.RequestMirror.Fraction.Denominator))
			case f.RequestMirror.Fraction != nil:
				m.Percent = ptrTo(float64(f.RequestMirror.Fraction.Numerator))
			}
			a.Mirrors = append(a.Mirrors, m)
			out.backends = append(out.backends, b)
		default:
			broken = true
			t.fail(rc, &refError{gwv1.RouteReasonUnsupportedValue, fmt.Sprintf("rule %d: filter type %s is not supported by wasp", i, f.Type)})
		}
	}
	if rule.Timeouts != nil {
		a.Timeouts = &ir.Timeouts{Request: gwDuration(rule.Timeouts.Request), BackendRequest: gwDuration(rule.Timeouts.BackendRequest)}
	}
	if rule.Retry != nil {
		rt := &ir.Retry{Backoff: gwDuration(rule.Retry.Backoff)}
		if rule.Retry.Attempts != nil && *rule.Retry.Attempts > 0 {
			rt.Attempts = uint32(*rule.Retry.Attempts)
		}
		for _, c := range rule.Retry.Codes {
			rt.Codes = append(rt.Codes, uint32(c))
		}
		a.Retry = rt
	}
	if broken {
		a.Redirect, a.Backends = nil, nil
		a.DirectResponse = &ir.DirectResponse{Status: defaultStatus}
		return out
	}
	if a.Redirect != nil {
		return out
	}
	total := 0
	for _, br := range rule.BackendRefs {
		b, err := t.resolveBackendRef(ns, br.BackendObjectReference)
		w := uint32(1)
		if br.Weight != nil {
			w = uint32(*br.Weight)
		}
		if err != nil {
			t.fail(rc, err)
			a.Backends = append(a.Backends, unresolvedShare(w)) // backends.go
			continue
		}
		total += int(w)
		wb := &ir.WeightedBackend{Backend: b.Name, Weight: w}
		for _, f := range br.Filters {
			switch f.Type {
			case gwv1.HTTPRouteFilterRequestHeaderModifier:
				wb.RequestHeaders = headerModifier(f.RequestHeaderModifier)
			case gwv1.HTTPRouteFilterResponseHeaderModifier:
				wb.ResponseHeaders = headerModifier(f.ResponseHeaderModifier)
			default:
				broken = true
				t.fail(rc, &refError{gwv1.RouteReasonUnsupportedValue, fmt.Sprintf("rule %d: backendRef filter type %s is not supported by wasp", i, f.Type)})
			}
		}
		a.Backends = append(a.Backends, wb)
		out.backends = append(out.backends, b)
	}
	if broken || total == 0 {
		// No backend can take traffic (none given, none resolvable, all
		// weights 0) or a filter wasp cannot honour: answer 500 as Gateway
		// API requires, instead of forwarding unfiltered.
		a.Backends = nil
		a.DirectResponse = &ir.DirectResponse{Status: defaultStatus}
	}
	return out
}

// gwDuration converts a Gateway API duration (a subset of Go's syntax).
func gwDuration(d *gwv1.Duration) *ir.Duration {
	if d == nil {
		return nil
	}
	v, err := time.ParseDuration(string(*d))
	if err != nil {
		return nil // the CRD's pattern rejects this at admission
	}
	return ir.DurationOf(v)
}

func convertMatch(m gwv1.HTTPRouteMatch) *ir.Match {
	out := &ir.Match{}
	if m.Path != nil {
		pt := gwv1.PathMatchPathPrefix
		if m.Path.Type != nil {
			pt = *m.Path.Type
		}
		v := "/"
		if m.Path.Value != nil {
			v = *m.Path.Value
		}
		out.Path = &ir.PathMatch{Type: ir.PathMatchType(pt), Value: v}
	} else {
		out.Path = &ir.PathMatch{Type: ir.PathPrefix, Value: "/"}
	}
	for _, h := range m.Headers {
		sm := &ir.StringMatch{Name: string(h.Name), Value: h.Value}
		if h.Type != nil && *h.Type == gwv1.HeaderMatchRegularExpression {
			sm.Type = ir.MatchRegularExpression
		}
		out.Headers = append(out.Headers, sm)
	}
	for _, q := range m.QueryParams {
		sm := &ir.StringMatch{Name: string(q.Name), Value: q.Value}
		if q.Type != nil && *q.Type == gwv1.QueryParamMatchRegularExpression {
			sm.Type = ir.MatchRegularExpression
		}
		out.QueryParams = append(out.QueryParams, sm)
	}
	if m.Method != nil {
		out.Method = string(*m.Method)
	}
	return out
}

func headerModifier(f *gwv1.HTTPHeaderFilter) *ir.HeaderModifier {
	if f == nil {
		return nil
	}
	out := &ir.HeaderModifier{Remove: append([]string(nil), f.Remove...)}
	for _, h := range f.Set {
		out.Set = append(out.Set, ir.Header{Name: string(h.Name), Value: h.Value})
	}
	for _, h := range f.Add {
		out.Add = append(out.Add, ir.Header{Name: string(h.Name), Value: h.Value})
	}
	return out
}

func pathModifier(p *gwv1.HTTPPathModifier) *ir.PathModifier {
	if p == nil {
		return nil
	}
	switch p.Type {
	case gwv1.FullPathHTTPPathModifier:
		if p.ReplaceFullPath != nil {
			return &ir.PathModifier{Type: ir.ReplaceFullPath, Value: *p.ReplaceFullPath}
		}
	case gwv1.PrefixMatchHTTPPathModifier:
		if p.ReplacePrefixMatch != nil {
			return &ir.PathModifier{Type: ir.ReplacePrefixMatch, Value: *p.ReplacePrefixMatch}
		}
	}
	return nil
}

func redirect(f *gwv1.HTTPRequestRedirectFilter) *ir.Redirect {
	if f == nil {
		return nil
	}
	out := &ir.Redirect{Scheme: f.Scheme, Path: pathModifier(f.Path)}
	if f.Hostname != nil {
		out.Hostname = ptrTo(string(*f.Hostname))
	}
	if f.Port != nil {
		out.Port = ptrTo(uint32(*f.Port))
	}
	if f.StatusCode != nil {
		out.StatusCode = *f.StatusCode
	}
	return out
}

func urlRewrite(f *gwv1.HTTPURLRewriteFilter) *ir.URLRewrite {
	if f == nil {
		return nil
	}
	out := &ir.URLRewrite{Path: pathModifier(f.Path)}
	if f.Hostname != nil {
		out.Hostname = ptrTo(string(*f.Hostname))
	}
	return out
}
