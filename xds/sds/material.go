package sds

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"
)

// versionLen: hex digits of the content hash used as the version; 64 bits
// never collide within one pod's rotations and stay short in Envoy's logs.
const versionLen = 16

// ErrKeyMismatch marks a key that does not belong to the certificate: a
// rotation caught half-way (the agent writes the key before the chain).
var ErrKeyMismatch = errors.New("private key does not match the certificate")

// Material is a checked set of certificate files, ready to serve.
type Material struct {
	CertChain []byte // PEM, leaf first
	Key       []byte // PEM
	Roots     []byte // PEM, one or more CA certificates
	// Version is a hash of the three files.
	Version string
	// Leaf is the parsed workload certificate (for logs).
	Leaf *x509.Certificate
	// Warnings are oddities that do not stop serving (expired leaf, chain
	// not verifiable against the roots during a root rotation).
	Warnings []string
}

// Identities are the leaf's URI SANs (spiffe://<trust-domain>/ns/<ns>/sa/<sa>).
func (m *Material) Identities() []string {
	out := make([]string, len(m.Leaf.URIs))
	for i, u := range m.Leaf.URIs {
		out[i] = u.String()
	}
	return out
}

// NewMaterial checks the three PEM files and returns them with their
// version. now is the time validity is judged at.
func NewMaterial(certChain, key, roots []byte, now time.Time) (*Material, error) {
	chain, err := parseCerts(CertChainFile, certChain)
	if err != nil {
		return nil, err
	}
	rootCerts, err := parseCerts(RootCertFile, roots)
	if err != nil {
		return nil, err
	}
	if err := checkKey(certChain, key); err != nil {
		return nil, err
	}
	m := &Material{
		CertChain: certChain, Key: key, Roots: roots,
		Version: contentVersion(certChain, key, roots),
		Leaf:    chain[0],
	}
	if now.After(m.Leaf.NotAfter) {
		m.Warnings = append(m.Warnings, fmt.Sprintf("workload certificate expired at %s", m.Leaf.NotAfter.UTC().Format(time.RFC3339)))
	}
	if err := verifyChain(chain, rootCerts); err != nil {
		// Not fatal: the agent writes the root file after the chain, so a
		// root rotation passes through this state; Envoy re-checks peers.
		m.Warnings = append(m.Warnings, fmt.Sprintf("%s does not verify against %s: %v", CertChainFile, RootCertFile, err))
	}
	return m, nil
}

// parseCerts reads every CERTIFICATE block. Anything but whitespace after
// the last block means a truncated or foreign file, not a smaller one.
func parseCerts(file string, data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%s: unexpected PEM block %q", file, b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %d: %w", file, len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, fmt.Errorf("%s: %d bytes after the last complete PEM block (truncated or not PEM)", file, len(bytes.TrimSpace(rest)))
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no certificate", file)
	}
	return certs, nil
}

// checkKey parses the key and checks it belongs to the leaf.
func checkKey(certChain, key []byte) error {
	if b, _ := pem.Decode(key); b == nil || !strings.HasSuffix(b.Type, "PRIVATE KEY") {
		return fmt.Errorf("%s: no PEM private key", KeyFile)
	}
	if _, err := tls.X509KeyPair(certChain, key); err != nil {
		if strings.Contains(err.Error(), "does not match") {
			return fmt.Errorf("%s and %s: %w", KeyFile, CertChainFile, ErrKeyMismatch)
		}
		return fmt.Errorf("%s: %w", KeyFile, err)
	}
	return nil
}

// verifyChain checks the leaf chains to one of the roots. It checks at the
// leaf's own NotBefore so clock skew or expiry (reported separately) cannot
// fail it: the question here is only "do these files belong together".
func verifyChain(chain, roots []*x509.Certificate) error {
	pool := x509.NewCertPool()
	for _, r := range roots {
		pool.AddCert(r)
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{
		Roots: pool, Intermediates: inter,
		CurrentTime: chain[0].NotBefore,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	return err
}

// contentVersion hashes the files with their lengths so that moving bytes
// from one file to another changes the version.
func contentVersion(files ...[]byte) string {
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%d:", len(f))
		h.Write(f)
	}
	return hex.EncodeToString(h.Sum(nil))[:versionLen]
}
