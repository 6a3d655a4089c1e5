package envtest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/api/v1alpha1"
)

func bucket(maxTokens uint32, fill string) *v1alpha1.RateLimit {
	d, _ := time.ParseDuration(fill)
	return &v1alpha1.RateLimit{Local: &v1alpha1.LocalRateLimitPolicy{TokenBucket: &v1alpha1.TokenBucket{
		MaxTokens: maxTokens, FillInterval: metav1.Duration{Duration: d},
	}}}
}

func routeRef(name string) v1alpha1.LocalPolicyTargetReferenceWithSectionName {
	return v1alpha1.LocalPolicyTargetReferenceWithSectionName{LocalPolicyTargetReference: v1alpha1.LocalPolicyTargetReference{
		Group: gwv1.GroupName, Kind: "HTTPRoute", Name: gwv1.ObjectName(name)}}
}

// TestCELRejectsInvalidPolicies: the bounds kgateway documents are enforced
// at admission, before any controller sees the object.
func TestCELRejectsInvalidPolicies(t *testing.T) {
	ctx := context.Background()
	tp := func(name string, mut func(*v1alpha1.TrafficPolicySpec)) *v1alpha1.TrafficPolicy {
		p := &v1alpha1.TrafficPolicy{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
			Spec: v1alpha1.TrafficPolicySpec{TargetRefs: []v1alpha1.LocalPolicyTargetReferenceWithSectionName{routeRef("ollama")}}}
		mut(&p.Spec)
		return p
	}
	many := make([]v1alpha1.LocalPolicyTargetReferenceWithSectionName, 17)
	for i := range many {
		many[i] = routeRef(fmt.Sprintf("r%d", i))
	}
	cases := []struct {
		obj  *v1alpha1.TrafficPolicy
		want string
	}{
		{tp("zero-tokens", func(s *v1alpha1.TrafficPolicySpec) { s.RateLimit = bucket(0, "1s") }), "maxTokens"},
		{tp("too-fast", func(s *v1alpha1.TrafficPolicySpec) { s.RateLimit = bucket(1, "10ms") }), "must be at least 50ms"},
		{tp("service-target", func(s *v1alpha1.TrafficPolicySpec) {
			s.TargetRefs[0].Kind = "Service"
			s.TargetRefs[0].Group = ""
		}), "targetRefs may only reference Gateway or HTTPRoute"},
		{tp("too-many-targets", func(s *v1alpha1.TrafficPolicySpec) { s.TargetRefs = many }), "Too many"},
		{tp("bad-header", func(s *v1alpha1.TrafficPolicySpec) {
			s.Transformation = &v1alpha1.TransformationPolicy{Request: &v1alpha1.Transform{Remove: []v1alpha1.HeaderName{"bad header"}}}
		}), "should match"},
	}
	for _, c := range cases {
		err := k8s.Create(ctx, c.obj)
		if err == nil || !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: create = %v, want Invalid mentioning %q", c.obj.Name, err, c.want)
		}
	}
	both := &v1alpha1.HTTPListenerPolicy{ObjectMeta: metav1.ObjectMeta{Name: "both-formats", Namespace: "default"},
		Spec: v1alpha1.HTTPListenerPolicySpec{AccessLog: []v1alpha1.AccessLog{{FileSink: &v1alpha1.FileSink{
			Path: "/dev/stdout", StringFormat: "%RESPONSE_CODE%",
			JSONFormat: &runtime.RawExtension{Raw: []byte(`{"code":"%RESPONSE_CODE%"}`)},
		}}}}}
	if err := k8s.Create(ctx, both); err == nil || !strings.Contains(err.Error(), "exactly one of the fields in [stringFormat jsonFormat]") {
		t.Errorf("stringFormat and jsonFormat together: create = %v", err)
	}
	// The seed's own fillInterval form is accepted (sanity: the rule is not
	// rejecting everything).
	ok := tp("fine", func(s *v1alpha1.TrafficPolicySpec) { s.RateLimit = bucket(3, "60s") })
	if err := k8s.Create(ctx, ok); err != nil {
		t.Fatalf("valid policy rejected: %v", err)
	}
	k8s.Delete(ctx, ok)
}

// TestPolicyTargetingMissingRoute gets TargetNotFound in its status.
func TestPolicyTargetingMissingRoute(t *testing.T) {
	ctx := context.Background()
	p := &v1alpha1.TrafficPolicy{ObjectMeta: metav1.ObjectMeta{Name: "orphan", Namespace: "default"},
		Spec: v1alpha1.TrafficPolicySpec{TargetRefs: []v1alpha1.LocalPolicyTargetReferenceWithSectionName{routeRef("no-such-route")},
			RateLimit: bucket(5, "1s")}}
	if err := k8s.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	defer k8s.Delete(ctx, p)
	eventually(t, "TargetNotFound", func() error {
		var live v1alpha1.TrafficPolicy
		if err := get(t, "default", "orphan", &live); err != nil {
			return err
		}
		a := ourAncestor(live.Status, "no-such-route")
		if a == nil {
			return fmt.Errorf("no ancestor: %+v", live.Status)
		}
		return condition(a.Conditions, "Accepted", "False", "TargetNotFound")
	})
}

// TestInvalidAccessLogOperator: the access-log filter's own parser rejects
// the format; the policy says why and the proxy keeps the valid policy.
func TestInvalidAccessLogOperator(t *testing.T) {
	ensureSeeds(t)
	ctx := context.Background()
	p := &v1alpha1.HTTPListenerPolicy{ObjectMeta: metav1.ObjectMeta{Name: "typo-log", Namespace: "default"},
		Spec: v1alpha1.HTTPListenerPolicySpec{
			TargetRefs: []v1alpha1.LocalPolicyTargetReference{{Group: gwv1.GroupName, Kind: "Gateway", Name: "kgateway-waypoint"}},
			AccessLog:  []v1alpha1.AccessLog{{FileSink: &v1alpha1.FileSink{Path: "/dev/stdout", StringFormat: "%RESPONSE_CODEZ%\n"}}},
		}}
	if err := k8s.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	defer k8s.Delete(ctx, p)
	eventually(t, "Invalid with the filter's message", func() error {
		var live v1alpha1.HTTPListenerPolicy
		if err := get(t, "default", "typo-log", &live); err != nil {
			return err
		}
		a := ourAncestor(live.Status, "kgateway-waypoint")
		if a == nil {
			return fmt.Errorf("no ancestor: %+v", live.Status)
		}
		if err := condition(a.Conditions, "Accepted", "False", "Invalid"); err != nil {
			return err
		}
		for _, c := range a.Conditions {
			if c.Type == "Accepted" && !strings.Contains(c.Message, "%RESPONSE_CODEZ%") {
				return fmt.Errorf("message does not name the operator: %q", c.Message)
			}
		}
		return nil
	})
}

// TestDeletingRouteRemovesItFromIR: a route appears in the published IR,
// then disappears once deleted.
func TestDeletingRouteRemovesItFromIR(t *testing.T) {
	ensureSeeds(t)
	ctx := context.Background()
	g, k := gwv1.Group(""), gwv1.Kind("Service")
	rt := &gwv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: "client-route", Namespace: "default"},
		Spec: gwv1.HTTPRouteSpec{
			CommonRouteSpec: gwv1.CommonRouteSpec{ParentRefs: []gwv1.ParentReference{{Group: &g, Kind: &k, Name: "client"}}},
			Rules: []gwv1.HTTPRouteRule{{BackendRefs: []gwv1.HTTPBackendRef{{BackendRef: gwv1.BackendRef{
				BackendObjectReference: gwv1.BackendObjectReference{Name: "ollama", Port: ptr(gwv1.PortNumber(80))}}}}}},
		},
	}
	if err := k8s.Create(ctx, rt); err != nil {
		t.Fatal(err)
	}
	name := "default/client:80/httproute/default/client-route/rule/0/match/0"
	eventually(t, "route in the IR", func() error { return routeInIR(name, true) })
	if err := k8s.Delete(ctx, rt); err != nil {
		t.Fatal(err)
	}
	eventually(t, "route gone from the IR", func() error { return routeInIR(name, false) })
	eventually(t, "client port back to its default route", func() error { return routeInIR("default/client:80/default", true) })
}

func routeInIR(name string, want bool) error {
	in, err := pub.snapshot()
	if err != nil {
		return err
	}
	if in == nil {
		return fmt.Errorf("nothing published")
	}
	found := false
	for _, p := range in.Proxies {
		if findRoute(p, name) != nil {
			found = true
		}
	}
	if found != want {
		return fmt.Errorf("route %s present=%v, want %v", name, found, want)
	}
	return nil
}

// TestStatusKeepsIstiodEntries: istiod's parent entry on a shared route
// survives wasp's status writes, and wasp's entry is added beside it.
func TestStatusKeepsIstiodEntries(t *testing.T) {
	ensureSeeds(t)
	ctx := context.Background()
	var rt gwv1.HTTPRoute
	eventually(t, "wasp parent present", func() error {
		if err := get(t, "default", "reviews-route", &rt); err != nil {
			return err
		}
		if ourParent(&rt, "reviews") == nil {
			return fmt.Errorf("no wasp parent yet")
		}
		return nil
	})
	// Write istiod's entry as istiod would (retrying on conflicts with
	// wasp's own writes).
	eventually(t, "istiod writes its entry", func() error {
		if err := get(t, "default", "reviews-route", &rt); err != nil {
			return err
		}
		istio := gwv1.RouteParentStatus{
			ParentRef: rt.Spec.ParentRefs[0], ControllerName: "istio.io/gateway-controller",
			Conditions: []metav1.Condition{{Type: "ResolvedWaypoints", Status: "True", Reason: "ResolvedWaypoints",
				LastTransitionTime: metav1.Now(), ObservedGeneration: rt.Generation}},
		}
		rt.Status.Parents = append(rt.Status.Parents, istio)
		return k8s.Status().Update(ctx, &rt)
	})
	// Make wasp rewrite this route's status: change its spec.
	eventually(t, "bump the route", func() error {
		var live gwv1.HTTPRoute
		if err := get(t, "default", "reviews-route", &live); err != nil {
			return err
		}
		live.Labels = map[string]string{"touched": "yes"}
		live.Spec.Rules[0].BackendRefs[1].Weight = ptr(int32(20))
		return k8s.Update(ctx, &live)
	})
	eventually(t, "both controllers' entries, wasp's at the new generation", func() error {
		var live gwv1.HTTPRoute
		if err := get(t, "default", "reviews-route", &live); err != nil {
			return err
		}
		var sawIstio bool
		for _, p := range live.Status.Parents {
			if p.ControllerName == "istio.io/gateway-controller" {
				sawIstio = true
			}
		}
		if !sawIstio {
			return fmt.Errorf("istiod's entry was dropped: %+v", live.Status.Parents)
		}
		p := ourParent(&live, "reviews")
		if p == nil || p.Conditions[0].ObservedGeneration != live.Generation {
			return fmt.Errorf("wasp's entry not refreshed: %+v", p)
		}
		return nil
	})
	// Restore the seed's 90/10 for the other tests.
	eventually(t, "restore the split", func() error {
		var live gwv1.HTTPRoute
		if err := get(t, "default", "reviews-route", &live); err != nil {
			return err
		}
		live.Spec.Rules[0].BackendRefs[1].Weight = ptr(int32(10))
		return k8s.Update(ctx, &live)
	})
}

func ptr[T any](v T) *T { return &v }

// TestWaypointClassAnnotationRestored: the PROXY/15088 binding is what
// makes ztunnel deliver to the waypoint; the controller puts it back.
func TestWaypointClassAnnotationRestored(t *testing.T) {
	ensureSeeds(t)
	ctx := context.Background()
	eventually(t, "remove the annotation", func() error {
		var c gwv1.GatewayClass
		if err := get(t, "", "kgateway-waypoint", &c); err != nil {
			return err
		}
		delete(c.Annotations, "ambient.istio.io/waypoint-inbound-binding")
		return k8s.Update(ctx, &c)
	})
	eventually(t, "annotation restored", func() error {
		var c gwv1.GatewayClass
		if err := get(t, "", "kgateway-waypoint", &c); err != nil {
			return err
		}
		if c.Annotations["ambient.istio.io/waypoint-inbound-binding"] != "PROXY/15088" {
			return fmt.Errorf("annotations %v", c.Annotations)
		}
		return nil
	})
}
