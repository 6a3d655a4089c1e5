package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// GroupName is kgateway's API group; wasp serves the same kinds in it so
// kgateway manifests apply verbatim.
const GroupName = "gateway.kgateway.dev"

var (
	// GroupVersion is the group and version of every kind in this package.
	GroupVersion = schema.GroupVersion{Group: GroupName, Version: "v1alpha1"}

	// SchemeBuilder registers this package's kinds.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds this package's kinds to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// Kind names, used in targetRefs and status.
const (
	KindTrafficPolicy      = "TrafficPolicy"
	KindHTTPListenerPolicy = "HTTPListenerPolicy"
	KindGatewayParameters  = "GatewayParameters"
)

func init() {
	SchemeBuilder.Register(
		&TrafficPolicy{}, &TrafficPolicyList{},
		&HTTPListenerPolicy{}, &HTTPListenerPolicyList{},
		&GatewayParameters{}, &GatewayParametersList{},
	)
}

// AnnotationDisableIstioAutoMTLS on a Service, with value "true", makes
// ingress proxies with the Istio integration speak plaintext to it (the
// seed's disableIstioAutoMtls, which lived on Gloo's Upstream). See
// docs/istio-sidecar.md.
const AnnotationDisableIstioAutoMTLS = "wasp.dev/disable-istio-auto-mtls"
