package translate

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/api/v1alpha1"
	waspv1alpha1 "wasp.dev/controller/api/wasp/v1alpha1"
)

// Input is every object a translation may read. The reconcilers fill it
// from their caches; `wasp translate` from manifest files. Order does not
// matter: Translate sorts what it emits.
type Input struct {
	GatewayClasses       []*gwv1.GatewayClass
	Gateways             []*gwv1.Gateway
	HTTPRoutes           []*gwv1.HTTPRoute
	ReferenceGrants      []*gwv1.ReferenceGrant
	Services             []*corev1.Service
	EndpointSlices       []*discoveryv1.EndpointSlice
	Namespaces           []*corev1.Namespace
	TrafficPolicies      []*v1alpha1.TrafficPolicy
	HTTPListenerPolicies []*v1alpha1.HTTPListenerPolicy
	// GatewayParameters, referred to by GatewayClasses (defaults) and
	// Gateways (spec.infrastructure.parametersRef, overrides).
	GatewayParameters []*v1alpha1.GatewayParameters
	// Pods, metadata only, for their security.istio.io/tlsMode label
	// (EndpointSlices carry no pod labels). Pods without the label may be
	// left out: an unknown Pod means plaintext.
	Pods []*metav1.PartialObjectMetadata
	// AuthorizationPolicies (security.istio.io) and ServiceEntries
	// (networking.istio.io) are read as unstructured objects: wasp has no
	// Go dependency on Istio and runs without its CRDs (docs/istio.md).
	AuthorizationPolicies []*unstructured.Unstructured
	ServiceEntries        []*unstructured.Unstructured
	// WasmFilters (wasp.dev) and, by "namespace/name", the state of each
	// one's module for its current source (wasmfilters.go); a filter
	// without an entry is Pending.
	WasmFilters []*waspv1alpha1.WasmFilter
	WasmFetches map[string]WasmFetch
	// Secrets are the kubernetes.io/tls Secrets that Gateway listeners
	// name in certificateRefs; others may be left out (the controller
	// reads only those, tls.go).
	Secrets []*corev1.Secret
}

// nsName is a namespace/name key.
type nsName struct{ Namespace, Name string }

func (k nsName) String() string { return k.Namespace + "/" + k.Name }

// index holds the lookups translation needs, built once per Translate.
type index struct {
	classes    map[string]*gwv1.GatewayClass
	gateways   map[nsName]*gwv1.Gateway
	services   map[nsName]*corev1.Service
	namespaces map[string]*corev1.Namespace
	// slices by the Service they belong to (label kubernetes.io/service-name).
	slices map[nsName][]*discoveryv1.EndpointSlice
	grants []*gwv1.ReferenceGrant
	pods   map[nsName]*metav1.PartialObjectMetadata
	// secrets by namespace/name (tls.go).
	secrets map[nsName]*corev1.Secret
}

func newIndex(in *Input) *index {
	x := &index{
		classes:    map[string]*gwv1.GatewayClass{},
		gateways:   map[nsName]*gwv1.Gateway{},
		services:   map[nsName]*corev1.Service{},
		namespaces: map[string]*corev1.Namespace{},
		slices:     map[nsName][]*discoveryv1.EndpointSlice{},
		grants:     in.ReferenceGrants,
		pods:       map[nsName]*metav1.PartialObjectMetadata{},
		secrets:    map[nsName]*corev1.Secret{},
	}
	for _, s := range in.Secrets {
		x.secrets[nsName{s.Namespace, s.Name}] = s
	}
	for _, p := range in.Pods {
		x.pods[nsName{p.Namespace, p.Name}] = p
	}
	for _, c := range in.GatewayClasses {
		x.classes[c.Name] = c
	}
	for _, g := range in.Gateways {
		x.gateways[nsName{g.Namespace, g.Name}] = g
	}
	for _, s := range in.Services {
		x.services[nsName{s.Namespace, s.Name}] = s
	}
	for _, n := range in.Namespaces {
		x.namespaces[n.Name] = n
	}
	for _, es := range in.EndpointSlices {
		svc := es.Labels[discoveryv1.LabelServiceName]
		if svc == "" {
			continue
		}
		k := nsName{es.Namespace, svc}
		x.slices[k] = append(x.slices[k], es)
	}
	return x
}

// namespaceLabels returns a namespace's labels; an unknown namespace has
// none (offline translation often lacks Namespace objects).
func (x *index) namespaceLabels(ns string) map[string]string {
	if n := x.namespaces[ns]; n != nil {
		return n.Labels
	}
	return nil
}
