package proxyauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// CA is wasp's own certificate authority: it signs the proxies' client
// certificates and the controller's serving certificate, and is the only
// root either side trusts on these connections.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	// CertPEM and KeyPEM are the stored form (the CA Secret).
	CertPEM, KeyPEM []byte
}

// Lifetimes of what the CA signs. Rotation is automatic (docs/security.md):
// the controller re-issues a proxy certificate past two thirds of its life
// and Envoy picks the new files up without a restart.
const (
	CALifetime    = 10 * 365 * 24 * time.Hour
	LeafLifetime  = 30 * 24 * time.Hour
	clockSkewHint = 5 * time.Minute
)

// NewCA creates a CA.
func NewCA(now time.Time) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{Organization: []string{"wasp"}, CommonName: "wasp proxy CA"},
		NotBefore:             now.Add(-clockSkewHint),
		NotAfter:              now.Add(CALifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return ParseCA(pemBlock("CERTIFICATE", der), pemBlock("EC PRIVATE KEY", keyDER))
}

// ParseCA reads a CA stored by NewCA.
func ParseCA(certPEM, keyPEM []byte) (*CA, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, errors.New("CA: certificate or key is not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("CA certificate: %w", err)
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("CA key: %w", err)
	}
	if !cert.IsCA || !key.PublicKey.Equal(cert.PublicKey) {
		return nil, errors.New("CA: certificate is not a CA or does not match the key")
	}
	return &CA{Cert: cert, Key: key, CertPEM: certPEM, KeyPEM: keyPEM}, nil
}

// Pool is a pool holding only this CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Leaf is an issued certificate and key, PEM.
type Leaf struct {
	CertPEM, KeyPEM     []byte
	NotBefore, NotAfter time.Time
}

// IssueProxy signs the client certificate of the proxy with node ID node.
func (ca *CA) IssueProxy(node string, now time.Time) (*Leaf, error) {
	u, err := URI(node)
	if err != nil {
		return nil, err
	}
	tmpl := leafTemplate(now)
	tmpl.Subject = pkix.Name{Organization: []string{"wasp"}, CommonName: node}
	tmpl.URIs = append(tmpl.URIs, u)
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	return ca.issue(tmpl)
}

// IssueServer signs the controller's serving certificate for hosts (the
// names proxies dial, e.g. the controller Service's DNS names).
func (ca *CA) IssueServer(hosts []string, now time.Time) (*Leaf, error) {
	if len(hosts) == 0 {
		return nil, errors.New("serving certificate needs at least one host name")
	}
	tmpl := leafTemplate(now)
	tmpl.Subject = pkix.Name{Organization: []string{"wasp"}, CommonName: hosts[0]}
	tmpl.DNSNames = hosts
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	return ca.issue(tmpl)
}

func leafTemplate(now time.Time) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: serial(),
		NotBefore:    now.Add(-clockSkewHint),
		NotAfter:     now.Add(LeafLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
}

func (ca *CA) issue(tmpl *x509.Certificate) (*Leaf, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &Leaf{CertPEM: pemBlock("CERTIFICATE", der), KeyPEM: pemBlock("EC PRIVATE KEY", keyDER), NotBefore: tmpl.NotBefore, NotAfter: tmpl.NotAfter}, nil
}

// RenewAt is when a certificate valid from notBefore to notAfter should be
// replaced: two thirds into its life, so a missed renewal has days to be
// retried before the proxy loses its connection.
func RenewAt(notBefore, notAfter time.Time) time.Time {
	return notBefore.Add(notAfter.Sub(notBefore) * 2 / 3)
}

// CheckProxy says whether certPEM is a proxy certificate for node, signed
// by this CA, and not due for renewal at now; it returns when it is due.
func (ca *CA) CheckProxy(certPEM []byte, node string, now time.Time) (time.Time, error) {
	b, _ := pem.Decode(certPEM)
	if b == nil {
		return time.Time{}, errors.New("not PEM")
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return time.Time{}, err
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return time.Time{}, err
	}
	got, err := NodeOf(cert)
	if err != nil {
		return time.Time{}, err
	}
	if got != node {
		return time.Time{}, fmt.Errorf("certificate names %s, not %s", got, node)
	}
	due := RenewAt(cert.NotBefore, cert.NotAfter)
	if !now.Before(due) {
		return due, fmt.Errorf("due for renewal since %s", due.Format(time.RFC3339))
	}
	return due, nil
}

// ServerTLS is the TLS configuration of the xDS and .wasm servers: the
// serving certificate from cert (called per handshake, so it may rotate)
// and client certificates required and verified against this CA only.
func (ca *CA) ServerTLS(cert func() (*tls.Certificate, error)) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		ClientAuth:     tls.RequireAndVerifyClientCert,
		ClientCAs:      ca.Pool(),
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return cert() },
		NextProtos:     []string{"h2", "http/1.1"},
	}
}

// ClientTLS is how a proxy dials the controller with leaf: its client
// certificate, this CA as the only root, and serverName checked.
func ClientTLS(caPEM []byte, leaf *Leaf, serverName string) (*tls.Config, error) {
	kp, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("CA bundle holds no certificate")
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{kp}, RootCAs: pool, ServerName: serverName}, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return n
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
