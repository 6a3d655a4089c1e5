package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// WasmFilter loads a proxy-wasm module (built with wasp's filter kit, or any
// module for ABI 0.2.x) into the proxies that serve its targets, enabled
// only on the targeted routes. The controller fetches the module, verifies
// and validates it, serves it to the proxies from its own HTTP server and
// names it by sha256 in xDS; status says whether that worked.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=wasp
// +kubebuilder:metadata:labels="gateway.networking.k8s.io/policy=Direct"
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=".status.conditions[?(@.type=='Accepted')].status",description="Whether the filter is valid and its targets exist"
// +kubebuilder:printcolumn:name="Fetched",type=string,JSONPath=".status.conditions[?(@.type=='Fetched')].reason",description="Fetched, or why the module could not be served"
// +kubebuilder:printcolumn:name="Failure Policy",type=string,JSONPath=".spec.failurePolicy"
// +kubebuilder:printcolumn:name="SHA256",type=string,JSONPath=".status.sha256",priority=1,description="The module being served"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type WasmFilter struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec WasmFilterSpec `json:"spec"`
	// +optional
	Status WasmFilterStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// WasmFilterList is a list of WasmFilter.
type WasmFilterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []WasmFilter `json:"items"`
}

// WasmFilterSpec is the module, its configuration, where it runs and what
// happens when it cannot.
type WasmFilterSpec struct {
	// TargetRefs are the objects, in the filter's namespace, whose routes
	// run the filter: a Gateway (optionally one listener, by sectionName),
	// an HTTPRoute (optionally one rule, by its name), or a Service (its
	// waypoint traffic; optionally one port, by name).
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(r, (r.group == 'gateway.networking.k8s.io' && (r.kind == 'Gateway' || r.kind == 'HTTPRoute')) || (r.group == '' && r.kind == 'Service'))",message="targetRefs may only reference a Gateway or HTTPRoute (group gateway.networking.k8s.io) or a Service (group \"\")"
	// +kubebuilder:validation:XValidation:rule="self.all(a, self.exists_one(b, a.group == b.group && a.kind == b.kind && a.name == b.name && (has(a.sectionName) ? (has(b.sectionName) && a.sectionName == b.sectionName) : !has(b.sectionName))))",message="targetRefs must be unique"
	TargetRefs []WasmFilterTargetReference `json:"targetRefs"`

	// Source is where the module comes from.
	// +required
	Source WasmSource `json:"source"`

	// RootID selects the root context in a module that has several
	// (Envoy's plugin root_id); empty for most modules.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	RootID string `json:"rootID,omitempty"`

	// Config is handed to the plugin as its configuration, serialized as
	// JSON: what the filter reads in OnPluginStart. Any JSON value.
	// +optional
	Config *apiextensionsv1.JSON `json:"config,omitempty"`

	// Order places the filter among wasp's built-in filters. Without it,
	// the filter runs after every built-in one, just before routing.
	// +optional
	Order *FilterOrder `json:"order,omitempty"`

	// FailurePolicy says what the targeted routes do when the filter cannot
	// run. FailClosed (the default): a module that cannot be fetched makes
	// the routes answer 500, and a module that fails in the proxy makes
	// them answer 503. FailOpen: requests skip the filter. Either way, no
	// other filter or policy on the routes is removed or weakened.
	// +optional
	// +kubebuilder:default=FailClosed
	FailurePolicy FailurePolicy `json:"failurePolicy,omitempty"`

	// Env sets static environment variables in the module's VM (what
	// os.Getenv reads), at most 32.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[A-Za-z_][A-Za-z0-9_]{0,127}$'))",message="env names are letters, digits and '_', not starting with a digit, at most 128 characters"
	Env map[string]EnvValue `json:"env,omitempty"`
}

// WasmFilterTargetReference selects an object in the filter's namespace.
type WasmFilterTargetReference struct {
	// Group of the target: gateway.networking.k8s.io, or "" for a Service.
	// +required
	Group gwv1.Group `json:"group"`
	// Kind of the target: Gateway, HTTPRoute or Service.
	// +required
	Kind gwv1.Kind `json:"kind"`
	// Name of the target.
	// +required
	Name gwv1.ObjectName `json:"name"`
	// SectionName narrows the target: a Gateway listener, an HTTPRoute
	// rule name, a Service port name.
	// +optional
	SectionName *gwv1.SectionName `json:"sectionName,omitempty"`
}

// WasmSource is exactly one of an OCI image, an HTTP(S) URL, or a ConfigMap.
// +kubebuilder:validation:XValidation:rule="[has(self.image), has(self.http), has(self.configMap)].filter(x, x).size() == 1",message="source needs exactly one of image, http, configMap"
type WasmSource struct {
	// Image is an OCI image in a registry: the Wasm OCI artifact (`oras
	// push` with layer media type application/vnd.module.wasm.content.layer.v1+wasm)
	// or Istio's compat image (plugin.wasm in its last layer). Istio's
	// oci:// prefix is accepted.
	// +optional
	Image *ImageSource `json:"image,omitempty"`
	// HTTP is a URL serving the .wasm file.
	// +optional
	HTTP *HTTPSource `json:"http,omitempty"`
	// ConfigMap is a key of a ConfigMap in the filter's namespace holding
	// the .wasm (in binaryData; ConfigMaps hold at most 1 MiB).
	// +optional
	ConfigMap *ConfigMapSource `json:"configMap,omitempty"`
}

// ImageSource names an OCI image.
type ImageSource struct {
	// Reference is the image, by digest (recommended:
	// registry.example.com/filters/demo@sha256:…) or tag. A tag is resolved
	// once; to roll out a new push, change the reference.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="!self.contains(' ')",message="an image reference has no spaces"
	Reference string `json:"reference"`
	// PullSecrets are Secrets in the filter's namespace of type
	// kubernetes.io/dockerconfigjson (or kubernetes.io/dockercfg) holding
	// the registry's credentials.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=8
	PullSecrets []SecretReference `json:"pullSecrets,omitempty"`
	// SHA256 pins the .wasm file inside the image (`sha256sum demo.wasm`),
	// not the image's digest.
	// +optional
	SHA256 *SHA256 `json:"sha256,omitempty"`
}

// HTTPSource is a URL serving the module.
type HTTPSource struct {
	// URL of the .wasm file, http:// or https://.
	// +required
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://[^\s]+$`
	URL string `json:"url"`
	// SHA256 of the file; required, since a URL's content can change.
	// +required
	SHA256 SHA256 `json:"sha256"`
}

// ConfigMapSource is a ConfigMap key holding a module.
type ConfigMapSource struct {
	// Name of the ConfigMap.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// Key within the ConfigMap's binaryData (or data).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
	// SHA256 optionally pins the module.
	// +optional
	SHA256 *SHA256 `json:"sha256,omitempty"`
}

// SecretReference names a Secret in the same namespace.
type SecretReference struct {
	// Name of the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// SHA256 is a module's sha256 as 64 lowercase hex digits (sha256sum's
// output).
// +kubebuilder:validation:Pattern=`^[a-f0-9]{64}$`
type SHA256 string

// EnvValue is an environment variable's value.
// +kubebuilder:validation:MaxLength=4096
type EnvValue string

// FilterOrder places a custom filter relative to a built-in one.
type FilterOrder struct {
	// Placement is Before or After the built-in filter.
	// +required
	Placement Placement `json:"placement"`
	// RelativeTo is the built-in filter: RateLimit or Transform.
	// +required
	RelativeTo BuiltinFilter `json:"relativeTo"`
	// Priority orders custom filters in the same place: higher runs first
	// (Istio's WasmPlugin convention); ties by namespace, then name.
	// +optional
	// +kubebuilder:default=0
	// +kubebuilder:validation:Minimum=-1000
	// +kubebuilder:validation:Maximum=1000
	Priority int32 `json:"priority,omitempty"`
}

// Placement is Before or After.
// +kubebuilder:validation:Enum=Before;After
type Placement string

// Placements.
const (
	PlacementBefore Placement = "Before"
	PlacementAfter  Placement = "After"
)

// BuiltinFilter names one of wasp's built-in filters a custom filter can be
// placed against.
// +kubebuilder:validation:Enum=RateLimit;Transform
type BuiltinFilter string

// Built-in filters.
const (
	BuiltinRateLimit BuiltinFilter = "RateLimit"
	BuiltinTransform BuiltinFilter = "Transform"
)

// FailurePolicy is FailClosed or FailOpen.
// +kubebuilder:validation:Enum=FailClosed;FailOpen
type FailurePolicy string

// Failure policies.
const (
	// FailClosed: the targeted routes refuse requests the filter cannot
	// process (500 when the module cannot be fetched; Envoy's 503
	// wasm_fail_stream when the VM fails).
	FailClosed FailurePolicy = "FailClosed"
	// FailOpen: requests skip a filter that cannot run.
	FailOpen FailurePolicy = "FailOpen"
)

// WasmFilterStatus reports whether the filter is accepted and its module
// served.
type WasmFilterStatus struct {
	// ObservedGeneration is the spec generation the conditions describe.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Conditions: Accepted (the spec is valid and the targets exist),
	// Fetched (the module is fetched, verified and served; the reason says
	// why not).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// SHA256 is the sha256 of the module the proxies are given.
	// +optional
	SHA256 string `json:"sha256,omitempty"`
}

// Condition types.
const (
	// ConditionAccepted: the filter's spec is valid and its targets exist.
	ConditionAccepted = "Accepted"
	// ConditionFetched: the module is fetched, verified, validated and
	// served.
	ConditionFetched = "Fetched"
)

// Condition reasons. The Fetched failure reasons are those of
// controller/internal/wasmsource.
const (
	ReasonAccepted       = "Accepted"
	ReasonInvalid        = "Invalid"
	ReasonTargetNotFound = "TargetNotFound"

	ReasonFetched        = "Fetched"
	ReasonPending        = "Pending"
	ReasonFetchFailed    = "FetchFailed"
	ReasonFetchRefused   = "FetchRefused"
	ReasonDigestMismatch = "DigestMismatch"
	ReasonTooLarge       = "TooLarge"
	ReasonInvalidModule  = "InvalidModule"
)
