package main

import (
	"context"
	"crypto/tls"
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
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"wasp.dev/controller/internal/deploy"
	"wasp.dev/xds/proxyauth"
)

// proxyCredentials waits for the certificate Secret the controller writes
// for gateway's proxy and returns it as the TLS the proxy dials with.
func proxyCredentials(t *testing.T, k8s client.Client, ns, gateway, serverName string) *tls.Config {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var s corev1.Secret
		err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: deploy.ProxyTLSSecretName(gateway)}, &s)
		if err == nil {
			c, err := proxyauth.ClientTLS(s.Data[deploy.ProxyTLSCAKey],
				&proxyauth.Leaf{CertPEM: s.Data[deploy.ProxyTLSCertKey], KeyPEM: s.Data[deploy.ProxyTLSKeyKey]}, serverName)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("no proxy certificate Secret for %s/%s: %v", ns, gateway, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// refused opens an ADS stream with creds (nil: plaintext) claiming node
// and wants it ended with code before any configuration arrives.
func refused(t *testing.T, addr string, creds *tls.Config, node string, want codes.Code) {
	t.Helper()
	tc := insecure.NewCredentials()
	if creds != nil {
		tc = credentials.NewTLS(creds)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(tc))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err == nil {
		_ = stream.Send(&discoveryv3.DiscoveryRequest{Node: &corev3.Node{Id: node}, TypeUrl: resourcev3.ListenerType})
		var r *discoveryv3.DiscoveryResponse
		if r, err = stream.Recv(); err == nil {
			t.Errorf("claiming %s: got %d resources, want none", node, len(r.Resources))
			return
		}
	}
	if got := status.Code(err); got != want {
		t.Errorf("claiming %s: %v, want %v", node, err, want)
	}
}
