package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// TrafficPolicy attaches L7 behaviour (a local rate limit, a request/response
// transformation) to a Gateway or an HTTPRoute (or one rule of it, by rule
// name). wasp runs each feature as a proxy-wasm filter.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=kgateway;wasp
// +kubebuilder:metadata:labels="gateway.networking.k8s.io/policy=Direct"
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=".status.ancestors[0].conditions[?(@.type=='Accepted')].status",description="Accepted by the first ancestor"
// +kubebuilder:printcolumn:name="Attached",type=string,JSONPath=".status.ancestors[0].conditions[?(@.type=='Attached')].reason",description="How the policy attached to its first ancestor"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type TrafficPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec TrafficPolicySpec `json:"spec,omitempty"`
	// Status is written per ancestor (the Gateway a target belongs to), in
	// kgateway's vocabulary: Accepted and Attached conditions.
	Status gwv1.PolicyStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// TrafficPolicyList is a list of TrafficPolicy.
type TrafficPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TrafficPolicy `json:"items"`
}

// TrafficPolicySpec is the desired behaviour and where it applies.
type TrafficPolicySpec struct {
	// TargetRefs are the objects, in the policy's namespace, the policy
	// attaches to: Gateways (optionally one listener) and HTTPRoutes
	// (optionally one rule, by its name).
	// +optional
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(r, (r.kind == 'Gateway' || r.kind == 'HTTPRoute') && r.group == 'gateway.networking.k8s.io')",message="targetRefs may only reference Gateway or HTTPRoute resources"
	TargetRefs []LocalPolicyTargetReferenceWithSectionName `json:"targetRefs,omitempty"`

	// Transformation changes requests and responses (headers and body).
	// +optional
	Transformation *TransformationPolicy `json:"transformation,omitempty"`

	// RateLimit limits the rate of requests.
	// +optional
	RateLimit *RateLimit `json:"rateLimit,omitempty"`
}

// RateLimit holds the rate-limit kinds; wasp implements the local one.
type RateLimit struct {
	// Local is a per-proxy token bucket.
	// +optional
	Local *LocalRateLimitPolicy `json:"local,omitempty"`
}

// LocalRateLimitPolicy is a per-proxy rate limit.
type LocalRateLimitPolicy struct {
	// TokenBucket sets the bucket's size and refill rate.
	// +optional
	TokenBucket *TokenBucket `json:"tokenBucket,omitempty"`
}

// TokenBucket is a bucket of MaxTokens that regains TokensPerFill tokens
// every FillInterval (continuously, as Envoy's local rate limit does). A
// request takes one token; with none left it gets 429.
type TokenBucket struct {
	// MaxTokens is the bucket's capacity (the burst). At least 1.
	// +required
	// +kubebuilder:validation:Minimum=1
	MaxTokens uint32 `json:"maxTokens"`

	// TokensPerFill is how many tokens each FillInterval adds. Default 1.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	TokensPerFill *uint32 `json:"tokensPerFill,omitempty"`

	// FillInterval is the refill period, e.g. "60s"; from 50ms to 24h.
	// +required
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="matches(self, '^([0-9]{1,5}(h|m|s|ms)){1,4}$')",message="invalid duration value"
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('50ms')",message="must be at least 50ms"
	// +kubebuilder:validation:XValidation:rule="duration(self) <= duration('24h')",message="must be at most 24h"
	FillInterval metav1.Duration `json:"fillInterval"`
}

// TransformationPolicy changes the request on its way to the backend and the
// response on its way back.
type TransformationPolicy struct {
	// Request is applied to the request.
	// +optional
	Request *Transform `json:"request,omitempty"`
	// Response is applied to the response.
	// +optional
	Response *Transform `json:"response,omitempty"`
}

// Transform is one direction's header and body changes. The set and add
// values together hold at most 16384 characters: Envoy refuses requests
// whose headers exceed 60 KiB.
// +kubebuilder:validation:XValidation:rule="(has(self.set) ? self.set.map(h, has(h.value) ? size(h.value) : 0).sum() : 0) + (has(self.add) ? self.add.map(h, has(h.value) ? size(h.value) : 0).sum() : 0) <= 16384",message="the set and add values together must be at most 16384 characters"
type Transform struct {
	// Set replaces a header's value (adding it when absent).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Set []HeaderTransformation `json:"set,omitempty"`

	// Add appends a value to a header.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Add []HeaderTransformation `json:"add,omitempty"`

	// Remove deletes headers by name.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	Remove []HeaderName `json:"remove,omitempty"`

	// Body replaces the body.
	// +optional
	Body *BodyTransformation `json:"body,omitempty"`
}

// HeaderName is a header or pseudo-header name (one leading ':' allowed).
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=256
// +kubebuilder:validation:Pattern=`^:?[A-Za-z0-9!#$%&'*+\-.^_\x60|~]+$`
type HeaderName string

// Template is a value template evaluated per request by the transform
// filter (see docs/policies.md for the supported expressions).
// +kubebuilder:validation:MaxLength=4096
type Template string

// HeaderTransformation names a header and the template of its value.
type HeaderTransformation struct {
	// Name of the header.
	// +required
	Name HeaderName `json:"name"`
	// Value is the template producing the header's value.
	// +optional
	Value Template `json:"value,omitempty"`
}

// BodyParseBehavior says how the transform filter reads the body.
// +kubebuilder:validation:Enum=AsString;AsJson
type BodyParseBehavior string

// Body parse behaviours (kgateway's names).
const (
	BodyParseBehaviorAsString BodyParseBehavior = "AsString"
	BodyParseBehaviorAsJSON   BodyParseBehavior = "AsJson"
)

// BodyTransformation replaces the body with a template's output.
type BodyTransformation struct {
	// ParseAs says how to parse the incoming body for the template.
	// +kubebuilder:default=AsString
	ParseAs BodyParseBehavior `json:"parseAs"`
	// Value is the template producing the new body.
	// +optional
	Value *Template `json:"value,omitempty"`
}
