package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoverygrpc "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/log"
	sotwv3 "github.com/envoyproxy/go-control-plane/pkg/server/sotw/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"wasp.dev/xds/translator"
)

// Options configure a Server.
type Options struct {
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// Observer receives events for metrics; nil means none.
	Observer Observer
	// StopGrace bounds the graceful stop of Serve; 0 means 5s (stopGrace).
	StopGrace time.Duration
	// TLS, when set, makes Serve speak TLS and authenticate every stream
	// (auth.go): the client certificate must be verified (RequireAndVerify
	// ClientCert) and name the node the stream asks for. Nil serves
	// plaintext to anyone: only for `wasp controller --insecure-xds`.
	TLS *tls.Config
}

// Server is an ADS server with one snapshot per node ID.
type Server struct {
	log   *slog.Logger
	obs   Observer
	grace time.Duration
	tls   *tls.Config
	cache cachev3.SnapshotCache
	xds   serverv3.Server
	nacks atomic.Uint64

	// streams maps a stream ID to the node ID it announced: Envoy sends
	// the node only on a stream's first request.
	streams sync.Map // int64 → string
	// peers maps a stream ID to the node its client certificate names.
	peers sync.Map // int64 → string
}

// New returns a server; ctx bounds the lifetime of its watches.
func New(ctx context.Context, o Options) *Server {
	s := &Server{log: o.Logger, obs: o.Observer, grace: o.StopGrace, tls: o.TLS}
	if s.grace <= 0 {
		s.grace = stopGrace
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.obs == nil {
		s.obs = NopObserver{}
	}
	// ads=true: hold responses until every resource a response refers to
	// is requested, so Envoy never sees a listener before its routes.
	s.cache = cachev3.NewSnapshotCache(true, cachev3.IDHash{}, slogAdapter{s.log})
	// Ordered ADS: when one snapshot changes several types, responses leave
	// in type order (endpoints, clusters, routes, listeners), so a cluster
	// a new listener needs — e.g. the one serving its Wasm code — reaches
	// Envoy first.
	s.xds = serverv3.NewServer(ctx, s.cache, s.callbacks(), sotwv3.WithOrderedADS())
	return s
}

// Register adds the aggregated discovery service (SotW and delta) to g.
func (s *Server) Register(g *grpc.Server) {
	discoverygrpc.RegisterAggregatedDiscoveryServiceServer(g, s.xds)
}

// stopGrace bounds a graceful stop: ADS streams live as long as their
// proxies, so GracefulStop alone would wait for every Envoy to hang up.
// Proxies reconnect (to the new leader) and keep their config meanwhile.
const stopGrace = 5 * time.Second

// Serve runs a gRPC server with GRPCServerOptions on l until ctx ends.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	opts := GRPCServerOptions()
	if s.tls != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(s.tls)))
	}
	g := grpc.NewServer(opts...)
	s.Register(g)
	go func() {
		<-ctx.Done()
		done := make(chan struct{})
		go func() { g.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-time.After(s.grace):
			g.Stop()
		}
	}()
	return g.Serve(l)
}

// Publish validates res, builds a versioned snapshot and sets it for node. On error the node keeps its previous
// snapshot.
func (s *Server) Publish(ctx context.Context, node string, res *translator.Resources) (*Snapshot, error) {
	snap, err := NewSnapshot(res)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", node, err)
	}
	if err := s.cache.SetSnapshot(ctx, node, snap.Snapshot); err != nil {
		return nil, fmt.Errorf("node %s: %w", node, err)
	}
	s.log.Debug("xDS snapshot published", "node", node, "versions", snap.Versions, "bytes", snap.Bytes)
	s.obs.Published(node, snap)
	return snap, nil
}

// Forget drops node's snapshot (its proxy is gone).
func (s *Server) Forget(node string) { s.cache.ClearSnapshot(node) }

// Nodes lists the node IDs that have a snapshot.
func (s *Server) Nodes() []string { return s.cache.GetStatusKeys() }

// NACKs is how many NACKs the server has received since it started.
func (s *Server) NACKs() uint64 { return s.nacks.Load() }

func (s *Server) nodeOf(stream int64, n *corev3.Node) string {
	if n != nil && n.Id != "" {
		s.streams.Store(stream, n.Id)
		return n.Id
	}
	if v, ok := s.streams.Load(stream); ok {
		return v.(string)
	}
	return ""
}

func (s *Server) callbacks() serverv3.Callbacks {
	return serverv3.CallbackFuncs{
		StreamOpenFunc: func(ctx context.Context, id int64, _ string) error {
			if err := s.authenticate(ctx, id); err != nil {
				return err
			}
			s.obs.StreamOpened(false)
			return nil
		},
		StreamClosedFunc: func(id int64, _ *corev3.Node) {
			s.forgetStream(id)
			s.obs.StreamClosed(false)
		},
		DeltaStreamOpenFunc: func(ctx context.Context, id int64, _ string) error {
			if err := s.authenticate(ctx, id); err != nil {
				return err
			}
			s.obs.StreamOpened(true)
			return nil
		},
		DeltaStreamClosedFunc: func(id int64, _ *corev3.Node) {
			s.forgetStream(id)
			s.obs.StreamClosed(true)
		},
		StreamRequestFunc: func(id int64, r *discoverygrpc.DiscoveryRequest) error {
			node := s.nodeOf(id, r.Node)
			if err := s.authorize(id, node); err != nil {
				return err
			}
			switch {
			case r.ErrorDetail != nil:
				s.nack(node, r.TypeUrl, r.VersionInfo, r.ResponseNonce, r.ErrorDetail.Message)
			case r.ResponseNonce != "":
				s.obs.ACK(node, r.TypeUrl, r.VersionInfo)
			}
			return nil
		},
		StreamDeltaRequestFunc: func(id int64, r *discoverygrpc.DeltaDiscoveryRequest) error {
			node := s.nodeOf(id, r.Node)
			if err := s.authorize(id, node); err != nil {
				return err
			}
			switch {
			case r.ErrorDetail != nil:
				s.nack(node, r.TypeUrl, "", r.ResponseNonce, r.ErrorDetail.Message)
			case r.ResponseNonce != "":
				s.obs.ACK(node, r.TypeUrl, "")
			}
			return nil
		},
	}
}

// nack logs and counts a rejected response. A NACK means Envoy refused
// config that passed ValidateAll: a translator bug or an Envoy older than
// the minimum, never something to retry blindly.
func (s *Server) nack(node, typeURL, version, nonce, msg string) {
	s.nacks.Add(1)
	s.log.Error("xDS NACK: proxy rejected configuration",
		"node", node, "type", typeURL, "running_version", version, "nonce", nonce, "error", msg)
	s.obs.NACK(node, typeURL, version, msg)
}

// slogAdapter lets go-control-plane log through slog.
type slogAdapter struct{ l *slog.Logger }

var _ log.Logger = slogAdapter{}

func (a slogAdapter) Debugf(f string, args ...any) { a.l.Debug(fmt.Sprintf(f, args...)) }
func (a slogAdapter) Infof(f string, args ...any)  { a.l.Debug(fmt.Sprintf(f, args...)) }
func (a slogAdapter) Warnf(f string, args ...any) {
	msg := fmt.Sprintf(f, args...)
	if strings.HasPrefix(msg, "ADS mode: not responding") {
		// Normal: a response waits until Envoy asks for every resource.
		a.l.Debug(msg)
		return
	}
	a.l.Warn(msg)
}
func (a slogAdapter) Errorf(f string, args ...any) { a.l.Error(fmt.Sprintf(f, args...)) }
