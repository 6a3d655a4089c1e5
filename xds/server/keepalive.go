package server

import (
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

// Keepalive settings of the xDS gRPC server.
const (
	// pingIdle: ping a connection idle this long. Cloud load balancers and
	// NAT gateways silently drop idle TCP flows after a few minutes (AWS NLB
	// 350 s); a ping well inside that keeps an idle ADS stream (no config
	// change for hours is normal) alive and detects dead proxies.
	pingIdle = 30 * time.Second
	// pingTimeout: a proxy that does not answer a ping within this is gone;
	// its stream closes and its watches are freed.
	pingTimeout = 10 * time.Second
	// minClientPing: accept client pings this often. Envoy bootstraps
	// commonly set connection_keepalive intervals of 30-60 s; anything
	// stricter than the client would make gRPC close it with
	// ENHANCE_YOUR_CALM ("too_many_pings").
	minClientPing = 5 * time.Second
	// maxConcurrentStreams: each proxy holds one ADS stream per connection;
	// gRPC's default (100) would cap proxies per controller connection
	// needlessly when an intermediary multiplexes them.
	maxConcurrentStreams = 1 << 20
)

// GRPCServerOptions are the options an xDS gRPC server should run with.
func GRPCServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxConcurrentStreams(maxConcurrentStreams),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			Time:    pingIdle,
			Timeout: pingTimeout,
		}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime: minClientPing,
			// An idle ADS stream is still a stream, but a proxy between
			// streams (reconnecting) may ping too.
			PermitWithoutStream: true,
		}),
	}
}
