package envoysim

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"wasp.dev/xds/ir"
	"wasp.dev/xds/translator"
)

// testCert makes a self-signed certificate for dnsNames, returning the IR
// certificate and a pool trusting it. Made per test run: no key in the repo.
func testCert(t *testing.T, name string, dnsNames ...string) (*ir.TLSCertificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: dnsNames[0]},
		DNSNames:     dnsNames,
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &ir.TLSCertificate{
		Name:             name,
		CertificateChain: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		PrivateKey:       ir.Sensitive(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})),
	}, cert
}

// httpsProxy is one HTTPS port with three Gateway listeners, as the
// controller builds them: foo.example.com, *.example.com and one without
// hostname, each answering with its own backend.
func httpsProxy(t *testing.T) (*ir.Proxy, map[string]*x509.Certificate) {
	foo, fooCert := testCert(t, "web/foo", "foo.example.com")
	wild, wildCert := testCert(t, "web/wild", "*.example.com")
	any, anyCert := testCert(t, "web/any", "default.test")
	server := func(name string, sni []string, cert, host string) *ir.TLSServer {
		be := "web/" + name + ":80"
		return &ir.TLSServer{Name: "web/gw/443/" + name, ServerNames: sni, Certificates: []string{cert},
			VirtualHosts: []*ir.VirtualHost{{Name: "web/gw/443/" + name + "/" + host, Hostnames: []string{host},
				Routes: []*ir.Route{{Name: name + "-route", Backends: []*ir.WeightedBackend{{Backend: be, Weight: 1}}}}}}}
	}
	p := &ir.Proxy{Name: "web/gw", Kind: ir.KindIngress,
		Listeners: []*ir.HTTPListener{{Name: "web/gw/443", Port: 443, TLS: []*ir.TLSServer{
			server("foo", []string{"foo.example.com"}, foo.Name, "foo.example.com"),
			server("wild", []string{"*.example.com"}, wild.Name, "*.example.com"),
			server("any", nil, any.Name, "*"),
		}}},
		TLSCertificates: []*ir.TLSCertificate{any, foo, wild},
	}
	for _, n := range []string{"any", "foo", "wild"} {
		p.Backends = append(p.Backends, &ir.Backend{Name: "web/" + n + ":80", Endpoints: []*ir.Endpoint{{Address: "10.0.0.9", Port: 80}}})
	}
	return p, map[string]*x509.Certificate{"foo": fooCert, "wild": wildCert, "any": anyCert}
}

// TestHTTPSBySNI: the SNI picks the Gateway listener (filter chain), which
// presents its certificate (verified by the client for that name), agrees
// on h2, and serves only its own routes.
func TestHTTPSBySNI(t *testing.T) {
	p, certs := httpsProxy(t)
	res := translate(t, p, translator.Options{})
	px, err := New(context.Background(), res, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer px.Close()
	pool := func(name string) *x509.CertPool {
		cp := x509.NewCertPool()
		cp.AddCert(certs[name])
		return cp
	}
	cases := []struct {
		sni, host, chain, route string
		trust                   string
		status                  int
	}{
		{"foo.example.com", "foo.example.com", "web/gw/443/foo", "foo-route", "foo", 200},
		{"bar.example.com", "bar.example.com", "web/gw/443/wild", "wild-route", "wild", 200},
		// A wildcard server name matches deeper names too (Envoy), though
		// the certificate does not verify for them: checked by identity.
		{"a.b.example.com", "a.b.example.com", "web/gw/443/wild", "wild-route", "", 200},
		{"other.test", "other.test", "web/gw/443/any", "any-route", "", 200},
		{"", "whatever", "web/gw/443/any", "any-route", "", 200},
		// Connection for foo, request for another host: foo's routes only.
		{"foo.example.com", "bar.example.com", "web/gw/443/foo", "", "foo", 404},
	}
	for _, c := range cases {
		client := &ClientTLS{ServerName: c.sni, ALPN: []string{"h2", "http/1.1"}}
		if c.trust != "" {
			client.RootCAs = pool(c.trust)
		}
		ex, err := px.Do(Request{ListenerPort: 443, TLS: client, Authority: c.host, Scheme: "https"}, nil)
		if err != nil {
			t.Errorf("sni %q: %v", c.sni, err)
			continue
		}
		if ex.FilterChain != c.chain || ex.Route != c.route || ex.Status() != c.status {
			t.Errorf("sni %q host %q: chain %q route %q status %d, want %q %q %d", c.sni, c.host, ex.FilterChain, ex.Route, ex.Status(), c.chain, c.route, c.status)
		}
		if ex.TLS == nil || ex.TLS.NegotiatedProtocol != "h2" {
			t.Errorf("sni %q: ALPN %+v, want h2", c.sni, ex.TLS)
			continue
		}
		want := certs[strings.TrimPrefix(c.chain, "web/gw/443/")]
		if !ex.TLS.Certificate.Equal(want) {
			t.Errorf("sni %q: presented %v, want %v", c.sni, ex.TLS.Certificate.DNSNames, want.DNSNames)
		}
	}
	// The wildcard certificate does not verify for foo's name, so a client
	// sent to the wrong chain would notice: trusting only it fails for foo.
	if _, err := px.Do(Request{ListenerPort: 443, TLS: &ClientTLS{ServerName: "foo.example.com", RootCAs: pool("wild")}}, nil); err == nil ||
		!strings.Contains(err.Error(), "handshake") {
		t.Errorf("foo.example.com verified against the wildcard certificate: %v", err)
	}
	// HTTP/1.1-only clients get HTTP/1.1.
	ex, err := px.Do(Request{ListenerPort: 443, TLS: &ClientTLS{ServerName: "foo.example.com", ALPN: []string{"http/1.1"}, RootCAs: pool("foo")}, Authority: "foo.example.com"}, nil)
	if err != nil || ex.TLS.NegotiatedProtocol != "http/1.1" {
		t.Errorf("http/1.1 client: %v %+v", err, ex)
	}
	// Plaintext on the TLS port gets nothing.
	if _, err := px.Do(Request{ListenerPort: 443, Authority: "foo.example.com"}, nil); err == nil {
		t.Error("plaintext request answered on a TLS port")
	}
}

// TestHTTPSSecretNotReceived: a listener whose SDS secret has not arrived
// takes no connection.
func TestHTTPSSecretNotReceived(t *testing.T) {
	p, _ := httpsProxy(t)
	res := translate(t, p, translator.Options{})
	res.Secrets = res.Secrets[1:] // drop web/any
	px, err := New(context.Background(), res, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer px.Close()
	_, err = px.Do(Request{ListenerPort: 443, TLS: &ClientTLS{ServerName: "x.test"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "not received") {
		t.Errorf("got %v, want the missing secret reported", err)
	}
}

// TestUnresolvedShareAnswers500: a 50/50 rule with one unresolvable
// backendRef answers about half its requests 500 (cluster not found, the
// route's code), the rest reach the valid backend.
func TestUnresolvedShareAnswers500(t *testing.T) {
	res := translate(t, loadGolden(t, "weights-unresolved", nil), translator.Options{})
	px, err := New(context.Background(), res, Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer px.Close()
	counts := map[int]int{}
	for range 1000 {
		ex, err := px.Do(Request{ListenerPort: 80, Authority: "shop.example", Path: "/"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		counts[ex.Status()]++
	}
	if counts[500] < 400 || counts[500] > 600 || counts[200]+counts[500] != 1000 {
		t.Errorf("50/50 with one unresolved backend: %v, want about 500 each of 200 and 500", counts)
	}
}
