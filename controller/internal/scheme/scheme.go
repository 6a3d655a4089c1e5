// Package scheme builds the runtime.Scheme wasp reads and writes: core
// Kubernetes kinds, Gateway API (v1 and v1beta1), kgateway's CRDs and
// wasp.dev's WasmFilter.
package scheme

import (
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"

	"wasp.dev/controller/api/v1alpha1"
	waspv1alpha1 "wasp.dev/controller/api/wasp/v1alpha1"
)

// New returns a scheme with every kind wasp uses.
func New() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, gwv1.Install, gwv1beta1.Install, v1alpha1.AddToScheme,
		waspv1alpha1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err) // static registrations; a failure is a programming error
		}
	}
	return s
}
