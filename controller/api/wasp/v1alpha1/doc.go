// Package v1alpha1 holds wasp's own API group, wasp.dev: the WasmFilter
// kind, which loads a user's proxy-wasm module into the proxies of the
// Gateways, HTTPRoutes or (waypoint) Services it targets. Import it as
// waspv1alpha1 next to wasp.dev/controller/api/v1alpha1, the kgateway
// group.
//
// +kubebuilder:object:generate=true
// +groupName=wasp.dev
package v1alpha1
