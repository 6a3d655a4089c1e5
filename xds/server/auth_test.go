package server

import (
	"context"
	"crypto/tls"
	"net"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"wasp.dev/xds/ir"
	"wasp.dev/xds/proxyauth"
	"wasp.dev/xds/translator"
)

// serverName is the host the test clients dial, as proxies dial the
// controller Service's DNS name.
const serverName = "wasp-controller.wasp-system.svc"

type tlsServer struct {
	srv  *Server
	pub  *Publisher
	rec  *recorder
	ca   *proxyauth.CA
	addr string
}

// startTLSServer serves ADS with a fresh wasp CA the way `wasp
// controller` does: serving certificate from the CA, client certificates
// required and verified against it.
func startTLSServer(t *testing.T) *tlsServer {
	t.Helper()
	ca, err := proxyauth.NewCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	rec := &recorder{}
	srv := New(ctx, Options{Observer: rec, TLS: ca.Serving([]string{serverName}).TLS()})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return &tlsServer{srv: srv, pub: NewPublisher(srv, translator.Options{}), rec: rec, ca: ca, addr: l.Addr().String()}
}

// clientTLS is what the controller writes into node's Secret, as a proxy
// loads it.
func (ts *tlsServer) clientTLS(t *testing.T, node string) *tls.Config {
	t.Helper()
	leaf, err := ts.ca.IssueProxy(node, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c, err := proxyauth.ClientTLS(ts.ca.CertPEM, leaf, serverName)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (ts *tlsServer) dial(t *testing.T, c *tls.Config) discoveryv3.AggregatedDiscoveryServiceClient {
	t.Helper()
	creds := insecure.NewCredentials()
	if c != nil {
		creds = credentials.NewTLS(c)
	}
	conn, err := grpc.NewClient(ts.addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return discoveryv3.NewAggregatedDiscoveryServiceClient(conn)
}

// firstResponse opens a stream claiming claim, asks for clusters, and
// returns the first response or the stream's error.
func firstResponse(t *testing.T, client discoveryv3.AggregatedDiscoveryServiceClient, claim string) (*discoveryv3.DiscoveryResponse, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	stream, err := client.StreamAggregatedResources(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&discoveryv3.DiscoveryRequest{Node: &corev3.Node{Id: claim}, TypeUrl: resourcev3.ClusterType}); err != nil {
		// The server may already have closed the stream: Recv has why.
		_ = err
	}
	return stream.Recv()
}

// TestADSAuthentication: only the proxy whose certificate names a node
// gets that node's configuration; without a certificate, with one from
// another CA, or claiming another node, a client gets nothing.
func TestADSAuthentication(t *testing.T) {
	ts := startTLSServer(t)
	other := waypointIR(t)
	other.Name = "other/gateway"
	if err := ts.pub.Apply(context.Background(), &ir.IR{Proxies: []*ir.Proxy{waypointIR(t), other}}).Err(); err != nil {
		t.Fatal(err)
	}

	foreignCA, err := proxyauth.NewCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	foreignLeaf, err := foreignCA.IssueProxy(waypointNode, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// A client trusting wasp's CA but presenting a certificate of another.
	forged, err := proxyauth.ClientTLS(ts.ca.CertPEM, foreignLeaf, serverName)
	if err != nil {
		t.Fatal(err)
	}
	noCert := ts.clientTLS(t, waypointNode)
	noCert.Certificates = nil

	for _, tc := range []struct {
		name  string
		tls   *tls.Config
		claim string
		want  codes.Code
	}{
		{"plaintext", nil, waypointNode, codes.Unavailable},
		{"TLS without a client certificate", noCert, waypointNode, codes.Unavailable},
		{"certificate of another CA", forged, waypointNode, codes.Unavailable},
		{"another proxy's certificate", ts.clientTLS(t, "other/gateway"), waypointNode, codes.PermissionDenied},
		{"claiming no node", ts.clientTLS(t, waypointNode), "", codes.PermissionDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := firstResponse(t, ts.dial(t, tc.tls), tc.claim)
			if err == nil {
				t.Fatalf("got a response with %d resources, want no configuration", len(r.Resources))
			}
			if got := status.Code(err); got != tc.want {
				t.Fatalf("stream error %v (%v), want %v", got, err, tc.want)
			}
		})
	}

	t.Run("the right proxy", func(t *testing.T) {
		r, err := firstResponse(t, ts.dial(t, ts.clientTLS(t, waypointNode)), waypointNode)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Resources) == 0 || r.TypeUrl != resourcev3.ClusterType {
			t.Fatalf("response %s with %d resources", r.TypeUrl, len(r.Resources))
		}
	})

	// A stream that starts as itself and then switches node is cut off.
	t.Run("switching node mid-stream", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stream, err := ts.dial(t, ts.clientTLS(t, waypointNode)).StreamAggregatedResources(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&discoveryv3.DiscoveryRequest{Node: node, TypeUrl: resourcev3.ClusterType}); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil {
			t.Fatal(err)
		}
		_ = stream.Send(&discoveryv3.DiscoveryRequest{Node: &corev3.Node{Id: "other/gateway"}, TypeUrl: resourcev3.ListenerType})
		for {
			r, err := stream.Recv()
			if err != nil {
				if status.Code(err) != codes.PermissionDenied {
					t.Fatalf("stream error %v, want PermissionDenied", err)
				}
				return
			}
			if r.TypeUrl == resourcev3.ListenerType {
				t.Fatal("received listeners after claiming another node")
			}
		}
	})
}

// TestDeltaADSAuthentication: the delta variant enforces the same.
func TestDeltaADSAuthentication(t *testing.T) {
	ts := startTLSServer(t)
	publish(t, ts.pub, waypointIR(t))
	delta := func(c *tls.Config, claim string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stream, err := ts.dial(t, c).DeltaAggregatedResources(ctx)
		if err != nil {
			return err
		}
		_ = stream.Send(&discoveryv3.DeltaDiscoveryRequest{Node: &corev3.Node{Id: claim}, TypeUrl: resourcev3.ClusterType})
		_, err = stream.Recv()
		return err
	}
	if err := delta(ts.clientTLS(t, "other/gateway"), waypointNode); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("another proxy's certificate: %v, want PermissionDenied", err)
	}
	if err := delta(ts.clientTLS(t, waypointNode), waypointNode); err != nil {
		t.Fatalf("the right proxy: %v", err)
	}
}
