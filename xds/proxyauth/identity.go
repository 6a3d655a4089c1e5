// Package proxyauth names the identity a proxy proves to the controller.
//
// Each proxy (one per Gateway) holds a client certificate issued by the
// controller's own CA; its only URI SAN names the Gateway:
//
//	spiffe://wasp.dev/ns/<namespace>/gateway/<name>
//
// The xDS node ID of that proxy is "<namespace>/<name>", so the xDS and
// .wasm servers compare the node a client claims, or the module it asks
// for, with the node its certificate names (docs/security.md).
package proxyauth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// TrustDomain is the SPIFFE trust domain of wasp's proxy certificates. It
// is wasp's own, never a mesh's: these certificates are only ever checked
// by the controller, against its own CA.
const TrustDomain = "wasp.dev"

// URI returns the SAN URI of the proxy whose node ID is node
// ("<namespace>/<name>").
func URI(node string) (*url.URL, error) {
	ns, name, ok := strings.Cut(node, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("node ID %q is not <namespace>/<name>", node)
	}
	return &url.URL{Scheme: "spiffe", Host: TrustDomain, Path: "/ns/" + ns + "/gateway/" + name}, nil
}

// NodeOf returns the node ID a certificate names: it must carry exactly
// one URI SAN, of the form URI writes.
func NodeOf(cert *x509.Certificate) (string, error) {
	if len(cert.URIs) != 1 {
		return "", fmt.Errorf("certificate has %d URI SANs, want one naming the Gateway", len(cert.URIs))
	}
	u := cert.URIs[0]
	parts := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	if u.Scheme != "spiffe" || u.Host != TrustDomain || len(parts) != 4 || parts[0] != "ns" || parts[2] != "gateway" || parts[1] == "" || parts[3] == "" {
		return "", fmt.Errorf("certificate SAN %q does not name a Gateway (spiffe://%s/ns/<namespace>/gateway/<name>)", u, TrustDomain)
	}
	return parts[1] + "/" + parts[3], nil
}

// NodeFromTLS returns the node ID of a verified TLS peer. It refuses a
// connection whose client certificate was not verified against the CA
// (the server's tls.Config must require and verify client certificates).
func NodeFromTLS(cs *tls.ConnectionState) (string, error) {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return "", errors.New("no verified client certificate")
	}
	return NodeOf(cs.VerifiedChains[0][0])
}
