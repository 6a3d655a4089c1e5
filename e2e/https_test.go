package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"wasp.dev/e2e/envoysim"
)

const (
	typeSecret   = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret"
	typeListener = "type.googleapis.com/envoy.config.listener.v3.Listener"
)

// newTestCert is a self-signed certificate for host, made per run.
func newTestCert(t *testing.T, host string) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: host},
		DNSNames: []string{host}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	cert, _ = x509.ParseCertificate(der)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), cert
}

// TestSeedIngressHTTPSRotation: the seed's HTTPS listener serves the
// canary route over TLS with the gateway-tls certificate (SDS over ADS);
// replacing the Secret's certificate reaches the proxy as a new SDS secret
// version while the listener version stays the same (no listener drain),
// and the next handshake presents the new certificate.
func TestSeedIngressHTTPSRotation(t *testing.T) {
	in := installed(t)
	applySeed(t, in, "ingress-canary")
	waitRouteParents(t, in, "default", "canary-route", "True", "True")
	ads := connectProxy(t, in, "istio-system", "istio-gateway")
	res := waitXDS(t, ads, "the 443 listener and its certificate", func(r *envoysim.Resources) bool {
		return listenerOnPort(r, 443) != nil && len(r.Secrets) == 1
	})
	sim := newSim(t, in, ads, res, envoysim.Options{Seed: 8})
	ex, err := sim.Do(envoysim.Request{ListenerPort: 443, Authority: "app.example.com", Path: "/", Scheme: "https",
		TLS: &envoysim.ClientTLS{ServerName: "app.example.com", ALPN: []string{"h2", "http/1.1"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ex.Route, "canary-route") || ex.TLS.NegotiatedProtocol != "h2" {
		t.Errorf("https app.example.com: route %q ALPN %q, want the canary route over h2", ex.Route, ex.TLS.NegotiatedProtocol)
	}
	if got := ex.TLS.Certificate.Subject.CommonName; got != "wasp-seed-test-only.example" {
		t.Errorf("presented certificate %q, want the seed's gateway-tls", got)
	}
	before := ads.Versions()

	certPEM, keyPEM, cert := newTestCert(t, "app.example.com")
	sec := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "gateway-tls", "namespace": "istio-system"},
		"type":     "kubernetes.io/tls",
		"data": map[string]any{
			"tls.crt": base64.StdEncoding.EncodeToString(certPEM),
			"tls.key": base64.StdEncoding.EncodeToString(keyPEM),
		},
	}}
	if _, err := in.Applier.ApplyObject(withTimeout(t, statusTimeout), sec, "", false); err != nil {
		t.Fatal(err)
	}
	res = waitXDS(t, ads, "the rotated certificate", func(*envoysim.Resources) bool {
		return ads.Versions()[typeSecret] != before[typeSecret]
	})
	after := ads.Versions()
	if after[typeListener] != before[typeListener] {
		t.Errorf("listener version changed on rotation: %s -> %s (a drain)", before[typeListener], after[typeListener])
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	sim = newSim(t, in, ads, res, envoysim.Options{Seed: 8})
	ex, err = sim.Do(envoysim.Request{ListenerPort: 443, Authority: "app.example.com", Path: "/",
		TLS: &envoysim.ClientTLS{ServerName: "app.example.com", RootCAs: pool}}, nil)
	if err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if !ex.TLS.Certificate.Equal(cert) {
		t.Errorf("after rotation the proxy presents %s", fmt.Sprint(ex.TLS.Certificate.Subject))
	}
}
