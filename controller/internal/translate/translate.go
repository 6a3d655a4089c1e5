package translate

import (
	"sort"

	"wasp.dev/controller/api/v1alpha1"
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
	// Parameters gives, by "namespace/name", the effective
	// GatewayParameters (class defaults overridden by the Gateway's own;
	// nil: all defaults) of every Gateway of ours whose parameters are
	// usable. The proxy objects and the IR's Istio setting both come from
	// it. A Gateway in ProxyKinds but not here has unusable parameters
	// (status InvalidParameters): its proxy objects are left as they are.
	Parameters map[string]*v1alpha1.GatewayParametersSpec `json:"-"`
}

// Translate computes the IR and the statuses for in. It never fails: what
// cannot be honoured is reported in Status, and the rest is translated.
func Translate(in *Input, opts Options) *Output {
	t := newTranslator(in, opts)
	t.gatewayClasses()
	t.gateways()
	t.waypointServices()
	t.serviceEntryServices()
	t.attachRoutes()
	t.resolvePolicies()
	t.resolveWasmFilters()
	t.authorizationPolicies()
	out := &Output{IR: &ir.IR{}, ProxyKinds: map[string]ir.ProxyKind{}, Parameters: map[string]*v1alpha1.GatewayParametersSpec{}}
	for _, g := range t.gatewayList {
		out.ProxyKinds[g.key.String()] = g.kind
		if g.paramsUsable {
			out.Parameters[g.key.String()] = g.params
		}
		if p := t.buildProxy(g); p != nil {
			out.IR.Proxies = append(out.IR.Proxies, p)
		}
	}
	sort.Slice(out.IR.Proxies, func(i, j int) bool { return out.IR.Proxies[i].Name < out.IR.Proxies[j].Name })
	out.Status = t.status()
	return out
}
