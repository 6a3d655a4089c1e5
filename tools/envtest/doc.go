// Package envtest holds the scripts that build the envtest assets
// (kube-apiserver, etcd, kubectl) from the Go module proxy, and a test that
// proves the built assets start the way controller-runtime's envtest starts
// them. `make envtest-assets` runs the scripts; `make test-envtest-assets` the test.
package envtest
