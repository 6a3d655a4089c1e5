package translate

import (
	"fmt"
	"sort"
	"strings"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/xds/ir"
)

// ingress builds an ingress proxy's ports from its programmed listeners.
// Listener isolation (Gateway API GatewayHTTPListenerIsolation): a request
// is served only by the routes of the most specific listener matching its
// host; routes are never copied from one listener into another.
//   - HTTP port: one virtual host per hostname; a hostname is kept only in
//     the listener that owns it (ownerOf), and every listener hostname gets
//     a virtual host even without routes, so a host it owns answers 404
//     rather than falling through to a less specific listener's routes.
//   - HTTPS port: one TLS server (filter chain, route configuration) per
//     listener, chosen by SNI; its virtual hosts hold only its own routes.
func (b *proxyBuilder) ingress() {
	byPort := map[gwv1.PortNumber][]*listenerCtx{}
	for _, l := range b.g.listeners {
		if l.programmed {
			byPort[l.l.Port] = append(byPort[l.l.Port], l)
		}
	}
	ports := make([]gwv1.PortNumber, 0, len(byPort))
	for p := range byPort {
		ports = append(ports, p)
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
	certs := map[string]bool{}
	for _, port := range ports {
		ls := byPort[port]
		hl := &ir.HTTPListener{Name: fmt.Sprintf("%s/%d", b.p.Name, port), Port: uint32(port)}
		if ls[0].l.Protocol == gwv1.HTTPSProtocolType {
			for _, l := range ls {
				name := hl.Name + "/" + string(l.l.Name)
				ts := &ir.TLSServer{Name: name, Certificates: l.certificates,
					VirtualHosts: b.listenerVirtualHosts(name, l, func(string) bool { return true })}
				if h := listenerHostname(l); h != "" {
					ts.ServerNames = []string{h}
				}
				for _, c := range l.certificates {
					certs[c] = true
				}
				hl.TLS = append(hl.TLS, ts)
			}
		} else {
			for _, l := range ls {
				owns := func(h string) bool { return ownerOf(ls, h) == l }
				hl.VirtualHosts = append(hl.VirtualHosts, b.listenerVirtualHosts(hl.Name, l, owns)...)
			}
			sort.Slice(hl.VirtualHosts, func(i, j int) bool { return hl.VirtualHosts[i].Name < hl.VirtualHosts[j].Name })
		}
		b.p.Listeners = append(b.p.Listeners, hl)
	}
	for _, c := range sortedKeys(certs) {
		b.p.TLSCertificates = append(b.p.TLSCertificates, b.t.certificates[c])
	}
}

// listenerVirtualHosts builds the virtual hosts of one listener's routes,
// one per hostname it owns, named under prefix. A hostname's virtual host
// also carries the routes of the same listener's wildcard hostnames that
// cover it (Envoy sends a request to one virtual host only; Gateway API
// merges a listener's routes across hostnames), after its own on equal
// precedence.
func (b *proxyBuilder) listenerVirtualHosts(prefix string, l *listenerCtx, owns func(string) bool) []*ir.VirtualHost {
	hosts := map[string][]*attachment{}
	if h := listenerHostname(l); h != "" {
		hosts[h] = nil // answers 404 even without routes
	}
	for _, a := range l.attached {
		for _, h := range a.hostnames {
			hosts[h] = append(hosts[h], a)
		}
	}
	names := sortedKeys(hosts)
	var wildcards []string
	for _, h := range names {
		if h == "*" || strings.HasPrefix(h, "*.") {
			wildcards = append(wildcards, h)
		}
	}
	var out []*ir.VirtualHost
	for _, h := range names {
		if !owns(h) {
			continue // a more specific listener serves this host
		}
		es := b.routesFor(prefix+"/"+h, l.l.Name, hosts[h])
		for _, w := range wildcards {
			if w != h && coversHost(w, h) {
				for _, e := range b.routesFor(prefix+"/"+h, l.l.Name, hosts[w]) {
					if !hasRoute(es, e.route.Name) {
						e.inherited = w
						es = append(es, e)
					}
				}
			}
		}
		sortByPrecedence(es)
		vh := &ir.VirtualHost{Name: prefix + "/" + h, Hostnames: []string{h}}
		for _, e := range es {
			vh.Routes = append(vh.Routes, e.route)
		}
		out = append(out, vh)
	}
	return out
}

// listenerHostname is the listener's hostname, "" for any.
func listenerHostname(l *listenerCtx) string {
	if l.l.Hostname == nil {
		return ""
	}
	return string(*l.l.Hostname)
}

// ownerOf returns the most specific of a port's listeners that matches
// host h (an exact hostname, else the longest wildcard, else the listener
// without hostname); nil if none does. A wildcard h is owned by a listener
// whose hostname covers all of it.
func ownerOf(ls []*listenerCtx, h string) *listenerCtx {
	var best *listenerCtx
	bestRank := -1
	for _, l := range ls {
		lh := listenerHostname(l)
		rank := -1
		switch {
		case lh == h:
			rank = 1 << 20 // exact
		case lh == "":
			rank = 0
		case strings.HasPrefix(lh, "*.") && hostMatchesWildcard(h, lh):
			rank = len(lh)
		}
		if rank > bestRank {
			best, bestRank = l, rank
		}
	}
	return best
}
