package controller

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/events"

	"wasp.dev/controller/internal/translate"
	"wasp.dev/xds/authz"
)

// TestAuthorizationEvents: one Event per verdict change, Warning with the
// findings when a policy is not enforced as written.
func TestAuthorizationEvents(t *testing.T) {
	rec := events.NewFakeRecorder(10)
	e := &authzEvents{recorder: rec, last: map[string]string{}}
	p := &unstructured.Unstructured{}
	p.SetNamespace("shop")
	p.SetName("deny-admin")
	p.SetUID("u1")
	p.SetGeneration(1)
	snap := &snapshot{}
	snap.in.AuthorizationPolicies = []*unstructured.Unstructured{p}
	clean := &translate.Output{Status: translate.Status{AuthorizationPolicies: []translate.AuthorizationPolicyReport{
		{Namespace: "shop", Name: "deny-admin", Waypoints: []string{"shop/wp"}}}}}
	partial := &translate.Output{Status: translate.Status{AuthorizationPolicies: []translate.AuthorizationPolicyReport{
		{Namespace: "shop", Name: "deny-admin", Waypoints: []string{"shop/wp"}, Findings: []authz.Finding{
			{Policy: "shop/deny-admin", Rule: 0, Field: "to.operation.paths", Reason: authz.ReasonHTTPOnlyOnTCP, Effect: authz.EffectConditionDropped, Message: "HTTP-only field on a TCP port"}}}}}}

	e.report(snap, clean)
	e.report(snap, clean) // unchanged: no second Event
	e.report(snap, partial)
	var got []string
	for len(rec.Events) > 0 {
		got = append(got, <-rec.Events)
	}
	if len(got) != 2 {
		t.Fatalf("events %q, want 2", got)
	}
	if !strings.HasPrefix(got[0], "Normal "+EventAuthorizationEnforced) || !strings.Contains(got[0], "shop/wp") {
		t.Errorf("first event %q", got[0])
	}
	if !strings.HasPrefix(got[1], "Warning "+EventAuthorizationPartiallyEnforced) || !strings.Contains(got[1], "to.operation.paths: HTTPOnlyOnTCP") {
		t.Errorf("second event %q", got[1])
	}
}
