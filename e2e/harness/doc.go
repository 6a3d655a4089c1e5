// Package harness runs the pieces of a wasp installation that can run on a
// machine without containers, for the end-to-end suite and `make demo`:
// a real kube-apiserver + etcd (envtest assets), the Helm chart rendered by
// a real helm binary and applied server-side, the real `wasp controller`
// process with the chart's flags, and a real gRPC ADS client that receives
// what an Envoy proxy would.
//
// Nothing here is a mock: every piece talks to the others over the network
// the way it does in a cluster. What cannot run here (Envoy, the proxy
// pods, ztunnel) is replaced by wasp.dev/e2e/envoysim on the ADS client's
// resources.
package harness
