// Package envtest runs wasp's reconciler against a real kube-apiserver and
// etcd (controller-runtime's envtest; binaries from `make envtest-assets`,
// found through KUBEBUILDER_ASSETS) with the CRDs installed as a cluster
// would have them: Gateway API (experimental channel, a superset of
// standard) and wasp's own.
package envtest
