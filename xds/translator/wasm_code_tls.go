package translator

import (
	"fmt"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// codeServerTransport is the transport socket of a code-server cluster:
// none for http URLs; for https, Options.CodeServerTLS (the proxy's client
// certificate and wasp's CA, from the files its bootstrap names) with the
// URL's host as SNI, so the .wasm server can tell which proxy asks
// (docs/security.md).
func codeServerTransport(name string, cc codeCluster, codeTLS *tlsv3.UpstreamTlsContext) (*corev3.TransportSocket, error) {
	if !cc.tls {
		return nil, nil
	}
	if codeTLS == nil {
		return nil, fmt.Errorf("cluster %s: https module URL but no code server TLS configured", name)
	}
	c := proto.Clone(codeTLS).(*tlsv3.UpstreamTlsContext)
	c.Sni = cc.host
	a, err := anypb.New(c)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", name, err)
	}
	return &corev3.TransportSocket{Name: tlsTransportSocket, ConfigType: &corev3.TransportSocket_TypedConfig{TypedConfig: a}}, nil
}
