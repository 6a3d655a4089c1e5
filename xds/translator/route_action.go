package translator

import (
	"fmt"
	"regexp"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"wasp.dev/xds/ir"
)

// defaultRetryOn is Gateway API's intent for a retry with no conditions:
// retry what is safe to retry plus the listed status codes.
const defaultRetryOn = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"

func (t *translation) routeAction(r *ir.Route) (*routev3.RouteAction, error) {
	ra := &routev3.RouteAction{}
	if len(r.Backends) == 1 && !r.Backends[0].Unresolved && r.Backends[0].RequestHeaders == nil && r.Backends[0].ResponseHeaders == nil {
		ra.ClusterSpecifier = &routev3.RouteAction_Cluster{Cluster: r.Backends[0].Backend}
	} else {
		wc := &routev3.WeightedCluster{}
		for _, b := range r.Backends {
			cw := &routev3.WeightedCluster_ClusterWeight{Name: b.Backend, Weight: wrapperspb.UInt32(b.Weight)}
			if b.Unresolved {
				// A cluster that never exists: the router answers its
				// share with cluster_not_found_response_code, 500.
				cw.Name = UnresolvedBackendCluster
				ra.ClusterNotFoundResponseCode = routev3.RouteAction_INTERNAL_SERVER_ERROR
			}
			if h := b.RequestHeaders; h != nil {
				cw.RequestHeadersToAdd, cw.RequestHeadersToRemove = headerOptions(h)
			}
			if h := b.ResponseHeaders; h != nil {
				cw.ResponseHeadersToAdd, cw.ResponseHeadersToRemove = headerOptions(h)
			}
			wc.Clusters = append(wc.Clusters, cw)
		}
		ra.ClusterSpecifier = &routev3.RouteAction_WeightedClusters{WeightedClusters: wc}
	}
	if rw := r.URLRewrite; rw != nil {
		if rw.Hostname != nil {
			ra.HostRewriteSpecifier = &routev3.RouteAction_HostRewriteLiteral{HostRewriteLiteral: *rw.Hostname}
		}
		if pm := rw.Path; pm != nil {
			prefix, regex, err := pathRewrite(r.Match, pm)
			if err != nil {
				return nil, err
			}
			ra.PrefixRewrite, ra.RegexRewrite = prefix, regex
		}
	}
	for _, m := range r.Mirrors {
		mp := &routev3.RouteAction_RequestMirrorPolicy{Cluster: m.Backend}
		if m.Percent != nil {
			pct := min(max(*m.Percent, 0), 100)
			mp.RuntimeFraction = &corev3.RuntimeFractionalPercent{DefaultValue: &typev3.FractionalPercent{
				Numerator:   uint32(pct * 10000), // per million: 12.5% → 125000
				Denominator: typev3.FractionalPercent_MILLION,
			}}
		}
		ra.RequestMirrorPolicies = append(ra.RequestMirrorPolicies, mp)
	}
	if to := r.Timeouts; to != nil && to.Request != nil {
		// Gateway API: 0 disables the timeout; so does 0s in Envoy.
		ra.Timeout = durationpb.New(to.Request.Std())
	}
	ra.RetryPolicy = retryPolicy(r)
	return ra, nil
}

func retryPolicy(r *ir.Route) *routev3.RetryPolicy {
	var perTry *ir.Duration
	if r.Timeouts != nil {
		perTry = r.Timeouts.BackendRequest
	}
	rt := r.Retry
	if rt == nil {
		if perTry == nil {
			return nil
		}
		// A per-attempt timeout without retries: Envoy has it only inside a
		// retry policy, so emit one that never retries.
		return &routev3.RetryPolicy{NumRetries: wrapperspb.UInt32(0), PerTryTimeout: durationpb.New(perTry.Std())}
	}
	rp := &routev3.RetryPolicy{NumRetries: wrapperspb.UInt32(rt.Attempts), RetriableStatusCodes: rt.Codes}
	switch {
	case len(rt.On) > 0:
		on := rt.On
		if len(rt.Codes) > 0 && !contains(on, "retriable-status-codes") {
			on = append(append([]string{}, on...), "retriable-status-codes")
		}
		rp.RetryOn = strings.Join(on, ",")
	case len(rt.Codes) > 0:
		rp.RetryOn = "retriable-status-codes"
	default:
		rp.RetryOn = defaultRetryOn
	}
	if rt.Backoff != nil {
		rp.RetryBackOff = &routev3.RetryPolicy_RetryBackOff{BaseInterval: durationpb.New(rt.Backoff.Std())}
	}
	if rt.PerTryTimeout != nil {
		perTry = rt.PerTryTimeout
	}
	if perTry != nil {
		rp.PerTryTimeout = durationpb.New(perTry.Std())
	}
	return rp
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// pathRewrite maps a Gateway API path modifier to Envoy's prefix_rewrite or
// regex_rewrite, keeping whole-segment semantics: with match prefix "/foo"
// and replacement "/bar", "/foo/x" becomes "/bar/x"; with replacement "/",
// it becomes "/x" (not "//x").
func pathRewrite(m *ir.Match, pm *ir.PathModifier) (string, *matcherv3.RegexMatchAndSubstitute, error) {
	switch pm.Type {
	case ir.ReplaceFullPath:
		return "", &matcherv3.RegexMatchAndSubstitute{
			Pattern:      &matcherv3.RegexMatcher{Regex: "^/.*$"},
			Substitution: pm.Value,
		}, nil
	case ir.ReplacePrefixMatch:
		if m == nil || m.Path == nil || (m.Path.Type != ir.PathPrefix && m.Path.Type != "") {
			return "", nil, fmt.Errorf("ReplacePrefixMatch needs a PathPrefix match")
		}
		prefix := strings.TrimRight(m.Path.Value, "/")
		repl := strings.TrimRight(pm.Value, "/")
		switch {
		case repl == "":
			return "", &matcherv3.RegexMatchAndSubstitute{
				Pattern:      &matcherv3.RegexMatcher{Regex: "^" + regexp.QuoteMeta(prefix) + "/*"},
				Substitution: "/",
			}, nil
		case prefix == "":
			return "", &matcherv3.RegexMatchAndSubstitute{
				Pattern:      &matcherv3.RegexMatcher{Regex: "^/"},
				Substitution: repl + "/",
			}, nil
		default:
			return repl, nil, nil
		}
	default:
		return "", nil, fmt.Errorf("unknown path modifier %q", pm.Type)
	}
}

var redirectCodes = map[int]routev3.RedirectAction_RedirectResponseCode{
	0:   routev3.RedirectAction_FOUND,
	301: routev3.RedirectAction_MOVED_PERMANENTLY,
	302: routev3.RedirectAction_FOUND,
	303: routev3.RedirectAction_SEE_OTHER,
	307: routev3.RedirectAction_TEMPORARY_REDIRECT,
	308: routev3.RedirectAction_PERMANENT_REDIRECT,
}

func redirect(r *ir.Route) (*routev3.RedirectAction, error) {
	rd := r.Redirect
	code, ok := redirectCodes[rd.StatusCode]
	if !ok {
		return nil, fmt.Errorf("redirect status %d not supported", rd.StatusCode)
	}
	ra := &routev3.RedirectAction{ResponseCode: code}
	if rd.Scheme != nil {
		ra.SchemeRewriteSpecifier = &routev3.RedirectAction_SchemeRedirect{SchemeRedirect: *rd.Scheme}
	}
	if rd.Hostname != nil {
		ra.HostRedirect = *rd.Hostname
	}
	if rd.Port != nil {
		ra.PortRedirect = *rd.Port
	}
	if pm := rd.Path; pm != nil {
		if pm.Type == ir.ReplaceFullPath {
			ra.PathRewriteSpecifier = &routev3.RedirectAction_PathRedirect{PathRedirect: pm.Value}
		} else {
			prefix, regex, err := pathRewrite(r.Match, pm)
			if err != nil {
				return nil, err
			}
			if regex != nil {
				ra.PathRewriteSpecifier = &routev3.RedirectAction_RegexRewrite{RegexRewrite: regex}
			} else {
				ra.PathRewriteSpecifier = &routev3.RedirectAction_PrefixRewrite{PrefixRewrite: prefix}
			}
		}
	}
	return ra, nil
}
