package sds

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"slices"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	secretv3 "github.com/envoyproxy/go-control-plane/envoy/service/secret/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/anypb"
)

// guard bounds every wait so a broken server fails the test instead of
// hanging it; nothing is asserted about how fast things happen.
const guard = 30 * time.Second

// testPoll is short so tests finish quickly; correctness never depends on it.
const testPoll = 5 * time.Millisecond

var bothSecrets = []string{ServerCertSecret, ValidationContextSecret}

// testServer is a Server on a loopback port with a real gRPC client.
type testServer struct {
	loads  chan Load
	client secretv3.SecretDiscoveryServiceClient
}

func startServer(t *testing.T, dir string) *testServer {
	t.Helper()
	loads := make(chan Load, 1000)
	s, err := New(Options{
		CertDir:      dir,
		PollInterval: testPoll,
		Logger:       slog.New(slog.NewTextHandler(t.Output(), nil)),
		OnLoad: func(l Load) {
			select {
			case loads <- l:
			default: // never block the server; 1000 loads means a bug shown elsewhere
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(guard):
			t.Error("Serve did not return after its context ended")
		}
	})
	conn, err := grpc.NewClient("passthrough:///"+l.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() }) // runs before the server stops (LIFO)
	return &testServer{loads: loads, client: secretv3.NewSecretDiscoveryServiceClient(conn)}
}

// waitLoad returns the next load that satisfies ok, failing after guard.
func (s *testServer) waitLoad(t *testing.T, what string, ok func(Load) bool) Load {
	t.Helper()
	timeout := time.After(guard)
	for {
		select {
		case l := <-s.loads:
			if ok(l) {
				return l
			}
		case <-timeout:
			t.Fatalf("no load: %s", what)
		}
	}
}

func served(l Load) bool { return l.Err == nil && l.Version != "" }

// node is what Envoy announces; the server must not care which.
var node = &corev3.Node{Id: "gateway-proxy-7d4f~10.0.0.7", Cluster: "wasp-gateway"}

func (s *testServer) fetch(t *testing.T, names ...string) (*discoveryv3.DiscoveryResponse, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	return s.client.FetchSecrets(ctx, &discoveryv3.DiscoveryRequest{Node: node, ResourceNames: names})
}

func decodeSecrets(t *testing.T, rs []*anypb.Any) map[string]*tlsv3.Secret {
	t.Helper()
	out := map[string]*tlsv3.Secret{}
	for _, r := range rs {
		if r.TypeUrl != resourcev3.SecretType {
			t.Fatalf("resource type %s, want %s", r.TypeUrl, resourcev3.SecretType)
		}
		var s tlsv3.Secret
		if err := r.UnmarshalTo(&s); err != nil {
			t.Fatal(err)
		}
		out[s.Name] = &s
	}
	return out
}

// sotwStream is an Envoy-like state-of-the-world SDS subscription.
type sotwStream struct {
	t      *testing.T
	stream grpc.BidiStreamingClient[discoveryv3.DiscoveryRequest, discoveryv3.DiscoveryResponse]
}

func (s *testServer) subscribe(t *testing.T, names ...string) *sotwStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	st, err := s.client.StreamSecrets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Send(&discoveryv3.DiscoveryRequest{Node: node, TypeUrl: resourcev3.SecretType, ResourceNames: names}); err != nil {
		t.Fatal(err)
	}
	return &sotwStream{t: t, stream: st}
}

// next receives one response (failing after guard) and ACKs it like Envoy,
// which is what makes the server push the next version.
func (s *sotwStream) next() (*discoveryv3.DiscoveryResponse, map[string]*tlsv3.Secret) {
	s.t.Helper()
	type result struct {
		r   *discoveryv3.DiscoveryResponse
		err error
	}
	ch := make(chan result, 1)
	go func() {
		r, err := s.stream.Recv()
		ch <- result{r, err}
	}()
	var res result
	select {
	case res = <-ch:
	case <-time.After(guard):
		s.t.Fatal("no SDS response on the stream")
	}
	if res.err != nil {
		s.t.Fatal(res.err)
	}
	if err := s.stream.Send(&discoveryv3.DiscoveryRequest{
		TypeUrl: resourcev3.SecretType, ResourceNames: bothSecrets,
		VersionInfo: res.r.VersionInfo, ResponseNonce: res.r.Nonce,
	}); err != nil {
		s.t.Fatal(err)
	}
	return res.r, decodeSecrets(s.t, res.r.Resources)
}

// checkPair asserts the served certificate and key belong together.
func checkPair(t *testing.T, secrets map[string]*tlsv3.Secret) {
	t.Helper()
	tc := secrets[ServerCertSecret].GetTlsCertificate()
	if _, err := tls.X509KeyPair(tc.GetCertificateChain().GetInlineBytes(), tc.GetPrivateKey().GetInlineBytes()); err != nil {
		t.Fatalf("served %s is not a usable pair: %v", ServerCertSecret, err)
	}
}

func TestFetchBothSecrets(t *testing.T) {
	dir := t.TempDir()
	w := newCA(t, "mesh").issue(t, gatewayID, ecKey(t))
	writeWorkload(t, dir, w)
	srv := startServer(t, dir)
	l := srv.waitLoad(t, "initial files", served)

	resp, err := srv.fetch(t, bothSecrets...)
	if err != nil {
		t.Fatal(err)
	}
	if resp.VersionInfo != l.Version {
		t.Errorf("version %q, want %q (content hash)", resp.VersionInfo, l.Version)
	}
	checkSecrets(t, decodeSecrets(t, resp.Resources), w)

	// Envoy asks for each secret on its own subscription.
	for _, name := range bothSecrets {
		resp, err := srv.fetch(t, name)
		if err != nil {
			t.Fatal(err)
		}
		got := decodeSecrets(t, resp.Resources)
		if len(got) != 1 || got[name] == nil {
			t.Errorf("fetch %s: got %v", name, slices.Sorted(mapsKeys(got)))
		}
	}
}

func TestStreamPushesRotation(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "mesh")
	w1 := ca.issue(t, gatewayID, ecKey(t))
	writeWorkload(t, dir, w1)
	srv := startServer(t, dir)
	srv.waitLoad(t, "initial files", served)

	st := srv.subscribe(t, bothSecrets...)
	r1, s1 := st.next()
	checkSecrets(t, s1, w1)

	w2 := ca.issue(t, gatewayID, ecKey(t))
	writeWorkload(t, dir, w2)
	r2, s2 := st.next()
	if r2.VersionInfo == r1.VersionInfo {
		t.Fatalf("rotation kept version %s", r1.VersionInfo)
	}
	checkSecrets(t, s2, w2)
}

// The agent writes key.pem before cert-chain.pem: a server reading in
// between must keep the old pair, then push the new one whole.
func TestHalfWrittenRotationIsNotServed(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "mesh")
	w1 := ca.issue(t, gatewayID, ecKey(t))
	writeWorkload(t, dir, w1)
	srv := startServer(t, dir)
	v1 := srv.waitLoad(t, "initial files", served).Version

	st := srv.subscribe(t, bothSecrets...)
	r1, _ := st.next()

	w2 := ca.issue(t, gatewayID, ecKey(t))
	writeAtomic(t, dir, KeyFile, w2.key) // the chain is still w1's
	l := srv.waitLoad(t, "the mismatched pair", func(l Load) bool { return l.Err != nil })
	if !errors.Is(l.Err, ErrKeyMismatch) || l.Version != v1 {
		t.Fatalf("load = %+v, want ErrKeyMismatch while still serving %s", l, v1)
	}
	resp, err := srv.fetch(t, bothSecrets...)
	if err != nil {
		t.Fatal(err)
	}
	if resp.VersionInfo != v1 {
		t.Fatalf("fetch during a half-written rotation: version %s, want the old %s", resp.VersionInfo, v1)
	}
	checkSecrets(t, decodeSecrets(t, resp.Resources), w1)

	writeAtomic(t, dir, CertChainFile, w2.chain)
	r2, s2 := st.next() // the first push after v1 must be the complete new pair
	if r2.VersionInfo == r1.VersionInfo {
		t.Fatal("no new version after the rotation completed")
	}
	checkPair(t, s2)
	checkSecrets(t, s2, w2)
}

func TestNothingServedUntilValid(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "mesh")
	w := ca.issue(t, gatewayID, ecKey(t))
	srv := startServer(t, dir)
	l := srv.waitLoad(t, "empty directory", func(Load) bool { return true })
	if l.Err == nil || l.Version != "" {
		t.Fatalf("load of an empty directory = %+v, want an error and no version", l)
	}
	if _, err := srv.fetch(t, bothSecrets...); err == nil {
		t.Fatal("fetch with no files succeeded")
	}
	// Envoy subscribes before the agent has written anything.
	st := srv.subscribe(t, bothSecrets...)

	other := ca.issue(t, gatewayID, ecKey(t))
	writeAtomic(t, dir, KeyFile, other.key)
	writeAtomic(t, dir, CertChainFile, w.chain)
	writeAtomic(t, dir, RootCertFile, w.roots)
	l = srv.waitLoad(t, "a mismatched pair", func(l Load) bool { return errors.Is(l.Err, ErrKeyMismatch) })
	if l.Version != "" {
		t.Fatalf("mismatched files served as version %s", l.Version)
	}
	if _, err := srv.fetch(t, bothSecrets...); err == nil {
		t.Fatal("fetch with mismatched files succeeded")
	}

	writeAtomic(t, dir, KeyFile, w.key)
	_, got := st.next() // the open stream's first response is the valid pair
	checkPair(t, got)
	checkSecrets(t, got, w)
}

func TestDeltaStreamPushesOnlyChangedSecret(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t, "mesh")
	w1 := ca.issue(t, gatewayID, ecKey(t))
	writeWorkload(t, dir, w1)
	srv := startServer(t, dir)
	srv.waitLoad(t, "initial files", served)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := srv.client.DeltaSecrets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Send(&discoveryv3.DeltaDiscoveryRequest{
		Node: node, TypeUrl: resourcev3.SecretType, ResourceNamesSubscribe: bothSecrets,
	}); err != nil {
		t.Fatal(err)
	}
	recv := func() map[string]*tlsv3.Secret {
		t.Helper()
		ch := make(chan *discoveryv3.DeltaDiscoveryResponse, 1)
		errc := make(chan error, 1)
		go func() {
			r, err := st.Recv()
			if err != nil {
				errc <- err
				return
			}
			ch <- r
		}()
		select {
		case r := <-ch:
			if err := st.Send(&discoveryv3.DeltaDiscoveryRequest{TypeUrl: resourcev3.SecretType, ResponseNonce: r.Nonce}); err != nil {
				t.Fatal(err)
			}
			anys := make([]*anypb.Any, len(r.Resources))
			for i, res := range r.Resources {
				anys[i] = res.Resource
			}
			return decodeSecrets(t, anys)
		case err := <-errc:
			t.Fatal(err)
		case <-time.After(guard):
			t.Fatal("no delta response")
		}
		return nil
	}
	checkSecrets(t, recv(), w1)

	// Same CA: only the workload certificate changes, so only it is sent.
	w2 := ca.issue(t, gatewayID, ecKey(t))
	writeWorkload(t, dir, w2)
	got := recv()
	if len(got) != 1 || got[ServerCertSecret] == nil {
		t.Fatalf("delta after a leaf rotation sent %v, want only %s", slices.Sorted(mapsKeys(got)), ServerCertSecret)
	}
	checkPair(t, got)
}

func TestRunRefusesNonLoopbackAddress(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8234", ":8234", "10.0.0.7:8234", "[::]:8234", "gateway:8234"} {
		err := Run(t.Context(), Options{Address: addr, CertDir: t.TempDir()})
		if err == nil {
			t.Errorf("Run(%s) succeeded", addr)
		}
	}
	for _, addr := range []string{DefaultAddress, "[::1]:8234", "localhost:8234"} {
		if _, err := New(Options{Address: addr}); err != nil {
			t.Errorf("New(%s): %v", addr, err)
		}
	}
}
