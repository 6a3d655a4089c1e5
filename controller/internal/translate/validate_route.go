package translate

import (
	"fmt"
	"strings"
	"time"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/xds/ir"
	xds "wasp.dev/xds/translator"
)

// Failure isolation (docs/security.md): whatever an HTTPRoute can make
// invalid is found here, before the route reaches any proxy. A route that
// fails is Accepted=False (reason UnsupportedValue, the message naming the
// field) on every parent and left out; every other route of the same
// Gateway keeps flowing. The API server's schema already rejects most of
// this; the controller checks again because objects can predate a CRD
// upgrade and `wasp translate` reads files no API server has seen.

// Gateway API's own bounds (its CRD's maxLength/maxItems), applied again.
const (
	maxHeaderValue    = 4096
	maxHeaderName     = 256
	maxPathValue      = 1024
	maxHostname       = 253
	maxHeaderModItems = 16
	maxBackendWeight  = 1000000
)

// routeProblem is the first thing in a route Envoy would refuse.
type routeProblem struct{ field, msg string }

func (p *routeProblem) String() string { return p.field + ": " + p.msg }

// validateRoute checks every field of r that the translation copies into
// Envoy config, in spec order, and returns the first problem.
func validateRoute(r *gwv1.HTTPRoute) *routeProblem {
	for i, h := range r.Spec.Hostnames {
		if msg := checkHostname(string(h)); msg != "" {
			return &routeProblem{fmt.Sprintf("spec.hostnames[%d]", i), msg}
		}
	}
	for i := range r.Spec.Rules {
		if p := validateRule(fmt.Sprintf("spec.rules[%d]", i), &r.Spec.Rules[i]); p != nil {
			return p
		}
	}
	return nil
}

func validateRule(at string, rule *gwv1.HTTPRouteRule) *routeProblem {
	for j, m := range rule.Matches {
		if p := validateMatch(fmt.Sprintf("%s.matches[%d]", at, j), m); p != nil {
			return p
		}
	}
	for k := range rule.Filters {
		f := &rule.Filters[k]
		if p := validateFilter(fmt.Sprintf("%s.filters[%d]", at, k), f, rule.Matches); p != nil {
			return p
		}
	}
	for k, br := range rule.BackendRefs {
		bat := fmt.Sprintf("%s.backendRefs[%d]", at, k)
		if br.Weight != nil && (*br.Weight < 0 || *br.Weight > maxBackendWeight) {
			return &routeProblem{bat + ".weight", fmt.Sprintf("must be between 0 and %d", maxBackendWeight)}
		}
		for n := range br.Filters {
			if p := validateFilter(fmt.Sprintf("%s.filters[%d]", bat, n), &br.Filters[n], rule.Matches); p != nil {
				return p
			}
		}
	}
	if to := rule.Timeouts; to != nil {
		if p := checkGWDuration(at+".timeouts.request", to.Request, false); p != nil {
			return p
		}
		if p := checkGWDuration(at+".timeouts.backendRequest", to.BackendRequest, false); p != nil {
			return p
		}
	}
	if rt := rule.Retry; rt != nil {
		// Envoy's retry back-off base interval must be above zero.
		if p := checkGWDuration(at+".retry.backoff", rt.Backoff, true); p != nil {
			return p
		}
		for k, c := range rt.Codes {
			if c < 400 || c > 599 {
				return &routeProblem{fmt.Sprintf("%s.retry.codes[%d]", at, k), fmt.Sprintf("%d is not a 4xx or 5xx status", c)}
			}
		}
	}
	return nil
}

func validateMatch(at string, m gwv1.HTTPRouteMatch) *routeProblem {
	if p := m.Path; p != nil && p.Value != nil {
		v := *p.Value
		typ := gwv1.PathMatchPathPrefix
		if p.Type != nil {
			typ = *p.Type
		}
		switch {
		case len(v) > maxPathValue:
			return &routeProblem{at + ".path.value", fmt.Sprintf("longer than %d bytes", maxPathValue)}
		case typ == gwv1.PathMatchRegularExpression:
			if err := xds.CheckRegex(v); err != nil {
				return &routeProblem{at + ".path.value", err.Error()}
			}
		case !strings.HasPrefix(v, "/") || strings.ContainsAny(v, "?#\x00\r\n"):
			return &routeProblem{at + ".path.value", fmt.Sprintf("%q must start with / and contain no ?, # or control characters", v)}
		}
	}
	for k, h := range m.Headers {
		hat := fmt.Sprintf("%s.headers[%d]", at, k)
		if msg := checkHeaderName(string(h.Name)); msg != "" {
			return &routeProblem{hat + ".name", msg}
		}
		if p := checkMatchValue(hat+".value", h.Value, h.Type != nil && *h.Type == gwv1.HeaderMatchRegularExpression, maxHeaderValue); p != nil {
			return p
		}
	}
	for k, q := range m.QueryParams {
		qat := fmt.Sprintf("%s.queryParams[%d]", at, k)
		if q.Name == "" || len(q.Name) > maxHeaderName || strings.ContainsAny(string(q.Name), "\x00\r\n") {
			return &routeProblem{qat + ".name", fmt.Sprintf("must be 1 to %d bytes without control characters", maxHeaderName)}
		}
		if p := checkMatchValue(qat+".value", q.Value, q.Type != nil && *q.Type == gwv1.QueryParamMatchRegularExpression, maxPathValue); p != nil {
			return p
		}
	}
	return nil
}

func checkMatchValue(at, v string, regex bool, max int) *routeProblem {
	if len(v) > max {
		return &routeProblem{at, fmt.Sprintf("longer than %d bytes", max)}
	}
	if regex {
		if err := xds.CheckRegex(v); err != nil {
			return &routeProblem{at, err.Error()}
		}
		return nil
	}
	if msg := checkHeaderValue(v); msg != "" {
		return &routeProblem{at, msg}
	}
	return nil
}

func validateFilter(at string, f *gwv1.HTTPRouteFilter, matches []gwv1.HTTPRouteMatch) *routeProblem {
	switch {
	case f.RequestHeaderModifier != nil:
		if p := checkHeaderFilter(at+".requestHeaderModifier", f.RequestHeaderModifier); p != nil {
			return p
		}
	case f.ResponseHeaderModifier != nil:
		if p := checkHeaderFilter(at+".responseHeaderModifier", f.ResponseHeaderModifier); p != nil {
			return p
		}
	}
	if rd := f.RequestRedirect; rd != nil {
		rat := at + ".requestRedirect"
		if rd.Scheme != nil && *rd.Scheme != "http" && *rd.Scheme != "https" {
			return &routeProblem{rat + ".scheme", fmt.Sprintf("%q: want http or https", *rd.Scheme)}
		}
		if rd.Hostname != nil {
			if msg := checkHostname(string(*rd.Hostname)); msg != "" || strings.HasPrefix(string(*rd.Hostname), "*") {
				return &routeProblem{rat + ".hostname", fmt.Sprintf("%q is not a DNS name", *rd.Hostname)}
			}
		}
		if rd.Port != nil && (*rd.Port < 1 || *rd.Port > 65535) {
			return &routeProblem{rat + ".port", "must be between 1 and 65535"}
		}
		if rd.StatusCode != nil && *rd.StatusCode != 301 && *rd.StatusCode != 302 && *rd.StatusCode != 303 && *rd.StatusCode != 307 && *rd.StatusCode != 308 {
			return &routeProblem{rat + ".statusCode", fmt.Sprintf("%d: want 301, 302, 303, 307 or 308", *rd.StatusCode)}
		}
		if p := checkPathModifier(rat+".path", rd.Path, matches); p != nil {
			return p
		}
	}
	if rw := f.URLRewrite; rw != nil {
		if rw.Hostname != nil {
			if msg := checkHostname(string(*rw.Hostname)); msg != "" || strings.HasPrefix(string(*rw.Hostname), "*") {
				return &routeProblem{at + ".urlRewrite.hostname", fmt.Sprintf("%q is not a DNS name", *rw.Hostname)}
			}
		}
		if p := checkPathModifier(at+".urlRewrite.path", rw.Path, matches); p != nil {
			return p
		}
	}
	if m := f.RequestMirror; m != nil {
		if m.Percent != nil && (*m.Percent < 0 || *m.Percent > 100) {
			return &routeProblem{at + ".requestMirror.percent", "must be between 0 and 100"}
		}
		if fr := m.Fraction; fr != nil && (fr.Numerator < 0 || (fr.Denominator != nil && (*fr.Denominator < 1 || fr.Numerator > *fr.Denominator))) {
			return &routeProblem{at + ".requestMirror.fraction", "numerator must be between 0 and the denominator, the denominator at least 1"}
		}
	}
	return nil
}

func checkHeaderFilter(at string, h *gwv1.HTTPHeaderFilter) *routeProblem {
	if len(h.Set) > maxHeaderModItems || len(h.Add) > maxHeaderModItems || len(h.Remove) > maxHeaderModItems {
		return &routeProblem{at, fmt.Sprintf("set, add and remove hold at most %d entries each", maxHeaderModItems)}
	}
	for _, l := range []struct {
		name string
		hs   []gwv1.HTTPHeader
	}{{"set", h.Set}, {"add", h.Add}} {
		for k, x := range l.hs {
			hat := fmt.Sprintf("%s.%s[%d]", at, l.name, k)
			if msg := checkModifiableHeader(string(x.Name)); msg != "" {
				return &routeProblem{hat + ".name", msg}
			}
			if len(x.Value) > maxHeaderValue {
				return &routeProblem{hat + ".value", fmt.Sprintf("longer than %d bytes", maxHeaderValue)}
			}
			if msg := checkHeaderValue(x.Value); msg != "" {
				return &routeProblem{hat + ".value", msg}
			}
		}
	}
	for k, n := range h.Remove {
		if msg := checkModifiableHeader(n); msg != "" {
			return &routeProblem{fmt.Sprintf("%s.remove[%d]", at, k), msg}
		}
	}
	return nil
}

// checkPathModifier applies Gateway API's rule that ReplacePrefixMatch
// needs every match of the rule to be a PathPrefix match (Envoy has no
// prefix to replace otherwise).
func checkPathModifier(at string, p *gwv1.HTTPPathModifier, matches []gwv1.HTTPRouteMatch) *routeProblem {
	if p == nil {
		return nil
	}
	var v *string
	switch p.Type {
	case gwv1.FullPathHTTPPathModifier:
		v = p.ReplaceFullPath
	case gwv1.PrefixMatchHTTPPathModifier:
		v = p.ReplacePrefixMatch
		for j, m := range matches {
			if m.Path != nil && m.Path.Type != nil && *m.Path.Type != gwv1.PathMatchPathPrefix {
				return &routeProblem{at + ".replacePrefixMatch", fmt.Sprintf("needs PathPrefix matches; matches[%d] is %s", j, *m.Path.Type)}
			}
		}
	default:
		return &routeProblem{at + ".type", fmt.Sprintf("%q: want ReplaceFullPath or ReplacePrefixMatch", p.Type)}
	}
	if v != nil && (len(*v) > maxPathValue || strings.ContainsAny(*v, "\x00\r\n")) {
		return &routeProblem{at, fmt.Sprintf("the replacement must be at most %d bytes without control characters", maxPathValue)}
	}
	return nil
}

// checkGWDuration parses a Gateway API duration; positive additionally
// refuses zero.
func checkGWDuration(at string, d *gwv1.Duration, positive bool) *routeProblem {
	if d == nil {
		return nil
	}
	v, err := time.ParseDuration(string(*d))
	switch {
	case err != nil:
		return &routeProblem{at, fmt.Sprintf("%q is not a duration", *d)}
	case v < 0:
		return &routeProblem{at, "must not be negative"}
	case positive && v == 0:
		return &routeProblem{at, "must be above zero"}
	}
	return nil
}

// checkRuleRoutes is the safety net under validateRoute: each converted
// match of the rule goes through the xDS translator's own route conversion
// and Envoy's validation rules on its own, so whatever validateRoute
// misses still stays with this route instead of failing the proxy.
func checkRuleRoutes(at string, rule *ruleIR) *routeProblem {
	for j, m := range rule.matches {
		r := rule.action
		r.Name = "check"
		r.Match = m
		if r.Redirect == nil && r.DirectResponse == nil && len(r.Backends) == 0 {
			r.DirectResponse = &ir.DirectResponse{Status: defaultStatus}
		}
		if err := xds.CheckRoute(&r); err != nil {
			return &routeProblem{fmt.Sprintf("%s.matches[%d]", at, j), strings.TrimPrefix(err.Error(), "route check: ")}
		}
	}
	return nil
}
