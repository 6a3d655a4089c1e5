package main

import (
	"fmt"
	"io"
	"strings"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"

	"wasp.dev/e2e/envoysim"
)

// printSummary prints a proxy's config the way an operator reads it:
// listeners, filter chains with their match, HTTP filters, routes.
func printSummary(w io.Writer, res *envoysim.Resources) {
	routes := map[string]*routev3.RouteConfiguration{}
	for _, rc := range res.Routes {
		routes[rc.GetName()] = rc
	}
	for _, l := range res.Listeners {
		sa := l.GetAddress().GetSocketAddress()
		var lf []string
		for _, f := range l.GetListenerFilters() {
			lf = append(lf, strings.TrimPrefix(f.GetName(), "envoy.filters.listener."))
		}
		fmt.Fprintf(w, "    listener %s on [%s]:%d %s\n", l.GetName(), sa.GetAddress(), sa.GetPortValue(), bracket(lf))
		for _, fc := range l.GetFilterChains() {
			printChain(w, fc, routes)
		}
	}
	eps := 0
	for _, e := range res.Endpoints {
		for _, le := range e.GetEndpoints() {
			eps += len(le.GetLbEndpoints())
		}
	}
	fmt.Fprintf(w, "    %d clusters, %d endpoints\n", len(res.Clusters), eps)
}

func printChain(w io.Writer, fc *listenerv3.FilterChain, routes map[string]*routev3.RouteConfiguration) {
	m := fc.GetFilterChainMatch()
	match := "any destination"
	if m != nil {
		var ips []string
		for _, r := range m.GetPrefixRanges() {
			ips = append(ips, r.GetAddressPrefix())
		}
		match = strings.Join(ips, ",")
		if m.GetDestinationPort() != nil {
			match += fmt.Sprintf(":%d", m.GetDestinationPort().GetValue())
		}
	}
	for _, f := range fc.GetFilters() {
		var hcm hcmv3.HttpConnectionManager
		if f.GetTypedConfig().UnmarshalTo(&hcm) != nil {
			continue
		}
		var filters []string
		for _, hf := range hcm.GetHttpFilters() {
			name := hf.GetName()
			var wf wasmfilterv3.Wasm
			if hf.GetTypedConfig().UnmarshalTo(&wf) == nil {
				if sum := wf.GetConfig().GetVmConfig().GetCode().GetRemote().GetSha256(); len(sum) > 12 {
					name += "(wasm " + sum[:12] + ")"
				}
			}
			filters = append(filters, name)
		}
		fmt.Fprintf(w, "      chain %s  match %s\n        http filters: %s\n", fc.GetName(), match, strings.Join(filters, " -> "))
		if n := len(hcm.GetAccessLog()); n > 0 {
			fmt.Fprintf(w, "        access loggers: %d\n", n)
		}
		rc := routes[hcm.GetRds().GetRouteConfigName()]
		for _, vh := range rc.GetVirtualHosts() {
			fmt.Fprintf(w, "        vhost %v\n", vh.GetDomains())
			for _, r := range vh.GetRoutes() {
				fmt.Fprintf(w, "          route %s: %s -> %s\n", r.GetName(), matchText(r.GetMatch()), actionText(r))
			}
		}
	}
}

func matchText(m *routev3.RouteMatch) string {
	var s string
	switch p := m.GetPathSpecifier().(type) {
	case *routev3.RouteMatch_Prefix:
		s = "prefix " + p.Prefix
	case *routev3.RouteMatch_Path:
		s = "path " + p.Path
	case *routev3.RouteMatch_PathSeparatedPrefix:
		s = "prefix " + p.PathSeparatedPrefix + "/"
	case *routev3.RouteMatch_SafeRegex:
		s = "regex " + p.SafeRegex.GetRegex()
	}
	for _, h := range m.GetHeaders() {
		s += " header " + h.GetName()
	}
	return s
}

func actionText(r *routev3.Route) string {
	switch a := r.GetAction().(type) {
	case *routev3.Route_Route:
		var parts []string
		if c := a.Route.GetCluster(); c != "" {
			parts = append(parts, c)
		}
		for _, c := range a.Route.GetWeightedClusters().GetClusters() {
			parts = append(parts, fmt.Sprintf("%s (weight %d)", c.GetName(), c.GetWeight().GetValue()))
		}
		s := strings.Join(parts, ", ")
		if t := a.Route.GetTimeout(); t != nil {
			s += fmt.Sprintf(", timeout %v", t.AsDuration())
		}
		return s
	case *routev3.Route_DirectResponse:
		return fmt.Sprintf("direct response %d", a.DirectResponse.GetStatus())
	case *routev3.Route_Redirect:
		return "redirect"
	}
	return "?"
}

func bracket(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return "(" + strings.Join(s, ", ") + ")"
}
