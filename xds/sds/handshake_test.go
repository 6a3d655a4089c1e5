package sds

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"testing"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// The SNI the brief's seed scenario needs: httpbin, port 8000, namespace httpbin.
const httpbinSNI = "outbound_.8000_._.httpbin.httpbin.svc.cluster.local"

// istioMaterial is what Envoy would hold after SDS: the pair and the roots
// named by an UpstreamTlsContext.
type istioMaterial struct {
	pair  tls.Certificate
	roots *x509.CertPool
}

func materialFor(t *testing.T, up *tlsv3.UpstreamTlsContext, secrets map[string]*tlsv3.Secret) istioMaterial {
	t.Helper()
	ctc := up.GetCommonTlsContext()
	if n := len(ctc.GetTlsCertificateSdsSecretConfigs()); n != 1 {
		t.Fatalf("upstream context names %d certificates, want 1", n)
	}
	certSecret := secrets[ctc.GetTlsCertificateSdsSecretConfigs()[0].GetName()]
	caSecret := secrets[ctc.GetValidationContextSdsSecretConfig().GetName()]
	if certSecret == nil || caSecret == nil {
		t.Fatalf("upstream context names secrets the server did not serve: %v", up)
	}
	tc := certSecret.GetTlsCertificate()
	pair, err := tls.X509KeyPair(tc.GetCertificateChain().GetInlineBytes(), tc.GetPrivateKey().GetInlineBytes())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caSecret.GetValidationContext().GetTrustedCa().GetInlineBytes()) {
		t.Fatal("served trusted_ca holds no certificate")
	}
	return istioMaterial{pair: pair, roots: roots}
}

// sidecarConfig is the destination sidecar's inbound side: Istio mTLS
// requires a client certificate from the mesh CA and speaks ALPN istio.
func sidecarConfig(m istioMaterial) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{m.pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    m.roots,
		NextProtos:   []string{IstioALPN},
		MinVersion:   tls.VersionTLS12,
	}
}

// gatewayConfig is what Envoy does with the UpstreamTlsContext: present the
// workload certificate, send its SNI and ALPN, and verify the peer against
// trusted_ca only. Istio certificates carry no DNS names, and an Envoy
// validation context without SAN matchers does not check the SNI against
// the certificate, hence the custom verification instead of Go's hostname
// check.
//
// Envoy presents its certificate whatever CAs the server asks for; Go's
// client would silently send none, so GetClientCertificate forces it.
func gatewayConfig(m istioMaterial, up *tlsv3.UpstreamTlsContext) *tls.Config {
	pair := m.pair
	return &tls.Config{
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil },
		ServerName:           up.GetSni(),
		NextProtos:           up.GetCommonTlsContext().GetAlpnProtocols(),
		MinVersion:           tls.VersionTLS12,
		InsecureSkipVerify:   true, // replaced by VerifyConnection below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("no peer certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
				Roots: m.roots, Intermediates: inter,
				KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			})
			if err != nil {
				return fmt.Errorf("peer certificate: %w", err)
			}
			return nil
		},
	}
}

type handshake struct {
	server, client       tls.ConnectionState
	serverErr, clientErr error
}

// handshakeLoopback runs one TLS handshake over a loopback TCP connection.
func handshakeLoopback(t *testing.T, serverCfg, clientCfg *tls.Config) handshake {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	type side struct {
		cs  tls.ConnectionState
		err error
	}
	serverDone := make(chan side, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			serverDone <- side{err: err}
			return
		}
		defer c.Close()
		tc := tls.Server(c, serverCfg)
		err = tc.HandshakeContext(ctx)
		serverDone <- side{tc.ConnectionState(), err}
	}()

	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	tc := tls.Client(raw, clientCfg)
	clientErr := tc.HandshakeContext(ctx)
	if clientErr != nil {
		raw.Close() // unblock a server still waiting for the client's flight
	}
	var s side
	select {
	case s = <-serverDone:
	case <-ctx.Done():
		t.Fatal("server handshake did not finish")
	}
	return handshake{server: s.cs, client: tc.ConnectionState(), serverErr: s.err, clientErr: clientErr}
}

func peerID(cs tls.ConnectionState) []string {
	if len(cs.PeerCertificates) == 0 {
		return nil
	}
	var ids []string
	for _, u := range cs.PeerCertificates[0].URIs {
		ids = append(ids, u.String())
	}
	return ids
}

func TestServedMaterialCompletesIstioMTLS(t *testing.T) {
	dir := t.TempDir()
	mesh := newCA(t, "mesh")
	writeWorkload(t, dir, mesh.issue(t, gatewayID, ecKey(t)))
	srv := startServer(t, dir)
	srv.waitLoad(t, "initial files", served)

	up, err := UpstreamTLSContext(OutboundSNI(8000, "httpbin", "httpbin"))
	if err != nil {
		t.Fatal(err)
	}
	if up.GetSni() != httpbinSNI {
		t.Fatalf("SNI %q, want %q", up.GetSni(), httpbinSNI)
	}
	resp, err := srv.fetch(t, bothSecrets...)
	if err != nil {
		t.Fatal(err)
	}
	m := materialFor(t, up, decodeSecrets(t, resp.Resources))

	t.Run("mesh peer", func(t *testing.T) {
		h := handshakeLoopback(t, sidecarConfig(m), gatewayConfig(m, up))
		if h.serverErr != nil || h.clientErr != nil {
			t.Fatalf("handshake failed: server %v, client %v", h.serverErr, h.clientErr)
		}
		if h.server.ServerName != httpbinSNI {
			t.Errorf("sidecar saw SNI %q, want %q", h.server.ServerName, httpbinSNI)
		}
		if h.server.NegotiatedProtocol != IstioALPN || h.client.NegotiatedProtocol != IstioALPN {
			t.Errorf("ALPN server %q client %q, want %q", h.server.NegotiatedProtocol, h.client.NegotiatedProtocol, IstioALPN)
		}
		if got := peerID(h.server); !slices.Equal(got, []string{gatewayID}) {
			t.Errorf("sidecar saw client identity %v, want %s", got, gatewayID)
		}
		if got := peerID(h.client); !slices.Equal(got, []string{gatewayID}) {
			t.Errorf("gateway saw server identity %v, want %s", got, gatewayID)
		}
	})

	foreign := newCA(t, "another mesh").issue(t, gatewayID, ecKey(t))
	foreignPair, err := tls.X509KeyPair(foreign.chain, foreign.key)
	if err != nil {
		t.Fatal(err)
	}
	unknownAuthority := func(err error) bool {
		var u x509.UnknownAuthorityError
		return errors.As(err, &u)
	}

	t.Run("client certificate from another CA", func(t *testing.T) {
		withForeign := m
		withForeign.pair = foreignPair
		h := handshakeLoopback(t, sidecarConfig(m), gatewayConfig(withForeign, up))
		if !unknownAuthority(h.serverErr) {
			t.Fatalf("sidecar accepted a foreign client certificate: server error %v", h.serverErr)
		}
	})

	t.Run("server certificate from another CA", func(t *testing.T) {
		server := sidecarConfig(m)
		server.Certificates = []tls.Certificate{foreignPair}
		h := handshakeLoopback(t, server, gatewayConfig(m, up))
		if !unknownAuthority(h.clientErr) {
			t.Fatalf("gateway accepted a foreign server certificate: client error %v", h.clientErr)
		}
	})
}
