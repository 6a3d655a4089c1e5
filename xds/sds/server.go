package sds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	secretv3 "github.com/envoyproxy/go-control-plane/envoy/service/secret/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cachev3 "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	serverv3 "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

// stopGrace bounds a graceful stop: open SDS streams end with the context,
// but a client that never reads must not hold the pod's shutdown.
const stopGrace = 5 * time.Second

// minClientPing: accept Envoy's HTTP/2 keepalive pings this often; gRPC's
// default (5 min) would answer a bootstrap that sets connection_keepalive
// with GOAWAY "too_many_pings".
const minClientPing = 5 * time.Second

// Server serves the certificate files of one directory over SDS.
type Server struct {
	opts  Options
	log   *slog.Logger
	cache cachev3.SnapshotCache

	// Poll state: used by the initial load and then only by the poll
	// goroutine.
	stamps  stamps
	seen    string // key of the last state handled (readFiles)
	serving string // version in the cache, "" before the first valid load
	polls   int
}

// New checks the options; it reads nothing yet.
func New(opts Options) (*Server, error) {
	o := opts.withDefaults()
	if err := checkLoopback(o.Address); err != nil {
		return nil, err
	}
	s := &Server{opts: o, log: o.Logger.With("component", "sds", "dir", o.CertDir)}
	// ads=false: Envoy opens one SDS subscription per secret and may ask
	// for either alone.
	s.cache = cachev3.NewSnapshotCache(false, anyNode{}, slogAdapter{s.log})
	return s, nil
}

// Run listens on opts.Address and serves until ctx ends: the body of
// `wasp sds`.
func Run(ctx context.Context, opts Options) error {
	s, err := New(opts)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", s.opts.Address)
	if err != nil {
		return fmt.Errorf("sds: %w", err)
	}
	return s.Serve(ctx, l)
}

// Serve loads the files once, then polls them and serves SDS on l until
// ctx ends. The first load happens before any request is answered. Call it
// once per Server.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.check(true)

	g := grpc.NewServer(grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
		MinTime: minClientPing, PermitWithoutStream: true,
	}))
	// Streams end when ctx does (go-control-plane watches it).
	secretv3.RegisterSecretDiscoveryServiceServer(g, serverv3.NewServer(ctx, s.cache, s.callbacks()))

	var wg sync.WaitGroup
	wg.Go(func() { s.poll(ctx) })
	wg.Go(func() {
		<-ctx.Done()
		stopped := make(chan struct{})
		go func() { g.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(stopGrace):
			g.Stop()
		}
	})
	s.log.Info("serving SDS", "address", l.Addr().String(),
		"secrets", []string{ServerCertSecret, ValidationContextSecret}, "poll", s.opts.PollInterval)
	err := g.Serve(l)
	cancel() // Serve may fail on its own: stop the helpers either way.
	wg.Wait()
	if errors.Is(err, grpc.ErrServerStopped) {
		err = nil
	}
	return err
}

func (s *Server) poll(ctx context.Context) {
	t := time.NewTicker(s.opts.PollInterval)
	defer t.Stop()
	every := resyncEvery(s.opts.PollInterval)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.polls++
			s.check(s.polls%every == 0)
		}
	}
}

// check reloads the files when stat shows a change (or force), and serves
// them if they are new and valid.
func (s *Server) check(force bool) {
	st := statFiles(s.opts.CertDir)
	if !force && st.same(s.stamps) {
		return
	}
	s.stamps = st
	files, key, err := readFiles(s.opts.CertDir)
	if key == s.seen {
		return // touched, or re-read, but the same content or errors
	}
	s.seen = key
	if err == nil {
		var m *Material
		if m, err = NewMaterial(files[0], files[1], files[2], time.Now()); err == nil {
			err = s.publish(m)
		}
	}
	if err != nil {
		s.log.Warn("certificate files not served", "error", err, "serving", s.servingText(),
			"hint", "istio-proxy writes them (OUTPUT_CERTS); a key/chain mismatch during rotation clears on its next write")
	}
	if s.opts.OnLoad != nil {
		s.opts.OnLoad(Load{Version: s.serving, Err: err})
	}
}

func (s *Server) publish(m *Material) error {
	secrets, err := m.Secrets()
	if err != nil {
		return err
	}
	res := make([]types.Resource, len(secrets))
	for i, sec := range secrets {
		res[i] = sec
	}
	snap, err := cachev3.NewSnapshot(m.Version, map[resourcev3.Type][]types.Resource{resourcev3.SecretType: res})
	if err != nil {
		return err
	}
	if err := s.cache.SetSnapshot(context.Background(), anyNodeID, snap); err != nil {
		return err
	}
	for _, w := range m.Warnings {
		s.log.Warn("serving certificate with a warning", "version", m.Version, "warning", w)
	}
	s.log.Info("serving certificate", "version", m.Version, "previous", s.servingText(),
		"identities", m.Identities(), "notAfter", m.Leaf.NotAfter.UTC().Format(time.RFC3339))
	s.serving = m.Version
	return nil
}

func (s *Server) servingText() string {
	if s.serving == "" {
		return "nothing (no valid files seen yet)"
	}
	return "version " + s.serving
}

func (s *Server) callbacks() serverv3.Callbacks {
	nack := func(names []string, nonce string, d interface{ GetMessage() string }) {
		s.log.Error("Envoy rejected a secret", "resources", names, "nonce", nonce, "error", d.GetMessage())
	}
	return serverv3.CallbackFuncs{
		StreamRequestFunc: func(_ int64, r *discoveryv3.DiscoveryRequest) error {
			if r.ErrorDetail != nil {
				nack(r.ResourceNames, r.ResponseNonce, r.ErrorDetail)
			}
			return nil
		},
		StreamDeltaRequestFunc: func(_ int64, r *discoveryv3.DeltaDiscoveryRequest) error {
			if r.ErrorDetail != nil {
				nack(r.ResourceNamesSubscribe, r.ResponseNonce, r.ErrorDetail)
			}
			return nil
		},
	}
}

// anyNode maps every client to one snapshot: the only client is the Envoy
// in this pod, whatever node ID its bootstrap announces.
type anyNode struct{}

const anyNodeID = "local"

func (anyNode) ID(*corev3.Node) string { return anyNodeID }

// slogAdapter lets go-control-plane log through slog; its chatter is debug.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debugf(f string, args ...any) { a.l.Debug(fmt.Sprintf(f, args...)) }
func (a slogAdapter) Infof(f string, args ...any)  { a.l.Debug(fmt.Sprintf(f, args...)) }
func (a slogAdapter) Warnf(f string, args ...any) {
	msg := fmt.Sprintf(f, args...)
	if strings.HasPrefix(msg, "skip fetch") {
		a.l.Debug(msg) // a fetch with the current version: normal
		return
	}
	a.l.Warn(msg)
}
func (a slogAdapter) Errorf(f string, args ...any) { a.l.Error(fmt.Sprintf(f, args...)) }
