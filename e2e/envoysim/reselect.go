package envoysim

import (
	"slices"
	"strings"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"

	"wasp.dev/filters/wasmtest"
)

// Route cache clearing. Under proxy-wasm ABI 0.2.1 Envoy clears the route
// cache when a Wasm filter changes any request header
// (ActiveStream::clearRouteCache drops the cached route but leaves the
// stream info's route as it was). The router asks for the route in its
// decodeHeaders, which re-runs route selection on the headers it received
// and stores the result in the stream info: the upstream cluster, and the
// route name the access log prints, are the re-selected route's. What Envoy
// does not redo is the filter chain: it was created, with per-route
// enable/disable applied, on the route matched when the request arrived.
//
// The simulator re-selects when the headers that reach the router differ
// from those the chain received. wasmtest reports the clearing itself only
// after the exchange (Result.RouteCacheCleared), too late for the router;
// a write that leaves the headers as they were clears the cache in Envoy
// too, but re-selection then finds the same route, so the outcome is equal.

// sameHeaders reports whether two header lists hold the same pairs, in any
// order (route matching does not depend on order).
func sameHeaders(a, b [][2]string) bool {
	if len(a) != len(b) {
		return false
	}
	key := func(h [][2]string) []string {
		out := make([]string, len(h))
		for i, kv := range h {
			out[i] = strings.ToLower(kv[0]) + "\x00" + kv[1]
		}
		slices.Sort(out)
		return out
	}
	return slices.Equal(key(a), key(b))
}

// requestFromHeaders is the routing view of a header map as it reaches the
// router.
func requestFromHeaders(h [][2]string) *httpRequest {
	r := &httpRequest{}
	for _, kv := range h {
		name := strings.ToLower(kv[0])
		switch name {
		case ":method":
			r.method = kv[1]
		case ":path":
			r.path = kv[1]
		case ":authority":
			r.authority = kv[1]
		case ":scheme":
			r.scheme = kv[1]
		default:
			r.headers = append(r.headers, [2]string{name, kv[1]})
		}
	}
	return r
}

// chainHeaders is the header map the filter chain receives: pseudo-headers
// first, as wasmtest builds it.
func chainHeaders(hr *httpRequest) [][2]string {
	h := [][2]string{{":method", hr.method}, {":path", hr.path}, {":authority", hr.authority}, {":scheme", hr.scheme}}
	return append(h, hr.headers...)
}

// reselectingRouter wraps the router chosen for the initial route: when the
// request headers changed on the way through the chain it selects the
// route again and, if that gives another route (or none), routes by it.
// The same route keeps the initial pick: Envoy seeds the weighted-cluster
// choice from the stream, so re-selection picks the same cluster. An error
// (a re-selected route this package cannot model) is stored in *errp.
func (p *Proxy) reselectingRouter(ex *Exchange, req Request, upstream Upstream, rt *hcmRuntime, rc *routev3.RouteConfiguration,
	sent *httpRequest, initial *routev3.Route, router func(*wasmtest.UpstreamRequest) *wasmtest.Response, errp *error,
) func(*wasmtest.UpstreamRequest) *wasmtest.Response {
	return func(u *wasmtest.UpstreamRequest) *wasmtest.Response {
		if sameHeaders(u.Headers, chainHeaders(sent)) {
			return router(u)
		}
		hr := requestFromHeaders(u.Headers)
		var route *routev3.Route
		vh := selectVirtualHost(rc, rt.hcm, hr.authority)
		if vh != nil {
			var err error
			if route, err = selectRoute(vh, hr); err != nil {
				*errp = err
				return &wasmtest.Response{Status: 500}
			}
		}
		if route == initial {
			return router(u)
		}
		ex.VirtualHost, ex.Route, ex.Action, ex.Cluster, ex.Endpoint = "", "", nil, "", ""
		if route == nil {
			setRouteProperties(u, ex)
			ex.ResponseFlags = "NR"
			return &wasmtest.Response{Status: 404}
		}
		ex.VirtualHost, ex.Route = vh.GetName(), route.GetName()
		var err error
		if ex.Action, err = actionOf(route, hr); err != nil {
			*errp = err
			return &wasmtest.Response{Status: 500}
		}
		next, err := p.router(ex, req, upstream, vh, route)
		if err != nil {
			*errp = err
			return &wasmtest.Response{Status: 500}
		}
		setRouteProperties(u, ex)
		return next(u)
	}
}

// setRouteProperties stores the re-selected route in the stream's
// properties, as Envoy's router stores it in the stream info: a Wasm
// filter reading xds.* later (response callbacks, proxy_on_log) sees the
// new route, virtual host and cluster. Empty names (no route, or a direct
// response without a cluster) delete the property, as Envoy then has none
// to report.
func setRouteProperties(u *wasmtest.UpstreamRequest, ex *Exchange) {
	for _, kv := range [][2]string{
		{"xds.route_name", ex.Route},
		{"xds.virtual_host_name", ex.VirtualHost},
		{"xds.cluster_name", ex.Cluster},
	} {
		var v []byte
		if kv[1] != "" {
			v = wasmtest.PropString(kv[1])
		}
		u.SetProperty(kv[0], v)
	}
}
