package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// HTTPListenerPolicy configures every HTTP listener of a Gateway; wasp
// implements access logging (run by the access-log proxy-wasm filter).
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories=kgateway;wasp
// +kubebuilder:metadata:labels="gateway.networking.k8s.io/policy=Direct"
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=".status.ancestors[0].conditions[?(@.type=='Accepted')].status",description="Accepted by the first ancestor"
// +kubebuilder:printcolumn:name="Attached",type=string,JSONPath=".status.ancestors[0].conditions[?(@.type=='Attached')].reason",description="How the policy attached to its first ancestor"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type HTTPListenerPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   HTTPListenerPolicySpec `json:"spec,omitempty"`
	Status gwv1.PolicyStatus      `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// HTTPListenerPolicyList is a list of HTTPListenerPolicy.
type HTTPListenerPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []HTTPListenerPolicy `json:"items"`
}

// HTTPListenerPolicySpec is the listener configuration and its Gateways.
type HTTPListenerPolicySpec struct {
	// TargetRefs are the Gateways, in the policy's namespace.
	// +optional
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(r, r.kind == 'Gateway' && r.group == 'gateway.networking.k8s.io')",message="targetRefs may only reference Gateway resources"
	TargetRefs []LocalPolicyTargetReference `json:"targetRefs,omitempty"`

	// AccessLog lists the access logs to write.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	AccessLog []AccessLog `json:"accessLog,omitempty"`
}

// AccessLog is one access log.
// +kubebuilder:validation:XValidation:rule="has(self.fileSink)",message="fileSink is required (the only sink wasp implements)"
type AccessLog struct {
	// FileSink writes one line per request to a file of the proxy.
	// +optional
	FileSink *FileSink `json:"fileSink,omitempty"`
	// Filter limits which requests are logged.
	// +optional
	Filter *AccessLogFilter `json:"filter,omitempty"`
}

// FileSink is a file and the format of its lines: a format string or a JSON
// object whose values are format strings (Envoy's command operators).
// +kubebuilder:validation:ExactlyOneOf=stringFormat;jsonFormat
type FileSink struct {
	// Path of the file: /dev/stdout, /dev/stderr, or a file inside the
	// access-log directory the operator configured (default
	// /var/log/wasp, mounted writable in every proxy; the controller
	// reports other directories as Invalid). Always an absolute, clean
	// path, never under /dev, /proc, /sys or /etc.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self == '/dev/stdout' || self == '/dev/stderr' || (self.matches('^(/[A-Za-z0-9._-]+)+$') && !self.matches('(^|/)[.][.]?(/|$)') && !['/dev/', '/proc/', '/sys/', '/etc/'].exists(d, self.startsWith(d)))",message="path must be /dev/stdout, /dev/stderr or a clean absolute file path (letters, digits, '.', '_', '-'; no '.' or '..' segments) outside /dev, /proc, /sys and /etc"
	Path string `json:"path"`
	// StringFormat is a line format with %OPERATOR% placeholders.
	// +optional
	// +kubebuilder:validation:MaxLength=8192
	StringFormat string `json:"stringFormat,omitempty"`
	// JSONFormat is an object whose values are format strings.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	JSONFormat *runtime.RawExtension `json:"jsonFormat,omitempty"`
}

// AccessLogFilter is one filter, or an andFilter / orFilter of at least two.
// +kubebuilder:validation:MaxProperties=1
// +kubebuilder:validation:MinProperties=1
type AccessLogFilter struct {
	*FilterType `json:",inline"`
	// AndFilter logs a request when every filter matches.
	// +optional
	// +kubebuilder:validation:MinItems=2
	// +kubebuilder:validation:MaxItems=16
	AndFilter []FilterType `json:"andFilter,omitempty"`
	// OrFilter logs a request when any filter matches.
	// +optional
	// +kubebuilder:validation:MinItems=2
	// +kubebuilder:validation:MaxItems=16
	OrFilter []FilterType `json:"orFilter,omitempty"`
}

// FilterType is exactly one filter (kgateway's names; traceableFilter and
// celFilter are accepted by the schema and reported Invalid by wasp).
// +kubebuilder:validation:MaxProperties=1
// +kubebuilder:validation:MinProperties=1
type FilterType struct {
	// StatusCodeFilter compares the response code.
	// +optional
	StatusCodeFilter *ComparisonFilter `json:"statusCodeFilter,omitempty"`
	// DurationFilter compares the request duration in milliseconds.
	// +optional
	DurationFilter *ComparisonFilter `json:"durationFilter,omitempty"`
	// NotHealthCheckFilter skips health checks.
	// +optional
	NotHealthCheckFilter bool `json:"notHealthCheckFilter,omitempty"`
	// TraceableFilter keeps traced requests (not supported by wasp).
	// +optional
	TraceableFilter bool `json:"traceableFilter,omitempty"`
	// HeaderFilter matches a request header.
	// +optional
	HeaderFilter *HeaderFilter `json:"headerFilter,omitempty"`
	// ResponseFlagFilter matches response flags.
	// +optional
	ResponseFlagFilter *ResponseFlagFilter `json:"responseFlagFilter,omitempty"`
	// GrpcStatusFilter matches gRPC statuses.
	// +optional
	GrpcStatusFilter *GrpcStatusFilter `json:"grpcStatusFilter,omitempty"`
	// CELFilter is a CEL expression (not supported by wasp).
	// +optional
	CELFilter *CELFilter `json:"celFilter,omitempty"`
}

// ComparisonFilter compares a value with Op.
type ComparisonFilter struct {
	// Op is EQ, GE or LE.
	// +required
	// +kubebuilder:validation:Enum=EQ;GE;LE
	Op string `json:"op"`
	// Value to compare with.
	// +optional
	Value uint32 `json:"value,omitempty"`
}

// HeaderFilter matches a request header.
type HeaderFilter struct {
	// +required
	Header gwv1.HTTPHeaderMatch `json:"header"`
}

// ResponseFlagFilter matches when any of Flags is set.
type ResponseFlagFilter struct {
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	Flags []string `json:"flags"`
}

// GrpcStatusFilter matches gRPC statuses by name.
type GrpcStatusFilter struct {
	// +optional
	// +kubebuilder:validation:MaxItems=17
	Statuses []GrpcStatus `json:"statuses,omitempty"`
	// +optional
	Exclude bool `json:"exclude,omitempty"`
}

// GrpcStatus is a gRPC status name.
// +kubebuilder:validation:Enum=OK;CANCELED;UNKNOWN;INVALID_ARGUMENT;DEADLINE_EXCEEDED;NOT_FOUND;ALREADY_EXISTS;PERMISSION_DENIED;RESOURCE_EXHAUSTED;FAILED_PRECONDITION;ABORTED;OUT_OF_RANGE;UNIMPLEMENTED;INTERNAL;UNAVAILABLE;DATA_LOSS;UNAUTHENTICATED
type GrpcStatus string

// CELFilter is a CEL expression.
type CELFilter struct {
	// +kubebuilder:validation:MaxLength=4096
	Match string `json:"match"`
}
