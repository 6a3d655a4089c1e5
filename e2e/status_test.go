package e2e

import (
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"wasp.dev/e2e/harness"
)

// statusTimeout bounds the wait for the controller to write a status.
const statusTimeout = 30 * time.Second

const (
	gatewayAPI  = "gateway.networking.k8s.io/v1"
	kgatewayAPI = "gateway.kgateway.dev/v1alpha1"
	// controllerName is what wasp writes in status entries.
	controllerName = "wasp.dev/gateway-controller"
)

// waitGateway waits until the Gateway is Accepted and Programmed with an
// address (Istio ignores a waypoint without status.addresses).
func waitGateway(t *testing.T, in *harness.Installation, ns, name string) *unstructured.Unstructured {
	t.Helper()
	ctx := withTimeout(t, statusTimeout)
	gw, err := in.Applier.WaitObject(ctx, gatewayAPI, "Gateway", ns, name, func(u *unstructured.Unstructured) string {
		for _, c := range []string{"Accepted", "Programmed"} {
			if s, r, _ := harness.Condition(harness.Conditions(u), c); s != "True" {
				return fmt.Sprintf("%s=%q (%s)", c, s, r)
			}
		}
		if addrs, _, _ := unstructured.NestedSlice(u.Object, "status", "addresses"); len(addrs) == 0 {
			return "no status.addresses"
		}
		return ""
	})
	if err != nil {
		t.Fatalf("%v\ncontroller log tail:\n%s", err, tail(in.Controller.Output(), 30))
	}
	return gw
}

// waitRouteParents waits until every parent wasp reports on the HTTPRoute
// has the wanted Accepted and ResolvedRefs statuses.
func waitRouteParents(t *testing.T, in *harness.Installation, ns, name, accepted, resolved string) *unstructured.Unstructured {
	t.Helper()
	ctx := withTimeout(t, statusTimeout)
	r, err := in.Applier.WaitObject(ctx, gatewayAPI, "HTTPRoute", ns, name, func(u *unstructured.Unstructured) string {
		parents, _, _ := unstructured.NestedSlice(u.Object, "status", "parents")
		seen := 0
		for _, p := range parents {
			pm, _ := p.(map[string]any)
			if pm["controllerName"] != controllerName {
				continue
			}
			seen++
			conds, _ := pm["conditions"].([]any)
			if s, r, _ := harness.Condition(conds, "Accepted"); s != accepted {
				return fmt.Sprintf("parent %v Accepted=%q (%s)", pm["parentRef"], s, r)
			}
			if s, r, _ := harness.Condition(conds, "ResolvedRefs"); s != resolved {
				return fmt.Sprintf("parent %v ResolvedRefs=%q (%s)", pm["parentRef"], s, r)
			}
		}
		if seen == 0 {
			return "no parent status from " + controllerName
		}
		return ""
	})
	if err != nil {
		t.Fatalf("%v\ncontroller log tail:\n%s", err, tail(in.Controller.Output(), 30))
	}
	return r
}

// waitPolicy waits until a kgateway-style policy is Accepted and Attached
// by every ancestor wasp reports.
func waitPolicy(t *testing.T, in *harness.Installation, kind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	ctx := withTimeout(t, statusTimeout)
	p, err := in.Applier.WaitObject(ctx, kgatewayAPI, kind, ns, name, func(u *unstructured.Unstructured) string {
		ancestors, _, _ := unstructured.NestedSlice(u.Object, "status", "ancestors")
		if len(ancestors) == 0 {
			return "no status.ancestors"
		}
		for _, a := range ancestors {
			am, _ := a.(map[string]any)
			conds, _ := am["conditions"].([]any)
			if s, r, _ := harness.Condition(conds, "Accepted"); s != "True" {
				return fmt.Sprintf("ancestor %v Accepted=%q (%s)", am["ancestorRef"], s, r)
			}
			if s, r, _ := harness.Condition(conds, "Attached"); s != "True" {
				return fmt.Sprintf("ancestor %v Attached=%q (%s)", am["ancestorRef"], s, r)
			}
		}
		return ""
	})
	if err != nil {
		t.Fatalf("%v\ncontroller log tail:\n%s", err, tail(in.Controller.Output(), 30))
	}
	return p
}
