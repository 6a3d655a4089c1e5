package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"wasp.dev/controller/internal/manifest"
	"wasp.dev/controller/internal/scheme"
)

// TestControllerCommand runs `wasp controller` itself against a real
// kube-apiserver with the Gateway API standard channel CRDs (the envtest
// suite in test/envtest uses the experimental channel): the seed waypoint
// manifests go in, and a real xDS client
// (as Envoy would) gets the waypoint's 15088 listener for its node ID; the
// wasm server serves the filter by hash.
func TestControllerCommand(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run `make test-controller` (it builds the envtest assets)")
	}
	gwapi := goListDir(t, "sigs.k8s.io/gateway-api")
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(gwapi, "config", "crd", "standard"), filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme.New(),
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Stop() })
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.KubeConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", kubeconfig)
	// The controller keeps wasp's CA in its own namespace.
	t.Setenv("POD_NAMESPACE", "default")

	wasmDir := t.TempDir()
	code := []byte("\x00asm\x01\x00\x00\x00")
	os.WriteFile(filepath.Join(wasmDir, "builtin.wasm"), code, 0o644)
	sum := sha256.Sum256(code)

	xdsAddr, wasmAddr, probeAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var logs strings.Builder
	go func() {
		done <- runController(ctx, []string{
			"--leader-elect=false", "--waypoint-class", "kgateway-waypoint",
			"--xds-bind-address", xdsAddr, "--wasm-bind-address", wasmAddr, "--wasm-dir", wasmDir,
			"--metrics-bind-address", "0", "--health-probe-bind-address", probeAddr,
		}, &syncWriter{b: &logs})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("controller exited %d; logs:\n%s", code, logs.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("controller did not stop")
		}
	})

	k8s, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	res, err := manifest.LoadPaths(filepath.Join(seeds, "gatewayclasses.yaml"), filepath.Join(seeds, "waypoint-ollama"))
	if err != nil {
		t.Fatal(err)
	}
	var objs []client.Object
	for _, o := range res.Input.GatewayClasses {
		objs = append(objs, o)
	}
	for _, o := range res.Input.Services {
		o.Spec.ClusterIP, o.Spec.ClusterIPs = "", nil // the test API server allocates its own
		objs = append(objs, o)
	}
	for _, o := range res.Input.Gateways {
		objs = append(objs, o)
	}
	for _, o := range res.Input.HTTPRoutes {
		objs = append(objs, o)
	}
	for _, o := range res.Input.TrafficPolicies {
		objs = append(objs, o)
	}
	bg := context.Background()
	for _, o := range objs {
		if err := k8s.Create(bg, o); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("creating %s: %v", o.GetName(), err)
		}
	}
	// The namespace label enrolls the Services in the waypoint.
	for _, n := range res.Input.Namespaces {
		if err := k8s.Update(bg, n); err != nil {
			// The default namespace exists: merge the labels.
			var live = n.DeepCopy()
			if err := k8s.Get(bg, client.ObjectKeyFromObject(n), live); err != nil {
				t.Fatal(err)
			}
			live.Labels = n.Labels
			if err := k8s.Update(bg, live); err != nil {
				t.Fatal(err)
			}
		}
	}

	// The proxy's credentials, as its pod mounts them.
	creds := proxyCredentials(t, k8s, "default", "kgateway-waypoint", "wasp-controller.default.svc")
	listener := fetchListener(t, xdsAddr, "default/kgateway-waypoint", creds)
	if got := listener.GetAddress().GetSocketAddress().GetPortValue(); got != 15088 {
		t.Errorf("listener port %d, want 15088", got)
	}
	refused(t, xdsAddr, nil, "default/kgateway-waypoint", codes.Unavailable)
	refused(t, xdsAddr, creds, "kgateway-system/http", codes.PermissionDenied)

	url := fmt.Sprintf("https://%s/wasm/%s.wasm", wasmAddr, hex.EncodeToString(sum[:]))
	proxy := &http.Client{Transport: &http.Transport{TLSClientConfig: creds}}
	resp, err := proxy.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != string(code) {
		t.Errorf("GET %s: %d %q", url, resp.StatusCode, body)
	}
	noCert := creds.Clone()
	noCert.Certificates = nil
	if resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: noCert}}).Get(url); err == nil {
		resp.Body.Close()
		t.Errorf("GET %s without a proxy certificate: HTTP %d, want a refused handshake", url, resp.StatusCode)
	}
	resp, err = http.Get("http://" + probeAddr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
}

// fetchListener asks the xDS server for node's listeners over an ADS
// stream, as Envoy does, until the waypoint's listener arrives.
func fetchListener(t *testing.T, addr, node string, creds *tls.Config) *listenerv3.Listener {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(creds)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		stream, err := discoveryv3.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
		if err == nil {
			err = stream.Send(&discoveryv3.DiscoveryRequest{Node: &corev3.Node{Id: node}, TypeUrl: resourcev3.ListenerType})
		}
		var resp *discoveryv3.DiscoveryResponse
		if err == nil {
			resp, err = stream.Recv()
		}
		if err == nil && len(resp.Resources) > 0 {
			var l listenerv3.Listener
			if err := resp.Resources[0].UnmarshalTo(&l); err != nil {
				t.Fatal(err)
			}
			return &l
		}
		if ctx.Err() != nil {
			t.Fatalf("no listener for %s: %v", node, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func goListDir(t *testing.T, mod string) string {
	t.Helper()
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", mod)
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", mod, err)
	}
	return strings.TrimSpace(string(out))
}
