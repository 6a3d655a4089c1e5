package v1alpha1

import gwv1 "sigs.k8s.io/gateway-api/apis/v1"

// LocalPolicyTargetReference selects an object in the policy's namespace by
// group, kind and name (kgateway's shape).
type LocalPolicyTargetReference struct {
	// Group of the target, e.g. gateway.networking.k8s.io.
	// +required
	Group gwv1.Group `json:"group"`
	// Kind of the target, e.g. Gateway or HTTPRoute.
	// +required
	Kind gwv1.Kind `json:"kind"`
	// Name of the target.
	// +required
	Name gwv1.ObjectName `json:"name"`
}

// LocalPolicyTargetReferenceWithSectionName adds an optional section: a
// Gateway listener name or an HTTPRoute rule name.
type LocalPolicyTargetReferenceWithSectionName struct {
	LocalPolicyTargetReference `json:",inline"`
	// SectionName narrows the target: the listener of a Gateway, the rule
	// (by its name) of an HTTPRoute.
	// +optional
	SectionName *gwv1.SectionName `json:"sectionName,omitempty"`
}
