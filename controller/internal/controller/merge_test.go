package controller

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

const ours = gwv1.GatewayController("wasp.dev/gateway-controller")

func c(typ string, s metav1.ConditionStatus, reason string, t time.Time) metav1.Condition {
	return metav1.Condition{Type: typ, Status: s, Reason: reason, LastTransitionTime: metav1.NewTime(t)}
}

func svcParent(name string) gwv1.ParentReference {
	g, k := gwv1.Group(""), gwv1.Kind("Service")
	return gwv1.ParentReference{Group: &g, Kind: &k, Name: gwv1.ObjectName(name)}
}

// TestMergeParentsKeepsOtherControllers: istiod's entry (and its
// ResolvedWaypoints condition) survives; wasp's stale parent is dropped;
// an unchanged condition keeps its transition time.
func TestMergeParentsKeepsOtherControllers(t *testing.T) {
	t0, t1 := time.Unix(1000, 0), time.Unix(2000, 0)
	have := []gwv1.RouteParentStatus{
		{ParentRef: svcParent("ollama"), ControllerName: "istio.io/gateway-controller",
			Conditions: []metav1.Condition{c("ResolvedWaypoints", "True", "ResolvedWaypoints", t0)}},
		{ParentRef: svcParent("ollama"), ControllerName: ours,
			Conditions: []metav1.Condition{c("Accepted", "True", "Accepted", t0), c("ResolvedRefs", "True", "ResolvedRefs", t0)}},
		{ParentRef: svcParent("gone"), ControllerName: ours,
			Conditions: []metav1.Condition{c("Accepted", "True", "Accepted", t0)}},
	}
	want := []gwv1.RouteParentStatus{{ParentRef: svcParent("ollama"), ControllerName: ours,
		Conditions: []metav1.Condition{c("Accepted", "True", "Accepted", time.Time{}), c("ResolvedRefs", "False", "BackendNotFound", time.Time{})}}}
	got := mergeParents(have, want, ours, metav1.NewTime(t1))
	if len(got) != 2 {
		t.Fatalf("got %d parents, want istiod's and wasp's: %+v", len(got), got)
	}
	if got[0].ControllerName != "istio.io/gateway-controller" || got[0].Conditions[0].Type != "ResolvedWaypoints" {
		t.Errorf("istiod's entry changed: %+v", got[0])
	}
	w := got[1]
	if !w.Conditions[0].LastTransitionTime.Time.Equal(t0) {
		t.Errorf("unchanged Accepted got a new transition time: %v", w.Conditions[0].LastTransitionTime)
	}
	if w.Conditions[1].Reason != "BackendNotFound" || !w.Conditions[1].LastTransitionTime.Time.Equal(t1) {
		t.Errorf("ResolvedRefs not updated: %+v", w.Conditions[1])
	}
}

func TestMergeConditionsKeepsForeignTypes(t *testing.T) {
	t0 := time.Unix(1000, 0)
	have := []metav1.Condition{c("istio.io/WaypointBound", "True", "Bound", t0), c("Accepted", "False", "Pending", t0)}
	got := mergeConditions(have, []metav1.Condition{c("Accepted", "True", "Accepted", time.Time{})}, metav1.NewTime(time.Unix(2000, 0)))
	if len(got) != 2 || got[0].Type != "istio.io/WaypointBound" || got[1].Status != "True" {
		t.Fatalf("got %+v", got)
	}
}

func TestMergeAncestors(t *testing.T) {
	gw := func(n string) gwv1.ParentReference { return gwv1.ParentReference{Name: gwv1.ObjectName(n)} }
	have := []gwv1.PolicyAncestorStatus{
		{AncestorRef: gw("kgw"), ControllerName: "kgateway.dev/kgateway"},
		{AncestorRef: gw("old"), ControllerName: ours},
	}
	want := []gwv1.PolicyAncestorStatus{{AncestorRef: gw("wp"), ControllerName: ours,
		Conditions: []metav1.Condition{c("Accepted", "True", "Valid", time.Time{})}}}
	got := mergeAncestors(have, want, ours, nowTime())
	if len(got) != 2 || got[0].ControllerName != "kgateway.dev/kgateway" || got[1].AncestorRef.Name != "wp" {
		t.Fatalf("got %+v", got)
	}
	if got[1].Conditions[0].LastTransitionTime.IsZero() {
		t.Error("new condition without a transition time")
	}
}

func TestSemanticallyEqualIgnoresTimes(t *testing.T) {
	a := gwv1.GatewayStatus{Conditions: []metav1.Condition{c("Accepted", "True", "Accepted", time.Unix(1, 0))}}
	b := gwv1.GatewayStatus{Conditions: []metav1.Condition{c("Accepted", "True", "Accepted", time.Unix(2, 0))}}
	if !semanticallyEqual(a, b) {
		t.Error("statuses differing only in times compare unequal")
	}
	b.Conditions[0].Reason = "Other"
	if semanticallyEqual(a, b) {
		t.Error("different reasons compare equal")
	}
	if a.Conditions[0].LastTransitionTime.IsZero() {
		t.Error("comparison zeroed the caller's times")
	}
}
