package envoysim

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"strings"
	"time"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	// Registers the tls_inspector's config type: Validate unpacks it.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/listener/tls_inspector/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// Downstream TLS, as Envoy does it for a listener with the tls_inspector
// listener filter: the filter chain is chosen by the ClientHello's SNI
// (after destination port and IP), an exact server name first, then the
// longest wildcard suffix ("*.example.com" matches any name ending in
// ".example.com"), then a chain without server names; no match closes the
// connection. The chosen chain's DownstreamTlsContext names its
// certificates as SDS secrets; a secret that did not arrive keeps the
// listener from warming (no connection at all). The handshake is a real
// one (crypto/tls over an in-memory pipe) with the secrets' certificates,
// so a test sees the certificate a client would verify and the ALPN
// protocol it would get.

const (
	tlsInspectorFilter    = "envoy.filters.listener.tls_inspector"
	downstreamTLSTypeURL  = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"
	tlsTransportSocketKey = "envoy.transport_sockets.tls"
)

// ClientTLS is what a client offers in its TLS handshake.
type ClientTLS struct {
	// ServerName is the SNI ("" sends none).
	ServerName string
	// ALPN protocols offered, e.g. ["h2", "http/1.1"].
	ALPN []string
	// RootCAs verify the proxy's certificate for ServerName; nil skips
	// verification (the certificate is still reported).
	RootCAs *x509.CertPool
}

// TLSResult is the outcome of a downstream handshake.
type TLSResult struct {
	// Certificate is the leaf the proxy presented.
	Certificate *x509.Certificate
	// NegotiatedProtocol is the ALPN protocol agreed ("" if none).
	NegotiatedProtocol string
}

// serverNameRank says how well a chain's server_names match sni: -1 no
// match, 0 no server names (any), otherwise higher is more specific.
func serverNameRank(m *listenerv3.FilterChainMatch, sni string) int {
	names := m.GetServerNames()
	if len(names) == 0 {
		return 0
	}
	best := -1
	for _, n := range names {
		switch {
		case n == sni:
			return 1 << 20
		case strings.HasPrefix(n, "*.") && strings.HasSuffix(sni, n[1:]) && len(sni) > len(n)-1:
			best = max(best, len(n))
		}
	}
	return best
}

// bySNI keeps the chains whose server names match sni best.
func bySNI(chains []*listenerv3.FilterChain, sni string) []*listenerv3.FilterChain {
	var out []*listenerv3.FilterChain
	bestRank := -1
	for _, fc := range chains {
		r := serverNameRank(fc.GetFilterChainMatch(), sni)
		switch {
		case r > bestRank:
			out, bestRank = []*listenerv3.FilterChain{fc}, r
		case r == bestRank && r >= 0:
			out = append(out, fc)
		}
	}
	if bestRank < 0 {
		return nil
	}
	return out
}

// handshake terminates TLS on chain fc for client c with the chain's SDS
// certificates; a chain without a TLS transport socket cannot take a TLS
// client (and a TLS chain no plaintext one).
func (ix *index) handshake(fc *listenerv3.FilterChain, c *ClientTLS) (*TLSResult, error) {
	ts := fc.GetTransportSocket()
	if ts == nil {
		if c != nil {
			return nil, fmt.Errorf("filter chain %q is plaintext: the TLS handshake fails", fc.GetName())
		}
		return nil, nil
	}
	if ts.GetName() != tlsTransportSocketKey || ts.GetTypedConfig().GetTypeUrl() != downstreamTLSTypeURL {
		return nil, fmt.Errorf("filter chain %q: transport socket %q is not modelled", fc.GetName(), ts.GetName())
	}
	if c == nil {
		return nil, fmt.Errorf("filter chain %q terminates TLS: a plaintext request gets no answer", fc.GetName())
	}
	dtc := &tlsv3.DownstreamTlsContext{}
	if err := ts.GetTypedConfig().UnmarshalTo(dtc); err != nil {
		return nil, fmt.Errorf("filter chain %q: %w", fc.GetName(), err)
	}
	ctc := dtc.GetCommonTlsContext()
	if len(ctc.GetTlsCertificates()) > 0 || ctc.GetValidationContextType() != nil || dtc.GetRequireClientCertificate() != nil {
		return nil, fmt.Errorf("filter chain %q: only SDS certificates without client validation are modelled", fc.GetName())
	}
	var certs []tls.Certificate
	for _, sc := range ctc.GetTlsCertificateSdsSecretConfigs() {
		if sc.GetSdsConfig().GetAds() == nil {
			return nil, fmt.Errorf("filter chain %q: secret %q is not fetched over ADS (not modelled)", fc.GetName(), sc.GetName())
		}
		s := ix.secrets[sc.GetName()]
		if s == nil {
			return nil, fmt.Errorf("filter chain %q: SDS secret %q not received: the listener is not warm", fc.GetName(), sc.GetName())
		}
		cert, err := keyPair(s)
		if err != nil {
			return nil, fmt.Errorf("filter chain %q: secret %q: %w", fc.GetName(), sc.GetName(), err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("filter chain %q: no certificate", fc.GetName())
	}
	return runHandshake(certs, ctc.GetAlpnProtocols(), c)
}

// keyPair reads an SDS tls_certificate (inline PEM).
func keyPair(s *tlsv3.Secret) (tls.Certificate, error) {
	tc := s.GetTlsCertificate()
	if tc == nil {
		return tls.Certificate{}, fmt.Errorf("not a tls_certificate")
	}
	pem := func(name string, d interface {
		GetInlineBytes() []byte
		GetInlineString() string
	}) ([]byte, error) {
		if b := d.GetInlineBytes(); len(b) > 0 {
			return b, nil
		}
		if s := d.GetInlineString(); s != "" {
			return []byte(s), nil
		}
		return nil, fmt.Errorf("%s: only inline data is modelled", name)
	}
	chain, err := pem("certificate_chain", tc.GetCertificateChain())
	if err != nil {
		return tls.Certificate{}, err
	}
	key, err := pem("private_key", tc.GetPrivateKey())
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(chain, key)
}

// runHandshake runs a real TLS handshake between a server with certs and
// ALPN and the client c, over an in-memory connection.
func runHandshake(certs []tls.Certificate, alpn []string, c *ClientTLS) (*TLSResult, error) {
	sc, cc := net.Pipe()
	defer sc.Close()
	defer cc.Close()
	// net.Pipe is unbuffered: a side left writing (an alert, a session
	// ticket nobody reads) would block forever without a deadline.
	deadline := time.Now().Add(10 * time.Second)
	_ = sc.SetDeadline(deadline)
	_ = cc.SetDeadline(deadline)
	srv := tls.Server(sc, &tls.Config{Certificates: certs, NextProtos: alpn, MinVersion: tls.VersionTLS12,
		SessionTicketsDisabled: true})
	errc := make(chan error, 1)
	go func() { errc <- srv.Handshake() }()
	// The client verifies after the handshake, as crypto/tls would during
	// it: an alert sent mid-handshake over the pipe would only stall.
	cli := tls.Client(cc, &tls.Config{ServerName: c.ServerName, NextProtos: c.ALPN,
		InsecureSkipVerify: true}) //nolint:gosec // verified below
	if err := cli.Handshake(); err != nil {
		sc.Close()
		cc.Close()
		<-errc
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	if err := <-errc; err != nil {
		return nil, fmt.Errorf("TLS handshake (server): %w", err)
	}
	st := cli.ConnectionState()
	if c.RootCAs != nil {
		inter := x509.NewCertPool()
		for _, ic := range st.PeerCertificates[1:] {
			inter.AddCert(ic)
		}
		if _, err := st.PeerCertificates[0].Verify(x509.VerifyOptions{DNSName: c.ServerName, Roots: c.RootCAs, Intermediates: inter}); err != nil {
			return nil, fmt.Errorf("TLS handshake: the client rejects the certificate: %w", err)
		}
	}
	return &TLSResult{Certificate: st.PeerCertificates[0], NegotiatedProtocol: st.NegotiatedProtocol}, nil
}
