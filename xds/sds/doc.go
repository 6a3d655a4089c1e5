// Package sds serves the Istio workload certificate to Envoy over SDS.
//
// In the Istio sidecar integration (docs/istio-sidecar.md) the gateway pod
// runs istio-proxy in agent-only mode: it gets a workload certificate from
// istiod and writes it as files (OUTPUT_CERTS) but serves no SDS itself. This
// package is the third container (`wasp sds`): it reads those files, checks
// them, and serves two secrets over the SecretDiscoveryService (gRPC,
// state-of-the-world, delta and fetch) on a loopback address:
//
//   - ServerCertSecret (istio_server_cert): tls_certificate, chain + key;
//   - ValidationContextSecret (istio_validation_context): trusted_ca.
//
// Files are polled (stat each tick, full re-read every resync) and a new
// version — a hash of the content — is pushed to open streams when they
// change. Nothing is served until the files are valid, and a half-written
// rotation (a key that does not match the certificate) is never served: the
// last good version stays until the agent finishes writing.
//
// envoy.go builds the Envoy side of the contract (the bootstrap cluster, the
// SdsSecretConfigs and the Istio UpstreamTlsContext) so the names live in one
// place.
package sds
