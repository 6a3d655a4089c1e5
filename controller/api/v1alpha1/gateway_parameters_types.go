package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GatewayParameters tunes the proxies wasp deploys for the Gateways of a
// GatewayClass that refers to it (spec.parametersRef).
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:categories=wasp
// +kubebuilder:printcolumn:name="Image",type=string,JSONPath=".spec.image"
// +kubebuilder:printcolumn:name="Replicas",type=integer,JSONPath=".spec.replicas"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=".metadata.creationTimestamp"
type GatewayParameters struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec GatewayParametersSpec `json:"spec,omitempty"`
}

// +kubebuilder:object:root=true

// GatewayParametersList is a list of GatewayParameters.
type GatewayParametersList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GatewayParameters `json:"items"`
}

// GatewayParametersSpec is what differs between deployments of the proxy.
type GatewayParametersSpec struct {
	// Image is the Envoy image (stock Envoy ≥ 1.33).
	// +optional
	// +kubebuilder:validation:MinLength=1
	Image string `json:"image,omitempty"`
	// Replicas of the proxy Deployment.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Replicas *int32 `json:"replicas,omitempty"`
	// Resources of the proxy container.
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
	// ServiceType of an ingress proxy's Service (waypoints are always
	// ClusterIP). Default LoadBalancer.
	// +optional
	// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
	ServiceType *corev1.ServiceType `json:"serviceType,omitempty"`
	// LogLevel of Envoy.
	// +optional
	// +kubebuilder:validation:Enum=trace;debug;info;warning;error;critical;off
	LogLevel string `json:"logLevel,omitempty"`
	// Istio runs ingress proxies with an Istio sidecar in agent-only mode so
	// they speak Istio mTLS to mesh backends (docs/istio-sidecar.md).
	// Ignored for waypoints, which stay in the ambient data plane.
	// +optional
	Istio *IstioIntegration `json:"istio,omitempty"`
}

// IstioIntegration configures the Istio sidecar of ingress proxies (the
// names of kgateway's Helm values in the seed). Empty fields take the
// defaults named below; the API server rejects malformed values (the same
// rules as Problem, which the controller applies to objects stored before
// these rules existed).
type IstioIntegration struct {
	// Enabled adds the istio-proxy (agent only) and sds containers.
	Enabled bool `json:"enabled"`
	// EnableAutoMtls makes upstream connections to sidecar pods use Istio
	// mTLS. Default true.
	// +optional
	EnableAutoMtls *bool `json:"enableAutoMtls,omitempty"`
	// IstioDiscoveryAddress is istiod's address (CA and discovery), host:port.
	// Default istiod.istio-system.svc:15012; with a revision e.g.
	// istiod-1-21.istio-system.svc:15012.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9.]*[a-z0-9])?:[0-9]{1,5}$') && int(self.substring(self.lastIndexOf(':') + 1)) >= 1 && int(self.substring(self.lastIndexOf(':') + 1)) <= 65535",message="must be host:port with a DNS name or IPv4 host and a port 1-65535, e.g. istiod.istio-system.svc:15012"
	IstioDiscoveryAddress string `json:"istioDiscoveryAddress,omitempty"`
	// IstioMetaClusterId is the mesh's cluster name. Default Kubernetes.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[!-~]+$')",message="must be printable ASCII without spaces"
	IstioMetaClusterId string `json:"istioMetaClusterId,omitempty"`
	// IstioMetaMeshId is the mesh ID. Default cluster.local.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[!-~]+$')",message="must be printable ASCII without spaces"
	IstioMetaMeshId string `json:"istioMetaMeshId,omitempty"`
	// IstioProxyImage is the istio-proxy image (istio/proxyv2), as
	// repository[:tag][@digest].
	// +optional
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9][-a-z0-9._/]*(:[0-9]+/[-a-z0-9._/]+)?(:[A-Za-z0-9_][-A-Za-z0-9_.]{0,127})?(@sha256:[a-f0-9]{64})?$')",message="must be an image reference repository[:tag][@sha256:digest], e.g. docker.io/istio/proxyv2:1.27.3"
	IstioProxyImage string `json:"istioProxyImage,omitempty"`
}

// AutoMTLS reports whether the integration is on with automatic mTLS.
func (i *IstioIntegration) AutoMTLS() bool {
	return i != nil && i.Enabled && (i.EnableAutoMtls == nil || *i.EnableAutoMtls)
}
