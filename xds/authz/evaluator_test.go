package authz

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbacv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	rbachttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	rbacnetv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	uritemplatev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/path/match/uri_template/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// A test-only model of Envoy's RBAC filters, written from Envoy's
// documentation (config.rbac.v3, extensions.filters.{http,network}.rbac.v3)
// so the emitted config is checked by what Envoy would do with it, not by
// its shape:
//   - A policy matches when any permission and any principal match.
//   - ALLOW denies unless a policy matches (no policies: deny all); DENY
//     denies when one matches; LOG never denies and only marks the request.
//   - rules absent: nothing enforced. shadow_rules are evaluated, their
//     result only recorded.
//   - Filters run in order; the first denial ends the request.
//   - The network filter sees no HTTP headers: header and url_path
//     matchers cannot match there.
// Any matcher this model does not know fails the test, so the translator
// cannot start emitting something the model silently ignores.

// request is what RBAC can see of a connection or request.
type request struct {
	// principal is the peer SPIFFE ID in filter state
	// io.istio.peer_principal; empty means the state is absent.
	principal string
	sourceIP  string // the connection's (PROXY-restored) source address
	remoteIP  string // the original client (XFF-derived); empty: sourceIP
	destIP    string
	destPort  uint32
	// HTTP only: pseudo-headers and lower-case headers.
	http    bool
	method  string
	path    string
	host    string
	headers map[string]string
}

// outcome is the chain's verdict.
type outcome struct {
	allowed  bool
	deniedBy string // filter name
	logged   bool   // an enforced LOG policy matched
	// shadowDenied lists the filters whose shadow rules would deny.
	shadowDenied []string
}

func (o outcome) String() string {
	return fmt.Sprintf("allowed=%v deniedBy=%q logged=%v shadowDenied=%v", o.allowed, o.deniedBy, o.logged, o.shadowDenied)
}

type evaluator struct {
	t   *testing.T
	req request
}

func evalHTTP(t *testing.T, filters []*hcmv3.HttpFilter, req request) outcome {
	e := evaluator{t: t, req: req}
	var stages []rbacStage
	for _, f := range filters {
		var cfg rbachttpv3.RBAC
		if err := f.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
			t.Fatalf("filter %s: %v", f.Name, err)
		}
		stages = append(stages, rbacStage{f.Name, cfg.Rules, cfg.ShadowRules})
	}
	return e.run(stages)
}

func evalNetwork(t *testing.T, filters []*listenerv3.Filter, req request) outcome {
	e := evaluator{t: t, req: req}
	var stages []rbacStage
	for _, f := range filters {
		var cfg rbacnetv3.RBAC
		if err := f.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
			t.Fatalf("filter %s: %v", f.Name, err)
		}
		if cfg.EnforcementType != rbacnetv3.RBAC_ONE_TIME_ON_FIRST_BYTE {
			t.Fatalf("filter %s: enforcement type %v not modelled", f.Name, cfg.EnforcementType)
		}
		stages = append(stages, rbacStage{f.Name, cfg.Rules, cfg.ShadowRules})
	}
	return e.run(stages)
}

type rbacStage struct {
	name          string
	rules, shadow *rbacv3.RBAC
}

func (e evaluator) run(stages []rbacStage) outcome {
	out := outcome{allowed: true}
	for _, s := range stages {
		if s.shadow != nil {
			if allowed, _ := e.decide(s.shadow); !allowed {
				out.shadowDenied = append(out.shadowDenied, s.name)
			}
		}
		if s.rules == nil {
			continue
		}
		allowed, logged := e.decide(s.rules)
		out.logged = out.logged || logged
		if !allowed {
			out.allowed, out.deniedBy = false, s.name
			return out
		}
	}
	return out
}

// decide applies one RBAC engine: (allowed, logged).
func (e evaluator) decide(r *rbacv3.RBAC) (bool, bool) {
	names := make([]string, 0, len(r.Policies))
	for n := range r.Policies {
		names = append(names, n)
	}
	sort.Strings(names)
	matched := false
	for _, n := range names {
		if e.policy(r.Policies[n]) {
			matched = true
			break
		}
	}
	switch r.Action {
	case rbacv3.RBAC_ALLOW:
		return matched, false
	case rbacv3.RBAC_DENY:
		return !matched, false
	case rbacv3.RBAC_LOG:
		return true, matched
	}
	e.t.Fatalf("action %v not modelled", r.Action)
	return false, false
}

func (e evaluator) policy(p *rbacv3.Policy) bool {
	if p.Condition != nil || p.CheckedCondition != nil {
		e.t.Fatal("CEL conditions not modelled")
	}
	perm := false
	for _, x := range p.Permissions {
		if e.permission(x) {
			perm = true
			break
		}
	}
	if !perm {
		return false
	}
	for _, x := range p.Principals {
		if e.principal(x) {
			return true
		}
	}
	return false
}

func (e evaluator) permission(p *rbacv3.Permission) bool {
	switch r := p.Rule.(type) {
	case *rbacv3.Permission_Any:
		return r.Any
	case *rbacv3.Permission_AndRules:
		for _, x := range r.AndRules.Rules {
			if !e.permission(x) {
				return false
			}
		}
		return true
	case *rbacv3.Permission_OrRules:
		for _, x := range r.OrRules.Rules {
			if e.permission(x) {
				return true
			}
		}
		return false
	case *rbacv3.Permission_NotRule:
		return !e.permission(r.NotRule)
	case *rbacv3.Permission_Header:
		return e.header(r.Header)
	case *rbacv3.Permission_UrlPath:
		if !e.req.http {
			return false
		}
		path, _, _ := strings.Cut(e.req.path, "?")
		path, _, _ = strings.Cut(path, "#")
		return e.str(r.UrlPath.GetPath(), path)
	case *rbacv3.Permission_UriTemplate:
		if !e.req.http {
			return false
		}
		return e.uriTemplate(r.UriTemplate)
	case *rbacv3.Permission_DestinationPort:
		return e.req.destPort == r.DestinationPort
	case *rbacv3.Permission_DestinationIp:
		return e.inCIDR(r.DestinationIp, e.req.destIP)
	case *rbacv3.Permission_RequestedServerName:
		return e.str(r.RequestedServerName, "") // plaintext port 15088: no SNI
	}
	e.t.Fatalf("permission %T not modelled", p.Rule)
	return false
}

func (e evaluator) principal(p *rbacv3.Principal) bool {
	switch id := p.Identifier.(type) {
	case *rbacv3.Principal_Any:
		return id.Any
	case *rbacv3.Principal_AndIds:
		for _, x := range id.AndIds.Ids {
			if !e.principal(x) {
				return false
			}
		}
		return true
	case *rbacv3.Principal_OrIds:
		for _, x := range id.OrIds.Ids {
			if e.principal(x) {
				return true
			}
		}
		return false
	case *rbacv3.Principal_NotId:
		return !e.principal(id.NotId)
	case *rbacv3.Principal_FilterState:
		// Absent state never matches; present state is an envoy.string
		// whose serialized value the string matcher sees.
		if id.FilterState.Key != PeerPrincipalFilterState || e.req.principal == "" {
			return false
		}
		m, ok := id.FilterState.Matcher.(*matcherv3.FilterStateMatcher_StringMatch)
		if !ok {
			e.t.Fatalf("filter_state matcher %T not modelled", id.FilterState.Matcher)
		}
		return e.str(m.StringMatch, e.req.principal)
	case *rbacv3.Principal_DirectRemoteIp:
		return e.inCIDR(id.DirectRemoteIp, e.req.sourceIP)
	case *rbacv3.Principal_RemoteIp:
		ip := e.req.remoteIP
		if ip == "" {
			ip = e.req.sourceIP
		}
		return e.inCIDR(id.RemoteIp, ip)
	case *rbacv3.Principal_Header:
		return e.header(id.Header)
	}
	e.t.Fatalf("principal %T not modelled", p.Identifier)
	return false
}

// header is Envoy's HeaderMatcher on the request's headers (absent on a
// TCP connection).
func (e evaluator) header(h *routev3.HeaderMatcher) bool {
	if h.InvertMatch || h.TreatMissingHeaderAsEmpty {
		e.t.Fatalf("header matcher options not modelled: %v", h)
	}
	v, present := e.headerValue(h.Name)
	switch m := h.HeaderMatchSpecifier.(type) {
	case *routev3.HeaderMatcher_PresentMatch:
		return present == m.PresentMatch
	case *routev3.HeaderMatcher_StringMatch:
		return present && e.str(m.StringMatch, v)
	}
	e.t.Fatalf("header matcher %T not modelled", h.HeaderMatchSpecifier)
	return false
}

func (e evaluator) headerValue(name string) (string, bool) {
	if !e.req.http {
		return "", false
	}
	var v string
	switch strings.ToLower(name) {
	case ":method":
		v = e.req.method
	case ":path":
		v = e.req.path
	case ":authority", "host":
		v = e.req.host
	default:
		hv, ok := e.req.headers[strings.ToLower(name)]
		return hv, ok
	}
	return v, v != ""
}

// str is Envoy's StringMatcher; safe_regex must match the whole value.
func (e evaluator) str(m *matcherv3.StringMatcher, v string) bool {
	fold := func(s string) string {
		if m.IgnoreCase {
			return strings.ToLower(s)
		}
		return s
	}
	switch p := m.MatchPattern.(type) {
	case *matcherv3.StringMatcher_Exact:
		return fold(v) == fold(p.Exact)
	case *matcherv3.StringMatcher_Prefix:
		return strings.HasPrefix(fold(v), fold(p.Prefix))
	case *matcherv3.StringMatcher_Suffix:
		return strings.HasSuffix(fold(v), fold(p.Suffix))
	case *matcherv3.StringMatcher_Contains:
		return strings.Contains(fold(v), fold(p.Contains))
	case *matcherv3.StringMatcher_SafeRegex:
		if m.IgnoreCase {
			e.t.Fatal("ignore_case has no effect on safe_regex in Envoy; the translator must not rely on it")
		}
		return regexp.MustCompile(`^(?:` + p.SafeRegex.Regex + `)$`).MatchString(v)
	}
	e.t.Fatalf("string matcher %T not modelled", m.MatchPattern)
	return false
}

func (e evaluator) inCIDR(c *corev3.CidrRange, ip string) bool {
	if ip == "" {
		return false
	}
	addr := netip.MustParseAddr(ip)
	base := netip.MustParseAddr(c.AddressPrefix)
	pfx, err := base.Prefix(int(c.GetPrefixLen().GetValue()))
	if err != nil {
		e.t.Fatal(err)
	}
	return pfx.Contains(addr)
}

// uriTemplate is Envoy's uri_template path matcher (query ignored): "*" is
// one path segment, "**" (last) zero or more characters including "/",
// other segments literal.
func (e evaluator) uriTemplate(c *corev3.TypedExtensionConfig) bool {
	var cfg uritemplatev3.UriTemplateMatchConfig
	if c.Name != uriTemplateMatcher {
		e.t.Fatalf("uri_template extension %q not modelled", c.Name)
	}
	if err := c.GetTypedConfig().UnmarshalTo(&cfg); err != nil {
		e.t.Fatal(err)
	}
	const pchar = `A-Za-z0-9\-._~%!$&'()+,;:@=`
	segs := strings.Split(strings.TrimPrefix(cfg.PathTemplate, "/"), "/")
	for i, s := range segs {
		switch s {
		case "*":
			segs[i] = "[" + pchar + "]+"
		case "**":
			segs[i] = "[" + pchar + "/]*"
		default:
			segs[i] = regexp.QuoteMeta(s)
		}
	}
	path, _, _ := strings.Cut(e.req.path, "?")
	path, _, _ = strings.Cut(path, "#")
	return regexp.MustCompile("^/" + strings.Join(segs, "/") + "$").MatchString(path)
}
