package envoysim

import (
	"fmt"
	"net"
	"strings"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
)

// defaultRouteTimeout is Envoy's route timeout when a route sets none.
const defaultRouteTimeout = 15 * time.Second

// routeConfigFor returns the HCM's route configuration (RDS or inline).
func (ix *index) routeConfigFor(hcm *hcmv3.HttpConnectionManager) (*routev3.RouteConfiguration, error) {
	switch rs := hcm.GetRouteSpecifier().(type) {
	case *hcmv3.HttpConnectionManager_RouteConfig:
		return rs.RouteConfig, nil
	case *hcmv3.HttpConnectionManager_Rds:
		name := rs.Rds.GetRouteConfigName()
		rc, ok := ix.routes[name]
		if !ok {
			return nil, fmt.Errorf("RDS route configuration %q was not received (Envoy would not finish warming)", name)
		}
		return rc, nil
	}
	return nil, fmt.Errorf("HTTP connection manager %q: route specifier %T is not modelled", hcm.GetStatPrefix(), hcm.GetRouteSpecifier())
}

// selectVirtualHost picks the virtual host for authority with Envoy's
// precedence: exact domain, then the longest suffix wildcard (*.foo), then
// the longest prefix wildcard (foo.*), then "*".
func selectVirtualHost(rc *routev3.RouteConfiguration, hcm *hcmv3.HttpConnectionManager, authority string) *routev3.VirtualHost {
	host := strings.ToLower(authority)
	if rc.GetIgnorePortInHostMatching() || hcm.GetStripAnyHostPort() {
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
	}
	var exact, star *routev3.VirtualHost
	var suffix, prefix *routev3.VirtualHost
	suffixLen, prefixLen := -1, -1
	for _, vh := range rc.GetVirtualHosts() {
		for _, d := range vh.GetDomains() {
			d = strings.ToLower(d)
			switch {
			case d == "*":
				if star == nil {
					star = vh
				}
			case d == host:
				if exact == nil {
					exact = vh
				}
			case strings.HasPrefix(d, "*") && strings.HasSuffix(host, d[1:]) && len(host) > len(d)-1:
				if len(d) > suffixLen {
					suffix, suffixLen = vh, len(d)
				}
			case strings.HasSuffix(d, "*") && strings.HasPrefix(host, d[:len(d)-1]) && len(host) > len(d)-1:
				if len(d) > prefixLen {
					prefix, prefixLen = vh, len(d)
				}
			}
		}
	}
	for _, vh := range []*routev3.VirtualHost{exact, suffix, prefix, star} {
		if vh != nil {
			return vh
		}
	}
	return nil
}

// selectRoute returns the first route of vh whose match fits req.
func selectRoute(vh *routev3.VirtualHost, req *httpRequest) (*routev3.Route, error) {
	for _, r := range vh.GetRoutes() {
		ok, err := routeMatches(r.GetMatch(), req)
		if err != nil {
			return nil, fmt.Errorf("route %q: %w", r.GetName(), err)
		}
		if ok {
			return r, nil
		}
	}
	return nil, nil
}

// httpRequest is a request as route matching sees it.
type httpRequest struct {
	method, path, authority, scheme string
	headers                         [][2]string // lower-case names
}

// header returns the values of name joined by "," (Envoy's rule for
// matching a header that appears several times); pseudo-headers included.
func (r *httpRequest) header(name string) (string, bool) {
	switch name {
	case ":method":
		return r.method, true
	case ":path":
		return r.path, true
	case ":authority", "host":
		return r.authority, true
	case ":scheme":
		return r.scheme, true
	}
	var vals []string
	for _, h := range r.headers {
		if h[0] == name {
			vals = append(vals, h[1])
		}
	}
	if vals == nil {
		return "", false
	}
	return strings.Join(vals, ","), true
}

// pathOnly is :path without query string and fragment.
func (r *httpRequest) pathOnly() string {
	p := r.path
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return p
}

func routeMatches(m *routev3.RouteMatch, req *httpRequest) (bool, error) {
	if m.GetRuntimeFraction() != nil || m.GetTlsContext() != nil || len(m.GetDynamicMetadata()) > 0 || len(m.GetFilterState()) > 0 {
		return false, fmt.Errorf("route match criteria (runtime fraction, TLS, metadata, filter state) are not modelled")
	}
	caseSensitive := m.GetCaseSensitive() == nil || m.GetCaseSensitive().GetValue()
	eq := func(a, b string) bool {
		if caseSensitive {
			return a == b
		}
		return strings.EqualFold(a, b)
	}
	hasPrefix := func(s, p string) bool { return len(s) >= len(p) && eq(s[:len(p)], p) }
	var ok bool
	switch ps := m.GetPathSpecifier().(type) {
	case *routev3.RouteMatch_Prefix:
		// Envoy matches a prefix against the whole :path, query included.
		ok = hasPrefix(req.path, ps.Prefix)
	case *routev3.RouteMatch_Path:
		ok = eq(req.pathOnly(), ps.Path)
	case *routev3.RouteMatch_SafeRegex:
		re, err := fullRegex(ps.SafeRegex.GetRegex())
		if err != nil {
			return false, err
		}
		ok = re.MatchString(req.pathOnly())
	case *routev3.RouteMatch_PathSeparatedPrefix:
		p := req.pathOnly()
		ok = eq(p, ps.PathSeparatedPrefix) || hasPrefix(p, ps.PathSeparatedPrefix+"/")
	default:
		return false, fmt.Errorf("path specifier %T is not modelled", ps)
	}
	if !ok {
		return false, nil
	}
	if m.GetGrpc() != nil {
		ct, _ := req.header("content-type")
		if !strings.HasPrefix(ct, "application/grpc") {
			return false, nil
		}
	}
	for _, h := range m.GetHeaders() {
		ok, err := headerMatches(h, req)
		if err != nil || !ok {
			return false, err
		}
	}
	for _, q := range m.GetQueryParameters() {
		ok, err := queryMatches(q, req)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func headerMatches(h *routev3.HeaderMatcher, req *httpRequest) (bool, error) {
	v, present := req.header(strings.ToLower(h.GetName()))
	if !present && h.GetTreatMissingHeaderAsEmpty() {
		v, present = "", true
	}
	var ok bool
	switch s := h.GetHeaderMatchSpecifier().(type) {
	case nil:
		ok = present
	case *routev3.HeaderMatcher_PresentMatch:
		ok = present == s.PresentMatch
	case *routev3.HeaderMatcher_StringMatch:
		if !present {
			return false, nil // a value matcher never matches an absent header, inverted or not
		}
		var err error
		if ok, err = matchString(s.StringMatch, v); err != nil {
			return false, err
		}
	case *routev3.HeaderMatcher_ExactMatch:
		if !present {
			return false, nil
		}
		ok = v == s.ExactMatch
	case *routev3.HeaderMatcher_SafeRegexMatch:
		if !present {
			return false, nil
		}
		re, err := fullRegex(s.SafeRegexMatch.GetRegex())
		if err != nil {
			return false, err
		}
		ok = re.MatchString(v)
	default:
		return false, fmt.Errorf("header matcher %T on %q is not modelled", s, h.GetName())
	}
	return ok != h.GetInvertMatch(), nil
}

func queryMatches(q *routev3.QueryParameterMatcher, req *httpRequest) (bool, error) {
	v, present := queryParam(req.path, q.GetName())
	switch s := q.GetQueryParameterMatchSpecifier().(type) {
	case *routev3.QueryParameterMatcher_PresentMatch:
		return present == s.PresentMatch, nil
	case *routev3.QueryParameterMatcher_StringMatch:
		if !present {
			return false, nil
		}
		return matchString(s.StringMatch, v)
	case nil:
		return present, nil
	default:
		return false, fmt.Errorf("query parameter matcher %T is not modelled", s)
	}
}

// queryParam returns the first value of a query parameter, undecoded, as
// Envoy's route matcher sees it.
func queryParam(path, name string) (string, bool) {
	i := strings.IndexByte(path, '?')
	if i < 0 {
		return "", false
	}
	q := path[i+1:]
	if j := strings.IndexByte(q, '#'); j >= 0 {
		q = q[:j]
	}
	for _, kv := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k == name {
			return v, true
		}
	}
	return "", false
}
