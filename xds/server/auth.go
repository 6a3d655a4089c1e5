package server

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"wasp.dev/xds/proxyauth"
)

// Stream authentication: with Options.TLS, gRPC has already refused a
// connection without a client certificate signed by wasp's CA. Here every
// stream learns the node its certificate names (proxyauth), and every
// request must be for that node: a proxy receives its own node's
// configuration and nothing else, whatever node ID it claims.

// authenticate records the node the stream's client certificate names.
func (s *Server) authenticate(ctx context.Context, stream int64) error {
	if s.tls == nil {
		return nil
	}
	p, ok := peer.FromContext(ctx)
	if !ok {
		return status.Error(codes.Unauthenticated, "no peer")
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return status.Error(codes.Unauthenticated, "not a TLS connection")
	}
	node, err := proxyauth.NodeFromTLS(&info.State)
	if err != nil {
		s.log.Warn("xDS stream refused", "peer", p.Addr.String(), "error", err)
		return status.Error(codes.Unauthenticated, err.Error())
	}
	s.peers.Store(stream, node)
	return nil
}

// authorize refuses a request for another node than the certificate's.
func (s *Server) authorize(stream int64, node string) error {
	if s.tls == nil {
		return nil
	}
	v, ok := s.peers.Load(stream)
	if !ok {
		return status.Error(codes.Unauthenticated, "stream not authenticated")
	}
	if v.(string) != node {
		s.log.Warn("xDS request for another node refused", "certificate", v, "node", node)
		return status.Errorf(codes.PermissionDenied, "certificate of %s may not read node %q", v, node)
	}
	return nil
}

func (s *Server) forgetStream(id int64) {
	s.streams.Delete(id)
	s.peers.Delete(id)
}
