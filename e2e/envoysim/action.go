package envoysim

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
)

// WeightedCluster is one upstream cluster of a route and its weight.
type WeightedCluster struct {
	Name   string
	Weight uint32
	// headers are the cluster's own request_headers_to_add.
	headers []*corev3.HeaderValueOption
}

// Action is what a route does with a request, as the router filter sees it.
type Action struct {
	// Clusters are the upstream clusters with their weights (one with
	// weight 1 for a plain cluster action).
	Clusters []WeightedCluster
	// Timeout is the route's request timeout (Envoy's default 15s when the
	// route sets none; 0 disables it).
	Timeout time.Duration
	// PathRewrite turns the request's :path into the one sent upstream
	// (prefix_rewrite or regex_rewrite); nil keeps it. HostRewrite
	// replaces :authority (host_rewrite_literal).
	PathRewrite func(path string) string
	HostRewrite string
	// DirectStatus and DirectBody: a direct_response route (the router
	// answers, no upstream).
	DirectStatus int
	DirectBody   string
	// RedirectLocation: a redirect route (the router answers 301/302…).
	RedirectStatus   int
	RedirectLocation string
	// ClusterNotFoundStatus answers a picked cluster missing from CDS
	// (cluster_not_found_response_code; Envoy's default 503).
	ClusterNotFoundStatus int
}

func actionOf(r *routev3.Route, req *httpRequest) (*Action, error) {
	switch a := r.GetAction().(type) {
	case *routev3.Route_Route:
		ra := a.Route
		act := &Action{Timeout: defaultRouteTimeout, HostRewrite: ra.GetHostRewriteLiteral(), ClusterNotFoundStatus: 503}
		switch ra.GetClusterNotFoundResponseCode() {
		case routev3.RouteAction_NOT_FOUND:
			act.ClusterNotFoundStatus = 404
		case routev3.RouteAction_INTERNAL_SERVER_ERROR:
			act.ClusterNotFoundStatus = 500
		}
		if ra.GetTimeout() != nil {
			act.Timeout = ra.GetTimeout().AsDuration()
		}
		if ra.GetPathRewritePolicy() != nil || ra.GetHostRewriteHeader() != "" || ra.GetHostRewritePathRegex() != nil || ra.GetAutoHostRewrite().GetValue() {
			return nil, fmt.Errorf("route %q: path_rewrite_policy and host rewrites other than host_rewrite_literal are not modelled", r.GetName())
		}
		var err error
		if act.PathRewrite, err = pathRewrite(r.GetMatch(), ra.GetPrefixRewrite(), ra.GetRegexRewrite()); err != nil {
			return nil, fmt.Errorf("route %q: %w", r.GetName(), err)
		}
		switch cs := ra.GetClusterSpecifier().(type) {
		case *routev3.RouteAction_Cluster:
			act.Clusters = []WeightedCluster{{Name: cs.Cluster, Weight: 1}}
		case *routev3.RouteAction_WeightedClusters:
			for _, c := range cs.WeightedClusters.GetClusters() {
				w := uint32(0)
				if c.GetWeight() != nil {
					w = c.GetWeight().GetValue()
				}
				act.Clusters = append(act.Clusters, WeightedCluster{Name: c.GetName(), Weight: w, headers: c.GetRequestHeadersToAdd()})
			}
		case *routev3.RouteAction_ClusterHeader:
			v, _ := req.header(cs.ClusterHeader)
			act.Clusters = []WeightedCluster{{Name: v, Weight: 1}}
		default:
			return nil, fmt.Errorf("route %q: cluster specifier %T is not modelled", r.GetName(), cs)
		}
		return act, nil
	case *routev3.Route_DirectResponse:
		return &Action{DirectStatus: int(a.DirectResponse.GetStatus()), DirectBody: a.DirectResponse.GetBody().GetInlineString()}, nil
	case *routev3.Route_Redirect:
		rd := a.Redirect
		status := 301
		switch rd.GetResponseCode() {
		case routev3.RedirectAction_FOUND:
			status = 302
		case routev3.RedirectAction_SEE_OTHER:
			status = 303
		case routev3.RedirectAction_TEMPORARY_REDIRECT:
			status = 307
		case routev3.RedirectAction_PERMANENT_REDIRECT:
			status = 308
		}
		scheme := req.scheme
		if rd.GetSchemeRedirect() != "" {
			scheme = rd.GetSchemeRedirect()
		} else if rd.GetHttpsRedirect() {
			scheme = "https"
		}
		host := req.authority
		if rd.GetHostRedirect() != "" {
			host = rd.GetHostRedirect()
		}
		if p := rd.GetPortRedirect(); p != 0 {
			if h, _, err := net.SplitHostPort(host); err == nil {
				host = h
			}
			if !(scheme == "https" && p == 443) && !(scheme == "http" && p == 80) {
				host = net.JoinHostPort(host, strconv.Itoa(int(p)))
			}
		}
		path := req.path
		switch {
		case rd.GetPathRedirect() != "":
			path = rd.GetPathRedirect()
		case rd.GetPrefixRewrite() != "":
			rw, err := pathRewrite(r.GetMatch(), rd.GetPrefixRewrite(), nil)
			if err != nil {
				return nil, fmt.Errorf("route %q: %w", r.GetName(), err)
			}
			path = rw(path)
		case rd.GetRegexRewrite() != nil:
			return nil, fmt.Errorf("route %q: redirect regex_rewrite is not modelled", r.GetName())
		}
		return &Action{RedirectStatus: status, RedirectLocation: scheme + "://" + host + path}, nil
	}
	return nil, fmt.Errorf("route %q: action %T is not modelled", r.GetName(), r.GetAction())
}

// pathRewrite builds Envoy's prefix_rewrite (the matched prefix replaced)
// or regex_rewrite (every match in the path, query kept) for a route.
func pathRewrite(m *routev3.RouteMatch, prefix string, re *matcherv3.RegexMatchAndSubstitute) (func(string) string, error) {
	switch {
	case prefix != "":
		matched := m.GetPrefix()
		if matched == "" {
			matched = m.GetPathSeparatedPrefix()
		}
		if matched == "" && m.GetPath() != "" {
			matched = m.GetPath()
		}
		if matched == "" {
			return nil, fmt.Errorf("prefix_rewrite on a %T match is not modelled", m.GetPathSpecifier())
		}
		return func(p string) string {
			if strings.HasPrefix(p, matched) {
				return prefix + p[len(matched):]
			}
			return p
		}, nil
	case re != nil:
		pattern, err := regexp.Compile(re.GetPattern().GetRegex())
		if err != nil {
			return nil, err
		}
		// RE2's \1 is Go's ${1}.
		sub := regexp.MustCompile(`\\(\d)`).ReplaceAllString(re.GetSubstitution(), `$${$1}`)
		return func(p string) string {
			path, query, hasQuery := strings.Cut(p, "?")
			path = pattern.ReplaceAllString(path, sub)
			if hasQuery {
				return path + "?" + query
			}
			return path
		}, nil
	}
	return nil, nil
}

// pick chooses a weighted cluster for a random value, as Envoy does:
// the first cluster whose cumulative weight exceeds random % total.
func pick(clusters []WeightedCluster, random uint64) (WeightedCluster, bool) {
	var total uint64
	for _, c := range clusters {
		total += uint64(c.Weight)
	}
	if total == 0 {
		return WeightedCluster{}, false
	}
	r := random % total
	var acc uint64
	for _, c := range clusters {
		acc += uint64(c.Weight)
		if r < acc {
			return c, true
		}
	}
	return clusters[len(clusters)-1], true
}
