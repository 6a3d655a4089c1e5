package proxyauth

import (
	"crypto/x509"
	"encoding/pem"
	"net/url"
	"testing"
	"time"
)

func TestProxyCertificateNamesItsNode(t *testing.T) {
	now := time.Now()
	ca, err := NewCA(now)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseCA(ca.CertPEM, ca.KeyPEM)
	if err != nil || !again.Cert.Equal(ca.Cert) {
		t.Fatalf("ParseCA: %v", err)
	}
	leaf, err := ca.IssueProxy("team-a/http", now)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(leaf.CertPEM)
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := NodeOf(cert); err != nil || got != "team-a/http" {
		t.Fatalf("NodeOf = %q, %v", got, err)
	}
	if cert.URIs[0].String() != "spiffe://wasp.dev/ns/team-a/gateway/http" {
		t.Fatalf("SAN %s", cert.URIs[0])
	}
	due, err := ca.CheckProxy(leaf.CertPEM, "team-a/http", now)
	if err != nil || !due.Equal(RenewAt(cert.NotBefore, cert.NotAfter)) {
		t.Fatalf("CheckProxy: %v %v", due, err)
	}
	if _, err := ca.CheckProxy(leaf.CertPEM, "team-b/http", now); err == nil {
		t.Error("CheckProxy accepted the certificate for another node")
	}
	if _, err := ca.CheckProxy(leaf.CertPEM, "team-a/http", due); err == nil {
		t.Error("CheckProxy accepted a certificate due for renewal")
	}
	other, _ := NewCA(now)
	if _, err := other.CheckProxy(leaf.CertPEM, "team-a/http", now); err == nil {
		t.Error("CheckProxy accepted a certificate of another CA")
	}
}

func TestNodeOfRefusesOtherSANs(t *testing.T) {
	for _, s := range []string{
		"spiffe://cluster.local/ns/a/sa/b", "spiffe://wasp.dev/ns/a/gateway/", "spiffe://wasp.dev/ns//gateway/b",
		"https://wasp.dev/ns/a/gateway/b", "spiffe://wasp.dev/ns/a/gateway/b/c",
	} {
		u, _ := url.Parse(s)
		if n, err := NodeOf(&x509.Certificate{URIs: []*url.URL{u}}); err == nil {
			t.Errorf("%s: accepted as %q", s, n)
		}
	}
	if _, err := NodeOf(&x509.Certificate{}); err == nil {
		t.Error("a certificate without URI SAN was accepted")
	}
	for _, n := range []string{"", "a", "/b", "a/", "a/b/c"} {
		if _, err := URI(n); err == nil {
			t.Errorf("URI(%q) accepted", n)
		}
	}
}
