package sds

// Names shared with the Envoy bootstrap, the xDS translator and the Helm
// chart. Changing one breaks the integration: they are part of the contract.
const (
	// ServerCertSecret is the secret holding the workload certificate chain
	// and its private key (tls_certificate).
	ServerCertSecret = "istio_server_cert"
	// ValidationContextSecret is the secret holding the mesh root
	// certificates (validation_context.trusted_ca).
	ValidationContextSecret = "istio_validation_context"
	// BootstrapClusterName is the static cluster in Envoy's bootstrap that
	// points at this server.
	BootstrapClusterName = "gateway_proxy_sds"

	// DefaultAddress: loopback only, because the server hands out the
	// private key without authentication; Envoy runs in the same pod.
	DefaultAddress = "127.0.0.1:8234"
	// DefaultCertDir is where istio-proxy writes the files (OUTPUT_CERTS);
	// the Deployment mounts one emptyDir there in both containers.
	DefaultCertDir = "/etc/istio-certs"

	// File names istio-agent writes into OUTPUT_CERTS
	// (security/pkg/nodeagent/util.OutputKeyCertToDir). It writes them one
	// by one, key first, each atomically (rename), so a reader can see a new
	// key next to the old chain.
	CertChainFile = "cert-chain.pem"
	KeyFile       = "key.pem"
	RootCertFile  = "root-cert.pem"

	// IstioALPN is the ALPN a client offers so that the destination
	// sidecar's inbound chain treats the connection as Istio mTLS.
	IstioALPN = "istio"
	// ClusterDomain is the Kubernetes cluster domain used in Istio SNI
	// names (outbound_.<port>_._.<svc>.<ns>.svc.<domain>).
	ClusterDomain = "cluster.local"
)
