package envtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"wasp.dev/controller/internal/controller"
	"wasp.dev/controller/internal/deploy"
	"wasp.dev/controller/internal/scheme"
	"wasp.dev/controller/internal/translate"
	"wasp.dev/xds/ir"
	"wasp.dev/xds/proxyauth"
	"wasp.dev/xds/translator"
)

var (
	k8s client.Client
	pub = &recorder{}
	// restConfig reaches the test API server (to install CRDs mid-run).
	restConfig *rest.Config
	// proxyCA is wasp's CA, created in the API server as `wasp controller`
	// does (proxycert_test.go).
	proxyCA *proxyauth.CA
)

// recorder is the reconciler's publisher in tests: it keeps the last IR and
// checks that the xDS translator accepts every proxy of it (every resource
// passes Envoy's ValidateAll).
type recorder struct {
	mu   sync.Mutex
	last *ir.IR
	err  error
}

func (r *recorder) Publish(_ context.Context, in *ir.IR) map[string]error {
	failed := map[string]error{}
	var errs []string
	for _, p := range in.Proxies {
		if _, err := translator.Translate(p, translator.Options{}); err != nil {
			failed[p.Name] = err
			errs = append(errs, err.Error())
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last = in
	r.err = nil
	if len(errs) > 0 {
		r.err = fmt.Errorf("xds translation: %s", strings.Join(errs, "; "))
	}
	return failed
}

func (r *recorder) snapshot() (*ir.IR, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last, r.err
}

// controllerOptions serve kgateway's waypoint class, as a cluster migrating
// kgateway manifests configures the chart.
func controllerOptions() controller.Options {
	o := translate.DefaultOptions()
	o.WaypointClasses = append(o.WaypointClasses, "kgateway-waypoint")
	return controller.Options{
		Translate: o,
		Deploy:    deploy.Config{XDSHost: "wasp-controller.wasp-system.svc", XDSPort: 18000},
		Publisher: pub,
		// Istio's CRDs are installed mid-run (TestIstioAmbient).
		IstioRecheck: istioRecheck,
		// WasmFilters: fetcher and wasm server on loopback (wasmfilter_test.go).
		Wasm: wasmOptions(),
	}
}

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		fmt.Fprintln(os.Stderr, "envtest: KUBEBUILDER_ASSETS is not set. Build the assets with `make envtest-assets` and run\n"+
			"  KUBEBUILDER_ASSETS=$(make -s print-kubebuilder-assets) go test ./test/envtest\nor run `make test-controller`.")
		return 1
	}
	gwapi, err := gatewayAPICRDs()
	if err != nil {
		fmt.Fprintln(os.Stderr, "envtest:", err)
		return 1
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapLevel())))
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{gwapi, filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme.New(),
	}
	cfg, err := env.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "envtest: starting kube-apiserver and etcd:", err)
		return 1
	}
	defer env.Stop()
	restConfig = cfg

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "envtest: manager:", err)
		return 1
	}
	// wasp's CA, loaded or created in its Secret as the controller does at start.
	direct, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err == nil {
		if err = direct.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: caNamespace}}); apierrors.IsAlreadyExists(err) {
			err = nil
		}
	}
	if err == nil {
		proxyCA, err = controller.LoadOrCreateCA(context.Background(), direct, caNamespace, controller.DefaultCASecretName)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "envtest: proxy CA:", err)
		return 1
	}
	opts := controllerOptions()
	opts.ProxyCA = proxyCA
	if err := controller.Setup(mgr, opts); err != nil {
		fmt.Fprintln(os.Stderr, "envtest: setup:", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	// A direct client (not the manager's cache) so tests read what the API
	// server holds.
	k8s, err = client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, "envtest: client:", err)
		cancel()
		return 1
	}
	code := m.Run()
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "envtest: manager:", err)
	}
	return code
}

// zapLevel logs errors only, everything with WASP_ENVTEST_VERBOSE set.
func zapLevel() zapcore.Level {
	if os.Getenv("WASP_ENVTEST_VERBOSE") != "" {
		return zapcore.DebugLevel
	}
	return zapcore.ErrorLevel
}

// gatewayAPICRDs finds the Gateway API module's experimental CRDs (the
// version go.mod pins), or WASP_GATEWAY_API_CRDS when set.
func gatewayAPICRDs() (string, error) {
	if d := os.Getenv("WASP_GATEWAY_API_CRDS"); d != "" {
		return d, nil
	}
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api")
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("locating sigs.k8s.io/gateway-api: %w", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "config", "crd", "experimental"), nil
}

// eventually polls f until it returns nil or the timeout passes.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(eventuallyTimeout)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(pollInterval)
	}
	t.Fatalf("%s: still failing after %s: %v", what, eventuallyTimeout, err)
}

// Polling bounds: reconciliation takes milliseconds; the timeout only
// guards against a hang on a loaded 2-core CI machine.
const (
	eventuallyTimeout = 30 * time.Second
	pollInterval      = 100 * time.Millisecond
)

// createOrMerge creates obj; an object that exists (the default
// namespace) gets obj's labels merged in.
func createOrMerge(ctx context.Context, obj client.Object) error {
	err := k8s.Create(ctx, obj)
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	live := obj.DeepCopyObject().(client.Object)
	if err := k8s.Get(ctx, types.NamespacedName{Namespace: obj.GetNamespace(), Name: obj.GetName()}, live); err != nil {
		return err
	}
	l := live.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	for k, v := range obj.GetLabels() {
		l[k] = v
	}
	live.SetLabels(l)
	return k8s.Update(ctx, live)
}
