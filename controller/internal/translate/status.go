package translate

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Status is what wasp has to say about each object it looked at. It holds
// only wasp's own entries: the writer merges them into the live objects
// (by condition type, parentRef + controllerName, ancestorRef +
// controllerName), never replacing entries other controllers own (istiod
// co-owns status on shared objects, facts.md "istiod co-owns status").
// LastTransitionTime is left zero here; the writer fills it.
type Status struct {
	GatewayClasses       []GatewayClassStatus `json:"gatewayClasses,omitempty"`
	Gateways             []GatewayStatus      `json:"gateways,omitempty"`
	HTTPRoutes           []RouteStatus        `json:"httpRoutes,omitempty"`
	TrafficPolicies      []PolicyStatus       `json:"trafficPolicies,omitempty"`
	HTTPListenerPolicies []PolicyStatus       `json:"httpListenerPolicies,omitempty"`
	// AuthorizationPolicies is not status: istiod owns those objects'
	// status. The controller reports these as Events (authorization.go).
	AuthorizationPolicies []AuthorizationPolicyReport `json:"authorizationPolicies,omitempty"`
	WasmFilters           []WasmFilterStatus          `json:"wasmFilters,omitempty"`
}

// GatewayClassStatus is a class of ours.
type GatewayClassStatus struct {
	Name              string                  `json:"name"`
	Conditions        []metav1.Condition      `json:"conditions"`
	SupportedFeatures []gwv1.SupportedFeature `json:"supportedFeatures,omitempty"`
}

// GatewayStatus is a Gateway of one of our classes; wasp owns it whole.
type GatewayStatus struct {
	Namespace string             `json:"namespace"`
	Name      string             `json:"name"`
	Status    gwv1.GatewayStatus `json:"status"`
}

// RouteStatus holds the parents of one HTTPRoute that wasp serves.
type RouteStatus struct {
	Namespace string                   `json:"namespace"`
	Name      string                   `json:"name"`
	Parents   []gwv1.RouteParentStatus `json:"parents"`
}

// PolicyStatus holds wasp's ancestors of one policy.
type PolicyStatus struct {
	Namespace string                      `json:"namespace"`
	Name      string                      `json:"name"`
	Ancestors []gwv1.PolicyAncestorStatus `json:"ancestors"`
}

// kgateway's policy condition vocabulary (facts.md "kgateway policy status").
const (
	PolicyConditionAccepted = "Accepted"
	PolicyConditionAttached = "Attached"

	PolicyReasonValid          = "Valid"
	PolicyReasonInvalid        = "Invalid"
	PolicyReasonPartiallyValid = "PartiallyValid"
	PolicyReasonTargetNotFound = "TargetNotFound"

	PolicyReasonAttached   = "Attached"
	PolicyReasonMerged     = "Merged"
	PolicyReasonOverridden = "Overridden"
)

func cond(typ string, ok bool, reason, msg string, gen int64) metav1.Condition {
	s := metav1.ConditionFalse
	if ok {
		s = metav1.ConditionTrue
	}
	return metav1.Condition{Type: typ, Status: s, Reason: reason, Message: msg, ObservedGeneration: gen}
}
