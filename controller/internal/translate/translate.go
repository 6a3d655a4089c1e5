package translate

import (
	"sort"

	"wasp.dev/xds/ir"
)

// Output is the result of one translation.
type Output struct {
	IR     *ir.IR `json:"ir"`
	Status Status `json:"status"`
	// ProxyKinds gives the kind of every Gateway of ours by
	// "namespace/name", including Gateways whose listeners are all invalid
	// (no proxy in the IR): their proxies keep running on their last
	// configuration rather than disappear over a typo.
	ProxyKinds map[string]ir.ProxyKind `json:"-"`
}

// Translate computes the IR and the statuses for in. It never fails: what
// cannot be honoured is reported in Status, and the rest is translated.
func Translate(in *Input, opts Options) *Output {
	t := newTranslator(in, opts)
	t.gatewayClasses()
	t.gateways()
	t.waypointServices()
	t.attachRoutes()
	t.resolvePolicies()
	out := &Output{IR: &ir.IR{}, ProxyKinds: map[string]ir.ProxyKind{}}
	for _, g := range t.gatewayList {
		out.ProxyKinds[g.key.String()] = g.kind
		if p := t.buildProxy(g); p != nil {
			out.IR.Proxies = append(out.IR.Proxies, p)
		}
	}
	sort.Slice(out.IR.Proxies, func(i, j int) bool { return out.IR.Proxies[i].Name < out.IR.Proxies[j].Name })
	out.Status = t.status()
	return out
}
