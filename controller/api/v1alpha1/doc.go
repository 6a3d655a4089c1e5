// Package v1alpha1 holds wasp's policy CRDs. They live in kgateway's API group
// (gateway.kgateway.dev) and keep kgateway's field names, so manifests written
// for a kgateway waypoint or ingress (TrafficPolicy, HTTPListenerPolicy) apply
// to wasp unchanged. Only the subset wasp implements is declared; the API
// server prunes unknown fields, and every bound kgateway documents is enforced
// at admission by OpenAPI and CEL rules.
//
// +kubebuilder:object:generate=true
// +groupName=gateway.kgateway.dev
package v1alpha1
