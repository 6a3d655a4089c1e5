package translate

import (
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	waspv1alpha1 "wasp.dev/controller/api/wasp/v1alpha1"
	"wasp.dev/xds/ir"
)

// A WasmFilter (wasp.dev) becomes one custom ir.WasmFilter, with its own
// ir.WasmModule (its VM gets the filter's env), enabled on exactly the
// routes its targetRefs select. Whether its module can be served is the
// controller's fetcher's business (Input.WasmFetches); translation only
// reads the outcome, so it stays pure:
//
//   - fetched: the routes enable the filter, by the module's sha256;
//   - not fetched (pending or failed), FailOpen: the filter is left out,
//     nothing else on the routes changes;
//   - not fetched, FailClosed: the routes answer 500 with a body naming
//     the filter and the reason (no URL or digest: clients read it). Their other Wasm policies (rate limit,
//     transform, access log) stay: those filters run before the route's
//     direct response, so a failing custom filter never weakens them.

// WasmFetch is the state of one WasmFilter's module for its current
// source, as the controller's fetcher reports it.
type WasmFetch struct {
	// SHA256 and URL (where proxies download it) are set once fetched.
	SHA256 string `json:"sha256,omitempty"`
	URL    string `json:"url,omitempty"`
	// Reason is empty when fetched, else Pending or a failure reason
	// (waspv1alpha1.ReasonFetchFailed, …); Message says more.
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
}

// fetched says whether the module can be served.
func (f WasmFetch) fetched() bool { return f.Reason == "" && f.SHA256 != "" && f.URL != "" }

// WasmFilterStatus is wasp's status for one WasmFilter.
type WasmFilterStatus struct {
	Namespace  string             `json:"namespace"`
	Name       string             `json:"name"`
	Conditions []metav1.Condition `json:"conditions"`
	// SHA256 of the module the proxies are given; empty when none.
	SHA256 string `json:"sha256,omitempty"`
}

// WasmFilterName is the IR (and Envoy, after the "wasp." prefix) name of a
// WasmFilter's filter and module: never a built-in filter's name.
func WasmFilterName(namespace, name string) string {
	return "wasmfilter/" + namespace + "/" + name
}

// FailClosedStatus is what a FailClosed filter's routes answer while its
// module cannot be served.
const FailClosedStatus = 500

// wasmFilterCtx is one WasmFilter and what its targets select.
type wasmFilterCtx struct {
	wf    *waspv1alpha1.WasmFilter
	name  string // WasmFilterName
	fetch WasmFetch
	// Selected targets, by kind.
	gateways  map[nsName]bool
	listeners map[string]bool // "ns/gw/listener"
	routes    map[nsName]bool
	rules     map[string]bool // "ns/route/rule"
	services  map[nsName]bool
	svcPorts  map[string]bool // "ns/svc/port name"
	found     int
	notFound  []string
	// routesEnabled counts the routes that run the filter; routesRefused
	// those that answer 500 (FailClosed, not fetched).
	routesEnabled, routesRefused int
}

func (t *translator) resolveWasmFilters() {
	wfs := append([]*waspv1alpha1.WasmFilter(nil), t.in.WasmFilters...)
	sort.Slice(wfs, func(i, j int) bool {
		return nsName{wfs[i].Namespace, wfs[i].Name}.String() < nsName{wfs[j].Namespace, wfs[j].Name}.String()
	})
	for _, wf := range wfs {
		c := &wasmFilterCtx{
			wf: wf, name: WasmFilterName(wf.Namespace, wf.Name),
			gateways: map[nsName]bool{}, listeners: map[string]bool{}, routes: map[nsName]bool{},
			rules: map[string]bool{}, services: map[nsName]bool{}, svcPorts: map[string]bool{},
		}
		c.fetch = t.in.WasmFetches[nsName{wf.Namespace, wf.Name}.String()]
		if c.fetch.Reason == "" && !c.fetch.fetched() {
			c.fetch = WasmFetch{Reason: waspv1alpha1.ReasonPending, Message: "the module is being fetched"}
		}
		for _, ref := range wf.Spec.TargetRefs {
			t.targetWasmFilter(c, ref)
		}
		t.wasmFilters = append(t.wasmFilters, c)
	}
}

func (t *translator) targetWasmFilter(c *wasmFilterCtx, ref waspv1alpha1.WasmFilterTargetReference) {
	ns := c.wf.Namespace
	key := nsName{ns, string(ref.Name)}
	miss := func(format string, args ...any) { c.notFound = append(c.notFound, fmt.Sprintf(format, args...)) }
	switch {
	case ref.Kind == "Gateway":
		g := t.gatewayByNN[key]
		if g == nil {
			miss("Gateway %s not found, or not of a wasp GatewayClass", key)
			return
		}
		if ref.SectionName == nil {
			c.gateways[key] = true
			c.found++
			return
		}
		for _, l := range g.listeners {
			if l.l.Name == *ref.SectionName {
				c.listeners[key.String()+"/"+string(l.l.Name)] = true
				c.found++
				return
			}
		}
		miss("Gateway %s has no listener %q", key, *ref.SectionName)
	case ref.Kind == "HTTPRoute":
		rc := t.routeByNN[key]
		if rc == nil {
			miss("HTTPRoute %s not found, or not attached to a wasp Gateway or waypoint", key)
			return
		}
		if ref.SectionName == nil {
			c.routes[key] = true
			c.found++
			return
		}
		for _, r := range rc.rules {
			if r.name == string(*ref.SectionName) {
				c.rules[key.String()+"/"+r.name] = true
				c.found++
				return
			}
		}
		miss("HTTPRoute %s has no rule named %q", key, *ref.SectionName)
	case ref.Kind == "Service" && ref.Group == "":
		if t.servedBy[key] == nil {
			miss("Service %s not found, or not served by a wasp waypoint", key)
			return
		}
		if ref.SectionName == nil {
			c.services[key] = true
			c.found++
			return
		}
		for _, p := range t.x.services[key].Spec.Ports {
			if p.Name == string(*ref.SectionName) {
				c.svcPorts[key.String()+"/"+p.Name] = true
				c.found++
				return
			}
		}
		miss("Service %s has no port named %q", key, *ref.SectionName)
	default:
		miss("kind %s cannot be targeted by a WasmFilter", ref.Kind)
	}
}

// selects says whether c applies to a route of Gateway g, listener ln,
// HTTPRoute rc's rule (nil for a waypoint's default route), on waypoint
// Service port svcPort ("" on ingress: "ns/svc/port name").
func (c *wasmFilterCtx) selects(g *gatewayCtx, ln gwv1.SectionName, rc *routeCtx, rule *ruleIR, svc nsName, svcPort string) bool {
	switch {
	case c.gateways[g.key], c.listeners[g.key.String()+"/"+string(ln)]:
		return true
	case rc != nil && c.routes[rc.key]:
		return true
	case rc != nil && rule != nil && rule.name != "" && c.rules[rc.key.String()+"/"+rule.name]:
		return true
	case svcPort != "" && (c.services[svc] || c.svcPorts[svcPort]):
		return true
	}
	return false
}

// customWasm applies the WasmFilters that select route r (see selects),
// giving r its own Wasm map.
func (b *proxyBuilder) customWasm(r *ir.Route, ln gwv1.SectionName, rc *routeCtx, rule *ruleIR) {
	var refusedBy []string
	for _, c := range b.t.wasmFilters {
		if !c.selects(b.g, ln, rc, rule, b.svc, b.svcPort) {
			continue
		}
		switch {
		case c.fetch.fetched():
			wasm := make(map[string]string, len(r.Wasm)+1)
			for k, v := range r.Wasm {
				wasm[k] = v
			}
			wasm[c.name] = c.name
			r.Wasm = wasm
			b.custom[c.name] = c
			c.routesEnabled++
		case failurePolicy(c.wf) == waspv1alpha1.FailClosed:
			// The reason only: the body reaches clients, the details (URLs,
			// digests) stay in the WasmFilter's status.
			refusedBy = append(refusedBy, fmt.Sprintf("%s/%s (%s)", c.wf.Namespace, c.wf.Name, c.fetch.Reason))
			c.routesRefused++
		}
	}
	if len(refusedBy) > 0 {
		r.Backends, r.Redirect, r.Mirrors, r.URLRewrite, r.Retry = nil, nil, nil, nil, nil
		r.DirectResponse = &ir.DirectResponse{
			Status: FailClosedStatus,
			Body:   "wasp: WasmFilter " + strings.Join(refusedBy, ", ") + " cannot run and fails closed; see its status\n",
		}
	}
}

func failurePolicy(wf *waspv1alpha1.WasmFilter) waspv1alpha1.FailurePolicy {
	if wf.Spec.FailurePolicy == "" {
		return waspv1alpha1.FailClosed
	}
	return wf.Spec.FailurePolicy
}

// finishCustom adds the modules and filters of the WasmFilters the proxy's
// routes enable.
func (b *proxyBuilder) finishCustom() {
	for _, name := range sortedKeys(b.custom) {
		c := b.custom[name]
		spec := c.wf.Spec
		mod := &ir.WasmModule{Name: name, URL: c.fetch.URL, SHA256: c.fetch.SHA256}
		if len(spec.Env) > 0 {
			mod.Env = map[string]string{}
			for k, v := range spec.Env {
				mod.Env[k] = string(v)
			}
		}
		cw := &ir.CustomWasm{}
		if spec.Config != nil {
			cw.Configuration = string(spec.Config.Raw)
		}
		if o := spec.Order; o != nil {
			cw.Placement = ir.Placement(o.Placement)
			cw.RelativeTo = map[waspv1alpha1.BuiltinFilter]string{
				waspv1alpha1.BuiltinRateLimit: ir.FilterRateLimit,
				waspv1alpha1.BuiltinTransform: ir.FilterTransform,
			}[o.RelativeTo]
			cw.Priority = o.Priority
		}
		fp := ir.FailClosed
		if failurePolicy(c.wf) == waspv1alpha1.FailOpen {
			fp = ir.FailOpen
		}
		b.p.WasmModules = append(b.p.WasmModules, mod)
		b.p.WasmFilters = append(b.p.WasmFilters, &ir.WasmFilter{
			Name: name, Module: name, RootID: spec.RootID, FailurePolicy: fp, Custom: cw,
		})
	}
	sort.Slice(b.p.WasmModules, func(i, j int) bool { return b.p.WasmModules[i].Name < b.p.WasmModules[j].Name })
	sort.Slice(b.p.WasmFilters, func(i, j int) bool { return b.p.WasmFilters[i].Name < b.p.WasmFilters[j].Name })
}

// wasmFilterStatuses renders Accepted and Fetched for every WasmFilter.
func (t *translator) wasmFilterStatuses() []WasmFilterStatus {
	var out []WasmFilterStatus
	for _, c := range t.wasmFilters {
		gen := c.wf.Generation
		var acc metav1.Condition
		switch {
		case c.found == 0:
			acc = cond(waspv1alpha1.ConditionAccepted, false, waspv1alpha1.ReasonTargetNotFound, strings.Join(c.notFound, "; "), gen)
		case len(c.notFound) > 0:
			acc = cond(waspv1alpha1.ConditionAccepted, true, waspv1alpha1.ReasonAccepted, "some targets are missing: "+strings.Join(c.notFound, "; "), gen)
		default:
			acc = cond(waspv1alpha1.ConditionAccepted, true, waspv1alpha1.ReasonAccepted, "", gen)
		}
		var fetched metav1.Condition
		st := WasmFilterStatus{Namespace: c.wf.Namespace, Name: c.wf.Name}
		if c.fetch.fetched() {
			st.SHA256 = c.fetch.SHA256
			fetched = cond(waspv1alpha1.ConditionFetched, true, waspv1alpha1.ReasonFetched,
				fmt.Sprintf("module sha256 %s is served to the proxies; enabled on %d routes", c.fetch.SHA256, c.routesEnabled), gen)
		} else {
			msg := c.fetch.Message
			if failurePolicy(c.wf) == waspv1alpha1.FailClosed {
				msg += fmt.Sprintf("; FailClosed: %d targeted routes answer %d until the module is served", c.routesRefused, FailClosedStatus)
			} else {
				msg += "; FailOpen: the targeted routes run without this filter"
			}
			fetched = cond(waspv1alpha1.ConditionFetched, false, c.fetch.Reason, msg, gen)
		}
		st.Conditions = []metav1.Condition{acc, fetched}
		out = append(out, st)
	}
	return out
}
